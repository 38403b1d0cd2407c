import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  accept,
  adminWith,
  CHANGES,
  CLIENT_PKG,
  createRequest,
  createSystem,
  CUSTOMER,
  OTHER_VENDOR,
  PKG,
  REGISTER,
  right,
  SCOPE,
  systemBody,
} from "./altinn-helpers";
import { adminToken, call, start, type Sim } from "./helpers";

// Change requests on a standard system user (`ChangeRequestSystemUserController`), their confirm page and control calls.

let sim: Sim;
let plain: Sim; // quirks: false
let admin: string;
let otherVendor: string;
let sys: Record<string, any>;

const KRAV = right("ske-krav-og-betalinger");
const BOLIG = right("ske-innrapportering-boligselskap");

beforeAll(async () => {
  [sim, plain] = await Promise.all([start(), start({ quirks: false })]);
  admin = await adminToken(sim);
  const creds = await call(sim, "POST", "/_sim/orgs", {
    json: { orgNo: OTHER_VENDOR, name: "Andre Simulerte Leverandør AS", vendor: true },
  });
  otherVendor = await adminToken(sim, creds.body);
  // Invisible, so it may carry the client package too (for AUTH-00064).
  sys = await createSystem(sim, admin, { isVisible: false, accessPackages: [{ urn: PKG }, { urn: CLIENT_PKG }], clientId: [] });
});
afterAll(() => Promise.all([sim.close(), plain.close()]));

/** A standard system user with the krav right, accepted. */
async function systemUser(s = sim, token = admin, system = sys): Promise<{ id: string; externalRef: string }> {
  const externalRef = `ref-${randomUUID().slice(0, 8)}`;
  const r = await createRequest(s, token, { systemId: system.id, partyOrgNo: CUSTOMER, externalRef, rights: [KRAV] });
  const accepted = await accept(s, r.body.id);
  return { id: accepted.body.systemUser.id, externalRef };
}

const change = (userId: string, body: unknown, correlationId: string = randomUUID(), token = admin, s = sim) =>
  call(s, "POST", `${CHANGES}?correlation-id=${correlationId}&system-user-id=${userId}`, { token, json: body });
const problem = (r: { status: number; body: any }, status: number, code: string) => {
  expect(r.body?.code, JSON.stringify(r.body)).toBe(code);
  expect(r.status).toBe(status);
};

