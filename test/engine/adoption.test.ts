import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { unknownValue } from "../../providers/core/check";
import { engineAgainstSim, type EngineAgainstSim } from "../support/engine";
import { rsaKeyPair } from "../support/keys";
import { type ProviderHost, urnOf, withHost, type GrpcError } from "../support/provider-host";
import { control, localConfig, type Bootstrap, type Simulator, type SimStats as Stats } from "../support/sim";

/**
 * Adoption by natural key, through the SDK's own provider host: an object that exists is taken over instead of
 * created again, and what cannot be taken over (another organisation's, deactivated, an id used up) is refused
 * with what to do.
 */
describe("adoption through the provider host", () => {
  let engine: EngineAgainstSim;
  let sim: Simulator;
  let host: ProviderHost;
  let P: Record<string, string>;

  beforeAll(async () => {
    engine = await engineAgainstSim([
      "MaskinportenClient",
      "KrrClient",
      "IdportenClient",
      "ClientKeys",
      "ApiScope",
      "ScopeAccess",
      "System",
      "SystemUserRequest",
    ]);
    ({ sim, host, P } = engine);
  });
  afterAll(() => engine?.close());

  const failed = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: GrpcError) => e,
    );

  async function made(kind: string, name: string, props: Record<string, unknown>) {
    const urn = urnOf(kind, name);
    const checked = await host.check(urn, {}, { __provider: P[kind], ...props });
    expect(checked.failures).toEqual([]);
    return { urn, inputs: checked.inputs, ...(await host.create(urn, checked.inputs)) };
  }

  const statuses = async (route: string) => (await control<Stats>(sim, "GET", "/stats")).routes[route]?.statuses;

  test("a client declared with its clientId is taken over: no POST, a PUT only where the declared fields differ", async () => {
    const byHand = await made("MaskinportenClient", "by-hand", {
      name: "Laget for hånd",
      scopes: ["altinn:authentication/systemuser.request.read"],
    });
    await control(sim, "GET", "/stats?reset=true");

    const urn = urnOf("MaskinportenClient", "adopted");
    const same = {
      __provider: P.MaskinportenClient,
      clientId: byHand.id,
      name: "Laget for hånd",
      scopes: ["altinn:authentication/systemuser.request.read"],
    };
    const checked = await host.check(urn, {}, same);
    expect(checked.failures).toEqual([]);
    expect(checked.inputs.clientId).toBe(byHand.id);
    const adopted = await host.create(urn, checked.inputs);
    expect(adopted.id).toBe(byHand.id);
    expect(adopted.outs).toMatchObject({ clientId: byHand.id, name: "Laget for hånd", clientOrgNo: "991825827" });
    expect(await statuses("GET /samarbeid/api/v1/clients/:id")).toEqual({ "200": 2 }); // check and create each read it
    expect(await statuses("POST /samarbeid/api/v1/clients")).toBeUndefined();
    expect(await statuses("PUT /samarbeid/api/v1/clients/:id")).toBeUndefined();
    expect(await host.diff(urn, adopted.id, adopted.outs, checked.inputs)).toEqual({
      changes: "none",
      replaces: [],
      deleteBeforeReplace: false,
    });
    // Once in the state, check asks Digdir nothing more; the read gives clientId among the inputs.
    const read = await host.read(urn, adopted.id, adopted.outs);
    expect(read.inputs?.clientId).toBe(byHand.id);
    await control(sim, "GET", "/stats?reset=true");
    expect((await host.check(urn, read.inputs!, same)).failures).toEqual([]);
    expect(await statuses("GET /samarbeid/api/v1/clients/:id")).toBeUndefined();

    // Declared fields that differ: the takeover is one PUT.
    const other = urnOf("MaskinportenClient", "adopted-renamed");
    const renamed = await host.check(other, {}, { ...same, name: "Nytt navn", accessTokenLifetime: 300 });
    const taken = await host.create(other, renamed.inputs);
    expect(taken.outs).toMatchObject({ clientId: byHand.id, name: "Nytt navn", accessTokenLifetime: 300 });
    expect(await statuses("PUT /samarbeid/api/v1/clients/:id")).toEqual({ "200": 1 });
    expect(await statuses("POST /samarbeid/api/v1/clients")).toBeUndefined();

    // Another clientId declared on a managed client names another client: a replacement.
    expect(
      (await host.diff(urn, adopted.id, adopted.outs, { ...checked.inputs, clientId: "00000000-0000-4000-8000-000000000000" })).replaces,
    ).toEqual(["clientId"]);
    // One not known yet (a preview) is a change, never on its own a replacement (providers/README.md).
    expect(await host.diff(urn, adopted.id, adopted.outs, { ...checked.inputs, clientId: unknownValue })).toEqual({
      changes: "some",
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  test("a key set is taken over by its client id, a request by system, customer and externalRef", async () => {
    const client = await made("MaskinportenClient", "keys-by-hand", {
      name: "Nøkler",
      scopes: ["altinn:authentication/systemuser.request.read"],
    });
    const { publicJwk } = rsaKeyPair();
    const byHand = await made("ClientKeys", "keys-by-hand", { clientId: client.id, keys: [publicJwk] });
    const adopted = await made("ClientKeys", "keys-adopted", { clientId: client.id, keys: [publicJwk] });
    expect(adopted.id).toBe(byHand.id);
    expect(adopted.outs.kids).toEqual([publicJwk.kid]);
    expect(await host.diff(adopted.urn, adopted.id, adopted.outs, adopted.inputs)).toMatchObject({ changes: "none" });

    const system = await made("System", "for-requests", {
      systemId: "991825827_forrequests",
      name: { nb: "R", nn: "R", en: "R" },
      description: { nb: "R", nn: "R", en: "R" },
      rights: [{ resource: [{ value: "ske-krav-og-betalinger" }] }],
      clientIds: [],
    });
    const request = {
      systemId: system.id,
      partyOrgNo: "310000019",
      externalRef: "adopt-me",
      rights: [{ resource: [{ value: "ske-krav-og-betalinger" }] }],
    };
    const first = await made("SystemUserRequest", "request-by-hand", request);
    await control(sim, "GET", "/stats?reset=true");
    const again = await made("SystemUserRequest", "request-adopted", request);
    expect(again.id).toBe(first.id);
    expect(again.outs.requestId).toBe(first.outs.requestId);
    expect(await statuses("POST /altinn/authentication/api/v1/systemuser/request/vendor")).toEqual({ "200": 1 }); // Altinn's "exists already"
  });

  test("adopting another organisation's client, a deactivated one, one of another type or an unknown id is refused in check", async () => {
    const other = await control<Bootstrap>(sim, "POST", "/orgs", { orgNo: "310000019", name: "Annen AS", vendor: true });
    await withHost(localConfig(sim, other), async (otherHost) => {
      const urnOther = urnOf("MaskinportenClient", "theirs");
      const theirsChecked = await otherHost.check(
        urnOther,
        {},
        { __provider: P.MaskinportenClient, name: "Deres", scopes: ["altinn:authentication/systemuser.request.read"] },
      );
      const theirs = await otherHost.create(urnOther, theirsChecked.inputs);

      const urn = urnOf("MaskinportenClient", "not-ours");
      const refused = await host.check(
        urn,
        {},
        { __provider: P.MaskinportenClient, clientId: theirs.id, name: "Deres", scopes: ["altinn:authentication/systemuser.request.read"] },
      );
      // Digdir answers 403 for another organisation's client (the self-service OpenAPI).
      expect(refused.failures).toEqual([
        {
          property: "clientId",
          reason: expect.stringMatching(
            new RegExp(
              `refuses to show client ${theirs.id} to your organisation \\(991825827\\) \\(403\\): it belongs to another organisation.*remove clientId to create a new client instead`,
            ),
          ),
        },
      ]);
      // create refuses the same way when no check ran before it (nothing is created)
      const direct = await failed(host.create(urn, { __provider: P.MaskinportenClient, ...theirsChecked.inputs, clientId: theirs.id }));
      expect(direct?.details).toMatch(/refuses to show client .* to your organisation/);
    });

    await control(sim, "POST", "/config", { deletedClients: "inactive" });
    try {
      const gone = await made("MaskinportenClient", "deleted", {
        name: "Slettet",
        scopes: ["altinn:authentication/systemuser.request.read"],
      });
      await host.delete(gone.urn, gone.id, gone.outs);
      const refused = await host.check(
        urnOf("MaskinportenClient", "revived"),
        {},
        { __provider: P.MaskinportenClient, clientId: gone.id, name: "Slettet", scopes: ["altinn:authentication/systemuser.request.read"] },
      );
      expect(refused.failures[0]?.reason).toMatch(
        new RegExp(`client ${gone.id} is deactivated \\(deleted\\) at Digdir and cannot be taken over`),
      );
    } finally {
      await control(sim, "POST", "/config", { deletedClients: "hidden" });
    }

    const login = await made("IdportenClient", "login", {
      name: "Innlogging",
      clientUri: "https://app.example.no",
      redirectUris: ["https://app.example.no/cb"],
    });
    const wrongType = await host.check(
      urnOf("MaskinportenClient", "wrong-type"),
      {},
      {
        __provider: P.MaskinportenClient,
        clientId: login.id,
        name: "Innlogging",
        scopes: ["altinn:authentication/systemuser.request.read"],
      },
    );
    expect(wrongType.failures[0]?.reason).toMatch(/is a idporten client, not a MaskinportenClient: declare it with type idporten/);
  });

  test("a scope is taken over by its name, a grant by scope and consumer, a system by its id", async () => {
    const declared = { prefix: "leverandor", subscope: "adopt.read", description: "Lese" };
    const scope = await made("ApiScope", "scope-by-hand", declared);
    const grant = await made("ScopeAccess", "grant-by-hand", { scope: scope.id, consumerOrgNo: "974761076" });
    await control(sim, "GET", "/stats?reset=true");

    const scopeAgain = await made("ApiScope", "scope-adopted", declared);
    expect(scopeAgain.id).toBe(scope.id);
    expect(await statuses("PUT /samarbeid/api/v1/scopes")).toBeUndefined(); // nothing differed
    expect(await host.diff(scopeAgain.urn, scopeAgain.id, scopeAgain.outs, scopeAgain.inputs)).toMatchObject({ changes: "none" });
    const changed = await made("ApiScope", "scope-adopted-2", { ...declared, description: "Lese data" });
    expect(changed.outs).toMatchObject({ name: scope.id, description: "Lese data", active: true });
    expect(await statuses("PUT /samarbeid/api/v1/scopes")).toEqual({ "200": 1 });

    const grantAgain = await made("ScopeAccess", "grant-adopted", { scope: scope.id, consumerOrgNo: "974761076" });
    expect(grantAgain.id).toBe(grant.id);
    expect(grantAgain.outs).toMatchObject({ state: "APPROVED" });

    const system = {
      systemId: "991825827_byhand",
      name: { nb: "S", nn: "S", en: "S" },
      description: { nb: "S", nn: "S", en: "S" },
      rights: [{ resource: [{ value: "ske-krav-og-betalinger" }] }],
      clientIds: [],
    };
    const first = await made("System", "system-by-hand", system);
    await control(sim, "GET", "/stats?reset=true");
    const adopted = await made("System", "system-adopted", system);
    expect(adopted.id).toBe(first.id);
    expect(await statuses("PUT /altinn/authentication/api/v1/systemregister/vendor/:systemId")).toBeUndefined();
    expect(await host.diff(adopted.urn, adopted.id, adopted.outs, adopted.inputs)).toMatchObject({ changes: "none" });
    const visible = await made("System", "system-adopted-2", { ...system, isVisible: false });
    expect(visible.outs).toMatchObject({ systemId: first.id, isVisible: false });
    expect(await statuses("PUT /altinn/authentication/api/v1/systemregister/vendor/:systemId")).toEqual({ "200": 1 });

    // A system id used up by a deleted system cannot be taken over: check says so (a preview fails), and so does create.
    await host.delete(first.urn, first.id, first.outs);
    const again = urnOf("System", "system-again");
    const refused = await host.check(again, {}, { __provider: P.System, ...system });
    expect(refused.failures).toEqual([
      {
        property: "systemId",
        reason: expect.stringMatching(
          /991825827_byhand belonged to a system that was deleted.*can never be used again\. Choose a new systemId/,
        ),
      },
    ]);
    const usedUp = await failed(host.create(again, { __provider: P.System, ...adopted.inputs }));
    expect(usedUp?.details).toMatch(
      /991825827_byhand belonged to a system that was deleted.*can never be used again\. Choose a new systemId/,
    );
    // In the state already, check asks Altinn nothing.
    await control(sim, "GET", "/stats?reset=true");
    expect((await host.check(adopted.urn, adopted.inputs, { __provider: P.System, ...system })).failures).toEqual([]);
    expect(await statuses("GET /altinn/authentication/api/v1/systemregister/vendor/:systemId")).toBeUndefined();
  });
});
