import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { randomUUID } from "node:crypto";
import { AltinnApi } from "../../providers/altinn/api";
import { postChangeRequest } from "../../providers/altinn/request-provider";
import type { RequestInputs } from "../../providers/altinn/request-model";
import { Context } from "../../providers/core/context";
import { resolveSettings } from "../../providers/core/settings";
import { control, localConfig, startSim, type Simulator, type SimStats as Stats } from "../support/sim";

const VENDOR = "991825827";
const CUSTOMER = "310000019";
const FACILITATOR = "310000043";
const CUSTOMER_OWN = "310000027";
const rights = [{ resource: [{ id: "urn:altinn:resource", value: "ske-krav-og-betalinger" }] }];
const CLIENT_PKG = "urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet";

/**
 * The paged vendor lists (`Paginated.cs` in Altinn/altinn-authentication) read through the provider's Altinn client against the
 * simulator, with and without the simulator's quirks: requests, agent requests and system users, a refresh of
 * N requests costing about N/page-size calls.
 */
describe.each([
  ["quirks", true],
  ["no quirks", false],
])("the paged bysystem lists (%s)", (_name, quirks) => {
  let sim: Simulator;
  let ctx: Context;
  let api: AltinnApi;
  const systemId = `${VENDOR}_lists_${quirks ? "q" : "p"}`;
  const agentSystemId = `${systemId}_agent`;
  const requestIds: string[] = [];

  const request = (n: number): RequestInputs => ({ systemId, partyOrgNo: CUSTOMER, externalRef: `kunde-${n}`, rights, accessPackages: [] });

  beforeAll(async () => {
    sim = await startSim({ quirks });
    ctx = new Context(resolveSettings({ get: (k) => localConfig(sim)[k] }));
    api = new AltinnApi(ctx);
    const text = { nb: "Lister", nn: "Lister", en: "Lists" };
    await api.createSystem({
      systemId,
      vendorOrgNo: VENDOR,
      name: text,
      description: text,
      rights,
      accessPackages: [],
      clientIds: [],
      allowedRedirectUrls: [],
      isVisible: true,
    });
    await api.createSystem({
      systemId: agentSystemId,
      vendorOrgNo: VENDOR,
      name: text,
      description: text,
      rights: [],
      accessPackages: [{ urn: CLIENT_PKG }],
      clientIds: [],
      allowedRedirectUrls: [],
      isVisible: false,
    });
    for (let n = 0; n < 7; n++) requestIds.push((await api.createRequest("SystemUserRequest", request(n))).request.requestId);
    for (let n = 0; n < 3; n++) {
      await api.createRequest("AgentSystemUserRequest", {
        systemId: agentSystemId,
        partyOrgNo: FACILITATOR,
        externalRef: `byra-${n}`,
        accessPackages: [{ urn: CLIENT_PKG }],
      });
    }
    await control(sim, "POST", "/altinn/config", { pageSize: 2 });
  });
  afterAll(async () => {
    await ctx?.http.close();
    await sim?.close();
  });

  test("requests: every page followed, about N/page-size calls; statuses, escalated and timedOut as stored", async () => {
    await control(sim, "POST", `/systemuser-requests/${requestIds[0]}/accept`);
    await control(sim, "POST", `/systemuser-requests/${requestIds[1]}/reject`);
    await control(sim, "POST", `/systemuser-requests/${requestIds[2]}/escalate`);
    await control(sim, "GET", "/stats?reset=true");
    const listed = await api.listRequests("SystemUserRequest", systemId);
    const stats = await control<Stats>(sim, "GET", "/stats");
    const pages = stats.routes["GET /altinn/authentication/api/v1/systemuser/request/vendor/bysystem/:systemId"]?.count ?? 0;
    const sorted = [...requestIds].sort();
    if (quirks) {
      // Altinn's next page asks for ids greater than the token, which is the first id of that page: one
      // request per page boundary is never listed ([observation]).
      expect(listed.map((r) => r.requestId)).toEqual(sorted.filter((_, i) => i % 3 !== 2));
      expect(pages).toBe(3);
    } else {
      expect(listed.map((r) => r.requestId)).toEqual(sorted);
      expect(pages).toBe(4);
    }
    const byId = new Map(listed.map((r) => [r.requestId, r]));
    expect([0, 1, 2, 3].filter((i) => byId.has(requestIds[i]!)).length).toBeGreaterThanOrEqual(2);
    const seen = (id: string) => byId.get(id) ?? { status: "not listed", escalated: "not listed" };
    for (const [i, status] of [
      [0, "Accepted"],
      [1, "Rejected"],
      [3, "New"],
    ] as const) {
      if (byId.has(requestIds[i]!)) expect(seen(requestIds[i]!).status).toBe(status);
    }
    if (byId.has(requestIds[2]!)) expect(seen(requestIds[2]!)).toMatchObject({ status: "New", escalated: true });
    expect(listed.every((r) => r.timedOut === false && r.confirmUrl === undefined && r.externalRef.startsWith("kunde-"))).toBe(true);
  });

  test("agent requests have their own list", async () => {
    const listed = await api.listRequests("AgentSystemUserRequest", agentSystemId);
    expect(listed.length).toBe(quirks ? 2 : 3);
    expect(listed.every((r) => r.partyOrgNo === FACILITATOR && r.accessPackages[0]?.urn === CLIENT_PKG)).toBe(true);
    expect(await api.listRequests("AgentSystemUserRequest", systemId)).toEqual([]);
  });

  test("system users: from requests and those the customer created in Altinn, in consistent pages", async () => {
    await control(sim, "POST", `/systemuser-requests/${requestIds[3]}/accept`);
    await control(sim, "POST", "/systemusers", { systemId, partyOrgNo: CUSTOMER_OWN });
    await control(sim, "POST", `/systemuser-requests/${requestIds[4]}/accept`);
    const users = await api.listSystemUsers(systemId);
    expect(users.map((u) => u.externalRef)).toEqual(["kunde-0", "kunde-3", CUSTOMER_OWN, "kunde-4"]);
    expect(users[2]).toMatchObject({ systemId, partyOrgNo: CUSTOMER_OWN, userType: "standard", integrationTitle: "Lister" });
  });

  test("another vendor's or an unknown system is AUTH-00011", async () => {
    await expect(api.listRequests("SystemUserRequest", `${VENDOR}_nope`)).rejects.toThrow(/AUTH-00011/);
    await expect(api.listSystemUsers(`${VENDOR}_nope`)).rejects.toThrow(/AUTH-00011/);
  });
});

