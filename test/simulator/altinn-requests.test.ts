import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  A,
  accept,
  adminWith,
  CLIENT_PKG,
  createRequest,
  createSystem,
  CUSTOMER,
  CUSTOMER_2,
  OTHER_VENDOR,
  PKG,
  REGISTER,
  REQUESTS,
  right,
  SCOPE,
} from "./altinn-helpers";
import { adminToken, advanceClock, call, createClient, newRsaKey, registerKeys, start, tokenFor, type KeyPair, type Sim } from "./helpers";

// System user requests (`RequestSystemUserController`, standard and agent), the customer's side (confirm pages and control calls), system
// users (`SystemUserController`) and system user tokens (Altinn's systembrukertoken guide).

const ASSIGN_ONLY = "urn:altinn:accesspackage:kun-tildelbar";
const seed = { accessPackages: [{ urn: ASSIGN_ONLY, assignable: true, delegable: false }] };

let sim: Sim;
let plain: Sim; // quirks: false
let admin: string;
let plainAdmin: string;
let otherVendor: string;
/** A visible system with two rights, PKG and a redirect URL. */
let sys: Record<string, any>;
/** An agent system: invisible, client package + assign-only package. */
let agentSys: Record<string, any>;

beforeAll(async () => {
  [sim, plain] = await Promise.all([start({ seed }), start({ quirks: false, seed })]);
  [admin, plainAdmin] = await Promise.all([adminToken(sim), adminToken(plain)]);
  const creds = await call(sim, "POST", "/_sim/orgs", {
    json: { orgNo: OTHER_VENDOR, name: "Andre Simulerte Leverandør AS", vendor: true },
  });
  otherVendor = await adminToken(sim, creds.body);
  sys = await createSystem(sim, admin, { accessPackages: [{ urn: PKG }, { urn: ASSIGN_ONLY }] });
  agentSys = await createSystem(sim, admin, { isVisible: false, accessPackages: [{ urn: CLIENT_PKG }, { urn: ASSIGN_ONLY }], rights: [] });
});
afterAll(() => Promise.all([sim.close(), plain.close()]));

const ref = () => `ref-${randomUUID().slice(0, 8)}`;
const standard = (overrides: Record<string, unknown> = {}) => ({
  systemId: sys.id,
  partyOrgNo: CUSTOMER,
  externalRef: ref(),
  rights: [right("ske-krav-og-betalinger")],
  ...overrides,
});
const agentBody = (overrides: Record<string, unknown> = {}) => ({
  systemId: agentSys.id,
  partyOrgNo: CUSTOMER,
  externalRef: ref(),
  accessPackages: [{ urn: CLIENT_PKG }],
  ...overrides,
});
const problem = (r: { status: number; body: any }, status: number, code: string) => {
  expect(r.body?.code, JSON.stringify(r.body)).toBe(code);
  expect(r.status).toBe(status);
  expect(r.body.type).toBe(`urn:altinn:error:${code}`);
};

