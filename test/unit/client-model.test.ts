import { describe, expect, test } from "vitest";
import { unknownValue } from "../../providers/core/check";
import {
  changedFields,
  checkClientInputs,
  inputsOf,
  jwtBearerGrant,
  krrScopes,
  needsReplacement,
  rotationTriggerChanged,
  secretRotationNeeded,
  type ClientInputs,
} from "../../providers/digdir/client-model";
import { clientFromWire, desiredClientPayload } from "../../providers/digdir/wire";

const web = { name: "Min tjeneste", redirectUris: ["https://app.example.no/callback"], clientUri: "https://app.example.no" };

function reasons(result: { failures: { property: string; reason: string }[] }): Record<string, string> {
  return Object.fromEntries(result.failures.map((f) => [f.property, f.reason]));
}

describe("Maskinporten and KRR client inputs", () => {
  test("a Maskinporten client is completed with its fixed integration settings and defaults", () => {
    const r = checkClientInputs("MaskinportenClient", { name: "skatt", scopes: ["skatteetaten:mva"] }, "test");
    expect(r.failures).toEqual([]);
    expect(r.inputs).toEqual({
      name: "skatt",
      description: "skatt",
      integrationType: "maskinporten",
      applicationType: "web",
      tokenEndpointAuthMethod: "private_key_jwt",
      grantTypes: [jwtBearerGrant],
      scopes: ["skatteetaten:mva"],
      accessTokenLifetime: 120,
    });
  });

  test("a Maskinporten client with redirect URIs is refused, naming the field", () => {
    const r = checkClientInputs("MaskinportenClient", { name: "x", scopes: ["a:b"], redirectUris: ["https://x.no/cb"] }, "test");
    expect(reasons(r).redirectUris).toMatch(/machine-to-machine and take no redirectUris/);
  });

  test("a Maskinporten client needs at least one scope, each of the form prefix:subscope", () => {
    expect(reasons(checkClientInputs("MaskinportenClient", { name: "x", scopes: [] }, "test")).scopes).toMatch(/at least one scope/);
    expect(reasons(checkClientInputs("MaskinportenClient", { name: "x", scopes: ["not a scope"] }, "test"))["scopes[0]"]).toMatch(
      /prefix:subscope/,
    );
  });

  test("a Maskinporten client cannot change its integration type", () => {
    const r = checkClientInputs("MaskinportenClient", { name: "x", scopes: ["a:b"], integrationType: "idporten" }, "test");
    expect(reasons(r).integrationType).toMatch(/is fixed for a MaskinportenClient \(maskinporten\)/);
  });

  test("an access token lifetime out of range is refused with the limit", () => {
    const r = checkClientInputs("MaskinportenClient", { name: "x", scopes: ["a:b"], accessTokenLifetime: 7200 }, "test");
    expect(reasons(r).accessTokenLifetime).toMatch(/at most 3600 seconds/);
    expect(
      reasons(checkClientInputs("MaskinportenClient", { name: "x", scopes: ["a:b"], accessTokenLifetime: 1.5 }, "test"))
        .accessTokenLifetime,
    ).toMatch(/whole number/);
  });

  test("unknown fields are refused with the field named", () => {
    const r = checkClientInputs("MaskinportenClient", { name: "x", scopes: ["a:b"], scope: "a:b" }, "test");
    expect(r.failures).toEqual([{ property: "scope", reason: "unknown field scope: remove it or check the spelling" }]);
  });

  test("a KRR client gets both KRR scopes by default and nothing else", () => {
    const r = checkClientInputs("KrrClient", { name: "krr-oppslag" }, "test");
    expect(r.failures).toEqual([]);
    expect(r.inputs.integrationType).toBe("krr");
    expect(r.inputs.scopes).toEqual(krrScopes);
    const bad = checkClientInputs("KrrClient", { name: "krr", scopes: ["krr:global/kontaktinformasjon.read", "nav:x"] }, "test");
    expect(reasons(bad)["scopes[1]"]).toMatch(/KRR clients take only/);
  });
});

