import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { HttpClient } from "../../providers/core/http";
import { MaskinportenTokens } from "../../providers/core/auth";
import { krrScopes } from "../../providers/digdir/client-model";
import { unknownValue } from "../../providers/core/check";
import { SAMARBEID, SimApi } from "../e2e/support";
import { rsaKeyPair } from "../support/keys";
import { engineAgainstSim, type EngineAgainstSim } from "../support/engine";
import { type ProviderHost, urnOf } from "../support/provider-host";
import { control, type Simulator } from "../support/sim";

const uuid = /^[0-9a-f-]{36}$/;

/** Digdir client resources through the SDK's own provider host, against the simulator over HTTP. */
describe("Digdir clients through the provider host", () => {
  let engine: EngineAgainstSim;
  let sim: Simulator;
  let host: ProviderHost;
  let P: Record<string, string>;

  beforeAll(async () => {
    engine = await engineAgainstSim(["MaskinportenClient", "KrrClient", "IdportenClient", "ClientKeys"]);
    ({ sim, host, P } = engine);
  });
  afterAll(() => engine?.close());

  test("an ID-porten client goes through check, create, read, diff, update, replacement and delete", async () => {
    const urn = urnOf("IdportenClient", "web");
    const declared = {
      __provider: P.IdportenClient,
      name: "Min tjeneste",
      clientUri: "https://app.example.no",
      redirectUris: ["https://app.example.no/callback"],
    };

    const checked = await host.check(urn, {}, declared);
    expect(checked.failures).toEqual([]);

    const created = await host.create(urn, checked.inputs);
    expect(created.id).toMatch(uuid);
    expect(created.outs).toMatchObject({
      clientId: created.id,
      clientOrgNo: "991825827",
      integrationType: "idporten",
      tokenEndpointAuthMethod: "private_key_jwt",
      redirectUris: ["https://app.example.no/callback"],
      issuer: `${sim.url}/idporten`,
    });
    expect(created.outs).not.toHaveProperty("clientSecret");

    const refreshed = await host.read(urn, created.id, created.outs);
    expect(refreshed.id).toBe(created.id);
    expect(refreshed.props).toEqual(created.outs);
    expect(await host.diff(urn, created.id, created.outs, checked.inputs)).toEqual({
      changes: "none",
      replaces: [],
      deleteBeforeReplace: false,
    });

    const renamed = await host.check(urn, checked.inputs, { ...declared, name: "Nytt navn", scopes: ["openid", "profile", "eidas"] });
    expect(await host.diff(urn, created.id, created.outs, renamed.inputs)).toEqual({
      changes: "some",
      replaces: [],
      deleteBeforeReplace: false,
    });
    const updated = await host.update(urn, created.id, created.outs, renamed.inputs);
    expect(updated.outs).toMatchObject({ clientId: created.id, name: "Nytt navn", scopes: ["openid", "profile", "eidas"] });
    const afterUpdate = await host.read(urn, created.id, updated.outs);
    expect(afterUpdate.props).toMatchObject({ name: "Nytt navn", scopes: ["openid", "profile", "eidas"] });
    expect(await host.diff(urn, created.id, afterUpdate.props, renamed.inputs)).toMatchObject({ changes: "none" });

    const retyped = await host.check(urn, renamed.inputs, { ...declared, integrationType: "api_klient" });
    expect(await host.diff(urn, created.id, updated.outs, retyped.inputs)).toEqual({
      changes: "some",
      replaces: ["integrationType"],
      deleteBeforeReplace: false,
    });

    await host.delete(urn, created.id, updated.outs);
    expect((await host.read(urn, created.id, updated.outs)).id).toBe("");
    await host.delete(urn, created.id, updated.outs); // a second delete finds it gone: no error
  });

  test("a secret-based client gets its secret on create and a new one when it moves to a secret method", async () => {
    const urn = urnOf("IdportenClient", "secret");
    const declared = {
      __provider: P.IdportenClient,
      name: "Hemmelig",
      clientUri: "https://app.example.no",
      redirectUris: ["https://app.example.no/cb"],
    };
    const checked = await host.check(urn, {}, { ...declared, tokenEndpointAuthMethod: "client_secret_basic" });
    const created = await host.create(urn, checked.inputs);
    expect(typeof created.outs.clientSecret).toBe("string");
    expect((created.outs.clientSecret as string).length).toBeGreaterThan(10);
    const read = await host.read(urn, created.id, created.outs);
    expect(read.props.clientSecret).toBe(created.outs.clientSecret);

    const toKey = await host.check(urn, checked.inputs, { ...declared, tokenEndpointAuthMethod: "private_key_jwt" });
    const keyed = await host.update(urn, created.id, created.outs, toKey.inputs);
    expect(keyed.outs).not.toHaveProperty("clientSecret");
    const back = await host.check(urn, toKey.inputs, { ...declared, tokenEndpointAuthMethod: "client_secret_post" });
    const secretAgain = await host.update(urn, created.id, keyed.outs, back.inputs);
    expect(typeof secretAgain.outs.clientSecret).toBe("string");
    expect(secretAgain.outs.clientSecret).not.toBe(created.outs.clientSecret);
    await host.delete(urn, created.id, secretAgain.outs);
    for (const secret of [created.outs.clientSecret, secretAgain.outs.clientSecret]) expect(host.stderr()).not.toContain(secret);
  });

  test("a Maskinporten client is created, updated in place and deleted", async () => {
    const urn = urnOf("MaskinportenClient", "mp");
    const checked = await host.check(
      urn,
      {},
      { __provider: P.MaskinportenClient, name: "systemleverandør", scopes: ["altinn:authentication/systemregister.write"] },
    );
    expect(checked.failures).toEqual([]);
    const created = await host.create(urn, checked.inputs);
    expect(created.outs).toMatchObject({
      integrationType: "maskinporten",
      issuer: `${sim.url}/maskinporten/`,
      tokenEndpoint: `${sim.url}/maskinporten/token`,
      wellKnownUrl: `${sim.url}/maskinporten/.well-known/oauth-authorization-server`,
    });
    const more = await host.check(urn, checked.inputs, {
      __provider: P.MaskinportenClient,
      name: "systemleverandør",
      scopes: ["altinn:authentication/systemregister.write", "altinn:authentication/systemuser.request.write"],
      accessTokenLifetime: 300,
    });
    expect((await host.diff(urn, created.id, created.outs, more.inputs)).changes).toBe("some");
    const updated = await host.update(urn, created.id, created.outs, more.inputs);
    expect(updated.outs).toMatchObject({
      accessTokenLifetime: 300,
      scopes: ["altinn:authentication/systemregister.write", "altinn:authentication/systemuser.request.write"],
    });
    await host.delete(urn, created.id, updated.outs);
  });

  test("a KRR client reads back with both KRR scopes, and its own registered key gets a token KRR accepts", async () => {
    const urn = urnOf("KrrClient", "krr");
    const checked = await host.check(urn, {}, { __provider: P.KrrClient, name: "KRR-oppslag" });
    const created = await host.create(urn, checked.inputs);
    const read = await host.read(urn, created.id, created.outs);
    expect(read.props.scopes).toEqual(krrScopes);
    expect(read.props.integrationType).toBe("krr");

    const key = rsaKeyPair();
    const keysUrn = urnOf("ClientKeys", "krr-keys");
    const keysChecked = await host.check(keysUrn, {}, { __provider: P.ClientKeys, clientId: created.id, keys: [key.publicJwk] });
    expect(keysChecked.failures).toEqual([]);
    const keys = await host.create(keysUrn, keysChecked.inputs);
    expect(keys.id).toBe(created.id);
    expect(keys.outs.kids).toEqual([key.kid]);
    expect(Object.keys(keys.outs.expiresAt as object)).toEqual([key.kid]);

    const tokens = new MaskinportenTokens(new HttpClient(), created.outs.wellKnownUrl as string);
    const token = await tokens.token({ clientId: created.id, key: key.privateKey, kid: key.kid }, { scopes: krrScopes });
    const res = await fetch(`${sim.url}/krr/rest/v2/personer`, {
      method: "POST",
      headers: { authorization: `Bearer ${token.accessToken}`, "content-type": "application/json" },
      body: JSON.stringify({ personidentifikatorer: ["15889010069"] }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { personer: Array<{ personidentifikator: string; kontaktinformasjon?: { epostadresse?: string } }> };
    expect(body.personer[0].personidentifikator).toBe("15889010069");
    expect(body.personer[0].kontaktinformasjon?.epostadresse).toBe("kari.nordmann@example.no");

    await host.delete(keysUrn, keys.id, keys.outs);
    expect((await host.read(keysUrn, keys.id, keys.outs)).id).toBe("");
    await host.delete(urn, created.id, created.outs);
  });

  test("a key set on another client (or one not known yet) is an update that moves it; read and delete follow it", async () => {
    const key = rsaKeyPair();
    const client = async (name: string) => {
      const urn = urnOf("MaskinportenClient", name);
      return {
        urn,
        ...(await host.create(
          urn,
          (await host.check(urn, {}, { __provider: P.MaskinportenClient, name, scopes: ["altinn:authentication/systemuser.request.read"] }))
            .inputs,
        )),
      };
    };
    const [a, b] = [await client("move-a"), await client("move-b")];
    // What Digdir has, as the vendor's admin client reads it.
    const admin = await SimApi.connect(sim.url);
    const kidsOn = async (id: string) =>
      ((await admin.ok("GET", `${SAMARBEID}/clients/${id}/jwks`)) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    const urn = urnOf("ClientKeys", "moving");
    const onA = await host.check(urn, {}, { __provider: P.ClientKeys, clientId: a.id, keys: [key.publicJwk] });
    const created = await host.create(urn, onA.inputs);
    expect(created.id).toBe(a.id);

    // A preview of the move sees the new client's id unknown: a change, not a replacement; so does up, knowing it.
    const onUnknown = { ...onA.inputs, clientId: unknownValue };
    expect(await host.diff(urn, created.id, created.outs, onUnknown)).toEqual({
      changes: "some",
      replaces: [],
      deleteBeforeReplace: false,
    });
    const onB = await host.check(urn, onA.inputs, { __provider: P.ClientKeys, clientId: b.id, keys: [key.publicJwk] });
    expect(await host.diff(urn, created.id, created.outs, onB.inputs)).toEqual({
      changes: "some",
      replaces: [],
      deleteBeforeReplace: false,
    });

    const moved = await host.update(urn, created.id, created.outs, onB.inputs);
    expect(moved.outs).toMatchObject({ clientId: b.id, kids: [key.kid] });
    expect(await kidsOn(b.id)).toEqual([key.kid]);
    expect(await kidsOn(a.id)).toEqual([]);
    // The id stays the first client's; refresh and delete go by the stored clientId.
    const refreshed = await host.read(urn, created.id, moved.outs);
    expect(refreshed.props).toMatchObject({ clientId: b.id, kids: [key.kid] });
    expect(await host.diff(urn, created.id, refreshed.props, onB.inputs)).toMatchObject({ changes: "none" });
    await host.delete(urn, created.id, moved.outs);
    expect(await kidsOn(b.id)).toEqual([]);
    for (const c of [a, b]) await host.delete(c.urn, c.id, c.outs);
  });

  test("an upstream refusal reaches the engine with Digdir's message and what to do, and no token", async () => {
    const urn = urnOf("MaskinportenClient", "bad");
    const checked = await host.check(urn, {}, { __provider: P.MaskinportenClient, name: "x", scopes: ["nav:not-granted"] });
    expect(checked.failures).toEqual([]);
    const err = await host.create(urn, checked.inputs).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/Digdir self-service API: POST \/samarbeid\/api\/v1\/clients answered 400/);
    expect(err?.message).toMatch(/correlation id/);
    expect(err?.message).not.toMatch(/eyJ/);
    expect(host.stderr()).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
  });

  test("invalid input of every kind fails in check without a single HTTP call", async () => {
    await control(sim, "GET", "/stats?reset=true");
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ["MaskinportenClient", { name: "x", scopes: ["a:b"], redirectUris: ["https://x.no/cb"] }, "redirectUris"],
      ["MaskinportenClient", { name: "x", scopes: ["not a scope"] }, "scopes[0]"],
      ["KrrClient", { name: "x", scopes: ["nav:x"] }, "scopes[0]"],
      [
        "IdportenClient",
        { name: "x", redirectUris: ["https://x.no/cb"], frontchannelLogoutUri: "https://other.no/logout", clientUri: "https://x.no" },
        "frontchannelLogoutUri",
      ],
      [
        "IdportenClient",
        { name: "x", redirectUris: ["https://x.no/cb"], clientUri: "https://x.no", accessTokenLifetime: 0 },
        "accessTokenLifetime",
      ],
      ["ClientKeys", { clientId: "c", keys: Array.from({ length: 6 }, () => rsaKeyPair().publicJwk) }, "keys"],
    ];
    for (const [kind, props, field] of cases) {
      const r = await host.check(urnOf(kind, "bad"), {}, { __provider: P[kind], ...props });
      expect(
        r.failures.map((f) => f.property),
        `${kind} ${field}`,
      ).toContain(field);
    }
    expect((await control<{ total: number }>(sim, "GET", "/stats")).total).toBe(0);
  });

  test("a create whose answer is lost is read back by the id chosen before the POST, not made twice", async () => {
    const urn = urnOf("IdportenClient", "lost");
    const checked = await host.check(
      urn,
      {},
      {
        __provider: P.IdportenClient,
        name: "Tapt svar",
        clientUri: "https://app.example.no",
        redirectUris: ["https://app.example.no/cb"],
        tokenEndpointAuthMethod: "client_secret_basic",
        createKey: "engine/test/IdportenClient/lost",
      },
    );
    await control(sim, "GET", "/stats?reset=true");
    await control(sim, "POST", "/faults", {
      rules: [{ method: "POST", path: "/samarbeid/api/v1/clients$", commitThenFail: 500, times: 1 }],
    });
    const created = await host.create(urn, checked.inputs);
    await control(sim, "DELETE", "/faults");
    const stats = await control<{ routes: Record<string, { count: number }> }>(sim, "GET", "/stats");
    expect(stats.routes["POST /samarbeid/api/v1/clients"].count).toBe(1);
    // The secret the lost answer carried is gone for good: the adopted client gets a new one.
    expect(stats.routes["POST /samarbeid/api/v1/clients/:id/secret"]?.count).toBe(1);
    expect(typeof created.outs.clientSecret).toBe("string");
    expect(created.outs.clientId).toBe(created.id);
  });
});
