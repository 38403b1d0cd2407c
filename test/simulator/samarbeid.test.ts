import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminToken, call, createClient, maskinportenClientBody, newRsaKey, registerKeys, start, tokenFor, type Sim } from "./helpers";

const CLIENTS = "/samarbeid/api/v1/clients";
let sim: Sim;
let admin: string;
let otherVendorAdmin: string;

beforeAll(async () => {
  sim = await start();
  admin = await adminToken(sim);
  const other = await call(sim, "POST", "/_sim/orgs", { json: { orgNo: "974761076", name: "Andre Leverandør AS", vendor: true } });
  expect(other.status).toBe(201);
  otherVendorAdmin = await adminToken(sim, other.body);
});
afterAll(() => sim.close());

function expectDigdirError(r: { status: number; body: any }, status: number, field?: string) {
  expect(r.status).toBe(status);
  expect(r.body).toMatchObject({ status, error: expect.any(String), error_description: expect.any(String) });
  expect(r.body.correlation_id).toMatch(/^[0-9a-f]{32}$/);
  expect(Number.isNaN(Date.parse(r.body.timestamp))).toBe(false);
  expect(r.body.errors.length).toBeGreaterThan(0);
  for (const e of r.body.errors) {
    expect(Object.keys(e).sort()).toEqual(["errorMessage", "fieldIdentifier", "isFieldError", "objectName"]);
  }
  expect(r.body.error).toBe(r.body.errors.map((e: any) => e.errorMessage).join("; "));
  if (field) expect(r.body.errors).toContainEqual(expect.objectContaining({ fieldIdentifier: field, isFieldError: true }));
}

