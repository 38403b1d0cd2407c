import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { BootstrapCredentials } from "../../simulator/index";
import {
  adminToken,
  advanceClock,
  call,
  decodeJwtPayload,
  maskinportenClientBody,
  newRsaKey,
  registerKeys,
  start,
  tokenFor,
  VENDOR,
  type KeyPair,
  type Reply,
  type Sim,
} from "./helpers";

// The scopes API of the self-service API (/samarbeid/api/v1/scopes, /scopes/access, /scopes/all,
// /delegationsources) and how Maskinporten enforces scopes at token time (MP-200, MP-201, MP-250, at_max_age).
// The default seed assigns the prefix `leverandor` to 991825827 (the bootstrap vendor) and `andreleverandor`
// to 974761076.

const API = "/samarbeid/api/v1";
const CLIENTS = `${API}/clients`;
const OTHER = "974761076";
const CATALOGUE_OWNER = "910000004";
/** A valid organisation number (check digit right) that the register does not know. */
const UNKNOWN_ORG = "999990002";

let sim: Sim;
let otherCreds: BootstrapCredentials;
let admin: string;
let otherAdmin: string;
let key: KeyPair;
let subscopeCounter = 0;

beforeAll(async () => {
  sim = await start();
  const other = await call(sim, "POST", "/_sim/orgs", { json: { orgNo: OTHER, name: "Andre Simulerte Leverandør AS", vendor: true } });
  expect(other.status).toBe(201);
  otherCreds = other.body;
  key = await newRsaKey("consumer-key");
});
// Some tests move the simulator clock, which expires admin tokens: each test starts with fresh ones.
beforeEach(async () => {
  [admin, otherAdmin] = await Promise.all([adminToken(sim), adminToken(sim, otherCreds)]);
});
afterAll(() => sim.close());

const q = (name: string) => `?scope=${encodeURIComponent(name)}`;
const uniqueSubscope = (base = "api") => `${base}/thing${++subscopeCounter}.read`;

function expectDigdirError(r: Reply, status: number, field?: string) {
  expect(r.status, r.text).toBe(status);
  expect(r.body).toMatchObject({ status, error: expect.any(String), error_description: expect.any(String) });
  expect(r.body.correlation_id).toMatch(/^[0-9a-f]{32}$/);
  expect(r.body.errors.length).toBeGreaterThan(0);
  if (field) expect(r.body.errors).toContainEqual(expect.objectContaining({ fieldIdentifier: field, isFieldError: true }));
}

async function createScope(token: string, body: Record<string, unknown> = {}, prefix = "leverandor"): Promise<any> {
  const r = await call(sim, "POST", `${API}/scopes`, {
    token,
    json: { prefix, subscope: uniqueSubscope(), description: "A test API", ...body },
  });
  expect(r.status, r.text).toBe(200);
  return r.body;
}

const grant = (token: string, scope: string, orgNo: string) => call(sim, "PUT", `${API}/scopes/access/${orgNo}${q(scope)}`, { token });
const revoke = (token: string, scope: string, orgNo: string) => call(sim, "DELETE", `${API}/scopes/access/${orgNo}${q(scope)}`, { token });

/** A Maskinporten client of the token's organisation with the given scopes and `key` registered. */
async function consumerClient(
  token: string,
  scopes: string[],
  overrides: Record<string, unknown> = {},
): Promise<{ client_id: string; [k: string]: unknown }> {
  const r = await call(sim, "POST", CLIENTS, { token, json: maskinportenClientBody({ scopes, ...overrides }) });
  expect(r.status, r.text).toBe(200);
  expect((await registerKeys(sim, token, r.body.client_id, [key.publicJwk])).status).toBe(200);
  return r.body;
}

const tokenWith = (clientId: string, scope: string) => tokenFor(sim, { clientId, key: key.privateJwk, scope });

