import { generateKeyPairSync, randomUUID } from "node:crypto";
import { describe, expect, test } from "vitest";
import { unknownValue } from "../../providers/core/check";
import {
  checkClientKeysInputs,
  keepsKids,
  keyPolicyDefaults,
  kidsAfterUp,
  kidsOf,
  keySetChanged,
  maxKeyLifetimeSeconds,
  policyChanged,
} from "../../providers/digdir/client-keys-model";
import { desiredJwks, publicKeysFrom } from "../../providers/digdir/wire";

function publicJwk(bits = 2048) {
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  const jwk = publicKey.export({ format: "jwk" }) as { n: string; e: string };
  return { kty: "RSA" as const, kid: randomUUID(), n: jwk.n, e: jwk.e };
}

const now = 1_800_000_000;
const reasons = (r: { failures: { property: string; reason: string }[] }) =>
  Object.fromEntries(r.failures.map((f) => [f.property, f.reason]));

describe("client key sets", () => {
  const k1 = publicJwk();

  test("a public RSA key is completed with alg RS256 and use sig", () => {
    const r = checkClientKeysInputs({ clientId: "c1", keys: [k1] }, now);
    expect(r.failures).toEqual([]);
    expect(r.inputs.keys[0]).toEqual({ ...k1, alg: "RS256", use: "sig" });
  });

  test("private key material is refused without being repeated in the message", () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const priv = { ...(privateKey.export({ format: "jwk" }) as { d: string }), kid: "k" };
    const r = checkClientKeysInputs({ clientId: "c1", keys: [priv] }, now);
    expect(reasons(r)["keys[0]"]).toMatch(/holds private key material \(d, p, q, dp, dq, qi\)/);
    expect(JSON.stringify(r.failures)).not.toContain(priv.d);
  });

  test("more than five keys are refused", () => {
    const keys = Array.from({ length: 6 }, () => ({ ...k1, kid: randomUUID() }));
    expect(reasons(checkClientKeysInputs({ clientId: "c1", keys }, now)).keys).toMatch(/at most 5 keys/);
  });

  test("an empty set is refused: removing the last key is a delete", () => {
    expect(reasons(checkClientKeysInputs({ clientId: "c1", keys: [] }, now)).keys).toMatch(/delete the ClientKeys resource/);
  });

  test("keys shorter than 2048 bits, other algorithms and bad kids are refused", () => {
    const short = publicJwk(1024);
    expect(reasons(checkClientKeysInputs({ clientId: "c1", keys: [short] }, now))["keys[0].n"]).toMatch(/shorter than 2048 bits/);
    // RS512 is registered beside RS256 (the self-service OpenAPI); RS384 is not.
    expect(reasons(checkClientKeysInputs({ clientId: "c1", keys: [{ ...k1, alg: "RS512" }] }, now))["keys[0].alg"]).toBeUndefined();
    expect(reasons(checkClientKeysInputs({ clientId: "c1", keys: [{ ...k1, alg: "RS384" }] }, now))["keys[0].alg"]).toMatch(
      /RS256" or "RS512/,
    );
    expect(reasons(checkClientKeysInputs({ clientId: "c1", keys: [{ ...k1, kid: "my key" }] }, now))["keys[0].kid"]).toMatch(
      /letters, digits/,
    );
    expect(reasons(checkClientKeysInputs({ clientId: "c1", keys: [{ ...k1, kty: "EC" }] }, now))["keys[0].kty"]).toMatch(/RSA keys only/);
  });

  test("exp must be in the future and at most one year ahead", () => {
    expect(reasons(checkClientKeysInputs({ clientId: "c1", keys: [{ ...k1, exp: now - 1 }] }, now))["keys[0].exp"]).toMatch(/in the past/);
    expect(
      reasons(checkClientKeysInputs({ clientId: "c1", keys: [{ ...k1, exp: now + maxKeyLifetimeSeconds + 60 }] }, now))["keys[0].exp"],
    ).toMatch(/one year/);
    expect(checkClientKeysInputs({ clientId: "c1", keys: [{ ...k1, exp: now + 3600 }] }, now).failures).toEqual([]);
  });

  test("two keys with one kid are refused", () => {
    const r = checkClientKeysInputs({ clientId: "c1", keys: [k1, { ...publicJwk(), kid: k1.kid }] }, now);
    expect(reasons(r)["keys[1].kid"]).toMatch(/also the kid of keys\[0\]/);
  });

  test("the registered set compares by kid and key, exp only where declared", () => {
    const desired = checkClientKeysInputs({ clientId: "c1", keys: [k1] }, now).inputs.keys;
    const registered = publicKeysFrom({ keys: desiredJwks(desired).map((k) => ({ ...k, exp: now + 100 })) });
    expect(keySetChanged(registered, desired)).toBe(false);
    expect(keySetChanged(registered, [{ ...desired[0], exp: now + 50 }])).toBe(true);
    expect(keySetChanged(registered, [...desired, { ...desired[0], kid: "other" }])).toBe(true);
    expect(keySetChanged(registered, [{ ...desired[0], n: publicJwk().n }])).toBe(true);
  });
});