describe("client CRUD", () => {
  it("creates a Maskinporten client with status 200, server fields and default lifetimes", async () => {
    const r = await call(sim, "POST", CLIENTS, { token: admin, json: maskinportenClientBody() });
    expect(r.status).toBe(200);
    expect(r.body.client_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.body).toMatchObject({
      client_orgno: "991825827",
      active: true,
      integration_type: "maskinporten",
      scopes: ["krr:global/kontaktinformasjon.read"],
      access_token_lifetime: 120,
      authorization_lifetime: 7200,
      refresh_token_lifetime: 600,
    });
    expect(r.body.created).toBe(r.body.last_updated);
    expect(r.body).not.toHaveProperty("client_secret");
  });

  it("keeps a caller's unique client_id on create, and refuses one in use, a deleted client's included", async () => {
    const chosen = `chosen-${Date.now()}`;
    const r = await call(sim, "POST", CLIENTS, { token: admin, json: maskinportenClientBody({ client_id: chosen }) });
    expect(r.status).toBe(200);
    expect(r.body.client_id).toBe(chosen);
    expect((await call(sim, "GET", `${CLIENTS}/${chosen}`, { token: admin })).body.client_id).toBe(chosen);
    expectDigdirError(
      await call(sim, "POST", CLIENTS, { token: admin, json: maskinportenClientBody({ client_id: chosen }) }),
      400,
      "client_id",
    );
    await call(sim, "DELETE", `${CLIENTS}/${chosen}`, { token: admin });
    expectDigdirError(
      await call(sim, "POST", CLIENTS, { token: admin, json: maskinportenClientBody({ client_id: chosen }) }),
      400,
      "client_id",
    );
    expectDigdirError(
      await call(sim, "POST", CLIENTS, { token: admin, json: maskinportenClientBody({ client_id: "has space" }) }),
      400,
      "client_id",
    );
  });

  it("reads a client and lists it among the owner's clients", async () => {
    const created = await createClient(sim, admin, { client_name: "listed" });
    const one = await call(sim, "GET", `${CLIENTS}/${created.client_id}`, { token: admin });
    expect(one.status).toBe(200);
    expect(one.body).toEqual(created);
    const list = await call(sim, "GET", CLIENTS, { token: admin });
    expect(list.status).toBe(200);
    expect(list.body.map((c: any) => c.client_id)).toContain(created.client_id);
  });

  it("updates a client with PUT (full replacement) and keeps created", async () => {
    const created = await createClient(sim, admin, { description: "before" });
    await call(sim, "POST", "/_sim/clock", { json: { advanceSeconds: 5 } });
    const { client_id, created: _c, last_updated: _l, ...rest } = created;
    const r = await call(sim, "PUT", `${CLIENTS}/${client_id}`, {
      token: admin,
      json: { ...rest, client_id, description: "after", access_token_lifetime: 600 },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ client_id, description: "after", access_token_lifetime: 600, created: created.created });
    expect(r.body.last_updated > created.last_updated).toBe(true);
    const read = await call(sim, "GET", `${CLIENTS}/${client_id}`, { token: admin });
    expect(read.body.description).toBe("after");
  });

  it("lets the admin client go through a GET-modify-PUT and keep its hand-granted admin scopes", async () => {
    const read = await call(sim, "GET", `${CLIENTS}/${sim.bootstrap.clientId}`, { token: admin });
    expect(read.body.scopes).toEqual(sim.bootstrap.scopes);
    const { created: _c, last_updated: _l, ...body } = read.body;
    const r = await call(sim, "PUT", `${CLIENTS}/${sim.bootstrap.clientId}`, { token: admin, json: { ...body, description: "renamed" } });
    expect(r.status).toBe(200);
    expect(r.body.scopes).toEqual(sim.bootstrap.scopes);
  });

  it("refuses a PUT that changes integration_type", async () => {
    const created = await createClient(sim, admin);
    const r = await call(sim, "PUT", `${CLIENTS}/${created.client_id}`, {
      token: admin,
      json: maskinportenClientBody({ integration_type: "krr", scopes: [] }),
    });
    expectDigdirError(r, 400, "integration_type");
  });

  it("refuses read-only created/last_updated in a PUT body", async () => {
    const created = await createClient(sim, admin);
    const r = await call(sim, "PUT", `${CLIENTS}/${created.client_id}`, { token: admin, json: created });
    expectDigdirError(r, 400, "created");
    expect(r.body.errors.map((e: any) => e.fieldIdentifier)).toContain("last_updated");
  });

  it("deletes a client: afterwards it is 404 and gone from the list", async () => {
    const created = await createClient(sim, admin);
    const del = await call(sim, "DELETE", `${CLIENTS}/${created.client_id}`, { token: admin });
    expect(del.status).toBe(200);
    expectDigdirError(await call(sim, "GET", `${CLIENTS}/${created.client_id}`, { token: admin }), 404);
    const list = await call(sim, "GET", CLIENTS, { token: admin });
    expect(list.body.map((c: any) => c.client_id)).not.toContain(created.client_id);
    expectDigdirError(await call(sim, "DELETE", `${CLIENTS}/${created.client_id}`, { token: admin }), 404);
  });

  it("shows a deleted client as active:false when told to keep deactivated clients visible", async () => {
    const created = await createClient(sim, admin);
    await call(sim, "DELETE", `${CLIENTS}/${created.client_id}`, { token: admin });
    await call(sim, "POST", "/_sim/config", { json: { deletedClients: "inactive" } });
    try {
      const r = await call(sim, "GET", `${CLIENTS}/${created.client_id}`, { token: admin });
      expect(r.status).toBe(200);
      expect(r.body.active).toBe(false);
    } finally {
      await call(sim, "POST", "/_sim/config", { json: { deletedClients: "hidden" } });
    }
  });

  it("lists deleted clients only with ?inactive=true, as active: false", async () => {
    const created = await createClient(sim, admin);
    await call(sim, "DELETE", `${CLIENTS}/${created.client_id}`, { token: admin });
    expect((await call(sim, "GET", CLIENTS, { token: admin })).body.map((c: any) => c.client_id)).not.toContain(created.client_id);
    const all = await call(sim, "GET", `${CLIENTS}?inactive=true`, { token: admin });
    expect(all.body).toContainEqual(expect.objectContaining({ client_id: created.client_id, active: false }));
    expect(all.body.filter((c: any) => c.active).length).toBeGreaterThan(0);
  });

  it("takes active on create and update: an inactive client gets no token until it is active again", async () => {
    const key = await newRsaKey("active-key");
    const created = await createClient(sim, admin, { active: false });
    expect(created.active).toBe(false);
    expect((await registerKeys(sim, admin, created.client_id, [key.publicJwk])).status).toBe(404);
    const put = await call(sim, "PUT", `${CLIENTS}/${created.client_id}`, { token: admin, json: maskinportenClientBody({ active: true }) });
    expect(put.status).toBe(200);
    expect(put.body.active).toBe(true);
    expect((await registerKeys(sim, admin, created.client_id, [key.publicJwk])).status).toBe(200);
    const scope = created.scopes[0];
    expect((await tokenFor(sim, { clientId: created.client_id, key: key.privateJwk, scope })).status).toBe(200);
    expect(
      (await call(sim, "PUT", `${CLIENTS}/${created.client_id}`, { token: admin, json: maskinportenClientBody({ active: false }) })).body
        .active,
    ).toBe(false);
    const refused = await tokenFor(sim, { clientId: created.client_id, key: key.privateJwk, scope });
    expect(refused.status).toBe(400);
    expect(refused.body.error_description).toMatch(/^MP-100/);
  });

  it("answers 201 on create when configured to", async () => {
    await call(sim, "POST", "/_sim/config", { json: { clientCreateStatus: 201 } });
    try {
      const r = await call(sim, "POST", CLIENTS, { token: admin, json: maskinportenClientBody() });
      expect(r.status).toBe(201);
    } finally {
      await call(sim, "POST", "/_sim/config", { json: { clientCreateStatus: 200 } });
    }
  });

  it("answers 404 with Digdir's error body for an unknown client id", async () => {
    expectDigdirError(await call(sim, "GET", `${CLIENTS}/00000000-0000-4000-8000-000000000000`, { token: admin }), 404);
  });
});