describe("create (`ChangeRequestSystemUserController`)", () => {
  it("creates with 201: id = correlation id, confirmUrl to the changerequest page; the same correlation id again gives 200", async () => {
    const user = await systemUser();
    const correlationId = randomUUID();
    const r = await change(
      user.id,
      { requiredRights: [BOLIG], unwantedRights: [KRAV], requiredAccessPackages: [{ urn: PKG }] },
      correlationId,
    );
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      id: correlationId,
      systemUserId: user.id,
      systemId: sys.id,
      partyOrgNo: CUSTOMER,
      externalRef: user.externalRef,
      requiredRights: [BOLIG],
      unwantedRights: [KRAV],
      requiredAccessPackages: [{ urn: PKG }],
      unwantedAccessPackages: [],
      status: "New",
      timedOut: false,
    });
    expect(r.body.confirmUrl).toBe(
      `${sim.url}/am/accessmanagement/ui/systemuser/changerequest?id=${correlationId}&DONTCHOOSEREPORTEE=true`,
    );
    const again = await change(user.id, { requiredRights: [BOLIG] }, correlationId);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(r.body);
  });

  it("answers all-empty lists with 200 NoChangeNeeded and an empty confirmUrl, storing nothing", async () => {
    const user = await systemUser();
    const correlationId = randomUUID();
    const r = await change(user.id, {}, correlationId);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: correlationId, status: "NoChangeNeeded", confirmUrl: "" });
    problem(await call(sim, "GET", `${CHANGES}/${correlationId}`, { token: admin }), 404, "AUTH-00010");
  });

  it("answers a missing correlation id, or one equal to the system user id, with 400 plain text; a malformed one with a framework 400", async () => {
    const user = await systemUser();
    const missing = await call(sim, "POST", `${CHANGES}?system-user-id=${user.id}`, { token: admin, json: { requiredRights: [BOLIG] } });
    expect(missing.status).toBe(400);
    expect(missing.headers.get("content-type")).toContain("text/plain");
    const same = await change(user.id, { requiredRights: [BOLIG] }, user.id);
    expect(same.status).toBe(400);
    expect(same.headers.get("content-type")).toContain("text/plain");
    const malformed = await change(user.id, { requiredRights: [BOLIG] }, "nope");
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors["correlation-id"]).toBeDefined();
  });

  it("answers an unknown system user with AUTH-00015 and another vendor's with 401 without a code", async () => {
    problem(await change(randomUUID(), { requiredRights: [BOLIG] }), 404, "AUTH-00015");
    const user = await systemUser();
    const r = await change(user.id, { requiredRights: [BOLIG] }, randomUUID(), otherVendor);
    expect(r.status).toBe(401);
    expect(r.body.code).toBeUndefined();
  });

  it("answers an agent system user with AUTH-00015 (not supported)", async () => {
    const r = await createRequest(
      sim,
      admin,
      { systemId: sys.id, partyOrgNo: CUSTOMER, externalRef: "agent-cr", accessPackages: [{ urn: CLIENT_PKG }] },
      true,
    );
    const agentUser = (await accept(sim, r.body.id)).body.systemUser;
    problem(await change(agentUser.id, { requiredAccessPackages: [{ urn: PKG }] }), 404, "AUTH-00015");
  });

  it("validates: rights on the system (AUTH-00001), packages on the system and assignable (AUTH-00063/00064), redirect URL (AUTH-00021)", async () => {
    const user = await systemUser();
    problem(await change(user.id, { requiredRights: [right("ske-maskinporten-skjema")] }), 400, "AUTH-00001");
    problem(await change(user.id, { requiredAccessPackages: [{ urn: "urn:altinn:accesspackage:nope" }] }), 400, "AUTH-00063");
    problem(await change(user.id, { requiredAccessPackages: [{ urn: CLIENT_PKG }] }), 400, "AUTH-00064");
    problem(await change(user.id, { requiredRights: [BOLIG], redirectUrl: "https://elsewhere.example/" }), 400, "AUTH-00021");
    // unwanted lists are not validated at creation.
    expect((await change(user.id, { unwantedRights: [right("whatever")] })).status).toBe(201);
  });

  it("needs request.write to create and request.read to read (403, empty body)", async () => {
    const user = await systemUser();
    const readOnly = await adminWith(sim, SCOPE.read);
    const r = await change(user.id, { requiredRights: [BOLIG] }, randomUUID(), readOnly);
    expect(r.status).toBe(403);
    expect(r.text).toBe("");
    const created = await change(user.id, { requiredRights: [BOLIG] });
    const writeOnly = await adminWith(sim, SCOPE.write);
    expect((await call(sim, "GET", `${CHANGES}/${created.body.id}`, { token: writeOnly })).status).toBe(403);
  });
});