describe("scope CRUD", () => {
  it("creates a scope under the organisation's prefix with 200, Digdir's defaults, the owner and timestamps", async () => {
    const r = await call(sim, "POST", `${API}/scopes`, {
      token: admin,
      json: { prefix: "leverandor", subscope: "orders/v1.read", description: "Orders, read", long_description: "All **orders**" },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      prefix: "leverandor",
      subscope: "orders/v1.read",
      name: "leverandor:orders/v1.read",
      description: "Orders, read",
      long_description: "All **orders**",
      active: true,
      visibility: "PUBLIC",
      accessible_for_all: false,
      token_type: "SELF_CONTAINED",
      requires_user_consent: false,
      requires_user_authentication: false,
      requires_pseudonymous_tokens: false,
      owner_orgno: VENDOR,
    });
    expect(r.body).not.toHaveProperty("allowed_integration_types");
    expect(r.body.created).toBe(r.body.last_updated);

    const one = await call(sim, "GET", `${API}/scopes/scope${q("leverandor:orders/v1.read")}`, { token: admin });
    expect(one.status).toBe(200);
    expect(one.body).toEqual(r.body);
    const list = await call(sim, "GET", `${API}/scopes`, { token: admin });
    expect(list.body).toContainEqual(r.body);
  });

  it("stores every documented field as sent", async () => {
    const body = {
      allowed_integration_types: ["maskinporten"],
      visibility: "PRIVATE",
      accessible_for_all: false,
      at_max_age: 30,
      authorization_max_lifetime: 0,
      delegation_source: "https://tt02.altinn.no/",
      token_type: "SELF_CONTAINED",
    };
    const created = await createScope(admin, body);
    expect(created).toMatchObject(body);
  });

  it("refuses a prefix not assigned to the organisation (400 on prefix) and invalid fields", async () => {
    const base = { prefix: "leverandor", subscope: "valid.read", description: "d" };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, prefix: "andreleverandor" }, "prefix"],
      [{ ...base, prefix: "krr" }, "prefix"],
      [{ ...base, prefix: undefined }, "prefix"],
      [{ ...base, subscope: "has space" }, "subscope"],
      [{ ...base, description: undefined }, "description"],
      [{ ...base, visibility: "INTERNAL" }, "visibility"],
      [{ ...base, allowed_integration_types: ["eformidling"] }, "allowed_integration_types"],
      [{ ...base, allowed_integration_types: [] }, "allowed_integration_types"],
      [{ ...base, at_max_age: 0 }, "at_max_age"],
      [{ ...base, delegation_source: "https://example.org/" }, "delegation_source"],
      [{ ...base, token_type: "JWT" }, "token_type"],
      [{ ...base, accessible_for_all: "yes" }, "accessible_for_all"],
    ];
    for (const [json, field] of cases) {
      const r = await call(sim, "POST", `${API}/scopes`, { token: admin, json });
      expectDigdirError(r, 400, field);
    }
    const other = await call(sim, "POST", `${API}/scopes`, { token: otherAdmin, json: base });
    expectDigdirError(other, 400, "prefix");
    expect((await call(sim, "GET", `${API}/scopes/scope${q("leverandor:valid.read")}`, { token: admin })).status).toBe(404);
  });

  it("takes any subscope without spaces, and ignores a read-only name that disagrees (no invented syntax rules)", async () => {
    const r = await call(sim, "POST", `${API}/scopes`, {
      token: admin,
      json: { prefix: "leverandor", subscope: "Trailing/", description: "d", name: "" },
    });
    expect(r.status).toBe(200);
    expect(r.body.name).toBe("leverandor:Trailing/");
    const named = await call(sim, "POST", `${API}/scopes`, {
      token: admin,
      json: { prefix: "leverandor", subscope: "named.read", description: "d", name: "leverandor:other" },
    });
    expect(named.body.name).toBe("leverandor:named.read");
    const put = await call(sim, "PUT", `${API}/scopes${q("leverandor:named.read")}`, {
      token: admin,
      json: { description: "e", name: "nonsense" },
    });
    expect(put.body).toMatchObject({ name: "leverandor:named.read", description: "e" });
  });

  it("lists the prefixes assigned to the organisation (GET /prefix) and every assigned prefix (GET /prefix/all)", async () => {
    expect((await call(sim, "GET", `${API}/prefix`, { token: admin })).body).toEqual([{ prefix: "leverandor", owner_orgno: VENDOR }]);
    expect((await call(sim, "GET", `${API}/prefix`, { token: otherAdmin })).body).toEqual([
      { prefix: "andreleverandor", owner_orgno: OTHER },
    ]);
    const all = (await call(sim, "GET", `${API}/prefix/all`, { token: admin })).body;
    expect(all).toEqual(
      expect.arrayContaining([
        { prefix: "leverandor", owner_orgno: VENDOR },
        { prefix: "andreleverandor", owner_orgno: OTHER },
      ]),
    );
    expectDigdirError(await call(sim, "GET", `${API}/prefix`), 401);
  });

  it("answers 409 to a POST of an existing scope, and of a deactivated one", async () => {
    const scope = await createScope(admin);
    const body = { prefix: scope.prefix, subscope: scope.subscope, description: "again" };
    expectDigdirError(await call(sim, "POST", `${API}/scopes`, { token: admin, json: body }), 409);
    expect((await call(sim, "DELETE", `${API}/scopes${q(scope.name)}`, { token: admin })).status).toBe(200);
    const again = await call(sim, "POST", `${API}/scopes`, { token: admin, json: body });
    expectDigdirError(again, 409);
    expect(again.body.errors[0].errorMessage).toContain("inactive");
  });

  it("DELETE deactivates: the scope leaves the list, shows with ?inactive=true, and PUT active:true re-activates it", async () => {
    const scope = await createScope(admin);
    await advanceClock(sim, 2);
    admin = await adminToken(sim);
    const del = await call(sim, "DELETE", `${API}/scopes${q(scope.name)}`, { token: admin });
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ name: scope.name, active: false, created: scope.created });
    expect(del.body.last_updated > scope.last_updated).toBe(true);

    const active = await call(sim, "GET", `${API}/scopes`, { token: admin });
    expect(active.body.map((s: any) => s.name)).not.toContain(scope.name);
    const all = await call(sim, "GET", `${API}/scopes?inactive=true`, { token: admin });
    expect(all.body).toContainEqual(expect.objectContaining({ name: scope.name, active: false }));
    expect((await call(sim, "GET", `${API}/scopes/scope${q(scope.name)}`, { token: admin })).body.active).toBe(false);

    const { created: _c, last_updated: _l, ...rest } = del.body;
    const put = await call(sim, "PUT", `${API}/scopes${q(scope.name)}`, { token: admin, json: { ...rest, active: true } });
    expect(put.status).toBe(200);
    expect(put.body.active).toBe(true);
    expect((await call(sim, "GET", `${API}/scopes`, { token: admin })).body.map((s: any) => s.name)).toContain(scope.name);
  });

  it("GET /scopes/scope?scope= answers the scope; GET /scopes ignores ?scope=; a deactivated one shown or 404 as configured", async () => {
    const scope = await createScope(admin);
    const one = await call(sim, "GET", `${API}/scopes/scope${q(scope.name)}`, { token: admin });
    expect(one.body).toMatchObject({ name: scope.name, active: true });
    const whole = await call(sim, "GET", `${API}/scopes${q(scope.name)}`, { token: admin });
    expect(Array.isArray(whole.body)).toBe(true);
    expect(whole.body).toEqual((await call(sim, "GET", `${API}/scopes`, { token: admin })).body);
    try {
      expect((await call(sim, "DELETE", `${API}/scopes${q(scope.name)}`, { token: admin })).status).toBe(200);
      expect((await call(sim, "GET", `${API}/scopes/scope${q(scope.name)}`, { token: admin })).body.active).toBe(false);
      await call(sim, "POST", "/_sim/config", { json: { deactivatedScopeRead: "hidden" } });
      expectDigdirError(await call(sim, "GET", `${API}/scopes/scope${q(scope.name)}`, { token: admin }), 404);
      const all = await call(sim, "GET", `${API}/scopes?inactive=true`, { token: admin });
      expect(all.body).toContainEqual(expect.objectContaining({ name: scope.name, active: false }));
    } finally {
      await call(sim, "POST", "/_sim/config", { json: { deactivatedScopeRead: "inactive" } });
    }
  });

  it("PUT replaces the writable fields, keeps the state, and refuses a changed prefix or subscope", async () => {
    const scope = await createScope(admin, { at_max_age: 60, visibility: "PRIVATE" });
    const put = await call(sim, "PUT", `${API}/scopes${q(scope.name)}`, { token: admin, json: { description: "Changed" } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      name: scope.name,
      description: "Changed",
      visibility: "PUBLIC",
      active: true,
      created: scope.created,
    });
    expect(put.body).not.toHaveProperty("at_max_age");
    expectDigdirError(
      await call(sim, "PUT", `${API}/scopes${q(scope.name)}`, { token: admin, json: { description: "x", subscope: "other" } }),
      400,
      "subscope",
    );
    expectDigdirError(
      await call(sim, "PUT", `${API}/scopes${q(scope.name)}`, { token: admin, json: { description: "x", prefix: "andreleverandor" } }),
      400,
      "prefix",
    );
    expectDigdirError(await call(sim, "PUT", `${API}/scopes${q(scope.name)}`, { token: admin, json: {} }), 400, "description");
  });

  it("answers 404 for another organisation's scope as for an unknown one, and 400 without ?scope=", async () => {
    const scope = await createScope(admin);
    for (const [method, path] of [
      ["GET", `${API}/scopes/scope${q(scope.name)}`],
      ["PUT", `${API}/scopes${q(scope.name)}`],
      ["DELETE", `${API}/scopes${q(scope.name)}`],
      ["GET", `${API}/scopes/access${q(scope.name)}`],
      ["PUT", `${API}/scopes/access/${OTHER}${q(scope.name)}`],
      ["DELETE", `${API}/scopes/access/${OTHER}${q(scope.name)}`],
    ] as const) {
      const json = path.startsWith(`${API}/scopes?`) && method === "PUT" ? { description: "x" } : undefined;
      expectDigdirError(await call(sim, method, path, { token: otherAdmin, json }), 404);
    }
    expectDigdirError(await call(sim, "GET", `${API}/scopes/scope${q("leverandor:no-such")}`, { token: admin }), 404);
    expect((await call(sim, "GET", `${API}/scopes`, { token: otherAdmin })).body.map((s: any) => s.name)).not.toContain(scope.name);
    for (const [method, path] of [
      ["GET", `${API}/scopes/scope`],
      ["PUT", `${API}/scopes`],
      ["DELETE", `${API}/scopes`],
      ["GET", `${API}/scopes/access`],
      ["PUT", `${API}/scopes/access/${OTHER}`],
    ] as const) {
      expectDigdirError(
        await call(sim, method, path, { token: admin, json: method === "PUT" ? { description: "x" } : undefined }),
        400,
        "scope",
      );
    }
  });

  it("answers 401 without a token and 403 for a token without idporten:scopes.write", async () => {
    const readOnly = await adminToken(sim, sim.bootstrap, "idporten:dcr.read idporten:dcr.write");
    const body = { prefix: "leverandor", subscope: "auth.read", description: "d" };
    expectDigdirError(await call(sim, "GET", `${API}/scopes`), 401);
    expectDigdirError(await call(sim, "GET", `${API}/scopes`, { token: readOnly }), 403);
    expectDigdirError(await call(sim, "POST", `${API}/scopes`, { token: readOnly, json: body }), 403);
    expectDigdirError(await call(sim, "PUT", `${API}/scopes/access/${OTHER}${q("leverandor:auth.read")}`, { token: readOnly }), 403);
    // A consumer may read its own access rows with the client-reading scope.
    expect((await call(sim, "GET", `${API}/scopes/access/all`, { token: readOnly })).status).toBe(200);
    expectDigdirError(await call(sim, "GET", `${API}/scopes/access/all`), 401);
  });

  it("answers 415 for a body that is not JSON", async () => {
    const r = await call(sim, "POST", `${API}/scopes`, {
      token: admin,
      headers: { "content-type": "text/plain" },
      json: { prefix: "leverandor" },
    });
    expectDigdirError(r, 415);
  });
});

