import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { MaskinportenTokens } from "../../providers/core/auth";
import { HttpClient } from "../../providers/core/http";
import { rsaKeyPair } from "../support/keys";
import { engineAgainstSim, type EngineAgainstSim } from "../support/engine";
import { type GrpcError, type ProviderHost, urnOf } from "../support/provider-host";
import { control, type Simulator } from "../support/sim";

const customer = "310000019";
const systemId = "991825827_smartcloud";
const scope = "altinn:authentication/systemuser.request.read";
const rights = [{ resource: [{ value: "ske-krav-og-betalinger" }] }];
const redirect = "https://smartcloud.example.no/receipt";

/**
 * The vendor journey of seeds 001 and 002, through the SDK's provider host against the simulator: a Maskinporten
 * client with its key → a system naming the client → a request to a customer → the customer approves on the
 * confirm page → a refresh shows Accepted and the system user → the client gets a system user token.
 */
describe("the vendor journey through the provider host", () => {
  let engine: EngineAgainstSim;
  let sim: Simulator;
  let host: ProviderHost;
  let P: Record<string, string>;

  beforeAll(async () => {
    engine = await engineAgainstSim(["MaskinportenClient", "ClientKeys", "System", "SystemUserRequest", "AgentSystemUserRequest"]);
    ({ sim, host, P } = engine);
  });
  afterAll(() => engine?.close());

  async function up(
    kind: string,
    name: string,
    props: Record<string, unknown>,
  ): Promise<{ id: string; outs: Record<string, unknown>; inputs: Record<string, unknown> }> {
    const checked = await host.check(urnOf(kind, name), {}, { __provider: P[kind], ...props });
    expect(checked.failures, `${kind} ${name}`).toEqual([]);
    const created = await host.create(urnOf(kind, name), checked.inputs);
    return { ...created, inputs: checked.inputs };
  }

  test("client, system, request, approval on the confirm page, system user token", async () => {
    const client = await up("MaskinportenClient", "smartcloud", { name: "SmartCloud", scopes: [scope] });
    const key = rsaKeyPair();
    await up("ClientKeys", "smartcloud-keys", { clientId: client.id, keys: [key.publicJwk] });

    const system = await up("System", "smartcloud", {
      systemId,
      name: { nb: "SmartCloud", nn: "SmartCloud", en: "SmartCloud" },
      description: { nb: "Regnskap i skyen", nn: "Rekneskap i skya", en: "Accounting in the cloud" },
      rights,
      clientIds: [client.id],
      allowedRedirectUrls: [redirect],
      isVisible: true,
    });
    expect(system.id).toBe(systemId);
    expect(system.outs).toMatchObject({ systemId, clientIds: [client.id] });

    const offer = { rights, accessPackages: [], allowedRedirectUrls: [redirect] };
    const request = await up("SystemUserRequest", "kunde-en", {
      systemId,
      partyOrgNo: customer,
      externalRef: "kunde-en",
      rights,
      redirectUrl: redirect,
      systemOffer: offer,
    });
    expect(request.outs).toMatchObject({ status: "New", timedOut: false });
    const confirmUrl = request.outs.confirmUrl as string;
    expect(confirmUrl).toBe(`${sim.url}/am/accessmanagement/ui/systemuser/request?id=${request.outs.requestId}&DONTCHOOSEREPORTEE=true`);

    // The customer opens the page the vendor sent, sees what is asked, and approves.
    const page = await fetch(confirmUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("SmartCloud");
    expect(html).toContain("ske-krav-og-betalinger");
    const action = /<form method="post" action="([^"]+)"><input type="hidden" name="action" value="approve">/
      .exec(html)?.[1]
      ?.replace(/&amp;/g, "&");
    expect(action).toBeDefined();
    const approved = await fetch(new URL(action!, sim.url), {
      method: "POST",
      body: new URLSearchParams({ action: "approve" }),
      redirect: "manual",
    });
    expect(approved.status).toBe(302);
    expect(approved.headers.get("location")).toBe(redirect);

    const refreshed = await host.read(urnOf("SystemUserRequest", "kunde-en"), request.id, request.outs);
    expect(refreshed.props).toMatchObject({ status: "Accepted", requestId: request.outs.requestId });
    const systemUserId = refreshed.props.systemUserId as string;
    expect(systemUserId).toMatch(/^[0-9a-f-]{36}$/);

    const tokens = new MaskinportenTokens(new HttpClient(), client.outs.wellKnownUrl as string);
    const token = await tokens.token(
      { clientId: client.id, key: key.privateKey, kid: key.kid },
      {
        scopes: [scope],
        authorizationDetails: [
          {
            type: "urn:altinn:systemuser",
            systemuser_org: { authority: "iso6523-actorid-upis", ID: `0192:${customer}` },
            externalRef: "kunde-en",
          },
        ],
      },
    );
    const details = decodeJwt(token.accessToken).authorization_details as Array<{ systemuser_id: string[]; system_id: string }>;
    expect(details[0].systemuser_id).toEqual([systemUserId]);
    expect(details[0].system_id).toBe(systemId);

    // Deleting the request leaves the accepted system user: only the customer can remove it.
    await host.delete(urnOf("SystemUserRequest", "kunde-en"), request.id, refreshed.props);
    expect(host.stderr()).toMatch(/only the customer can remove it/i);
    const { systemUsers } = await control<{ systemUsers: Array<{ id: string; isDeleted?: boolean }> }>(sim, "GET", "/systemusers");
    const kept = systemUsers.find((u) => u.id === systemUserId);
    expect(kept).toBeDefined();
    expect(kept?.isDeleted).toBe(false);
  });

  test("a rejected request that changes is deleted and posted again, with a new confirm URL", async () => {
    const offer = { rights, accessPackages: [], allowedRedirectUrls: [redirect] };
    const base = { systemId, partyOrgNo: "310000027", externalRef: "kunde-to", rights, systemOffer: offer };
    const first = await up("SystemUserRequest", "kunde-to", base);
    await control(sim, "POST", `/systemuser-requests/${first.outs.requestId}/reject`);
    const read = await host.read(urnOf("SystemUserRequest", "kunde-to"), first.id, first.outs);
    expect(read.props.status).toBe("Rejected");
    const changed = await host.check(urnOf("SystemUserRequest", "kunde-to"), first.inputs, {
      __provider: P.SystemUserRequest,
      ...base,
      redirectUrl: redirect,
    });
    expect((await host.diff(urnOf("SystemUserRequest", "kunde-to"), first.id, read.props, changed.inputs)).changes).toBe("some");
    const updated = await host.update(urnOf("SystemUserRequest", "kunde-to"), first.id, read.props, changed.inputs);
    expect(updated.outs.status).toBe("New");
    expect(updated.outs.requestId).not.toBe(first.outs.requestId);
    expect(updated.outs.confirmUrl).not.toBe(first.outs.confirmUrl);
  });

  test("seed 002's mistakes are refused in check, naming the field, before any HTTP call", async () => {
    await control(sim, "GET", "/stats?reset=true");
    const nbOnly = await host.check(
      urnOf("System", "seed002"),
      {},
      {
        __provider: P.System,
        systemId: "991825827_seed002",
        name: { nb: "SmartCloud" },
        description: { nb: "Regnskap" },
        rights,
        clientIds: ["x"],
      },
    );
    expect(nbOnly.failures.map((f) => f.property)).toEqual(expect.arrayContaining(["name", "description"]));
    expect(nbOnly.failures.find((f) => f.property === "name")?.reason).toMatch(/nn/);

    const eightDigits = await host.check(
      urnOf("SystemUserRequest", "seed002"),
      {},
      { __provider: P.SystemUserRequest, systemId, partyOrgNo: "57623423", rights },
    );
    expect(eightDigits.failures.map((f) => f.property)).toEqual(["partyOrgNo"]);

    const badId = await host.check(
      urnOf("System", "bad-id"),
      {},
      { __provider: P.System, systemId: "smartcloud one", name: { nb: "a", nn: "a", en: "a" }, description: { nb: "a", nn: "a", en: "a" } },
    );
    expect(badId.failures.map((f) => f.property)).toContain("systemId");

    const notOffered = await host.check(
      urnOf("SystemUserRequest", "extra"),
      {},
      {
        __provider: P.SystemUserRequest,
        systemId,
        partyOrgNo: customer,
        rights: [{ resource: [{ value: "ske-innrapportering-boligselskap" }] }],
        systemOffer: { rights, accessPackages: [], allowedRedirectUrls: [redirect] },
      },
    );
    expect(notOffered.failures.map((f) => f.property)).toEqual(["rights[0]"]);
    expect((await control<{ total: number }>(sim, "GET", "/stats")).total).toBe(0);
  });

  test("a reused system id that was deleted fails with a message saying ids are burned", async () => {
    const props = {
      systemId: "991825827_burned",
      name: { nb: "B", nn: "B", en: "B" },
      description: { nb: "B", nn: "B", en: "B" },
      rights,
      clientIds: [],
    };
    const first = await up("System", "burned", props);
    await host.delete(urnOf("System", "burned"), first.id, first.outs);
    expect((await host.read(urnOf("System", "burned"), first.id, first.outs)).id).toBe("");
    const again = await host.create(urnOf("System", "burned"), first.inputs).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(again?.message).toMatch(/can never be used again/);
  });

  test("a system is updated with one full PUT, and redirect URLs read back normalised are no change", async () => {
    const urn = urnOf("System", "update");
    const base = {
      systemId: "991825827_update",
      name: { nb: "U", nn: "U", en: "U" },
      description: { nb: "U", nn: "U", en: "U" },
      rights,
      clientIds: [],
      allowedRedirectUrls: ["https://Vendor.Example.no"],
    };
    const created = await up("System", "update", base);
    const read = await host.read(urn, created.id, created.outs);
    expect(await host.diff(urn, created.id, read.props, created.inputs)).toMatchObject({ changes: "none" });
    const more = await host.check(urn, created.inputs, {
      __provider: P.System,
      ...base,
      rights: [...rights, { resource: [{ value: "ske-innrapportering-boligselskap" }] }],
    });
    expect(await host.diff(urn, created.id, read.props, more.inputs)).toMatchObject({ changes: "some", replaces: [] });
    await host.update(urn, created.id, read.props, more.inputs);
    const after = await host.read(urn, created.id, read.props);
    expect((after.props.rights as unknown[]).length).toBe(2);
    expect(after.props.allowedRedirectUrls).toEqual(["https://vendor.example.no/"]);
    const renamed = await host.check(urn, more.inputs, { __provider: P.System, ...base, systemId: "991825827_renamed" });
    expect((await host.diff(urn, created.id, after.props, renamed.inputs)).replaces).toEqual(["systemId"]);
  });

  test("a request that exists already is adopted, and so is a system user that exists already", async () => {
    const system = await up("System", "adopt", {
      systemId: "991825827_adopt",
      name: { nb: "A", nn: "A", en: "A" },
      description: { nb: "A", nn: "A", en: "A" },
      rights,
      clientIds: [],
    });
    const key = { systemId: system.id, partyOrgNo: "310000035", externalRef: "adopt", rights };
    const first = await up("SystemUserRequest", "adopt-1", key);
    const again = await up("SystemUserRequest", "adopt-2", key); // same key: Altinn answers 200 with the stored request
    expect(again.outs.requestId).toBe(first.outs.requestId);

    await control(sim, "POST", `/systemuser-requests/${first.outs.requestId}/accept`);
    await host.delete(urnOf("SystemUserRequest", "adopt-1"), first.id, first.outs); // the system user stays
    const third = await up("SystemUserRequest", "adopt-3", key); // Altinn answers AUTH-00004: a system user exists
    expect(third.outs.status).toBe("Accepted");
    expect(third.outs.systemUserId).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("rights changed on an accepted request go through a change request, whose status is an output", async () => {
    const both = [...rights, { resource: [{ value: "ske-innrapportering-boligselskap" }] }];
    const system = await up("System", "change", {
      systemId: "991825827_change",
      name: { nb: "C", nn: "C", en: "C" },
      description: { nb: "C", nn: "C", en: "C" },
      rights: both,
      clientIds: [],
    });
    const urn = urnOf("SystemUserRequest", "change");
    const base = {
      systemId: system.id,
      partyOrgNo: "310000043",
      externalRef: "change",
      systemOffer: { rights: both, accessPackages: [], allowedRedirectUrls: [] },
    };
    const first = await up("SystemUserRequest", "change", { ...base, rights });
    await control(sim, "POST", `/systemuser-requests/${first.outs.requestId}/accept`);
    const accepted = await host.read(urn, first.id, first.outs);
    const wider = await host.check(urn, first.inputs, { __provider: P.SystemUserRequest, ...base, rights: both });
    expect((await host.diff(urn, first.id, accepted.props, wider.inputs)).changes).toBe("some");
    const updated = await host.update(urn, first.id, accepted.props, wider.inputs);
    expect(updated.outs).toMatchObject({ status: "Accepted", requestId: first.outs.requestId, changeRequestStatus: "New" });
    expect(updated.outs.changeRequestConfirmUrl).toMatch(new RegExp(`^${sim.url}/am/accessmanagement/ui/systemuser/changerequest\\?id=`));
    await control(sim, "POST", `/systemuser-changerequests/${updated.outs.changeRequestId}/accept`);
    expect((await host.read(urn, first.id, updated.outs)).props.changeRequestStatus).toBe("Accepted");
  });

  test("a system created whose read-back fails is still recorded in state, with its id", async () => {
    const urn = urnOf("System", "half");
    const checked = await host.check(
      urn,
      {},
      {
        __provider: P.System,
        systemId: "991825827_half",
        name: { nb: "H", nn: "H", en: "H" },
        description: { nb: "H", nn: "H", en: "H" },
        rights,
        clientIds: [],
      },
    );
    await control(sim, "POST", "/faults", {
      rules: [{ method: "GET", path: "/systemregister/vendor/991825827_half$", status: 503, times: 20 }],
    });
    const half = await host.create(urn, checked.inputs).then(
      () => undefined,
      (e: GrpcError) => e,
    );
    await control(sim, "DELETE", "/faults");
    expect(half?.initFailure?.id).toBe("991825827_half");
    expect(half?.details).toMatch(/recorded in the state/);
    const read = await host.read(urn, "991825827_half", half!.initFailure!.properties);
    expect(read.props).toMatchObject({ systemId: "991825827_half" });
  });
});
