import { generateKeyPairSync, randomUUID } from "node:crypto";
import { describe, expect, test } from "vitest";
import { checkApiScopeInputs } from "../../providers/digdir/api-scope-model";
import { expiryOf } from "../../providers/digdir/client-keys-model";
import { checkClientInputs, jwtBearerGrant } from "../../providers/digdir/client-model";
import { scopeOutputs } from "../../providers/digdir/api-scope-model";
import { activeGrant } from "../../providers/digdir/scope-access-model";
import {
  clientFromWire,
  clientToWire,
  desiredClientPayload,
  desiredScopePayload,
  grantFromWire,
  publicKeysFrom,
  scopeFromWire,
  scopeNamed,
  scopeToWire,
  scopeUpdatePayload,
  updatePayload,
  wireJwk,
  type WireClient,
} from "../../providers/digdir/wire";

/** The self-service API's wire: payloads in its spelling, and its answers read back in the resources' terms. */

function publicJwk(bits = 2048) {
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  const jwk = publicKey.export({ format: "jwk" }) as { n: string; e: string };
  return { kty: "RSA" as const, kid: randomUUID(), n: jwk.n, e: jwk.e };
}

const now = 1_800_000_000;

describe("client payloads", () => {
  const mp = checkClientInputs("MaskinportenClient", { name: "x", scopes: ["a:b"] }, "test").inputs;

  test("the create payload uses the wire names", () => {
    expect(desiredClientPayload("MaskinportenClient", mp)).toEqual({
      client_name: "x",
      description: "x",
      integration_type: "maskinporten",
      application_type: "web",
      token_endpoint_auth_method: "private_key_jwt",
      grant_types: [jwtBearerGrant],
      scopes: ["a:b"],
      access_token_lifetime: 120,
    });
  });

  test("the PUT keeps unmanaged live fields, drops read-only ones and removes managed fields no longer declared", () => {
    const live = {
      ...desiredClientPayload("MaskinportenClient", mp),
      client_id: "c1",
      client_orgno: "991825827",
      client_uri: "https://old.no",
      created: "t0",
      last_updated: "t1",
      active: true,
      onbehalfof: [],
      jwks_uri: "/x",
      some_future_field: 7,
    };
    const body = updatePayload("MaskinportenClient", live, { ...mp, name: "y" });
    expect(body).toMatchObject({ client_id: "c1", client_orgno: "991825827", client_name: "y", some_future_field: 7 });
    for (const k of ["created", "last_updated", "active", "onbehalfof", "jwks_uri", "client_uri"]) expect(body).not.toHaveProperty(k);
  });
});

describe("answers read in the resources' terms", () => {
  test("a client reads back with camelCase fields, and what no resource manages gives back the same wire entries", () => {
    // Digdir spells an empty field as null.
    const wire: WireClient = {
      client_id: "c1",
      client_name: "Regnskap",
      integration_type: "maskinporten",
      scopes: ["a:b"],
      client_orgno: "991825827",
      last_updated: "t1",
      client_uri: null as unknown as string,
      onbehalfof: [{ onbehalfof: "x" }],
      some_future_field: 7,
    };
    const live = clientFromWire(wire);
    expect(live).toMatchObject({ clientId: "c1", name: "Regnskap", integrationType: "maskinporten", clientOrgNo: "991825827" });
    expect(live.lastUpdated).toBe("t1");
    expect(live).not.toHaveProperty("clientUri");
    expect(clientToWire(live)).toEqual(wire);
  });

  test("a PUT of a client read in the resources' terms keeps what no resource manages", () => {
    const mp = checkClientInputs("MaskinportenClient", { name: "x", scopes: ["a:b"] }, "test").inputs;
    const live = clientFromWire({ ...desiredClientPayload("MaskinportenClient", mp), client_id: "c1", onbehalfof: [], extra: 1 });
    const body = updatePayload("MaskinportenClient", clientToWire(live), { ...mp, name: "y" });
    expect(body).toMatchObject({ client_id: "c1", client_name: "y", extra: 1 });
    expect(body).not.toHaveProperty("onbehalfof");
  });

  test("a scope and a grant read back with camelCase fields; a scope gives back the same wire entries", () => {
    const wire = { prefix: "acme", subscope: "a", long_description: "L", owner_orgno: "991825827", enforced_aud_for_access_token: "x" };
    const live = scopeFromWire(wire);
    expect(live).toMatchObject({ prefix: "acme", subscope: "a", longDescription: "L", ownerOrgNo: "991825827" });
    expect(scopeToWire(live)).toEqual(wire);
    expect(grantFromWire({ consumer_orgno: "974761076", state: "APPROVED", last_updated: "t" })).toMatchObject({
      consumerOrgNo: "974761076",
      state: "APPROVED",
      lastUpdated: "t",
    });
  });
});