describe("GET /scopes/all", () => {
  it("needs no token and lists active PUBLIC scopes only, Digdir's catalogue included", async () => {
    const pub = await createScope(admin, { visibility: "PUBLIC" });
    const priv = await createScope(admin, { visibility: "PRIVATE" });
    const gone = await createScope(otherAdmin, { visibility: "PUBLIC" }, "andreleverandor");
    await call(sim, "DELETE", `${API}/scopes${q(gone.name)}`, { token: otherAdmin });
    const r = await call(sim, "GET", `${API}/scopes/all`);
    expect(r.status).toBe(200);
    const names = r.body.map((s: any) => s.name);
    expect(names).toContain(pub.name);
    expect(names).not.toContain(priv.name);
    expect(names).not.toContain(gone.name);
    expect(r.body.every((s: any) => s.visibility === "PUBLIC" && s.active === true)).toBe(true);
    expect(r.body).toContainEqual(
      expect.objectContaining({
        name: "krr:global/kontaktinformasjon.read",
        prefix: "krr",
        subscope: "global/kontaktinformasjon.read",
        owner_orgno: CATALOGUE_OWNER,
        allowed_integration_types: ["krr", "maskinporten"],
      }),
    );
  });

  it("with ?accessible_for_all=true lists only the scopes open to every organisation", async () => {
    const open = await createScope(admin, { accessible_for_all: true });
    const closed = await createScope(admin);
    const r = await call(sim, "GET", `${API}/scopes/all?accessible_for_all=true`);
    expect(r.status).toBe(200);
    const names = r.body.map((s: any) => s.name);
    expect(names).toContain(open.name);
    expect(names).not.toContain(closed.name);
    expect(r.body.every((s: any) => s.accessible_for_all === true)).toBe(true);
  });
});