describe("create (`RequestSystemUserService.CreateRequest`)", () => {
  it("creates with 201; externalRef defaults to partyOrgNo; integrationTitle defaults to the system's nb name and reads back so", async () => {
    const r = await createRequest(sim, admin, { systemId: sys.id, partyOrgNo: CUSTOMER_2, accessPackages: [{ urn: PKG }] });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      externalRef: CUSTOMER_2,
      partyOrgNo: CUSTOMER_2,
      rights: [],
      accessPackages: [{ urn: PKG }],
      status: "New",
      escalated: false,
      timedOut: false,
    });
    expect(r.body.integrationTitle).toBe(sys.name.nb);
    expect((await call(sim, "GET", `${REQUESTS}/${r.body.id}`, { token: admin })).body.integrationTitle).toBe(sys.name.nb);
    expect(r.body.redirectUrl).toBeUndefined();
    expect(Date.parse(r.body.created)).toBeGreaterThan(0);
  });

  it("answers a re-POST of the key with 200 and the stored request, ignoring the new body, whatever the status", async () => {
    const body = standard({ integrationTitle: "  Min integrasjon  " });
    const first = await createRequest(sim, admin, body);
    expect(first.status).toBe(201);
    expect(first.body.integrationTitle).toBe("Min integrasjon");
    const second = await createRequest(sim, admin, {
      ...body,
      rights: [right("ske-innrapportering-boligselskap")],
      redirectUrl: "https://vendor.example/receipt",
    });
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    await call(sim, "POST", `/_sim/systemuser-requests/${first.body.id}/reject`);
    const third = await createRequest(sim, admin, body);
    expect(third.status).toBe(200);
    expect(third.body).toMatchObject({ id: first.body.id, status: "Rejected" });
  });

  it("answers AUTH-00004 once a system user exists for the key, before looking at the body", async () => {
    const body = standard();
    const r = await createRequest(sim, admin, body);
    expect((await accept(sim, r.body.id)).status).toBe(200);
    problem(await createRequest(sim, admin, { ...body, rights: [right("no-such")] }), 400, "AUTH-00004");
    problem(await createRequest(sim, admin, { ...agentBody(), systemId: sys.id, externalRef: body.externalRef }, true), 400, "AUTH-00004");
  });

  it("answers an unknown system and another vendor's system with 404 AUTH-00011", async () => {
    problem(await createRequest(sim, admin, standard({ systemId: "991825827_nope" })), 404, "AUTH-00011");
    problem(await createRequest(sim, otherVendor, standard()), 404, "AUTH-00011");
  });

  it("answers a key held by another vendor's request with the status conflict code (New: AUTH-00007)", async () => {
    const body = standard();
    expect((await createRequest(sim, admin, body)).status).toBe(201);
    problem(await createRequest(sim, otherVendor, body), 400, "AUTH-00007");
  });

  it("answers an unknown customer with AUTH-00000", async () => {
    problem(await createRequest(sim, admin, standard({ partyOrgNo: "999999999" })), 400, "AUTH-00000");
  });

  it("checks the redirect URL: none allowed (AUTH-00026), no match (AUTH-00021); query and trailing slash ignored", async () => {
    const noUrls = await createSystem(sim, admin, { allowedRedirectUrls: [], clientId: [] });
    problem(
      await createRequest(sim, admin, standard({ systemId: noUrls.id, redirectUrl: "https://vendor.example/receipt" })),
      400,
      "AUTH-00026",
    );
    problem(await createRequest(sim, admin, standard({ redirectUrl: "https://vendor.example/other" })), 400, "AUTH-00021");
    problem(await createRequest(sim, admin, standard({ redirectUrl: "https://evil.example/receipt" })), 400, "AUTH-00021");
    expect((await createRequest(sim, admin, standard({ redirectUrl: "https://VENDOR.example/receipt?x=1#y" }))).status).toBe(201);
    const root = await createSystem(sim, admin, { allowedRedirectUrls: ["https://root.example"], clientId: [] });
    expect((await createRequest(sim, admin, standard({ systemId: root.id, redirectUrl: "https://root.example/" }))).status).toBe(201);
  });

  it("answers a redirect URL that is not absolute with 500 with quirks, AUTH-00021 without", async () => {
    expect((await createRequest(sim, admin, standard({ redirectUrl: "not a url" }))).status).toBe(500);
    const strictSys = await createSystem(plain, plainAdmin);
    problem(await createRequest(plain, plainAdmin, standard({ systemId: strictSys.id, redirectUrl: "not a url" })), 400, "AUTH-00021");
  });

  it("checks the content: neither list (AUTH-00001), both empty (AUTH-00059), a right not on the system or too many (AUTH-00001)", async () => {
    problem(await createRequest(sim, admin, { systemId: sys.id, partyOrgNo: CUSTOMER, externalRef: ref() }), 400, "AUTH-00001");
    problem(await createRequest(sim, admin, standard({ rights: [], accessPackages: [] })), 400, "AUTH-00059");
    problem(await createRequest(sim, admin, standard({ rights: [], accessPackages: null })), 400, "AUTH-00059");
    problem(await createRequest(sim, admin, standard({ rights: [right("ske-maskinporten-skjema")] })), 400, "AUTH-00001");
    const three = [right("ske-krav-og-betalinger"), right("ske-innrapportering-boligselskap"), right("ske-krav-og-betalinger")];
    problem(await createRequest(sim, admin, standard({ rights: three })), 400, "AUTH-00001");
    // `action` is ignored when matching.
    expect(
      (
        await createRequest(
          sim,
          admin,
          standard({ rights: [{ action: "read", resource: [{ id: "urn:altinn:resource", value: "ske-krav-og-betalinger" }] }] }),
        )
      ).status,
    ).toBe(201);
  });

  it("answers a right without resources with 500 with quirks, AUTH-00001 without", async () => {
    expect((await createRequest(sim, admin, standard({ rights: [{ resource: [] }] }))).status).toBe(500);
    const strictSys = await createSystem(plain, plainAdmin);
    problem(await createRequest(plain, plainAdmin, standard({ systemId: strictSys.id, rights: [{ resource: [] }] })), 400, "AUTH-00001");
  });

  it("checks packages: not on the system (AUTH-00063, NotFoundPackages), not assignable (AUTH-00064, NotDelegablePackages)", async () => {
    const missing = await createRequest(sim, admin, standard({ rights: [], accessPackages: [{ urn: CLIENT_PKG }] }));
    problem(missing, 400, "AUTH-00063");
    expect(missing.body.NotFoundPackages).toBe(CLIENT_PKG);
    const notAssignable = await createRequest(
      sim,
      admin,
      standard({ systemId: agentSys.id, rights: [], accessPackages: [{ urn: CLIENT_PKG }] }),
    );
    problem(notAssignable, 400, "AUTH-00064");
    expect(notAssignable.body.NotDelegablePackages).toBe(CLIENT_PKG);
  });

  it("answers model-binding failures (missing systemId, wrong types) with ASP.NET's ValidationProblemDetails", async () => {
    const r = await createRequest(sim, admin, { partyOrgNo: CUSTOMER, rights: "x" });
    expect(r.status).toBe(400);
    expect(r.body.errors.$[0]).toContain("systemId");
    expect(Object.keys(r.body.errors)).toContain("$.rights");
  });

  it("with quirks creates requests against a soft-deleted system; without quirks answers AUTH-00011", async () => {
    const gone = await createSystem(sim, admin);
    await call(sim, "DELETE", `${REGISTER}/${gone.id}`, { token: admin });
    expect((await createRequest(sim, admin, standard({ systemId: gone.id }))).status).toBe(201);
    const strictGone = await createSystem(plain, plainAdmin);
    await call(plain, "DELETE", `${REGISTER}/${strictGone.id}`, { token: plainAdmin });
    problem(await createRequest(plain, plainAdmin, standard({ systemId: strictGone.id })), 404, "AUTH-00011");
  });

  it("with quirks an empty-string externalRef creates a new request each time (stored as partyOrgNo); without quirks it is the default", async () => {
    const party = { partyOrgNo: "310000035", externalRef: "" };
    const a = await createRequest(sim, admin, standard(party));
    const b = await createRequest(sim, admin, standard(party));
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.externalRef).toBe("310000035");
    expect(b.body.id).not.toBe(a.body.id);
    const withoutRef = await createRequest(sim, admin, {
      systemId: sys.id,
      partyOrgNo: "310000035",
      rights: [right("ske-krav-og-betalinger")],
    });
    expect(withoutRef.status).toBe(200);

    const strictSys = await createSystem(plain, plainAdmin);
    const c = await createRequest(plain, plainAdmin, standard({ systemId: strictSys.id, ...party }));
    const d = await createRequest(plain, plainAdmin, standard({ systemId: strictSys.id, ...party }));
    expect([c.status, d.status]).toEqual([201, 200]);
    expect(d.body.id).toBe(c.body.id);
  });
});