/** Digdir's key rules (README.md, "ClientKeys") and the rotation policy, judged offline. */
describe("key set inputs", () => {
  const check = (raw: Record<string, unknown>) => checkClientKeysInputs({ clientId: "c1", ...raw }, now);
  const reasons = (raw: Record<string, unknown>) => Object.fromEntries(check(raw).failures.map((f) => [f.property, f.reason]));
  const k = publicJwk();

  test("the simple form still works and gets the policy defaults written in", () => {
    const r = check({ keys: [k] });
    expect(r.failures).toEqual([]);
    expect(r.inputs).toEqual({ clientId: "c1", keys: [{ ...k, alg: "RS256", use: "sig" }], ...keyPolicyDefaults });
  });

  test("generated keys need no declared key", () => {
    const r = check({ generate: true, rotateAfterDays: 90, overlapDays: 7 });
    expect(r.failures).toEqual([]);
    expect(r.inputs.keys).toEqual([]);
  });

  test("Digdir's rules: RSA, at least 2048 bits, RS256, use sig, kid characters, at most 5 keys, public only", () => {
    expect(reasons({ keys: [{ ...k, kty: "EC" }] })["keys[0].kty"]).toMatch(/RSA keys only/);
    expect(reasons({ keys: [publicJwk(1024)] })["keys[0].n"]).toMatch(/shorter than 2048 bits/);
    expect(check({ keys: [publicJwk(3072)] }).failures).toEqual([]);
    expect(reasons({ keys: [{ ...k, alg: "RS384" }] })["keys[0].alg"]).toMatch(/RS256/);
    expect(reasons({ keys: [{ ...k, use: "enc" }] })["keys[0].use"]).toMatch(/"sig"/);
    expect(reasons({ keys: [{ ...k, kid: "a/b" }] })["keys[0].kid"]).toMatch(/letters, digits/);
    expect(reasons({ keys: Array.from({ length: 6 }, () => ({ ...k, kid: randomUUID() })) }).keys).toMatch(/at most 5 keys/);
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const priv: Record<string, string> = { ...(privateKey.export({ format: "jwk" }) as Record<string, string>), kid: "x" };
    const r = check({ keys: [priv] });
    expect(r.failures[0].reason).toMatch(/private key material/);
    expect(JSON.stringify(r.failures)).not.toContain(priv.d);
  });

  test("exp: in the future and at most one year ahead, by the clock passed in", () => {
    expect(reasons({ keys: [{ ...k, exp: now }] })["keys[0].exp"]).toMatch(/in the past/);
    expect(reasons({ keys: [{ ...k, exp: now + maxKeyLifetimeSeconds + 1 }] })["keys[0].exp"]).toMatch(/at most one year/);
    expect(check({ keys: [{ ...k, exp: now + maxKeyLifetimeSeconds }] }).failures).toEqual([]);
    expect(checkClientKeysInputs({ clientId: "c1", keys: [{ ...k, exp: now + 10 }] }, now + 20).failures[0].reason).toMatch(/in the past/);
  });

  test("removing the last key is a delete: an empty set without generate is refused", () => {
    expect(reasons({ keys: [] }).keys).toMatch(/delete the ClientKeys resource/);
    expect(reasons({}).keys).toMatch(/generate: true/);
  });

  test("with generate, two of the five places are kept for the generated key and its successor", () => {
    const keys = (n: number) => Array.from({ length: n }, () => ({ ...k, kid: randomUUID() }));
    expect(check({ generate: true, keys: keys(3) }).failures).toEqual([]);
    expect(reasons({ generate: true, keys: keys(4) }).keys).toMatch(/at most 3 declared keys/);
  });

  test("rotation policy needs generated keys, and its periods must fit together", () => {
    expect(reasons({ keys: [k], rotateAfterDays: 30 }).rotateAfterDays).toMatch(/generate: true/);
    expect(reasons({ keys: [k], keyLifetimeDays: 30 }).keyLifetimeDays).toMatch(/generate: true/);
    expect(reasons({ keys: [k], verifyToken: true }).verifyToken).toMatch(/no private key of a declared key/);
    expect(reasons({ generate: true, verifyScope: "a:b" }).verifyScope).toMatch(/verifyToken: true/);
    expect(reasons({ generate: true, rotateAfterDays: 7, overlapDays: 7 }).overlapDays).toMatch(/shorter than rotateAfterDays/);
    expect(reasons({ generate: true, keyLifetimeDays: 30 }).renewBeforeDays).toMatch(/shorter than keyLifetimeDays/);
    expect(reasons({ generate: true, rotateAfterDays: 400 }).rotateAfterDays).toMatch(/at most 365/);
    expect(reasons({ generate: true, keyLifetimeDays: 366 }).keyLifetimeDays).toMatch(/at most 365/);
    expect(reasons({ generate: true, overlapDays: 0 }).overlapDays).toMatch(/more than 0/);
    expect(reasons({ generate: true, renewBeforeDays: -1 }).renewBeforeDays).toMatch(/0 \(never\)/);
    expect(reasons({ generate: true, verifyToken: true, verifyTimeoutSeconds: 0.5 }).verifyTimeoutSeconds).toMatch(/whole seconds/);
    expect(reasons({ generate: true, rotate: 3 }).rotate).toMatch(/unknown field/);
  });

  test("values not known yet are not judged", () => {
    expect(check({ clientId: unknownValue, generate: true }).failures).toEqual([]);
    expect(check({ keys: [unknownValue] }).failures).toEqual([]);
    expect(check({ keys: [k], generate: unknownValue }).failures).toEqual([]);
  });

  test("a policy change is a change even when no key changes", () => {
    const a = check({ generate: true, rotateAfterDays: 30 }).inputs;
    expect(policyChanged(a, a)).toBe(false);
    expect(policyChanged(a, { ...a, rotateAfterDays: 60 })).toBe(true);
    expect(policyChanged(a, { ...a, verifyScope: unknownValue })).toBe(true);
    // A state from the simple form has no policy: the first `up` records it.
    expect(policyChanged({}, a)).toBe(true);
  });
});