describe("ownership", () => {
  it("answers 403 for another organisation's client on read, update, delete and keys; absent from its list", async () => {
    const mine = await createClient(sim, admin);
    expectDigdirError(await call(sim, "GET", `${CLIENTS}/${mine.client_id}`, { token: otherVendorAdmin }), 403);
    expectDigdirError(
      await call(sim, "PUT", `${CLIENTS}/${mine.client_id}`, { token: otherVendorAdmin, json: maskinportenClientBody() }),
      403,
    );
    expectDigdirError(await call(sim, "DELETE", `${CLIENTS}/${mine.client_id}`, { token: otherVendorAdmin }), 403);
    expectDigdirError(await call(sim, "GET", `${CLIENTS}/${mine.client_id}/jwks`, { token: otherVendorAdmin }), 403);
    expectDigdirError(await call(sim, "GET", `${CLIENTS}/no-such-client`, { token: otherVendorAdmin }), 404);
    const theirs = await call(sim, "GET", CLIENTS, { token: otherVendorAdmin });
    expect(theirs.status).toBe(200);
    expect(theirs.body.map((c: any) => c.client_id)).not.toContain(mine.client_id);
    expect(theirs.body.every((c: any) => c.client_orgno === "974761076")).toBe(true);
    expect((await call(sim, "GET", `${CLIENTS}/${mine.client_id}`, { token: admin })).status).toBe(200);
  });

  it("refuses client_orgno naming another organisation", async () => {
    const r = await call(sim, "POST", CLIENTS, { token: admin, json: maskinportenClientBody({ client_orgno: "310000019" }) });
    expectDigdirError(r, 400, "client_orgno");
  });
});