describe("ID-porten client inputs", () => {
  test("a web login client defaults to private_key_jwt, PKCE and openid profile", () => {
    const r = checkClientInputs("IdportenClient", web, "test");
    expect(r.failures).toEqual([]);
    expect(r.inputs).toMatchObject({
      integrationType: "idporten",
      applicationType: "web",
      tokenEndpointAuthMethod: "private_key_jwt",
      grantTypes: ["authorization_code", "refresh_token"],
      scopes: ["openid", "profile"],
      postLogoutRedirectUris: ["https://app.example.no"],
      codeChallengeMethod: "S256",
      ssoDisabled: false,
    });
  });

  test("https://localhost is refused in test, http://localhost is accepted", () => {
    const r = checkClientInputs("IdportenClient", { ...web, redirectUris: ["https://localhost:3000/cb"] }, "test");
    expect(reasons(r)["redirectUris[0]"]).toMatch(/localhost URI in test must use http:\/\//);
    expect(checkClientInputs("IdportenClient", { ...web, redirectUris: ["http://localhost:3000/cb"] }, "test").failures).toEqual([]);
  });

  test("production needs https except a native app's localhost", () => {
    expect(
      reasons(checkClientInputs("IdportenClient", { ...web, redirectUris: ["http://app.example.no/cb"] }, "prod"))["redirectUris[0]"],
    ).toMatch(/production needs https/);
    expect(
      reasons(checkClientInputs("IdportenClient", { ...web, redirectUris: ["http://localhost/cb"] }, "prod"))["redirectUris[0]"],
    ).toMatch(/production needs https/);
    const native = checkClientInputs(
      "IdportenClient",
      {
        name: "app",
        applicationType: "native",
        redirectUris: ["http://localhost:8080/cb"],
        postLogoutRedirectUris: ["http://localhost:8080/"],
      },
      "prod",
    );
    expect(native.failures).toEqual([]);
    expect(native.inputs.tokenEndpointAuthMethod).toBe("none");
    expect(native.inputs.grantTypes).toEqual(["authorization_code"]);
  });

  test("the front-channel logout URI must be on a redirect URI's domain", () => {
    const r = checkClientInputs("IdportenClient", { ...web, frontchannelLogoutUri: "https://other.example.com/logout" }, "test");
    expect(reasons(r).frontchannelLogoutUri).toMatch(/same domain as one of the redirect URIs/);
    expect(
      checkClientInputs("IdportenClient", { ...web, frontchannelLogoutUri: "https://app.example.no/logout" }, "test").failures,
    ).toEqual([]);
  });

  test("combinations the table forbids are refused", () => {
    expect(
      reasons(
        checkClientInputs("IdportenClient", { ...web, applicationType: "browser", tokenEndpointAuthMethod: "private_key_jwt" }, "test"),
      ).tokenEndpointAuthMethod,
    ).toMatch(/must be "none"/);
    expect(
      reasons(checkClientInputs("IdportenClient", { ...web, tokenEndpointAuthMethod: "none" }, "test")).tokenEndpointAuthMethod,
    ).toMatch(/web client must authenticate/);
    expect(reasons(checkClientInputs("IdportenClient", { ...web, scopes: ["openid", "nav:x"] }, "test")).scopes).toMatch(
      /needs integrationType api_klient/,
    );
    expect(
      checkClientInputs("IdportenClient", { ...web, integrationType: "api_klient", scopes: ["openid", "nav:x"] }, "test").failures,
    ).toEqual([]);
    expect(reasons(checkClientInputs("IdportenClient", { ...web, scopes: ["profile"] }, "test")).scopes).toMatch(/openid/);
    expect(reasons(checkClientInputs("IdportenClient", { ...web, grantTypes: ["client_credentials"] }, "test"))["grantTypes[0]"]).toMatch(
      /not supported/,
    );
  });

  test("lifetimes must keep access < refresh <= authorization", () => {
    const r = checkClientInputs("IdportenClient", { ...web, accessTokenLifetime: 900, refreshTokenLifetime: 600 }, "test");
    expect(reasons(r).accessTokenLifetime).toMatch(/longer than refreshTokenLifetime/);
  });

  test("a required value not known yet is not called missing, and failures keep the user's indices", () => {
    expect(checkClientInputs("MaskinportenClient", { name: unknownValue, scopes: ["a:b"] }, "test").failures).toEqual([]);
    const r = checkClientInputs("MaskinportenClient", { name: "x", scopes: [unknownValue, "not a scope"] }, "test");
    expect(r.failures.map((f) => f.property)).toEqual(["scopes[1]"]);
    const n = checkClientInputs("MaskinportenClient", { name: "x", scopes: ["a:b"], accessTokenLifetime: unknownValue }, "test");
    expect(n.failures).toEqual([]);
    expect(n.inputs.accessTokenLifetime).toBe(unknownValue);
  });

  test("values not known yet in a preview are not judged and are kept", () => {
    const r = checkClientInputs("IdportenClient", { ...web, clientUri: unknownValue }, "test");
    expect(r.failures.filter((f) => f.property === "clientUri")).toEqual([]);
    expect(r.inputs.clientUri).toBe(unknownValue);
  });
});

describe("payloads and diff", () => {
  const mp = checkClientInputs("MaskinportenClient", { name: "x", scopes: ["a:b"] }, "test").inputs;

  test("a live client read back equals what was declared", () => {
    const live = { ...desiredClientPayload("MaskinportenClient", mp), client_id: "c1", created: "t" };
    expect(changedFields("MaskinportenClient", inputsOf("MaskinportenClient", clientFromWire(live)), mp)).toEqual([]);
  });

  test("scope order does not count as a change; a new scope does", () => {
    const a = { ...mp, scopes: ["a:b", "c:d"] };
    expect(changedFields("MaskinportenClient", a, { ...mp, scopes: ["c:d", "a:b"] })).toEqual([]);
    expect(changedFields("MaskinportenClient", a, { ...mp, scopes: ["a:b"] })).toEqual(["scopes"]);
  });

  test("a changed integration type needs a replacement, everything else updates in place", () => {
    const olds = checkClientInputs("IdportenClient", web, "test").inputs;
    const news: ClientInputs = { ...olds, integrationType: "api_klient", name: "nytt navn" };
    const changed = changedFields("IdportenClient", olds, news);
    expect(changed.sort()).toEqual(["integrationType", "name"]);
    expect(needsReplacement(changed, news)).toEqual(["integrationType"]);
    expect(needsReplacement(["name", "scopes", "redirectUris"], news)).toEqual([]);
    // Not known yet (a preview): a change, never on its own a replacement.
    const unknownType = { ...olds, integrationType: unknownValue } as unknown as ClientInputs;
    expect(changedFields("IdportenClient", olds, unknownType)).toEqual(["integrationType"]);
    expect(needsReplacement(["integrationType"], unknownType)).toEqual([]);
  });

  test("an unknown value is a change", () => {
    expect(changedFields("MaskinportenClient", mp, { ...mp, description: unknownValue })).toEqual(["description"]);
  });
});

describe("client secret rotation", () => {
  // Its own web client: a secret-based one.
  const web = {
    name: "Hemmelig",
    clientUri: "https://app.example.no",
    redirectUris: ["https://app.example.no/cb"],
    tokenEndpointAuthMethod: "client_secret_basic",
  };
  test("rotationTrigger is kept in the inputs and never sent to Digdir", () => {
    const r = checkClientInputs("IdportenClient", { ...web, rotationTrigger: "2026-Q1" }, "test");
    expect(r.failures).toEqual([]);
    expect(r.inputs.rotationTrigger).toBe("2026-Q1");
    expect(JSON.stringify(desiredClientPayload("IdportenClient", r.inputs))).not.toContain("2026-Q1");
  });

  test("a client without a secret takes no rotationTrigger", () => {
    const r = checkClientInputs("IdportenClient", { ...web, tokenEndpointAuthMethod: "private_key_jwt", rotationTrigger: "1" }, "test");
    expect(r.failures.map((f) => f.property)).toEqual(["rotationTrigger"]);
    expect(r.failures[0].reason).toMatch(/private_key_jwt client has none/);
    expect(checkClientInputs("MaskinportenClient", { name: "x", scopes: ["a:b"], rotationTrigger: "1" }, "test").failures[0].property).toBe(
      "rotationTrigger",
    );
  });

  test("a new secret when the trigger changes, when the client moves to a secret method, or when the state has none", () => {
    const olds = { tokenEndpointAuthMethod: "client_secret_basic", clientSecret: "s", rotationTrigger: "1" };
    expect(secretRotationNeeded(olds, { tokenEndpointAuthMethod: "client_secret_basic", rotationTrigger: "1" })).toBe(false);
    expect(secretRotationNeeded(olds, { tokenEndpointAuthMethod: "client_secret_basic", rotationTrigger: "2" })).toBe(true);
    expect(secretRotationNeeded(olds, { tokenEndpointAuthMethod: "client_secret_basic" })).toBe(true);
    expect(
      secretRotationNeeded({ ...olds, clientSecret: undefined }, { tokenEndpointAuthMethod: "client_secret_basic", rotationTrigger: "1" }),
    ).toBe(true);
    expect(secretRotationNeeded({ tokenEndpointAuthMethod: "private_key_jwt" }, { tokenEndpointAuthMethod: "client_secret_post" })).toBe(
      true,
    );
    expect(secretRotationNeeded(olds, { tokenEndpointAuthMethod: "private_key_jwt", rotationTrigger: "2" })).toBe(false);
    expect(rotationTriggerChanged(olds, { rotationTrigger: unknownValue })).toBe(true);
  });

  test("an adopted client (clientId declared) keeps the secret its applications use until its rotationTrigger changes", () => {
    const adopted = { tokenEndpointAuthMethod: "client_secret_basic", clientId: "c1" };
    expect(secretRotationNeeded(adopted, { ...adopted, name: "Nytt navn" })).toBe(false);
    expect(secretRotationNeeded(adopted, { ...adopted, rotationTrigger: "2026-Q1" })).toBe(true);
    expect(secretRotationNeeded({ ...adopted, tokenEndpointAuthMethod: "private_key_jwt" }, adopted)).toBe(true);
  });
});