describe("read and delete (`RequestSystemUserController`)", () => {
  it("reads by id and by external ref with confirmUrl; the external ref is a URL-encoded path segment", async () => {
    const externalRef = "kunde én/2";
    const created = await createRequest(sim, admin, standard({ externalRef }));
    const byId = await call(sim, "GET", `${REQUESTS}/${created.body.id}`, { token: admin });
    expect(byId.body).toEqual(created.body);
    const byRef = await call(sim, "GET", `${REQUESTS}/byexternalref/${sys.id}/${CUSTOMER}/${encodeURIComponent(externalRef)}`, {
      token: admin,
    });
    expect(byRef.status).toBe(200);
    expect(byRef.body.id).toBe(created.body.id);
  });

  it("answers unknown ids with AUTH-00010, malformed ids with a framework 400, other vendors with AUTH-00011", async () => {
    problem(await call(sim, "GET", `${REQUESTS}/${randomUUID()}`, { token: admin }), 404, "AUTH-00010");
    const malformed = await call(sim, "GET", `${REQUESTS}/not-a-guid`, { token: admin });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors.requestId).toBeDefined();
    const created = await createRequest(sim, admin, standard());
    problem(await call(sim, "GET", `${REQUESTS}/${created.body.id}`, { token: otherVendor }), 404, "AUTH-00011");
    problem(
      await call(sim, "GET", `${REQUESTS}/byexternalref/${sys.id}/${CUSTOMER}/${created.body.externalRef}`, { token: otherVendor }),
      404,
      "AUTH-00011",
    );
    problem(await call(sim, "GET", `${REQUESTS}/byexternalref/${sys.id}/${CUSTOMER}/no-such-ref`, { token: admin }), 404, "AUTH-00010");
  });

  it("soft-deletes any request with 202 and an empty body; a second DELETE is AUTH-00010; reads no longer find it", async () => {
    const created = await createRequest(sim, admin, standard());
    const r = await call(sim, "DELETE", `${REQUESTS}/${created.body.id}`, { token: admin });
    expect(r.status).toBe(202);
    expect(r.text).toBe("");
    problem(await call(sim, "DELETE", `${REQUESTS}/${created.body.id}`, { token: admin }), 404, "AUTH-00010");
    problem(await call(sim, "GET", `${REQUESTS}/${created.body.id}`, { token: admin }), 404, "AUTH-00010");
    // The key is free again.
    expect((await createRequest(sim, admin, { ...standard(), externalRef: created.body.externalRef })).status).toBe(201);
  });

  it("with quirks lets another vendor delete a request; without quirks answers AUTH-00010", async () => {
    const created = await createRequest(sim, admin, standard());
    expect((await call(sim, "DELETE", `${REQUESTS}/${created.body.id}`, { token: otherVendor })).status).toBe(202);
    const strictSys = await createSystem(plain, plainAdmin);
    const strict = await createRequest(plain, plainAdmin, standard({ systemId: strictSys.id }));
    const creds = await call(plain, "POST", "/_sim/orgs", { json: { orgNo: OTHER_VENDOR, name: "Andre", vendor: true } });
    problem(
      await call(plain, "DELETE", `${REQUESTS}/${strict.body.id}`, { token: await adminToken(plain, creds.body) }),
      404,
      "AUTH-00010",
    );
  });

  it("deleting an accepted request leaves the system user in place", async () => {
    const created = await createRequest(sim, admin, standard());
    await accept(sim, created.body.id);
    await call(sim, "DELETE", `${REQUESTS}/${created.body.id}`, { token: admin });
    const user = await call(
      sim,
      "GET",
      `${A}/systemuser/vendor/byquery?system-id=${sys.id}&orgno=${CUSTOMER}&external-ref=${created.body.externalRef}`,
      { token: admin },
    );
    expect(user.status).toBe(200);
  });

  it("lists by system in pages of {links, data} without confirmUrl; with quirks the item at each page boundary is skipped", async () => {
    const listSys = await createSystem(sim, admin, { clientId: [] });
    for (let i = 0; i < 3; i++) await createRequest(sim, admin, standard({ systemId: listSys.id }));
    const all = await call(sim, "GET", `${REQUESTS}/bysystem/${listSys.id}`, { token: admin });
    expect(all.body.links).toEqual({});
    expect(all.body.data).toHaveLength(3);
    expect(all.body.data[0].confirmUrl).toBeUndefined();
    const ids = all.body.data.map((r: any) => r.id);
    expect([...ids].sort()).toEqual(ids);

    await call(sim, "POST", "/_sim/altinn/config", { json: { pageSize: 1 } });
    try {
      const first = await call(sim, "GET", `${REQUESTS}/bysystem/${listSys.id}`, { token: admin });
      expect(first.body.data.map((r: any) => r.id)).toEqual([ids[0]]);
      // The token is opaque (an Opaque<Guid> at Altinn): clients follow links.next and never build one.
      expect(first.body.links.next).toMatch(new RegExp(`^${sim.url}${REQUESTS}/bysystem/${listSys.id}\\?token=[A-Za-z0-9_-]+$`));
      expect(first.body.links.next).not.toContain(ids[1]);
      const second = await call(sim, "GET", first.body.links.next.slice(sim.url.length), { token: admin });
      expect(second.body.data.map((r: any) => r.id)).toEqual([ids[2]]);
      expect(second.body.links).toEqual({});
    } finally {
      await call(sim, "POST", "/_sim/altinn/config", { json: { pageSize: 50 } });
    }
  });

  it("without quirks the pages are complete", async () => {
    const listSys = await createSystem(plain, plainAdmin, { clientId: [] });
    for (let i = 0; i < 3; i++) await createRequest(plain, plainAdmin, standard({ systemId: listSys.id }));
    await call(plain, "POST", "/_sim/altinn/config", { json: { pageSize: 1 } });
    const seen: string[] = [];
    let path: string | undefined = `${REQUESTS}/bysystem/${listSys.id}`;
    while (path) {
      const page: any = await call(plain, "GET", path, { token: plainAdmin });
      seen.push(...page.body.data.map((r: any) => r.id));
      path = page.body.links.next?.slice(plain.url.length);
    }
    expect(seen).toHaveLength(3);
    await call(plain, "POST", "/_sim/altinn/config", { json: { pageSize: 50 } });
  });

  it("answers a list for another vendor's system with AUTH-00011, a token it did not make with a framework 400", async () => {
    problem(await call(sim, "GET", `${REQUESTS}/bysystem/${sys.id}`, { token: otherVendor }), 404, "AUTH-00011");
    const bad = await call(sim, "GET", `${REQUESTS}/bysystem/${sys.id}?token=not%20a%20token`, { token: admin });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.token).toBeDefined();
  });
});