/** Change-request correlation ids (`ChangeRequestSystemUserController.CreateChangeRequest`): an id in use answers 200 with the stored one. */
describe("change requests under a correlation id already used", () => {
  let sim: Simulator;
  let ctx: Context;
  let api: AltinnApi;
  const systemId = `${VENDOR}_lists_cr`;
  const both = [...rights, { resource: [{ id: "urn:altinn:resource", value: "ske-innrapportering-boligselskap" }] }];

  beforeAll(async () => {
    sim = await startSim();
    ctx = new Context(resolveSettings({ get: (k) => localConfig(sim)[k] }));
    api = new AltinnApi(ctx);
    const text = { nb: "CR", nn: "CR", en: "CR" };
    await api.createSystem({
      systemId,
      vendorOrgNo: VENDOR,
      name: text,
      description: text,
      rights: both,
      accessPackages: [],
      clientIds: [],
      allowedRedirectUrls: [],
      isVisible: true,
    });
  });
  afterAll(async () => {
    await ctx?.http.close();
    await sim?.close();
  });

  test("an answer that is an older change request is recognised, and the change is asked again under a new id", async () => {
    const key = { systemId, partyOrgNo: CUSTOMER, externalRef: "cr" };
    const { request } = await api.createRequest("SystemUserRequest", { ...key, rights, accessPackages: [] });
    await control(sim, "POST", `/systemuser-requests/${request.requestId}/accept`);
    const user = (await api.getSystemUser(key))!;
    const body = { requiredRights: both, unwantedRights: [], requiredAccessPackages: [], unwantedAccessPackages: [] };
    const used = randomUUID();
    const first = await api.createChangeRequest(user.systemUserId, used, body);
    expect(first).toMatchObject({ changeRequestId: used, status: "New" });
    expect(first.older).toBeUndefined();
    // Repeating the same POST (a lost answer retried) is the same change request, not an older one.
    expect((await api.createChangeRequest(user.systemUserId, used, body)).older).toBeUndefined();
    await control(sim, "POST", `/systemuser-changerequests/${used}/reject`);

    // Another change under the used id: Altinn answers 200 with the rejected one, which is recognised.
    const narrower = { ...body, requiredRights: rights, unwantedRights: [both[1]!] };
    const stale = await api.createChangeRequest(user.systemUserId, used, narrower);
    expect(stale).toMatchObject({ changeRequestId: used, status: "Rejected", older: true });
    const fresh = randomUUID();
    const ids = [used, fresh];
    const posted = await postChangeRequest(api, user.systemUserId, narrower, () => ids.shift()!);
    expect(posted).toEqual({ changeRequestId: fresh, status: "New", confirmUrl: expect.stringContaining(fresh) });
  });
});
