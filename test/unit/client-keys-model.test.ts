import { generateKeyPairSync, randomUUID } from "node:crypto";
import { describe, expect, test } from "vitest";
import {
  checkClientKeysInputs,
  desiredJwks,
  keySetChanged,
  keysOutputs,
  maxKeyLifetimeSeconds,
} from "../../providers/digdir/client-keys-model";

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
    // RS512 is registered beside RS256 (digdir-api.md Corrections 6); RS384 is not.
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
    const registered = keysOutputs("c1", { keys: desiredJwks(desired).map((k) => ({ ...k, exp: now + 100 })) }).keys;
    expect(keySetChanged(registered, desired)).toBe(false);
    expect(keySetChanged(registered, [{ ...desired[0], exp: now + 50 }])).toBe(true);
    expect(keySetChanged(registered, [...desired, { ...desired[0], kid: "other" }])).toBe(true);
    expect(keySetChanged(registered, [{ ...desired[0], n: publicJwk().n }])).toBe(true);
  });

  test("outputs list kids and expiry dates", () => {
    const out = keysOutputs("c1", { keys: [{ ...k1, alg: "RS256", use: "sig", exp: now }] });
    expect(out.kids).toEqual([k1.kid]);
    expect(out.expiresAt[k1.kid]).toBe(new Date(now * 1000).toISOString());
  });
});
