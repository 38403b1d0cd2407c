import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminToken, call, createClient, maskinportenClientBody, start, type Sim } from "./helpers";

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
    const r = await call(sim, "PUT", `${CLIENTS}/${client_id}`, { token: admin, json: { ...rest, client_id, description: "after", access_token_lifetime: 600 } });
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
    const r = await call(sim, "PUT", `${CLIENTS}/${created.client_id}`, { token: admin, json: maskinportenClientBody({ integration_type: "krr", scopes: [] }) });
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
  it("hides a client from another organisation: 404 on read, update and delete, absent from its list", async () => {
    const mine = await createClient(sim, admin);
    expectDigdirError(await call(sim, "GET", `${CLIENTS}/${mine.client_id}`, { token: otherVendorAdmin }), 404);
    expectDigdirError(await call(sim, "PUT", `${CLIENTS}/${mine.client_id}`, { token: otherVendorAdmin, json: maskinportenClientBody() }), 404);
    expectDigdirError(await call(sim, "DELETE", `${CLIENTS}/${mine.client_id}`, { token: otherVendorAdmin }), 404);
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

  it("answers 401 for a token without the needed admin scope", async () => {
    const readOnly = await adminToken(sim, sim.bootstrap, "idporten:dcr.read");
    expect((await call(sim, "GET", CLIENTS, { token: readOnly })).status).toBe(200);
    expectDigdirError(await call(sim, "POST", CLIENTS, { token: readOnly, json: maskinportenClientBody() }), 401);
    const writeOnly = await adminToken(sim, sim.bootstrap, "idporten:dcr.write");
    expectDigdirError(await call(sim, "GET", CLIENTS, { token: writeOnly }), 401);
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
    for (const f of ["client_name", "integration_type", "application_type", "token_endpoint_auth_method", "grant_types"]) expect(fields).toContain(f);
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
    const krr = await call(sim, "POST", CLIENTS, { token: admin, json: maskinportenClientBody({ integration_type: "krr", scopes: undefined }) });
    expect(krr.status).toBe(200);
    expect(krr.body.scopes).toEqual(["krr:global/kontaktinformasjon.read", "krr:global/digitalpost.read"]);
    const extended = await call(sim, "POST", CLIENTS, {
      token: admin,
      json: maskinportenClientBody({ integration_type: "krr", scopes: ["krr:global/digitalpost.read", "altinn:authentication/systemregister.write"] }),
    });
    expectDigdirError(extended, 400, "scopes");
  });

  it("requires openid and redirect URIs for an ID-porten client", async () => {
    const r = await call(sim, "POST", CLIENTS, {
      token: admin,
      json: { client_name: "login", integration_type: "idporten", application_type: "web", token_endpoint_auth_method: "private_key_jwt", grant_types: ["authorization_code"], scopes: ["profile"] },
    });
    expectDigdirError(r, 400, "scopes");
    expect(r.body.errors.map((e: any) => e.fieldIdentifier)).toEqual(expect.arrayContaining(["redirect_uris", "post_logout_redirect_uris"]));
  });

  it("refuses a body that is not JSON, and a non-JSON content type", async () => {
    const bad = await call(sim, "POST", CLIENTS, { token: admin, json: undefined, headers: { "content-type": "application/json" } });
    expectDigdirError(bad, 400);
    const res = await fetch(`${sim.url}${CLIENTS}`, { method: "POST", headers: { authorization: `Bearer ${admin}`, "content-type": "text/plain" }, body: "{}" });
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
    expectDigdirError(await call(sim, "POST", `${CLIENTS}/${created.client_id}/secret`, { token: admin }), 400, "token_endpoint_auth_method");
  });
});