describe("access lists", () => {
  it("grants with PUT /scopes/access/{orgno}: an APPROVED row for the owner's list and the consumer's /scopes/access/all", async () => {
    const scope = await createScope(admin);
    const r = await grant(admin, scope.name, OTHER);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      scope: scope.name,
      prefix: "leverandor",
      consumer_orgno: OTHER,
      owner_orgno: VENDOR,
      state: "APPROVED",
    });
    expect(r.body.created).toBe(r.body.last_updated);
    const again = await grant(admin, scope.name, OTHER);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(r.body);

    const acl = await call(sim, "GET", `${API}/scopes/access${q(scope.name)}`, { token: admin });
    expect(acl.status).toBe(200);
    expect(acl.body).toEqual([r.body]);
    const mine = await call(sim, "GET", `${API}/scopes/access/all`, { token: otherAdmin });
    expect(mine.status).toBe(200);
    expect(mine.body).toContainEqual(r.body);
    // The seed's consumable scopes show as access Digdir granted.
    expect(mine.body).toContainEqual(
      expect.objectContaining({
        scope: "krr:global/kontaktinformasjon.read",
        consumer_orgno: OTHER,
        owner_orgno: CATALOGUE_OWNER,
        state: "APPROVED",
      }),
    );
    expect(mine.body.every((row: any) => row.consumer_orgno === OTHER)).toBe(true);
  });

  it("revokes with DELETE: the row stays with state DENIED, and a new grant approves it again", async () => {
    const scope = await createScope(admin);
    const granted = await grant(admin, scope.name, OTHER);
    await advanceClock(sim, 2);
    admin = await adminToken(sim);
    otherAdmin = await adminToken(sim, otherCreds);
    const revoked = await revoke(admin, scope.name, OTHER);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ scope: scope.name, consumer_orgno: OTHER, state: "DENIED", created: granted.body.created });
    expect(revoked.body.last_updated > granted.body.last_updated).toBe(true);
    expect((await call(sim, "GET", `${API}/scopes/access${q(scope.name)}`, { token: admin })).body).toEqual([revoked.body]);
    expect((await call(sim, "GET", `${API}/scopes/access/all`, { token: otherAdmin })).body).toContainEqual(revoked.body);
    expect((await revoke(admin, scope.name, OTHER)).body.state).toBe("DENIED");
    const regranted = await grant(admin, scope.name, OTHER);
    expect(regranted.body).toMatchObject({ state: "APPROVED", created: granted.body.created });
  });

  it("answers 400 for a consumer orgno with a wrong check digit, the wrong length, or unknown to the register", async () => {
    const scope = await createScope(admin);
    for (const orgNo of ["974761077", "12345", "abcdefghi", UNKNOWN_ORG]) {
      expectDigdirError(await grant(admin, scope.name, orgNo), 400, "consumer_orgno");
    }
    expect((await call(sim, "GET", `${API}/scopes/access${q(scope.name)}`, { token: admin })).body).toEqual([]);
  });

  it("answers 404 when revoking an organisation that has no row", async () => {
    const scope = await createScope(admin);
    expectDigdirError(await revoke(admin, scope.name, OTHER), 404);
  });

  it("shows a consumer's access request as REQUESTED on both sides; it gives no access until granted", async () => {
    const scope = await createScope(admin);
    const requested = await call(sim, "POST", "/_sim/scope-requests", { json: { scope: scope.name, consumerOrgNo: OTHER } });
    expect(requested.status).toBe(201);
    expect(requested.body).toMatchObject({ scope: scope.name, consumer_orgno: OTHER, owner_orgno: VENDOR, state: "REQUESTED" });
    expect((await call(sim, "GET", `${API}/scopes/access${q(scope.name)}`, { token: admin })).body).toEqual([requested.body]);
    expect((await call(sim, "GET", `${API}/scopes/access/all`, { token: otherAdmin })).body).toContainEqual(requested.body);
    const refused = await call(sim, "POST", CLIENTS, { token: otherAdmin, json: maskinportenClientBody({ scopes: [scope.name] }) });
    expectDigdirError(refused, 400, "scopes");
    expect((await grant(admin, scope.name, OTHER)).body.state).toBe("APPROVED");
    expect((await call(sim, "POST", "/_sim/scope-requests", { json: { scope: scope.name, consumerOrgNo: OTHER } })).status).toBe(409);
  });
});