describe("read, delete and approval", () => {
  it("reads by id and by external ref; DELETE answers 202 and then AUTH-00010", async () => {
    const user = await systemUser();
    const created = await change(user.id, { requiredRights: [BOLIG] });
    expect((await call(sim, "GET", `${CHANGES}/${created.body.id}`, { token: admin })).body).toEqual(created.body);
    problem(await call(sim, "GET", `${CHANGES}/${created.body.id}`, { token: otherVendor }), 404, "AUTH-00011");
    const byRef = await call(sim, "GET", `${CHANGES}/byexternalref/${sys.id}/${CUSTOMER}/${user.externalRef}`, { token: admin });
    expect(byRef.body.id).toBe(created.body.id);
    const del = await call(sim, "DELETE", `${CHANGES}/${created.body.id}`, { token: admin });
    expect(del.status).toBe(202);
    expect(del.text).toBe("");
    problem(await call(sim, "DELETE", `${CHANGES}/${created.body.id}`, { token: admin }), 404, "AUTH-00010");
    problem(
      await call(sim, "GET", `${CHANGES}/byexternalref/${sys.id}/${CUSTOMER}/${user.externalRef}`, { token: admin }),
      404,
      "AUTH-00010",
    );
  });

  it("approving on the confirm page applies the difference to the system user; a reused correlation id then answers the stored one", async () => {
    const user = await systemUser();
    const created = await change(user.id, {
      requiredRights: [BOLIG],
      unwantedRights: [KRAV],
      requiredAccessPackages: [{ urn: PKG }],
      redirectUrl: "https://vendor.example/receipt",
    });
    const html = await (await fetch(created.body.confirmUrl)).text();
    expect(html).toContain("ske-innrapportering-boligselskap");
    expect(html).toContain(PKG);
    const post = await fetch(created.body.confirmUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "action=approve",
      redirect: "manual",
    });
    expect(post.status).toBe(302);
    expect(post.headers.get("location")).toBe("https://vendor.example/receipt");
    expect((await call(sim, "GET", `${CHANGES}/${created.body.id}`, { token: admin })).body.status).toBe("Accepted");
    const users = (await call(sim, "GET", "/_sim/systemusers")).body.systemUsers;
    const after = users.find((u: any) => u.id === user.id);
    expect(after.rights).toEqual([BOLIG]);
    expect(after.accessPackages).toEqual([{ urn: PKG }]);
    const reused = await change(user.id, { requiredRights: [BOLIG] }, created.body.id);
    expect(reused.status).toBe(200);
    expect(reused.body).toMatchObject({ id: created.body.id, status: "Accepted" });
  });

  it("a correlation id of another vendor's system is AUTH-00007 while New and 409 AUTH-00061 after; one's own answers 200 whatever its system user", async () => {
    const theirsBody = systemBody({ clientId: [], accessPackages: [] }, OTHER_VENDOR);
    expect((await call(sim, "POST", REGISTER, { token: otherVendor, json: theirsBody })).status).toBe(200);
    const theirRequest = await createRequest(sim, otherVendor, {
      systemId: theirsBody.id,
      partyOrgNo: CUSTOMER,
      externalRef: `ref-${randomUUID().slice(0, 8)}`,
      rights: [KRAV],
    });
    const theirUser = (await accept(sim, theirRequest.body.id)).body.systemUser;
    const id = randomUUID();
    expect((await change(theirUser.id, { requiredRights: [BOLIG] }, id, otherVendor)).status).toBe(201);
    const mine = await systemUser();
    problem(await change(mine.id, { requiredRights: [BOLIG] }, id), 400, "AUTH-00007");
    await call(sim, "POST", `/_sim/systemuser-changerequests/${id}/reject`);
    problem(await change(mine.id, { requiredRights: [BOLIG] }, id), 409, "AUTH-00061");
    // One's own id, posted for another system user of one's own: 200 with the stored change request.
    const own = randomUUID();
    expect((await change(mine.id, { requiredRights: [BOLIG] }, own)).status).toBe(201);
    const other = await systemUser();
    const again = await change(other.id, { requiredAccessPackages: [{ urn: PKG }] }, own);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: own, systemUserId: mine.id, status: "New" });
  });

  it("control calls accept and reject change requests; acting twice is AUTH-00013", async () => {
    const user = await systemUser();
    const a = await change(user.id, { requiredAccessPackages: [{ urn: PKG }] });
    const accepted = await call(sim, "POST", `/_sim/systemuser-changerequests/${a.body.id}/accept`);
    expect(accepted.status).toBe(200);
    expect(accepted.body.systemUser.accessPackages).toEqual([{ urn: PKG }]);
    const b = await change(user.id, { requiredRights: [BOLIG] });
    expect((await call(sim, "POST", `/_sim/systemuser-changerequests/${b.body.id}/reject`)).body.changeRequest.status).toBe("Rejected");
    problem(await call(sim, "POST", `/_sim/systemuser-changerequests/${b.body.id}/accept`), 409, "AUTH-00013");
  });

  it("lists by system; with quirks the continuation token is ignored (next leads to the first page again), without quirks it is honoured", async () => {
    const listSys = await createSystem(sim, admin, { clientId: [] });
    const user = await systemUser(sim, admin, listSys);
    const ids = [];
    for (let i = 0; i < 2; i++) ids.push((await change(user.id, { requiredRights: [BOLIG] })).body.id);
    ids.sort();
    await call(sim, "POST", "/_sim/altinn/config", { json: { pageSize: 1 } });
    try {
      const first = await call(sim, "GET", `${CHANGES}/bysystem/${listSys.id}`, { token: admin });
      expect(first.body.data.map((c: any) => c.id)).toEqual([ids[0]]);
      expect(first.body.data[0].confirmUrl).toBeUndefined();
      const next = await call(sim, "GET", first.body.links.next.slice(sim.url.length), { token: admin });
      expect(next.body.data.map((c: any) => c.id)).toEqual([ids[0]]);
    } finally {
      await call(sim, "POST", "/_sim/altinn/config", { json: { pageSize: 50 } });
    }

    const plainAdmin = await adminToken(plain);
    const plainSys = await createSystem(plain, plainAdmin, { clientId: [] });
    const plainUser = await systemUser(plain, plainAdmin, plainSys);
    const plainIds = [];
    for (let i = 0; i < 2; i++)
      plainIds.push((await change(plainUser.id, { requiredRights: [BOLIG] }, randomUUID(), plainAdmin, plain)).body.id);
    plainIds.sort();
    await call(plain, "POST", "/_sim/altinn/config", { json: { pageSize: 1 } });
    const first = await call(plain, "GET", `${CHANGES}/bysystem/${plainSys.id}`, { token: plainAdmin });
    const second = await call(plain, "GET", first.body.links.next.slice(plain.url.length), { token: plainAdmin });
    expect([...first.body.data, ...second.body.data].map((c: any) => c.id)).toEqual(plainIds);
  });
});
