import { generateKeyPairSync, randomUUID } from "node:crypto";
import { describe, expect, test } from "vitest";
import { unknownValue } from "../../providers/core/check";
import {
  checkClientKeysInputs,
  keyPolicyDefaults,
  maxKeyLifetimeSeconds,
  policyChanged,
  publicKeysFrom,
  wireJwk,
} from "../../providers/digdir/client-keys-model";

function publicJwk(bits = 2048) {
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  const jwk = publicKey.export({ format: "jwk" }) as { n: string; e: string };
  return { kty: "RSA" as const, kid: randomUUID(), n: jwk.n, e: jwk.e };
}

const now = 1_800_000_000;
const check = (raw: Record<string, unknown>) => checkClientKeysInputs({ clientId: "c1", ...raw }, now);
const reasons = (raw: Record<string, unknown>) => Object.fromEntries(check(raw).failures.map((f) => [f.property, f.reason]));

/** Every rule of digdir-api.md §2.4 and the rotation policy, judged offline. */
describe("key set inputs", () => {
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

  test("§2.4 rules: RSA, at least 2048 bits, RS256, use sig, kid characters, at most 5 keys, public only", () => {
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

  test("§2.4 exp: in the future and at most one year ahead, by the clock passed in", () => {
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

  test("the wire form holds public members only, and Digdir's answer reads back with alg and use", () => {
    const wire = wireJwk({ ...k, alg: "RS256", use: "sig", exp: now + 10 });
    expect(Object.keys(wire).sort()).toEqual(["alg", "e", "exp", "kid", "kty", "n", "use"]);
    expect(publicKeysFrom({ keys: [{ kty: "RSA", kid: "a", n: "n", e: "e", exp: 5, extra: 1 }] })).toEqual([
      { kty: "RSA", kid: "a", n: "n", e: "e", alg: "RS256", use: "sig", exp: 5 },
    ]);
  });
});