describe("scopes at the token endpoint", () => {
  it("an organisation granted a scope registers it on its client and gets a token, and loses it when revoked (MP-250)", async () => {
    const scope = await createScope(admin);
    const before = await call(sim, "POST", CLIENTS, { token: otherAdmin, json: maskinportenClientBody({ scopes: [scope.name] }) });
    expectDigdirError(before, 400, "scopes");
    expect(before.body.errors[0].errorMessage).toContain("not been granted");

    await grant(admin, scope.name, OTHER);
    const client = await consumerClient(otherAdmin, [scope.name]);
    const ok = await tokenWith(client.client_id, scope.name);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.scope).toBe(scope.name);
    expect(decodeJwtPayload(ok.body.access_token)).toMatchObject({ scope: scope.name, consumer: { ID: `0192:${OTHER}` } });

    await revoke(admin, scope.name, OTHER);
    const denied = await tokenWith(client.client_id, scope.name);
    expect(denied.status).toBe(403);
    expect(denied.body.error).toBe("forbidden");
    expect(denied.body.error_description).toMatch(/^MP-250.*974761076/);

    // The registration keeps the scope, and a GET-modify-PUT of the client still goes through.
    const read = await call(sim, "GET", `${CLIENTS}/${client.client_id}`, { token: otherAdmin });
    expect(read.body.scopes).toEqual([scope.name]);
    const { created: _c, last_updated: _l, ...body } = read.body;
    expect(
      (await call(sim, "PUT", `${CLIENTS}/${client.client_id}`, { token: otherAdmin, json: { ...body, description: "still here" } }))
        .status,
    ).toBe(200);

    await grant(admin, scope.name, OTHER);
    expect((await tokenWith(client.client_id, scope.name)).status).toBe(200);
  });

  it("the owner of a scope needs a grant of its own to use it", async () => {
    const scope = await createScope(admin);
    expectDigdirError(
      await call(sim, "POST", CLIENTS, { token: admin, json: maskinportenClientBody({ scopes: [scope.name] }) }),
      400,
      "scopes",
    );
    await grant(admin, scope.name, VENDOR);
    const client = await consumerClient(admin, [scope.name]);
    expect((await tokenWith(client.client_id, scope.name)).status).toBe(200);
  });

  it("accessible_for_all opens a scope to every organisation without a row, until it is closed again", async () => {
    const scope = await createScope(admin, { accessible_for_all: true });
    const client = await consumerClient(otherAdmin, [scope.name]);
    expect((await tokenWith(client.client_id, scope.name)).status).toBe(200);
    const { created: _c, last_updated: _l, ...rest } = scope;
    expect(
      (await call(sim, "PUT", `${API}/scopes${q(scope.name)}`, { token: admin, json: { ...rest, accessible_for_all: false } })).status,
    ).toBe(200);
    expect((await tokenWith(client.client_id, scope.name)).body.error_description).toMatch(/^MP-250/);
  });

  it("a deactivated scope gives no new tokens (MP-200) and cannot be added to a client; consumers keep their rows; re-activation restores it", async () => {
    const scope = await createScope(admin);
    await grant(admin, scope.name, OTHER);
    const client = await consumerClient(otherAdmin, [scope.name]);
    expect((await tokenWith(client.client_id, scope.name)).status).toBe(200);

    await call(sim, "DELETE", `${API}/scopes${q(scope.name)}`, { token: admin });
    const r = await tokenWith(client.client_id, scope.name);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe("invalid_scope");
    expect(r.body.error_description).toMatch(/^MP-200.*deactivated/);
    expect((await call(sim, "GET", `${API}/scopes/access${q(scope.name)}`, { token: admin })).body[0].state).toBe("APPROVED");
    const added = await call(sim, "POST", CLIENTS, { token: otherAdmin, json: maskinportenClientBody({ scopes: [scope.name] }) });
    expectDigdirError(added, 400, "scopes");
    expect(added.body.errors[0].errorMessage).toContain("inactive");

    const { created: _c, last_updated: _l, ...rest } = scope;
    await call(sim, "PUT", `${API}/scopes${q(scope.name)}`, { token: admin, json: { ...rest, active: true } });
    expect((await tokenWith(client.client_id, scope.name)).status).toBe(200);
  });

  it("MP-201 when the scope does not allow the client's integration type, and adding such a scope to a client is a 400", async () => {
    const wrongType = await createScope(admin, { allowed_integration_types: ["api_klient"] });
    await grant(admin, wrongType.name, OTHER);
    const refused = await call(sim, "POST", CLIENTS, { token: otherAdmin, json: maskinportenClientBody({ scopes: [wrongType.name] }) });
    expectDigdirError(refused, 400, "scopes");
    expect(refused.body.errors[0].errorMessage).toContain("integration type maskinporten");

    const scope = await createScope(admin, { allowed_integration_types: ["maskinporten"] });
    await grant(admin, scope.name, OTHER);
    const client = await consumerClient(otherAdmin, [scope.name]);
    expect((await tokenWith(client.client_id, scope.name)).status).toBe(200);
    const { created: _c, last_updated: _l, ...rest } = scope;
    await call(sim, "PUT", `${API}/scopes${q(scope.name)}`, { token: admin, json: { ...rest, allowed_integration_types: ["api_klient"] } });
    const r = await tokenWith(client.client_id, scope.name);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe("invalid_scope");
    expect(r.body.error_description).toMatch(/^MP-201.*maskinporten/);
  });

  it("MP-200 for a granted scope that is not registered on the client", async () => {
    const [registered, notRegistered] = [await createScope(admin), await createScope(admin)];
    await grant(admin, registered.name, OTHER);
    await grant(admin, notRegistered.name, OTHER);
    const client = await consumerClient(otherAdmin, [registered.name]);
    const r = await tokenWith(client.client_id, `${registered.name} ${notRegistered.name}`);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe("invalid_scope");
    expect(r.body.error_description).toMatch(/^MP-200.*not registered on the client/);
  });

  it("at_max_age caps expires_in and the token's lifetime; the lowest cap of the requested scopes wins", async () => {
    const capped = await createScope(admin, { at_max_age: 30 });
    const looser = await createScope(admin, { at_max_age: 90 });
    for (const s of [capped, looser]) await grant(admin, s.name, OTHER);
    const client = await consumerClient(otherAdmin, [capped.name, looser.name, "krr:global/kontaktinformasjon.read"], {
      access_token_lifetime: 300,
    });

    const both = await tokenWith(client.client_id, `${capped.name} ${looser.name}`);
    expect(both.status).toBe(200);
    expect(both.body.expires_in).toBe(30);
    const claims = decodeJwtPayload(both.body.access_token);
    expect(claims.exp - claims.iat).toBe(30);
    expect((await tokenWith(client.client_id, looser.name)).body.expires_in).toBe(90);
    expect((await tokenWith(client.client_id, "krr:global/kontaktinformasjon.read")).body.expires_in).toBe(300);
  });
});