describe("scopes per endpoint (`AuthzConstants`, `AuthenticationHost.cs`)", () => {
  it("needs request.write to create, delete and look up system users, and request.read to read requests; 403 with an empty body", async () => {
    const readOnly = await adminWith(sim, SCOPE.read);
    const writeOnly = await adminWith(sim, SCOPE.write);
    const created = await createRequest(sim, admin, standard());
    const cases: [string, string, string, unknown?][] = [
      [readOnly, "POST", REQUESTS, standard()],
      [readOnly, "POST", `${REQUESTS}/agent`, agentBody()],
      [readOnly, "DELETE", `${REQUESTS}/${created.body.id}`],
      [readOnly, "GET", `${A}/systemuser/vendor/byquery?system-id=${sys.id}&orgno=${CUSTOMER}`],
      [writeOnly, "GET", `${REQUESTS}/${created.body.id}`],
      [writeOnly, "GET", `${REQUESTS}/bysystem/${sys.id}`],
      [writeOnly, "GET", `${REQUESTS}/agent/${created.body.id}`],
    ];
    for (const [token, method, path, json] of cases) {
      const r = await call(sim, method, path, { token, json });
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.text).toBe("");
    }
    expect((await call(sim, "GET", `${REQUESTS}/${created.body.id}`, { token: readOnly })).status).toBe(200);
    expect(
      (await call(sim, "GET", `${A}/systemuser/vendor/byquery?system-id=${sys.id}&orgno=${CUSTOMER}`, { token: writeOnly })).status,
    ).not.toBe(403);
  });
});

