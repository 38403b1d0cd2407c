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

// The key half of "Keys and scopes" (issue 5 of 5), beside jwks.test.ts: the activation delay given as a start
// option, what re-posting a set does to it, the one-year maximum `exp` at its boundary, and MP-121 for one
// expired key of a set.

const DELAY = 60;
const YEAR = 365 * 24 * 3600;
const SCOPE = "krr:global/kontaktinformasjon.read";
let sim: Sim;
let admin: string;
let keys: KeyPair[];

beforeAll(async () => {
  sim = await start({ keyActivationDelaySeconds: DELAY });
  keys = await Promise.all(["a", "b", "a"].map((kid) => newRsaKey(kid)));
});
beforeEach(async () => {
  admin = await adminToken(sim);
});
afterAll(() => sim.close());

describe("activation delay from the start option", () => {
  it("holds back a new client (MP-100) and its key for the configured seconds of simulator time", async () => {
    expect((await call(sim, "GET", "/_sim/config")).body.keyActivationDelaySeconds).toBe(DELAY);
    const client = await createClient(sim, admin);
    await registerKeys(sim, admin, client.client_id, [keys[0]!.publicJwk]);
    const grant = { clientId: client.client_id, key: keys[0]!.privateJwk, scope: SCOPE };
    const early = await tokenFor(sim, grant);
    expect(early.status).toBe(400);
    expect(early.body.error_description).toMatch(/^MP-100/);
    await advanceClock(sim, DELAY - 5);
    expect((await tokenFor(sim, grant)).body.error_description).toMatch(/^MP-100/);
    await advanceClock(sim, 6);
    expect((await tokenFor(sim, grant)).status).toBe(200);
  });

  it("re-posting the unchanged set keeps a key working; a new key under a reused kid waits the delay again", async () => {
    const client = await createClient(sim, admin);
    await registerKeys(sim, admin, client.client_id, [keys[0]!.publicJwk]);
    await advanceClock(sim, DELAY + 1);
    admin = await adminToken(sim);
    const grant = { clientId: client.client_id, key: keys[0]!.privateJwk, scope: SCOPE };
    expect((await tokenFor(sim, grant)).status).toBe(200);

    expect((await registerKeys(sim, admin, client.client_id, [keys[0]!.publicJwk])).status).toBe(200);
    expect((await tokenFor(sim, grant)).status).toBe(200);

    // keys[2] is another key pair with the same kid "a".
    expect((await registerKeys(sim, admin, client.client_id, [keys[2]!.publicJwk])).status).toBe(200);
    const reused = await tokenFor(sim, { ...grant, key: keys[2]!.privateJwk });
    expect(reused.status).toBe(400);
    expect(reused.body.error_description).toMatch(/^Unknown key identifier \(kid\)/);
    await advanceClock(sim, DELAY + 1);
    expect((await tokenFor(sim, { ...grant, key: keys[2]!.privateJwk })).status).toBe(200);
  });
});

describe("key expiry", () => {
  it("accepts exp exactly one year ahead", async () => {
    const client = await createClient(sim, admin);
    const now = await simNow(sim);
    const r = await registerKeys(sim, admin, client.client_id, [{ ...keys[0]!.publicJwk, exp: now + YEAR }]);
    expect(r.status).toBe(200);
    expect(r.body.keys[0].exp).toBe(now + YEAR);
  });

  it("MP-121 for the expired key of a set while the set's other key still gets tokens", async () => {
    const client = await createClient(sim, admin);
    const now = await simNow(sim);
    await registerKeys(sim, admin, client.client_id, [{ ...keys[0]!.publicJwk, exp: now + DELAY + 30 }, keys[1]!.publicJwk]);
    await advanceClock(sim, DELAY + 31);
    const expired = await tokenFor(sim, { clientId: client.client_id, key: keys[0]!.privateJwk, scope: SCOPE });
    expect(expired.status).toBe(400);
    expect(expired.body.error).toBe("invalid_grant");
    expect(expired.body.error_description).toMatch(/^MP-121.*expired/);
    expect((await tokenFor(sim, { clientId: client.client_id, key: keys[1]!.privateJwk, scope: SCOPE })).status).toBe(200);
  });
});