describe("GET /delegationsources", () => {
  it("needs no token and names Altinn with the issuer a scope may carry as delegation_source", async () => {
    const r = await call(sim, "GET", `${API}/delegationsources`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual([
      { name: "altinn", issuer: "https://tt02.altinn.no/", created: expect.any(String), last_updated: expect.any(String) },
    ]);
    const scope = await createScope(admin, { delegation_source: r.body[0].issuer });
    expect(scope.delegation_source).toBe("https://tt02.altinn.no/");
  });
});

describe("state", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "sim-scopes-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps scopes and access rows across a restart with a state directory, and forgets them on POST /_sim/reset", async () => {
    const first = await start({ stateDir: dir });
    let name: string;
    try {
      const token = await adminToken(first);
      const created = await call(first, "POST", `${API}/scopes`, {
        token,
        json: { prefix: "leverandor", subscope: "kept.read", description: "kept" },
      });
      name = created.body.name;
      expect((await call(first, "PUT", `${API}/scopes/access/${OTHER}${q(name)}`, { token })).status).toBe(200);
    } finally {
      await first.close();
    }
    const second = await start({ stateDir: dir });
    try {
      const token = await adminToken(second);
      expect((await call(second, "GET", `${API}/scopes${q(name)}`, { token })).status).toBe(200);
      expect((await call(second, "GET", `${API}/scopes/access${q(name)}`, { token })).body).toEqual([
        expect.objectContaining({ consumer_orgno: OTHER, state: "APPROVED" }),
      ]);
      expect((await call(second, "POST", "/_sim/reset")).status).toBe(200);
      expect((await call(second, "GET", `${API}/scopes?inactive=true`, { token })).body).toEqual([]);
    } finally {
      await second.close();
    }
  });
});

describe("seed", () => {
  it("assigns a prefix from a seed file, and refuses one prefix for two organisations or a catalogue scope under an assigned prefix", async () => {
    const seeded = await start({ seed: { organisations: [{ orgNo: "310000019", name: "Kunde En AS", scopePrefixes: ["kundeen"] }] } });
    try {
      expect(seeded.context.registry.prefixOwner("kundeen")).toBe("310000019");
      expect(seeded.context.registry.prefixOwner("leverandor")).toBe(VENDOR);
    } finally {
      await seeded.close();
    }
    await expect(
      start({ seed: { organisations: [{ orgNo: "310000019", name: "Kunde En AS", scopePrefixes: ["leverandor"] }] } }),
    ).rejects.toThrow(/prefix "leverandor" is assigned to both 991825827 and 310000019/);
    await expect(start({ seed: { scopes: [{ name: "leverandor:seeded.read" }] } })).rejects.toThrow(
      /uses the prefix "leverandor" of organisation 991825827/,
    );
  });
});