describe("agent requests (agent routes of `RequestSystemUserController`)", () => {
  it("creates with 201, the agentrequest confirmUrl and no rights; re-POST gives 200; keyed apart from standard requests", async () => {
    const body = agentBody();
    const r = await createRequest(sim, admin, body, true);
    expect(r.status).toBe(201);
    expect(r.body.rights).toBeUndefined();
    expect(r.body).toMatchObject({ accessPackages: [{ urn: CLIENT_PKG }], status: "New", externalRef: body.externalRef });
    expect(r.body.confirmUrl).toBe(`${sim.url}/am/accessmanagement/ui/systemuser/agentrequest?id=${r.body.id}&DONTCHOOSEREPORTEE=true`);
    expect((await createRequest(sim, admin, body, true)).status).toBe(200);
    const std = await createRequest(sim, admin, {
      systemId: agentSys.id,
      partyOrgNo: CUSTOMER,
      externalRef: body.externalRef,
      rights: [],
      accessPackages: [{ urn: ASSIGN_ONLY }],
    });
    expect(std.status).toBe(201);
  });

  it("needs packages (AUTH-00058) that are on the system (AUTH-00063) and delegable (AUTH-00065)", async () => {
    problem(await createRequest(sim, admin, agentBody({ accessPackages: [] }), true), 400, "AUTH-00058");
    // Without the property (or null) it is the framework's model validation: AccessPackages is [Required].
    for (const accessPackages of [undefined, null]) {
      const missing = await createRequest(sim, admin, agentBody({ accessPackages }), true);
      expect(missing.status).toBe(400);
      expect(missing.body.errors.AccessPackages).toEqual(["The AccessPackages field is required."]);
    }
    problem(await createRequest(sim, admin, agentBody({ accessPackages: [{ urn: PKG }] }), true), 400, "AUTH-00063");
    const r = await createRequest(sim, admin, agentBody({ accessPackages: [{ urn: ASSIGN_ONLY }] }), true);
    problem(r, 400, "AUTH-00065");
    expect(r.body.NotDelegablePackages).toBe(ASSIGN_ONLY);
  });

  it("refuses an agent request while a standard request holds the key (AUTH-00007 New, AUTH-00009 Rejected); not the reverse", async () => {
    const both = await createSystem(sim, admin, { isVisible: false, accessPackages: [{ urn: PKG }, { urn: CLIENT_PKG }], clientId: [] });
    const key = { systemId: both.id, partyOrgNo: CUSTOMER, externalRef: ref() };
    const std = await createRequest(sim, admin, { ...key, accessPackages: [{ urn: PKG }] });
    expect(std.status).toBe(201);
    problem(await createRequest(sim, admin, { ...key, accessPackages: [{ urn: CLIENT_PKG }] }, true), 400, "AUTH-00007");
    await call(sim, "POST", `/_sim/systemuser-requests/${std.body.id}/reject`);
    problem(await createRequest(sim, admin, { ...key, accessPackages: [{ urn: CLIENT_PKG }] }, true), 400, "AUTH-00009");
    await call(sim, "DELETE", `${REQUESTS}/${std.body.id}`, { token: admin });
    const agent = await createRequest(sim, admin, { ...key, accessPackages: [{ urn: CLIENT_PKG }] }, true);
    expect(agent.status).toBe(201);
    // The reverse is not checked: a standard request beside the agent one is created.
    expect((await createRequest(sim, admin, { ...key, accessPackages: [{ urn: PKG }] })).status).toBe(201);
  });

  it("reads agent requests only on the agent routes", async () => {
    const body = agentBody();
    const r = await createRequest(sim, admin, body, true);
    expect((await call(sim, "GET", `${REQUESTS}/agent/${r.body.id}`, { token: admin })).body.confirmUrl).toBe(r.body.confirmUrl);
    problem(await call(sim, "GET", `${REQUESTS}/${r.body.id}`, { token: admin }), 404, "AUTH-00010");
    expect(
      (await call(sim, "GET", `${REQUESTS}/agent/byexternalref/${agentSys.id}/${CUSTOMER}/${body.externalRef}`, { token: admin })).body.id,
    ).toBe(r.body.id);
    const list = await call(sim, "GET", `${REQUESTS}/agent/bysystem/${agentSys.id}`, { token: admin });
    expect(list.body.data.map((x: any) => x.id)).toContain(r.body.id);
    const std = await createRequest(sim, admin, standard());
    problem(await call(sim, "GET", `${REQUESTS}/agent/${std.body.id}`, { token: admin }), 404, "AUTH-00010");
  });

  it("approving on the agent confirm page creates an agent system user, which then blocks a standard request for the key", async () => {
    const body = agentBody();
    const r = await createRequest(sim, admin, body, true);
    const page = await fetch(r.body.confirmUrl);
    const html = await page.text();
    expect(html).toContain(CLIENT_PKG);
    const post = await fetch(r.body.confirmUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "action=approve",
      redirect: "manual",
    });
    // Without a redirectUrl Altinn logs the customer out and shows its logged-out page.
    expect(post.status).toBe(302);
    expect(post.headers.get("location")).toBe(`${sim.url}/am/loggedout?lang=nb`);
    expect(await (await fetch(`${sim.url}/am/loggedout?lang=nb`)).text()).toContain("logget ut");
    const user = await call(
      sim,
      "GET",
      `${A}/systemuser/vendor/byquery?system-id=${agentSys.id}&orgno=${CUSTOMER}&external-ref=${body.externalRef}`,
      { token: admin },
    );
    expect(user.body.userType).toBe("agent");
    problem(
      await createRequest(sim, admin, {
        systemId: agentSys.id,
        partyOrgNo: CUSTOMER,
        externalRef: body.externalRef,
        accessPackages: [{ urn: ASSIGN_ONLY }],
      }),
      400,
      "AUTH-00004",
    );
  });
});

