import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { MaskinportenTokens, readPrivateKey } from "../../providers/core/auth";
import { HttpClient } from "../../providers/core/http";
import { engineAgainstSim, type EngineAgainstSim } from "../support/engine";
import { type GrpcError, type ProviderHost, urnOf, withHost } from "../support/provider-host";
import { control, localConfig, type SimStats as Stats } from "../support/sim";

const systemId = "991825827_fidelity";
const rights = [{ resource: [{ value: "ske-krav-og-betalinger" }] }];
const CLIENT_PKG = "urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet";
const PKG = "urn:altinn:accesspackage:skattegrunnlag";

/**
 * The providers against the services' own answers (as their public sources show them: simulator/README.md), through the
 * SDK's provider host: prefixes checked against GET /prefix, 403 hints naming the scope, a defaulted
 * integrationTitle that is no diff, and an agent request whose key a standard request holds.
 */
describe("provider fidelity through the provider host", () => {
  let engine: EngineAgainstSim;
  let host: ProviderHost;
  let P: Record<string, string>;
  const failed = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: GrpcError) => e,
    );

  beforeAll(async () => {
    engine = await engineAgainstSim([
      "ApiScope",
      "MaskinportenClient",
      "ClientKeys",
      "System",
      "SystemUserRequest",
      "AgentSystemUserRequest",
    ]);
    ({ host, P } = engine);
    await up("System", "fidelity", {
      systemId,
      name: { nb: "Fidelitet", nn: "Fidelitet", en: "Fidelity" },
      description: { nb: "Prøve", nn: "Prøve", en: "Test" },
      rights,
      accessPackages: [{ urn: PKG }, { urn: CLIENT_PKG, isAssignable: false }],
      clientIds: [],
      isVisible: false,
    });
  }, 60_000);
  afterAll(() => engine?.close());

  async function up(kind: string, name: string, props: Record<string, unknown>) {
    const checked = await host.check(urnOf(kind, name), {}, { __provider: P[kind], ...props });
    expect(checked.failures, `${kind} ${name}`).toEqual([]);
    const created = await host.create(urnOf(kind, name), checked.inputs);
    return { ...created, inputs: checked.inputs };
  }

  test("an ApiScope under a prefix not assigned to the organisation fails before anything is created, listing its prefixes", async () => {
    const urn = urnOf("ApiScope", "foreign");
    const checked = await host.check(urn, {}, { __provider: P.ApiScope, prefix: "andreleverandor", subscope: "x.read", description: "x" });
    expect(checked.failures).toEqual([]);
    await control(engine.sim, "GET", "/stats?reset=true");
    const e = await failed(host.create(urn, checked.inputs));
    expect(e?.details).toMatch(/prefix "andreleverandor" is not assigned to your organisation \(its prefixes are "leverandor"/);
    const stats = await control<Stats>(engine.sim, "GET", "/stats");
    expect(Object.keys(stats.routes).filter((r) => r.startsWith("POST /samarbeid"))).toEqual([]);
    expect(Object.keys(stats.routes)).toContain("GET /samarbeid/api/v1/prefix");
    // Any prefix syntax is the service's to judge: one with capitals passes check.
    expect(
      (await host.check(urn, {}, { __provider: P.ApiScope, prefix: "Leverandor_2", subscope: "A/b", description: "x" })).failures,
    ).toEqual([]);
  });

  test("a 403 names the admin scope to ask Digdir for", async () => {
    await withHost({ ...localConfig(engine.sim), "digdir:adminScopes": "idporten:dcr.read" }, async (readOnly) => {
      const urn = urnOf("MaskinportenClient", "forbidden");
      const checked = await readOnly.check(
        urn,
        {},
        { __provider: P.MaskinportenClient, name: "forbidden", scopes: ["krr:global/kontaktinformasjon.read"] },
      );
      const e = await failed(readOnly.create(urn, checked.inputs));
      expect(e?.details).toMatch(/403/);
      expect(e?.details).toMatch(/lacks idporten:dcr\.write/);
      expect(e?.details).toMatch(/Ask Digdir \(servicedesk@digdir\.no\) to give the admin client idporten:dcr\.write/);
    });
  });

  test("a request without integrationTitle reads back the system's nb name and shows no diff", async () => {
    const urn = urnOf("SystemUserRequest", "untitled");
    const created = await up("SystemUserRequest", "untitled", { systemId, partyOrgNo: "310000019", externalRef: "untitled", rights });
    expect(created.outs.integrationTitle).toBe("Fidelitet");
    const read = await host.read(urn, created.id, created.outs);
    expect(read.props.integrationTitle).toBe("Fidelitet");
    expect(await host.diff(urn, created.id, read.props, created.inputs)).toMatchObject({ changes: "none" });
  });

  test("an agent request whose key a standard request holds fails with what to do", async () => {
    const key = { systemId, partyOrgNo: "310000043", externalRef: "delt-nokkel" };
    await up("SystemUserRequest", "holder", { ...key, accessPackages: [{ urn: PKG }], rights: [] });
    const urn = urnOf("AgentSystemUserRequest", "collides");
    const checked = await host.check(urn, {}, { __provider: P.AgentSystemUserRequest, ...key, accessPackages: [{ urn: CLIENT_PKG }] });
    const e = await failed(host.create(urn, checked.inputs));
    expect(e?.details).toMatch(/AUTH-00007/);
    expect(e?.details).toMatch(/a pending standard SystemUserRequest holds the same key .*another externalRef/);
  });

  test("an RS512 key is registered by ClientKeys and a grant signed RS512 with it gets a token", async () => {
    await control(engine.sim, "POST", "/config", { keyActivationDelaySeconds: 0 });
    const client = await up("MaskinportenClient", "rs512", { name: "rs512", scopes: ["krr:global/kontaktinformasjon.read"] });
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const priv = { ...privateKey.export({ format: "jwk" }), kid: "rs512-key", alg: "RS512", use: "sig" };
    const publicJwk = { kty: "RSA", kid: "rs512-key", n: priv.n, e: priv.e, alg: "RS512", use: "sig" };
    const keys = await up("ClientKeys", "rs512-keys", { clientId: client.id, keys: [publicJwk] });
    const read = await host.read(urnOf("ClientKeys", "rs512-keys"), keys.id, keys.outs);
    expect(await host.diff(urnOf("ClientKeys", "rs512-keys"), keys.id, read.props, keys.inputs)).toMatchObject({ changes: "none" });
    const cred = readPrivateKey(JSON.stringify(priv), "the test key");
    const tokens = new MaskinportenTokens(new HttpClient(), client.outs.wellKnownUrl as string);
    const token = await tokens.token(
      { clientId: client.id, key: cred.key, kid: cred.kid, alg: cred.alg },
      { scopes: ["krr:global/kontaktinformasjon.read"] },
    );
    expect(token.accessToken.split(".")).toHaveLength(3);
  });
});
