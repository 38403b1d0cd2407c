import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { MaskinportenTokens, readPrivateKey } from "../../providers/core/auth";
import { isApiError } from "../../providers/core/errors";
import { HttpClient } from "../../providers/core/http";
import { unknownValue } from "../../providers/core/check";
import { orgNoCheckDigit } from "../../providers/core/orgno";
import { SAMARBEID, SimApi } from "../e2e/support";
import { engineAgainstSim, type EngineAgainstSim } from "../support/engine";
import { GrpcError, type ProviderHost, urnOf, withHost } from "../support/provider-host";
import { type Bootstrap, control, localConfig, type Simulator, type SimStats as Stats } from "../support/sim";

const consumerOrgNo = "974761076";
/** The simulator's vendor owns the prefix `leverandor` (its seed); Digdir assigns prefixes on request. */
const prefix = "leverandor";

/**
 * The API provider's side through the provider host: a scope's lifecycle, and a grant that another
 * organisation's client turns into a token, until it is revoked.
 */
describe("API scopes and access through the provider host", () => {
  let engine: EngineAgainstSim;
  let sim: Simulator;
  let owner: ProviderHost;
  let P: Record<string, string>;

  beforeAll(async () => {
    engine = await engineAgainstSim(["ApiScope", "ScopeAccess", "MaskinportenClient", "ClientKeys"]);
    ({ sim, host: owner, P } = engine);
    await control(sim, "POST", "/config", { keyActivationDelaySeconds: 0 });
  });
  afterAll(() => engine?.close());

  const failed = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: GrpcError) => e,
    );

  test("a scope is created, updated in place, replaced on a new name, deactivated, and reactivated when declared again", async () => {
    const urn = urnOf("ApiScope", "orders");
    const declared = {
      __provider: P.ApiScope,
      prefix,
      subscope: "engine/orders.read",
      description: "Ordrer",
      visibility: "PRIVATE",
      atMaxAge: 60,
    };
    const checked = await owner.check(urn, {}, declared);
    expect(checked.failures).toEqual([]);
    const created = await owner.create(urn, checked.inputs);
    expect(created.id).toBe(`${prefix}:engine/orders.read`);
    expect(created.outs).toMatchObject({
      name: created.id,
      active: true,
      visibility: "PRIVATE",
      allowedIntegrationTypes: ["maskinporten"],
      atMaxAge: 60,
      ownerOrgNo: "991825827",
    });

    const read = await owner.read(urn, created.id, created.outs);
    expect(read.id).toBe(created.id);
    expect(await owner.diff(urn, created.id, read.props, checked.inputs)).toEqual({
      changes: "none",
      replaces: [],
      deleteBeforeReplace: false,
    });

    const changed = await owner.check(urn, checked.inputs, {
      ...declared,
      description: "Ordrer, lesing",
      allowedIntegrationTypes: ["maskinporten", "api_klient"],
      accessibleForAll: true,
    });
    expect(await owner.diff(urn, created.id, read.props, changed.inputs)).toEqual({
      changes: "some",
      replaces: [],
      deleteBeforeReplace: false,
    });
    const updated = await owner.update(urn, created.id, read.props, changed.inputs);
    expect(updated.outs).toMatchObject({ description: "Ordrer, lesing", accessibleForAll: true });
    const afterUpdate = await owner.read(urn, created.id, updated.outs);
    expect(afterUpdate.props).toMatchObject({ description: "Ordrer, lesing", accessibleForAll: true, atMaxAge: 60 });
    expect((afterUpdate.props.allowedIntegrationTypes as string[]).sort()).toEqual(["api_klient", "maskinporten"]);
    expect(await owner.diff(urn, created.id, afterUpdate.props, changed.inputs)).toMatchObject({ changes: "none" });

    const renamed = await owner.check(urn, changed.inputs, { ...declared, subscope: "engine/orders.write" });
    expect(await owner.diff(urn, created.id, afterUpdate.props, renamed.inputs)).toMatchObject({ changes: "some", replaces: ["subscope"] });

    // Declared again while active (another resource name, no state): taken over by name, nothing created.
    const twice = await owner.create(urnOf("ApiScope", "orders-again"), changed.inputs);
    expect(twice.id).toBe(created.id);
    expect(twice.outs).toMatchObject({ name: created.id, active: true, description: "Ordrer, lesing" });

    await owner.delete(urn, created.id, afterUpdate.props);
    expect((await owner.read(urn, created.id, afterUpdate.props)).id).toBe("");
    await owner.delete(urn, created.id, afterUpdate.props); // deleting again finds it deactivated: no error

    await control(sim, "GET", "/stats?reset=true");
    const again = await owner.create(urn, checked.inputs);
    expect(again.id).toBe(created.id);
    expect(again.outs).toMatchObject({ active: true, description: "Ordrer", accessibleForAll: false });
    const routes = (await control<Stats>(sim, "GET", "/stats")).routes;
    expect(routes["POST /samarbeid/api/v1/scopes"]?.statuses).toEqual({ "409": 1 });
    expect(Object.keys(routes).some((r) => r.startsWith("PUT /samarbeid/api/v1/scopes"))).toBe(true);
    expect((await owner.read(urn, again.id, again.outs)).props).toMatchObject({
      active: true,
      description: "Ordrer",
      accessibleForAll: false,
    });
    await owner.delete(urn, again.id, again.outs);
  });

  test("an organisation granted a scope gets a token for it, and loses it when the grant is revoked", async () => {
    const scopeUrn = urnOf("ApiScope", "invoices");
    const scope = await owner.create(
      scopeUrn,
      (await owner.check(scopeUrn, {}, { __provider: P.ApiScope, prefix, subscope: "engine/invoices", description: "Fakturaer" })).inputs,
    );
    const name = scope.outs.name as string;

    const accessUrn = urnOf("ScopeAccess", "invoices-consumer");
    const grant = await owner.check(accessUrn, {}, { __provider: P.ScopeAccess, scope: name, consumerOrgNo });
    expect(grant.failures).toEqual([]);
    const granted = await owner.create(accessUrn, grant.inputs);
    expect(granted.id).toBe(`${name}|${consumerOrgNo}`);
    expect(granted.outs).toMatchObject({ scope: name, consumerOrgNo, state: "APPROVED" });
    expect((await owner.read(accessUrn, granted.id, granted.outs)).props).toMatchObject({ state: "APPROVED" });

    // The consumer, with its own admin client, registers the scope on a client of its own and gets a token.
    const creds = await control<Bootstrap>(sim, "POST", "/orgs", {
      orgNo: consumerOrgNo,
      name: "Andre Simulerte Leverandør AS",
      vendor: true,
    });
    const { clientId, jwk } = await withHost(localConfig(sim, creds), async (consumer) => {
      const clientUrn = urnOf("MaskinportenClient", "consumer");
      const client = await consumer.create(
        clientUrn,
        (await consumer.check(clientUrn, {}, { __provider: P.MaskinportenClient, name: "Forbruker", scopes: [name] })).inputs,
      );
      expect(client.outs).toMatchObject({ clientOrgNo: consumerOrgNo, scopes: [name] });
      const keysUrn = urnOf("ClientKeys", "consumer-keys");
      const keys = await consumer.create(
        keysUrn,
        (await consumer.check(keysUrn, {}, { __provider: P.ClientKeys, clientId: client.id, generate: true, verifyToken: true })).inputs,
      );
      return { clientId: client.id, jwk: keys.outs.currentPrivateJwk as string };
    });
    expect(await tokenFor(clientId, jwk, name)).toBe("ok");

    // Revoked: the row stays DENIED at Digdir, reads as gone, and the consumer's next token is refused.
    await owner.delete(accessUrn, granted.id, granted.outs);
    expect((await owner.read(accessUrn, granted.id, granted.outs)).id).toBe("");
    expect(await tokenFor(clientId, jwk, name)).toMatch(/^MP-25\d$/);

    // Granted again (a DENIED row is re-approved by the same PUT): tokens again.
    const regranted = await owner.create(accessUrn, grant.inputs);
    expect(regranted.outs).toMatchObject({ state: "APPROVED" });
    expect(await tokenFor(clientId, jwk, name)).toBe("ok");
    await owner.delete(accessUrn, regranted.id, regranted.outs);
    await owner.delete(scopeUrn, scope.id, scope.outs);
    expect(owner.stderr()).not.toContain((JSON.parse(jwk) as { d: string }).d);
  });

  test("a grant whose scope is replaced (not known in the preview) is an update that grants the new scope and revokes the old", async () => {
    const scopeOf = async (sub: string) => {
      const u = urnOf("ApiScope", sub);
      return owner.create(
        u,
        (await owner.check(u, {}, { __provider: P.ApiScope, prefix, subscope: `engine/${sub}`, description: sub })).inputs,
      );
    };
    const [a, b] = [await scopeOf("moves-a"), await scopeOf("moves-b")];
    const urn = urnOf("ScopeAccess", "moving");
    const onA = await owner.check(urn, {}, { __provider: P.ScopeAccess, scope: a.outs.name, consumerOrgNo });
    const granted = await owner.create(urn, onA.inputs);
    const onB = await owner.check(urn, onA.inputs, { __provider: P.ScopeAccess, scope: b.outs.name, consumerOrgNo });
    for (const news of [{ ...onA.inputs, scope: unknownValue }, onB.inputs]) {
      expect(await owner.diff(urn, granted.id, granted.outs, news)).toEqual({ changes: "some", replaces: [], deleteBeforeReplace: false });
    }
    const moved = await owner.update(urn, granted.id, granted.outs, onB.inputs);
    expect(moved.outs).toMatchObject({ scope: b.outs.name, consumerOrgNo, state: "APPROVED" });
    // The consumer's row per scope, as the owner's admin client reads it at Digdir.
    const admin = await SimApi.connect(sim.url);
    const stateOn = async (scope: unknown) =>
      (
        (await admin.ok("GET", `${SAMARBEID}/scopes/access?scope=${encodeURIComponent(String(scope))}`)) as {
          consumer_orgno: string;
          state: string;
        }[]
      ).find((r) => r.consumer_orgno === consumerOrgNo)?.state;
    expect(await stateOn(b.outs.name)).toBe("APPROVED");
    expect(await stateOn(a.outs.name)).toBe("DENIED");
    // Read and delete follow the stored scope, not the id the grant was created under.
    expect((await owner.read(urn, granted.id, moved.outs)).props).toMatchObject({ scope: b.outs.name });
    await owner.delete(urn, granted.id, moved.outs);
    expect(await stateOn(b.outs.name)).toBe("DENIED");
    for (const s of [a, b]) await owner.delete(urnOf("ApiScope", "x"), s.id, s.outs);
  });

  test("a consumer Digdir does not accept is a clear failure naming the organisation number; a malformed one fails in check", async () => {
    const scopeUrn = urnOf("ApiScope", "reports");
    const scope = await owner.create(
      scopeUrn,
      (await owner.check(scopeUrn, {}, { __provider: P.ApiScope, prefix, subscope: "engine/reports", description: "Rapporter" })).inputs,
    );
    const urn = urnOf("ScopeAccess", "unknown-consumer");
    // Nine digits with a valid check digit, but no such organisation in the register.
    const first8 = ["31999999", "31999998", "31999997"].find((f) => orgNoCheckDigit(f) !== undefined)!;
    const unknown = `${first8}${orgNoCheckDigit(first8)}`;
    const checked = await owner.check(urn, {}, { __provider: P.ScopeAccess, scope: scope.outs.name, consumerOrgNo: unknown });
    expect(checked.failures).toEqual([]);
    const e = await failed(owner.create(urn, checked.inputs));
    expect(e?.details).toMatch(/answered 400/);
    expect(e?.details).toContain(`Digdir refused organisation ${unknown} as a consumer of ${scope.outs.name}`);
    expect(e?.details).toMatch(/Check the number with the consumer/);
    expect(e?.initFailure).toBeUndefined();

    await control(sim, "GET", "/stats?reset=true");
    const typo = await owner.check(urn, {}, { __provider: P.ScopeAccess, scope: scope.outs.name, consumerOrgNo: "974761077" });
    expect(typo.failures).toEqual([
      { property: "consumerOrgNo", reason: expect.stringMatching(/check digit \(mod 11\) should be 6 \(974761076\)/) },
    ]);
    expect((await control<Stats>(sim, "GET", "/stats")).total).toBe(0);
    await owner.delete(scopeUrn, scope.id, scope.outs);
  });

  /** A token for one scope from a fresh cache: "ok", or the refusal's MP code. */
  async function tokenFor(clientId: string, privateJwk: string, scope: string): Promise<string> {
    const { key, kid } = readPrivateKey(privateJwk, "consumer key");
    const tokens = new MaskinportenTokens(new HttpClient(), `${sim.url}/maskinporten/.well-known/oauth-authorization-server`);
    try {
      const token = await tokens.token({ clientId, key, kid }, { scopes: [scope] });
      return token.scope.split(" ").includes(scope) ? "ok" : `scope missing: ${token.scope}`;
    } catch (e) {
      if (!isApiError(e)) throw e;
      return e.codes.find((c) => c.startsWith("MP-")) ?? `HTTP ${e.status}`;
    }
  }
});