describe("the customer's side", () => {
  it("rejects on the confirm page: 302 to the redirectUrl, status Rejected, the page then offers no buttons and a second action is 409", async () => {
    const created = await createRequest(sim, admin, standard({ redirectUrl: "https://vendor.example/receipt" }));
    const post = await fetch(created.body.confirmUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "action=reject",
      redirect: "manual",
    });
    expect(post.status).toBe(302);
    expect(post.headers.get("location")).toBe("https://vendor.example/receipt");
    expect((await call(sim, "GET", `${REQUESTS}/${created.body.id}`, { token: admin })).body.status).toBe("Rejected");
    const html = await (await fetch(created.body.confirmUrl)).text();
    expect(html).not.toContain("<button");
    const again = await fetch(created.body.confirmUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "action=approve",
      redirect: "manual",
    });
    expect(again.status).toBe(409);
    problem(await accept(sim, created.body.id), 409, "AUTH-00013");
  });

  it("answers 404 pages for unknown ids, a standard page for an agent id, and deleted requests", async () => {
    expect((await fetch(`${sim.url}/am/accessmanagement/ui/systemuser/request?id=${randomUUID()}&DONTCHOOSEREPORTEE=true`)).status).toBe(
      404,
    );
    const agent = await createRequest(sim, admin, agentBody(), true);
    expect((await fetch(`${sim.url}/am/accessmanagement/ui/systemuser/request?id=${agent.body.id}`)).status).toBe(404);
    await call(sim, "DELETE", `${REQUESTS}/${agent.body.id}`, { token: admin });
    expect((await fetch(agent.body.confirmUrl)).status).toBe(404);
  });

  it("control calls accept and reject, and answer unknown requests with AUTH-00010", async () => {
    const a = await createRequest(sim, admin, standard());
    const accepted = await accept(sim, a.body.id);
    expect(accepted.status).toBe(200);
    expect(accepted.body.request.status).toBe("Accepted");
    expect(accepted.body.systemUser).toMatchObject({ reporteeOrgNo: CUSTOMER, rights: [right("ske-krav-og-betalinger")] });
    const b = await createRequest(sim, admin, agentBody(), true);
    const rejected = await call(sim, "POST", `/_sim/systemuser-requests/${b.body.id}/reject`);
    expect(rejected.body.request.status).toBe("Rejected");
    problem(await accept(sim, randomUUID()), 404, "AUTH-00010");
  });

  it("control calls set Denied (re-POST then 200, AUTH-00008 for another vendor) and escalated (lists only; single GETs say false)", async () => {
    const body = standard();
    const denied = await createRequest(sim, admin, body);
    expect((await call(sim, "POST", `/_sim/systemuser-requests/${denied.body.id}/deny`)).body.request.status).toBe("Denied");
    expect((await createRequest(sim, admin, body)).body.status).toBe("Denied");
    problem(await createRequest(sim, otherVendor, body), 400, "AUTH-00008");
    const listSys = await createSystem(sim, admin, { clientId: [] });
    const escalated = await createRequest(sim, admin, standard({ systemId: listSys.id }));
    await call(sim, "POST", `/_sim/systemuser-requests/${escalated.body.id}/escalate`);
    expect((await call(sim, "GET", `${REQUESTS}/${escalated.body.id}`, { token: admin })).body.escalated).toBe(false);
    expect((await call(sim, "GET", `${REQUESTS}/bysystem/${listSys.id}`, { token: admin })).body.data[0]).toMatchObject({
      escalated: true,
      status: "New",
    });
  });

  it("without quirks the single GETs report escalated as stored", async () => {
    const plainSys = await createSystem(plain, plainAdmin, { clientId: [] });
    const created = await createRequest(plain, plainAdmin, standard({ systemId: plainSys.id }));
    await call(plain, "POST", `/_sim/systemuser-requests/${created.body.id}/escalate`);
    expect((await call(plain, "GET", `${REQUESTS}/${created.body.id}`, { token: plainAdmin })).body).toMatchObject({
      escalated: true,
      status: "New",
    });
    expect(
      (await call(plain, "GET", `${REQUESTS}/byexternalref/${plainSys.id}/${CUSTOMER}/${created.body.externalRef}`, { token: plainAdmin }))
        .body.escalated,
    ).toBe(true);
  });

  it("deleting the system user as the customer also deletes its request: a new POST gets 201", async () => {
    const body = standard();
    const created = await createRequest(sim, admin, body);
    const accepted = await accept(sim, created.body.id);
    const del = await call(sim, "DELETE", `/_sim/systemusers/${accepted.body.systemUser.id}`);
    expect(del.status).toBe(200);
    expect(del.body.deletedRequests).toEqual([created.body.id]);
    problem(await call(sim, "GET", `${REQUESTS}/${created.body.id}`, { token: admin }), 404, "AUTH-00010");
    expect(
      (
        await call(sim, "GET", `${A}/systemuser/vendor/byquery?system-id=${sys.id}&orgno=${CUSTOMER}&external-ref=${body.externalRef}`, {
          token: admin,
        })
      ).status,
    ).toBe(404);
    expect((await createRequest(sim, admin, body)).status).toBe(201);
    problem(await call(sim, "DELETE", `/_sim/systemusers/${accepted.body.systemUser.id}`), 404, "AUTH-00015");
  });
});

