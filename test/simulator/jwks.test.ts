import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  adminToken,
  advanceClock,
  call,
  createClient,
  newRsaKey,
  registerKeys,
  simNow,
  start,
  tokenFor,
  type KeyPair,
  type Sim,
} from "./helpers";

const CLIENTS = "/samarbeid/api/v1/clients";
const YEAR = 365 * 24 * 3600;
let sim: Sim;
let admin: string;
let keys: KeyPair[];

beforeAll(async () => {
  sim = await start();
  keys = await Promise.all(["k1", "k2", "k3", "k4", "k5", "k6"].map((kid) => newRsaKey(kid)));
});
// Tests move the simulator clock, which expires admin tokens: each test starts with a fresh one.
beforeEach(async () => {
  admin = await adminToken(sim);
});
afterAll(() => sim.close());

const jwksPath = (id: string) => `${CLIENTS}/${id}/jwks`;
const firstError = (r: { body: any }) => r.body.errors[0].errorMessage as string;

describe("JWKS registration", () => {
  it("registers a key set and returns each key with exp, plus created and last_updated", async () => {
    const client = await createClient(sim, admin);
    const now = await simNow(sim);
    const r = await registerKeys(sim, admin, client.client_id, [keys[0]!.publicJwk]);
    expect(r.status).toBe(200);
    expect(r.body.keys).toHaveLength(1);
    expect(r.body.keys[0]).toMatchObject({ kid: "k1", kty: "RSA", alg: "RS256", use: "sig", n: keys[0]!.publicJwk.n, e: "AQAB" });
    expect(r.body.keys[0].exp).toBeGreaterThanOrEqual(now + YEAR);
    expect(r.body.keys[0].exp).toBeLessThanOrEqual(now + YEAR + 5);
    expect(typeof r.body.created).toBe("string");
    expect(typeof r.body.last_updated).toBe("string");
    const read = await call(sim, "GET", jwksPath(client.client_id), { token: admin });
    expect(read.body).toEqual(r.body);
  });

  it("replaces the whole set on every POST and PUT", async () => {
    const client = await createClient(sim, admin);
    await registerKeys(sim, admin, client.client_id, [keys[0]!.publicJwk, keys[1]!.publicJwk]);
    const replaced = await registerKeys(sim, admin, client.client_id, [keys[2]!.publicJwk]);
    expect(replaced.body.keys.map((k: any) => k.kid)).toEqual(["k3"]);
    const put = await call(sim, "PUT", jwksPath(client.client_id), { token: admin, json: { keys: [keys[3]!.publicJwk] } });
    expect(put.status).toBe(200);
    expect(put.body.keys.map((k: any) => k.kid)).toEqual(["k4"]);
  });

  it("accepts five keys and refuses six", async () => {
    const client = await createClient(sim, admin);
    expect(
      (
        await registerKeys(
          sim,
          admin,
          client.client_id,
          keys.slice(0, 5).map((k) => k.publicJwk),
        )
      ).status,
    ).toBe(200);
    const six = await registerKeys(
      sim,
      admin,
      client.client_id,
      keys.map((k) => k.publicJwk),
    );
    expect(six.status).toBe(400);
    expect(firstError(six)).toContain("at most 5");
  });

  it("refuses an empty key set: the last key goes with DELETE", async () => {
    const client = await createClient(sim, admin);
    await registerKeys(sim, admin, client.client_id, [keys[0]!.publicJwk]);
    const empty = await registerKeys(sim, admin, client.client_id, []);
    expect(empty.status).toBe(400);
    expect(firstError(empty)).toContain("DELETE");
    const del = await call(sim, "DELETE", jwksPath(client.client_id), { token: admin });
    expect(del.status).toBe(200);
    expect((await call(sim, "GET", jwksPath(client.client_id), { token: admin })).body.keys).toEqual([]);
  });

  it("defaults exp to one year, accepts a shorter exp and refuses one beyond a year or in the past", async () => {
    const client = await createClient(sim, admin);
    const now = await simNow(sim);
    const short = await registerKeys(sim, admin, client.client_id, [{ ...keys[0]!.publicJwk, exp: now + 90 * 86400 }]);
    expect(short.status).toBe(200);
    expect(short.body.keys[0].exp).toBe(now + 90 * 86400);
    const tooLong = await registerKeys(sim, admin, client.client_id, [{ ...keys[0]!.publicJwk, exp: now + YEAR + 3600 }]);
    expect(tooLong.status).toBe(400);
    expect(firstError(tooLong)).toContain("more than one year");
    const past = await registerKeys(sim, admin, client.client_id, [{ ...keys[0]!.publicJwk, exp: now - 60 }]);
    expect(past.status).toBe(400);
    expect(firstError(past)).toContain("past");
  });

  it("renews a key's exp when the same key is posted again", async () => {
    const client = await createClient(sim, admin);
    const first = await registerKeys(sim, admin, client.client_id, [keys[0]!.publicJwk]);
    await advanceClock(sim, 30 * 86400);
    admin = await adminToken(sim);
    const again = await registerKeys(sim, admin, client.client_id, [keys[0]!.publicJwk]);
    expect(again.body.keys[0].exp - first.body.keys[0].exp).toBeGreaterThanOrEqual(30 * 86400);
  });

  it("refuses private key members, missing use, a wrong alg, a bad kid and keys under 2048 bits", async () => {
    const client = await createClient(sim, admin);
    const small = await newRsaKey("small", 1024);
    const { use: _use, ...noUse } = keys[0]!.publicJwk;
    const cases: [Record<string, unknown>, string][] = [
      [keys[0]!.privateJwk, "private key members"],
      [noUse, "use"],
      [{ ...keys[0]!.publicJwk, alg: "ES256" }, "alg"],
      [{ ...keys[0]!.publicJwk, kid: "has space" }, "kid"],
      [small.publicJwk, "at least 2048 bits"],
      [{ kty: "EC", crv: "P-256", x: "x", y: "y", kid: "ec", alg: "ES256", use: "sig" }, "kty must be RSA"],
    ];
    for (const [jwk, message] of cases) {
      const r = await registerKeys(sim, admin, client.client_id, [jwk]);
      expect(r.status, message).toBe(400);
      expect(r.body.errors.map((e: any) => e.errorMessage).join(" "), message).toContain(message);
      expect(r.body.correlation_id).toBeTruthy();
    }
  });
});