describe("admin token rules", () => {
  it("answers 401 without a token", async () => {
    const r = await call(sim, "GET", CLIENTS);
    expectDigdirError(r, 401);
    expect(r.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("answers 403 for a valid token without the needed admin scope", async () => {
    const readOnly = await adminToken(sim, sim.bootstrap, "idporten:dcr.read");
    expect((await call(sim, "GET", CLIENTS, { token: readOnly })).status).toBe(200);
    const refused = await call(sim, "POST", CLIENTS, { token: readOnly, json: maskinportenClientBody() });
    expectDigdirError(refused, 403);
    expect(refused.body.error).toMatch(/idporten:dcr.write/);
    const writeOnly = await adminToken(sim, sim.bootstrap, "idporten:dcr.write");
    expectDigdirError(await call(sim, "GET", CLIENTS, { token: writeOnly }), 403);
  });

  it("accepts dcr.modify or dcr.write for PUT", async () => {
    const created = await createClient(sim, admin);
    const modify = await adminToken(sim, sim.bootstrap, "idporten:dcr.modify");
    const write = await adminToken(sim, sim.bootstrap, "idporten:dcr.write");
    for (const token of [modify, write]) {
      const r = await call(sim, "PUT", `${CLIENTS}/${created.client_id}`, { token, json: maskinportenClientBody({ description: "x" }) });
      expect(r.status).toBe(200);
    }
  });

  it("answers 401 for a token that has expired on the simulator clock", async () => {
    const token = await adminToken(sim);
    await call(sim, "POST", "/_sim/clock", { json: { advanceSeconds: 121 } });
    expectDigdirError(await call(sim, "GET", CLIENTS, { token }), 401);
    admin = await adminToken(sim);
  });
});

describe("client validation", () => {
  it("names every missing required field", async () => {
    const r = await call(sim, "POST", CLIENTS, { token: admin, json: { description: "incomplete" } });
    expectDigdirError(r, 400);
    const fields = r.body.errors.map((e: any) => e.fieldIdentifier);
    for (const f of ["client_name", "integration_type", "application_type", "token_endpoint_auth_method", "grant_types"])
      expect(fields).toContain(f);
    expect(r.body.errors[0].objectName).toBe("Client");
  });

  it("refuses values outside the enums", async () => {
    const r = await call(sim, "POST", CLIENTS, {
      token: admin,
      json: maskinportenClientBody({ integration_type: "eformidling", application_type: "desktop", grant_types: ["client_credentials"] }),
    });
    expectDigdirError(r, 400, "integration_type");
    const fields = r.body.errors.map((e: any) => e.fieldIdentifier);
    expect(fields).toEqual(expect.arrayContaining(["application_type", "grant_types"]));
  });

  it("refuses a Maskinporten client without scopes", async () => {
    const r = await call(sim, "POST", CLIENTS, { token: admin, json: maskinportenClientBody({ scopes: [] }) });
    expectDigdirError(r, 400, "scopes");
    expect(r.body.errors[0].errorMessage).toContain("at least one scope");
  });

  it("refuses scopes that do not exist or that the organisation may not consume", async () => {
    const unknown = await call(sim, "POST", CLIENTS, { token: admin, json: maskinportenClientBody({ scopes: ["nav:no/such-scope"] }) });
    expectDigdirError(unknown, 400, "scopes");
    expect(unknown.body.errors[0].errorMessage).toContain("does not exist");
    const adminScope = await call(sim, "POST", CLIENTS, { token: admin, json: maskinportenClientBody({ scopes: ["idporten:dcr.write"] }) });
    expectDigdirError(adminScope, 400, "scopes");
    expect(adminScope.body.errors[0].errorMessage).toContain("not been granted");
  });

  it("gives a krr client the two krr scopes and refuses any other scope", async () => {
    const krr = await call(sim, "POST", CLIENTS, {
      token: admin,
      json: maskinportenClientBody({ integration_type: "krr", scopes: undefined }),
    });
    expect(krr.status).toBe(200);
    expect(krr.body.scopes).toEqual(["krr:global/kontaktinformasjon.read", "krr:global/digitalpost.read"]);
    const extended = await call(sim, "POST", CLIENTS, {
      token: admin,
      json: maskinportenClientBody({
        integration_type: "krr",
        scopes: ["krr:global/digitalpost.read", "altinn:authentication/systemregister.write"],
      }),
    });
    expectDigdirError(extended, 400, "scopes");
  });

  it("requires openid and redirect URIs for an ID-porten client", async () => {
    const r = await call(sim, "POST", CLIENTS, {
      token: admin,
      json: {
        client_name: "login",
        integration_type: "idporten",
        application_type: "web",
        token_endpoint_auth_method: "private_key_jwt",
        grant_types: ["authorization_code"],
        scopes: ["profile"],
      },
    });
    expectDigdirError(r, 400, "scopes");
    expect(r.body.errors.map((e: any) => e.fieldIdentifier)).toEqual(
      expect.arrayContaining(["redirect_uris", "post_logout_redirect_uris"]),
    );
  });

  it("refuses a body that is not JSON, and a non-JSON content type", async () => {
    const bad = await call(sim, "POST", CLIENTS, { token: admin, json: undefined, headers: { "content-type": "application/json" } });
    expectDigdirError(bad, 400);
    const res = await fetch(`${sim.url}${CLIENTS}`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "text/plain" },
      body: "{}",
    });
    expect(res.status).toBe(415);
  });
});

describe("client secrets", () => {
  const idportenBody = (method: string) => ({
    client_name: "login",
    integration_type: "idporten",
    application_type: "web",
    token_endpoint_auth_method: method,
    grant_types: ["authorization_code", "refresh_token"],
    scopes: ["openid", "profile"],
    redirect_uris: ["https://app.example.no/callback"],
    post_logout_redirect_uris: ["https://app.example.no/"],
  });

  it("returns the secret on create and from /secret, never from GET", async () => {
    const created = await call(sim, "POST", CLIENTS, { token: admin, json: idportenBody("client_secret_basic") });
    expect(created.status).toBe(200);
    expect(typeof created.body.client_secret).toBe("string");
    const read = await call(sim, "GET", `${CLIENTS}/${created.body.client_id}`, { token: admin });
    expect(read.body).not.toHaveProperty("client_secret");
    const renewed = await call(sim, "POST", `${CLIENTS}/${created.body.client_id}/secret`, { token: admin });
    expect(renewed.status).toBe(200);
    expect(typeof renewed.body.client_secret).toBe("string");
    expect(renewed.body.client_secret).not.toBe(created.body.client_secret);
  });

  it("refuses /secret for a private_key_jwt client", async () => {
    const created = await createClient(sim, admin);
    expectDigdirError(
      await call(sim, "POST", `${CLIENTS}/${created.client_id}/secret`, { token: admin }),
      400,
      "token_endpoint_auth_method",
    );
  });
});

describe("keys one by one (GET/PUT/DELETE /clients/{id}/jwks/{kid})", () => {
  it("adds a key beside the others without touching them, reads it, and deletes it alone", async () => {
    const client = await createClient(sim, admin);
    const first = await newRsaKey("first");
    const next = await newRsaKey("next");
    const set = await registerKeys(sim, admin, client.client_id, [{ ...first.publicJwk, exp: Math.floor(Date.now() / 1000) + 3600 }]);
    const firstExp = set.body.keys[0].exp;
    const put = await call(sim, "PUT", `${CLIENTS}/${client.client_id}/jwks/next`, { token: admin, json: next.publicJwk });
    expect(put.status).toBe(200);
    expect(put.body.keys.map((k: any) => [k.kid, k.kid === "first" ? k.exp : "renewed"])).toEqual([
      ["first", firstExp],
      ["next", "renewed"],
    ]);
    const one = await call(sim, "GET", `${CLIENTS}/${client.client_id}/jwks/next`, { token: admin });
    expect(one.body).toMatchObject({ kid: "next", n: next.publicJwk.n, alg: "RS256" });
    expect(one.body).not.toHaveProperty("d");
    expectDigdirError(await call(sim, "GET", `${CLIENTS}/${client.client_id}/jwks/none`, { token: admin }), 404);
    expectDigdirError(
      await call(sim, "PUT", `${CLIENTS}/${client.client_id}/jwks/other`, { token: admin, json: next.publicJwk }),
      400,
      "kid",
    );
    expect((await call(sim, "DELETE", `${CLIENTS}/${client.client_id}/jwks/first`, { token: admin })).status).toBe(200);
    expect((await call(sim, "GET", `${CLIENTS}/${client.client_id}/jwks`, { token: admin })).body.keys.map((k: any) => k.kid)).toEqual([
      "next",
    ]);
    expectDigdirError(await call(sim, "DELETE", `${CLIENTS}/${client.client_id}/jwks/first`, { token: admin }), 404);
  });

  it("refuses a sixth key, and a key with private members", async () => {
    const client = await createClient(sim, admin);
    const keys = await Promise.all([1, 2, 3, 4, 5].map((i) => newRsaKey(`k${i}`)));
    expect(
      (
        await registerKeys(
          sim,
          admin,
          client.client_id,
          keys.map((k) => k.publicJwk),
        )
      ).status,
    ).toBe(200);
    const sixth = await newRsaKey("k6");
    expectDigdirError(
      await call(sim, "PUT", `${CLIENTS}/${client.client_id}/jwks/k6`, { token: admin, json: sixth.publicJwk }),
      400,
      "keys",
    );
    expectDigdirError(await call(sim, "PUT", `${CLIENTS}/${client.client_id}/jwks/k1`, { token: admin, json: keys[0]!.privateJwk }), 400);
  });

  it("accepts RS512 keys, and a grant signed RS512 with one gets a token", async () => {
    const client = await createClient(sim, admin);
    const key = await newRsaKey("rs512");
    const pub = { ...key.publicJwk, alg: "RS512" };
    expect((await call(sim, "PUT", `${CLIENTS}/${client.client_id}/jwks/rs512`, { token: admin, json: pub })).status).toBe(200);
    const token = await tokenFor(sim, {
      clientId: client.client_id,
      key: { ...key.privateJwk, alg: "RS512" },
      header: { alg: "RS512" },
      scope: client.scopes[0],
    });
    expect(token.status).toBe(200);
    expectDigdirError(await registerKeys(sim, admin, client.client_id, [{ ...key.publicJwk, alg: "RS384" }]), 400);
  });
});