describe("system users (`SystemUserController`)", () => {
  it("lists a system's standard and agent users in creation order, with consistent pages", async () => {
    const listSys = await createSystem(sim, admin, { isVisible: false, accessPackages: [{ urn: PKG }, { urn: CLIENT_PKG }], clientId: [] });
    const ids: string[] = [];
    for (const agent of [false, true, false]) {
      const r = agent
        ? await createRequest(sim, admin, agentBody({ systemId: listSys.id }), true)
        : await createRequest(sim, admin, standard({ systemId: listSys.id }));
      ids.push((await accept(sim, r.body.id)).body.systemUser.id);
    }
    const all = await call(sim, "GET", `${A}/systemuser/vendor/bysystem/${listSys.id}`, { token: admin });
    expect(all.body.data.map((u: any) => u.id)).toEqual(ids);
    expect(all.body.data.map((u: any) => u.userType)).toEqual(["standard", "agent", "standard"]);
    await call(sim, "POST", "/_sim/altinn/config", { json: { pageSize: 2 } });
    try {
      const first = await call(sim, "GET", `${A}/systemuser/vendor/bysystem/${listSys.id}`, { token: admin });
      const second = await call(sim, "GET", first.body.links.next.slice(sim.url.length), { token: admin });
      expect([...first.body.data, ...second.body.data].map((u: any) => u.id)).toEqual(ids);
    } finally {
      await call(sim, "POST", "/_sim/altinn/config", { json: { pageSize: 50 } });
    }
    problem(await call(sim, "GET", `${A}/systemuser/vendor/bysystem/${listSys.id}`, { token: otherVendor }), 404, "AUTH-00011");
  });

  it("lists system users customers created themselves in Altinn, beside those from requests", async () => {
    const listSys = await createSystem(sim, admin, { clientId: [] });
    const fromRequest = await createRequest(sim, admin, standard({ systemId: listSys.id }));
    const accepted = (await accept(sim, fromRequest.body.id)).body.systemUser;
    const own = await call(sim, "POST", "/_sim/systemusers", { json: { systemId: listSys.id, partyOrgNo: CUSTOMER_2 } });
    expect(own.status).toBe(201);
    expect(own.body.systemUser).toMatchObject({
      systemId: listSys.id,
      reporteeOrgNo: CUSTOMER_2,
      externalRef: CUSTOMER_2,
      userType: "standard",
    });
    const list = await call(sim, "GET", `${A}/systemuser/vendor/bysystem/${listSys.id}`, { token: admin });
    expect(list.body.data.map((u: any) => u.id)).toEqual([accepted.id, own.body.systemUser.id]);
    // No request stands behind it, and its key now blocks one.
    problem(
      await call(sim, "GET", `${REQUESTS}/byexternalref/${listSys.id}/${CUSTOMER_2}/${CUSTOMER_2}`, { token: admin }),
      404,
      "AUTH-00010",
    );
    problem(
      await createRequest(sim, admin, standard({ systemId: listSys.id, partyOrgNo: CUSTOMER_2, externalRef: CUSTOMER_2 })),
      400,
      "AUTH-00004",
    );
    problem(await call(sim, "POST", "/_sim/systemusers", { json: { systemId: listSys.id, partyOrgNo: CUSTOMER_2 } }), 400, "AUTH-00004");
    problem(
      await call(sim, "POST", "/_sim/systemusers", { json: { systemId: "991825827_nope", partyOrgNo: CUSTOMER_2 } }),
      404,
      "AUTH-00011",
    );
    expect((await call(sim, "POST", "/_sim/systemusers", { json: { systemId: listSys.id } })).status).toBe(400);
  });

  it("byquery: 404 when none or another vendor's, 400 without system-id/orgno", async () => {
    const created = await createRequest(sim, admin, standard());
    await accept(sim, created.body.id);
    const q = `system-id=${sys.id}&orgno=${CUSTOMER}&external-ref=${created.body.externalRef}`;
    expect((await call(sim, "GET", `${A}/systemuser/vendor/byquery?${q}`, { token: otherVendor })).status).toBe(404);
    expect(
      (await call(sim, "GET", `${A}/systemuser/vendor/byquery?system-id=${sys.id}&orgno=${CUSTOMER}&external-ref=nope`, { token: admin }))
        .status,
    ).toBe(404);
    const bad = await call(sim, "GET", `${A}/systemuser/vendor/byquery?orgno=${CUSTOMER}`, { token: admin });
    expect(bad.status).toBe(400);
    expect(bad.body.errors["system-id"]).toBeDefined();
  });
});