describe("kids the inputs decide", () => {
  const [a, b] = [publicJwk(), publicJwk()];
  const inputs = (raw: Record<string, unknown>) => checkClientKeysInputs({ clientId: "c1", ...raw }, now).inputs;

  test("declared keys alone decide them, in declared order; a generated key or a key not known yet does not", () => {
    expect(kidsAfterUp(inputs({ keys: [b, a] }))).toEqual([b.kid, a.kid]);
    expect(kidsAfterUp(inputs({ keys: [a], generate: true }))).toBeUndefined();
    expect(kidsAfterUp({ ...inputs({ keys: [a] }), keys: [unknownValue] } as never)).toBeUndefined();
  });

  test("the kids output lists declared keys in declared order, then the others as registered", () => {
    const reg = (k: { kid: string }) => ({ ...k, kty: "RSA" as const, n: "n", e: "AQAB", alg: "RS256" as const, use: "sig" as const });
    expect(kidsOf([reg({ kid: "g" }), reg(a), reg(b)], [reg(b), reg(a)])).toEqual([b.kid, a.kid, "g"]);
  });
});

describe("kids a policy edit keeps", () => {
  const a = publicJwk();
  const inputs = (raw: Record<string, unknown>) => checkClientKeysInputs({ clientId: "c1", generate: true, ...raw }, now).inputs;
  /** The stored inputs come back from the engine with members in another order. */
  const stored = (i: object) => JSON.parse(JSON.stringify(i, Object.keys(i).sort())) as Record<string, unknown>;

  test("an edit of a generated set's policy alone keeps them", () => {
    const old = inputs({ keys: [a], rotateAfterDays: 30 });
    const reordered = { ...stored(old), keys: old.keys.map((k) => Object.fromEntries(Object.entries(k).reverse())) };
    expect(keepsKids(reordered, inputs({ keys: [a], rotateAfterDays: 60 }))).toBe(true);
    expect(keepsKids(reordered, inputs({ keys: [a], rotateAfterDays: 30, verifyToken: true }))).toBe(true);
  });

  test("no edit, another client, other declared keys, generate turned on or off, or an unknown: it does not", () => {
    const old = inputs({ keys: [a], rotateAfterDays: 30 });
    expect(keepsKids(old, inputs({ keys: [a], rotateAfterDays: 30 }))).toBe(false);
    expect(keepsKids(old, { ...inputs({ keys: [a], rotateAfterDays: 60 }), clientId: "c2" })).toBe(false);
    expect(keepsKids(old, { ...inputs({ keys: [a], rotateAfterDays: 60 }), clientId: unknownValue } as never)).toBe(false);
    expect(keepsKids(old, inputs({ rotateAfterDays: 60 }))).toBe(false);
    expect(keepsKids(old, { ...inputs({ keys: [a], rotateAfterDays: 60 }), keys: [unknownValue] } as never)).toBe(false);
    expect(keepsKids({ ...old, generate: false }, inputs({ keys: [a], rotateAfterDays: 60 }))).toBe(false);
    expect(keepsKids(old, inputs({ keys: [a], generate: false }))).toBe(false);
    expect(keepsKids(undefined, inputs({ keys: [a] }))).toBe(false);
    expect(keepsKids({}, inputs({ keys: [a] }))).toBe(false);
  });
});