describe("scope payloads and answers", () => {
  const declared = { prefix: "acme", subscope: "api/orders.read", description: "Ordrer" };

  test("the payload uses Digdir's field names and leaves out what is not declared", () => {
    const inputs = checkApiScopeInputs({ ...declared, atMaxAge: 60, delegationSource: "https://tt02.altinn.no/" }).inputs;
    expect(desiredScopePayload(inputs)).toEqual({
      prefix: "acme",
      subscope: "api/orders.read",
      description: "Ordrer",
      visibility: "PUBLIC",
      allowed_integration_types: ["maskinporten"],
      at_max_age: 60,
      accessible_for_all: false,
      delegation_source: "https://tt02.altinn.no/",
      token_type: "SELF_CONTAINED",
      requires_user_consent: false,
      requires_user_authentication: false,
      requires_pseudonymous_tokens: false,
    });
  });

  test("a PUT keeps fields Digdir holds that the inputs leave out, drops read-only ones, and reactivates", () => {
    const inputs = checkApiScopeInputs({ ...declared, description: "Nye ordrer" }).inputs;
    const live = {
      ...desiredScopePayload(inputs),
      name: "acme:api/orders.read",
      at_max_age: 120,
      active: false,
      owner_orgno: "991825827",
      created: "x",
      last_updated: "y",
    };
    const body = scopeUpdatePayload(live, inputs);
    expect(body).toMatchObject({ description: "Nye ordrer", at_max_age: 120, active: true });
    for (const k of ["name", "owner_orgno", "created", "last_updated"]) expect(body).not.toHaveProperty(k);
  });

  test("outputs keep what was sent where Digdir does not echo it, and take Digdir's value where it does", () => {
    const inputs = checkApiScopeInputs({ ...declared, atMaxAge: 60 }).inputs;
    const outs = scopeOutputs(
      inputs,
      scopeFromWire({
        prefix: "acme",
        subscope: "api/orders.read",
        description: "Ordrer",
        at_max_age: 30,
        owner_orgno: "991825827",
        active: true,
      }),
    );
    expect(outs).toMatchObject({
      name: "acme:api/orders.read",
      atMaxAge: 30,
      tokenType: "SELF_CONTAINED",
      ownerOrgNo: "991825827",
      active: true,
    });
  });
});

describe("reading one scope's answer (GET /scopes/scope?scope=: an object, a list taken too)", () => {
  const scope = { prefix: "leverandor", subscope: "a/b", name: "leverandor:a/b", active: true };
  test("the scope itself, or the one of that name in a list; nothing for another name, an empty list or no body", () => {
    expect(scopeNamed(scope, "leverandor:a/b")).toBe(scope);
    expect(scopeNamed([{ ...scope, name: "leverandor:other" }, scope], "leverandor:a/b")).toBe(scope);
    expect(scopeNamed({ prefix: "leverandor", subscope: "a/b" }, "leverandor:a/b")).toEqual({ prefix: "leverandor", subscope: "a/b" });
    expect(scopeNamed(scope, "leverandor:other")).toBeUndefined();
    expect(scopeNamed([], "leverandor:a/b")).toBeUndefined();
    expect(scopeNamed(undefined, "leverandor:a/b")).toBeUndefined();
  });
});

describe("key sets", () => {
  const k1 = publicJwk();
  const k = publicJwk();

  test("Digdir's answer reads back with each key's expiry date", () => {
    const keys = publicKeysFrom({ keys: [{ ...k1, alg: "RS256", use: "sig", exp: now }] });
    expect(keys.map((k) => k.kid)).toEqual([k1.kid]);
    expect(expiryOf(keys)[k1.kid]).toBe(new Date(now * 1000).toISOString());
  });

  test("the wire form holds public members only, and Digdir's answer reads back with alg and use", () => {
    const wire = wireJwk({ ...k, alg: "RS256", use: "sig", exp: now + 10 });
    expect(Object.keys(wire).sort()).toEqual(["alg", "e", "exp", "kid", "kty", "n", "use"]);
    expect(publicKeysFrom({ keys: [{ kty: "RSA", kid: "a", n: "n", e: "e", exp: 5, extra: 1 }] })).toEqual([
      { kty: "RSA", kid: "a", n: "n", e: "e", alg: "RS256", use: "sig", exp: 5 },
    ]);
  });
});

describe("grants", () => {
  test("a revoked (DENIED) row counts as no grant", () => {
    expect(activeGrant([grantFromWire({ consumer_orgno: "974761076", state: "APPROVED" })], "974761076")?.state).toBe("APPROVED");
    expect(activeGrant([grantFromWire({ consumer_orgno: "974761076", state: "DENIED" })], "974761076")).toBeUndefined();
    expect(activeGrant(undefined, "974761076")).toBeUndefined();
  });
});