describe("system user tokens (Altinn's systembrukertoken guide)", () => {
  let key: KeyPair;
  let client: { client_id: string };
  let tokenSys: Record<string, any>;
  let user: { id: string };
  const externalRef = "token-ref";

  beforeAll(async () => {
    key = await newRsaKey("token-key");
    client = await createClient(sim, admin, { scopes: [SCOPE.read] });
    await registerKeys(sim, admin, client.client_id, [key.publicJwk]);
    tokenSys = await createSystem(sim, admin, { clientId: [client.client_id] });
    const r = await createRequest(sim, admin, standard({ systemId: tokenSys.id, externalRef }));
    user = (await accept(sim, r.body.id)).body.systemUser;
  });

  const grant = (detail: Record<string, unknown>, clientId = client.client_id, k = key) =>
    tokenFor(sim, {
      clientId,
      key: k.privateJwk,
      scope: SCOPE.read,
      claims: { authorization_details: [{ type: "urn:altinn:systemuser", ...detail }] },
    });
  const org = (orgNo: string) => ({ authority: "iso6523-actorid-upis", ID: `0192:${orgNo}` });

  it("issues a token naming the system user for the system's client", async () => {
    const r = await grant({ systemuser_org: org(CUSTOMER), externalRef });
    expect(r.status).toBe(200);
  });

  it("answers MP-303 for the wrong customer or externalRef, and for a client not on the system", async () => {
    for (const detail of [
      { systemuser_org: org(CUSTOMER_2), externalRef },
      { systemuser_org: org(CUSTOMER), externalRef: "other" },
    ]) {
      const r = await grant(detail);
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ error: "invalid_altinn_customer_configuration" });
      expect(r.body.error_description).toMatch(/^MP-303/);
    }
    const otherKey = await newRsaKey("stranger-key");
    const stranger = await createClient(sim, admin, { scopes: [SCOPE.read] });
    await registerKeys(sim, admin, stranger.client_id, [otherKey.publicJwk]);
    expect((await grant({ systemuser_org: org(CUSTOMER), externalRef }, stranger.client_id, otherKey)).body.error_description).toMatch(
      /^MP-303/,
    );
  });

  it("refuses a grant naming two parties (two entries, or a list), and an unknown field in the entry (MP-302)", async () => {
    const two = await tokenFor(sim, {
      clientId: client.client_id,
      key: key.privateJwk,
      scope: SCOPE.read,
      claims: {
        authorization_details: [
          { type: "urn:altinn:systemuser", systemuser_org: org(CUSTOMER), externalRef },
          { type: "urn:altinn:systemuser", systemuser_org: org(CUSTOMER_2) },
        ],
      },
    });
    expect(two.status).toBe(400);
    expect(two.body).toMatchObject({ error: "invalid_authorization_details" });
    expect(two.body.error_description).toMatch(/one system user/);
    const list = await grant({ systemuser_org: [org(CUSTOMER), org(CUSTOMER_2)], externalRef });
    expect(list.body.error).toBe("invalid_authorization_details");
    const unknown = await grant({ systemuser_org: org(CUSTOMER), externalRef, reportee: "x" });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error_description).toMatch(/^MP-302 unknown field reportee/);
  });

  it("answers a malformed systemuser_org with invalid_authorization_details", async () => {
    const r = await grant({ systemuser_org: { authority: "iso6523-actorid-upis", ID: CUSTOMER } });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe("invalid_authorization_details");
  });

  it("stops issuing once the system user is deleted, and once the system is deleted", async () => {
    const r2 = await createRequest(sim, admin, standard({ systemId: tokenSys.id, partyOrgNo: CUSTOMER_2, externalRef }));
    const user2 = (await accept(sim, r2.body.id)).body.systemUser;
    expect((await grant({ systemuser_org: org(CUSTOMER_2), externalRef })).status).toBe(200);
    await call(sim, "DELETE", `/_sim/systemusers/${user2.id}`);
    expect((await grant({ systemuser_org: org(CUSTOMER_2), externalRef })).body.error_description).toMatch(/^MP-303/);
    expect((await grant({ systemuser_org: org(CUSTOMER), externalRef })).status).toBe(200);
    await call(sim, "DELETE", `${REGISTER}/${tokenSys.id}`, { token: admin });
    expect((await grant({ systemuser_org: org(CUSTOMER), externalRef })).body.error_description).toMatch(/^MP-303/);
    expect(user.id).toBeTruthy();
  });
});

describe("time-out (`RequestStatus`, `Archiver.cs`)", () => {
  let timeSim: Sim;
  beforeAll(async () => {
    timeSim = await start();
  });
  afterAll(() => timeSim.close());

  it("sets timedOut after 180 days and leaves status New; the customer can no longer act", async () => {
    let token = await adminToken(timeSim);
    const s = await createSystem(timeSim, token, { clientId: [] });
    const created = await createRequest(timeSim, token, standard({ systemId: s.id }));
    await advanceClock(timeSim, 179 * 86400);
    token = await adminToken(timeSim);
    expect((await call(timeSim, "GET", `${REQUESTS}/${created.body.id}`, { token })).body).toMatchObject({
      status: "New",
      timedOut: false,
    });
    await advanceClock(timeSim, 2 * 86400);
    token = await adminToken(timeSim);
    const read = await call(timeSim, "GET", `${REQUESTS}/${created.body.id}`, { token });
    expect(read.body).toMatchObject({ status: "New", timedOut: true });
    // Still the same request on re-POST (status is not the literal Timedout).
    expect((await createRequest(timeSim, token, standard({ systemId: s.id, externalRef: created.body.externalRef }))).status).toBe(200);
    expect(await (await fetch(created.body.confirmUrl)).text()).not.toContain("<button");
    problem(await accept(timeSim, created.body.id), 409, "AUTH-00013");
  });

  it("with the legacy setting reports status Timedout after 10 days, and a re-POST creates a new request", async () => {
    await call(timeSim, "POST", "/_sim/altinn/config", { json: { legacyTimeout: true } });
    let token = await adminToken(timeSim);
    const s = await createSystem(timeSim, token, { clientId: [] });
    const created = await createRequest(timeSim, token, standard({ systemId: s.id }));
    await advanceClock(timeSim, 11 * 86400);
    token = await adminToken(timeSim);
    expect((await call(timeSim, "GET", `${REQUESTS}/${created.body.id}`, { token })).body).toMatchObject({
      status: "Timedout",
      timedOut: false,
    });
    const again = await createRequest(timeSim, token, standard({ systemId: s.id, externalRef: created.body.externalRef }));
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(created.body.id);
    // The key now names the new request.
    const third = await createRequest(timeSim, token, standard({ systemId: s.id, externalRef: created.body.externalRef }));
    expect(third.status).toBe(200);
    expect(third.body.id).toBe(again.body.id);
  });
});