describe("tokens with registered keys", () => {
  it("gives a token to a client signing with its registered key", async () => {
    const client = await createClient(sim, admin);
    await registerKeys(sim, admin, client.client_id, [keys[1]!.publicJwk]);
    const r = await tokenFor(sim, { clientId: client.client_id, key: keys[1]!.privateJwk, scope: "krr:global/kontaktinformasjon.read" });
    expect(r.status).toBe(200);
    expect(r.body.scope).toBe("krr:global/kontaktinformasjon.read");
  });

  it("MP-121 once the key has expired on the simulator clock, and a token again after re-posting it", async () => {
    const client = await createClient(sim, admin);
    const now = await simNow(sim);
    await registerKeys(sim, admin, client.client_id, [{ ...keys[2]!.publicJwk, exp: now + 3600 }]);
    const grant = { clientId: client.client_id, key: keys[2]!.privateJwk, scope: "krr:global/kontaktinformasjon.read" };
    expect((await tokenFor(sim, grant)).status).toBe(200);
    await advanceClock(sim, 3601);
    const expired = await tokenFor(sim, grant);
    expect(expired.status).toBe(400);
    expect(expired.body.error).toBe("invalid_grant");
    expect(expired.body.error_description).toMatch(/^MP-121.*expired/);
    admin = await adminToken(sim);
    expect((await registerKeys(sim, admin, client.client_id, [keys[2]!.publicJwk])).status).toBe(200);
    expect((await tokenFor(sim, grant)).status).toBe(200);
  });

  it("a removed key no longer gets tokens", async () => {
    const client = await createClient(sim, admin);
    await registerKeys(sim, admin, client.client_id, [keys[3]!.publicJwk, keys[4]!.publicJwk]);
    await registerKeys(sim, admin, client.client_id, [keys[4]!.publicJwk]);
    const r = await tokenFor(sim, { clientId: client.client_id, key: keys[3]!.privateJwk, scope: "krr:global/kontaktinformasjon.read" });
    expect(r.body.error_description).toMatch(/^Unknown key identifier \(kid\)/);
  });

  it("a deleted client no longer gets tokens (MP-100)", async () => {
    const client = await createClient(sim, admin);
    await registerKeys(sim, admin, client.client_id, [keys[0]!.publicJwk]);
    await call(sim, "DELETE", `${CLIENTS}/${client.client_id}`, { token: admin });
    const r = await tokenFor(sim, { clientId: client.client_id, key: keys[0]!.privateJwk, scope: "krr:global/kontaktinformasjon.read" });
    expect(r.body.error_description).toMatch(/^MP-100/);
  });
});

describe("activation delay", () => {
  it("a new client and a new key work only after the configured delay on the simulator clock", async () => {
    const config = await call(sim, "POST", "/_sim/config", { json: { keyActivationDelaySeconds: 60 } });
    expect(config.body.keyActivationDelaySeconds).toBe(60);
    try {
      const client = await createClient(sim, admin);
      await registerKeys(sim, admin, client.client_id, [keys[0]!.publicJwk]);
      const grant = { clientId: client.client_id, key: keys[0]!.privateJwk, scope: "krr:global/kontaktinformasjon.read" };
      const early = await tokenFor(sim, grant);
      expect(early.status).toBe(400);
      expect(early.body.error).toBe("invalid_grant");
      expect(early.body.error_description).toMatch(/^MP-100/);
      await advanceClock(sim, 61);
      expect((await tokenFor(sim, grant)).status).toBe(200);

      // A second key added later waits its own delay, while the first keeps working.
      admin = await adminToken(sim);
      await registerKeys(sim, admin, client.client_id, [keys[0]!.publicJwk, keys[1]!.publicJwk]);
      const newKey = await tokenFor(sim, { ...grant, key: keys[1]!.privateJwk });
      expect(newKey.body.error_description).toMatch(/^Unknown key identifier \(kid\)/);
      expect((await tokenFor(sim, grant)).status).toBe(200);
      await advanceClock(sim, 61);
      expect((await tokenFor(sim, { ...grant, key: keys[1]!.privateJwk })).status).toBe(200);
    } finally {
      await call(sim, "POST", "/_sim/config", { json: { keyActivationDelaySeconds: 0 } });
    }
  });
});
