import { importJWK, jwtVerify, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SimModule } from "../../simulator/index";
import {
  adminToken,
  call,
  createClient,
  decodeJwtPayload,
  newRsaKey,
  postGrant,
  registerKeys,
  signGrant,
  simNow,
  start,
  tokenFor,
  VENDOR,
  type KeyPair,
  type Sim,
} from "./helpers";

// A module standing in for the later Altinn module: it handles one authorization_details type.
const rarModule: SimModule = {
  name: "test-rar",
  register(ctx) {
    ctx.maskinporten.registerAuthorizationDetailsType("urn:test:thing", ({ detail, orgNo }) =>
      detail.ok === true
        ? { ok: true, detail: { type: "urn:test:thing", owner: orgNo } }
        : { ok: false, status: 400, error: "invalid_altinn_customer_configuration", description: "MP-303 no such thing" },
    );
  },
};

let sim: Sim;
let admin: string;
let client: { client_id: string };
let key: KeyPair;
let otherKey: KeyPair;

const description = (r: { body: { error_description: string } }) => r.body.error_description;

beforeAll(async () => {
  sim = await start({ modules: [rarModule] });
  admin = await adminToken(sim);
  [key, otherKey] = await Promise.all([newRsaKey("client-key-1"), newRsaKey("client-key-1")]);
  client = await createClient(sim, admin, {
    scopes: ["krr:global/kontaktinformasjon.read", "krr:global/digitalpost.read"],
    access_token_lifetime: 300,
  });
  const r = await registerKeys(sim, admin, client.client_id, [key.publicJwk]);
  expect(r.status).toBe(200);
});
afterAll(() => sim.close());

const grantFor = (
  o: { claims?: Record<string, unknown>; header?: Record<string, unknown>; scope?: string; key?: JWK; clientId?: string } = {},
) =>
  tokenFor(sim, {
    clientId: o.clientId ?? client.client_id,
    key: o.key ?? key.privateJwk,
    scope: o.scope ?? "krr:global/kontaktinformasjon.read",
    claims: o.claims,
    header: o.header,
  });

describe("Maskinporten metadata", () => {
  it("publishes the issuer with a trailing slash, the token endpoint and the jwks uri", async () => {
    const r = await call(sim, "GET", "/maskinporten/.well-known/oauth-authorization-server");
    expect(r.status).toBe(200);
    expect(r.body.issuer).toBe(`${sim.url}/maskinporten/`);
    expect(r.body.token_endpoint).toBe(`${sim.url}/maskinporten/token`);
    expect(r.body.jwks_uri).toBe(`${sim.url}/maskinporten/jwk`);
    expect(r.body.grant_types_supported).toEqual(["urn:ietf:params:oauth:grant-type:jwt-bearer"]);
    expect(r.body.token_endpoint_auth_signing_alg_values_supported).toEqual(["RS256", "RS384", "RS512"]);
    expect(r.body).not.toHaveProperty("authorization_endpoint");
  });
});

describe("Maskinporten tokens", () => {
  it("gives the bootstrap admin client a token with the admin scopes, signed with the published key", async () => {
    const r = await tokenFor(sim, {
      clientId: sim.bootstrap.clientId,
      key: sim.bootstrap.privateJwk as unknown as JWK,
      scope: "idporten:dcr.read idporten:dcr.write",
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ token_type: "Bearer", expires_in: 120, scope: "idporten:dcr.read idporten:dcr.write" });
    const jwks = (await call(sim, "GET", "/maskinporten/jwk")).body;
    const token = r.body.access_token as string;
    const { payload } = await jwtVerify(token, await importJWK(jwks.keys[0], "RS256"), {
      issuer: sim.bootstrap.issuer,
      currentDate: new Date((await simNow(sim)) * 1000),
    });
    expect(payload).toMatchObject({
      client_id: sim.bootstrap.clientId,
      client_amr: "private_key_jwt",
      consumer: { authority: "iso6523-actorid-upis", ID: `0192:${VENDOR}` },
      scope: "idporten:dcr.read idporten:dcr.write",
      token_type: "Bearer",
    });
    expect(typeof payload.jti).toBe("string");
    expect(payload.exp! - payload.iat!).toBe(120);
  });

  it("lets a token live as long as the client's access_token_lifetime", async () => {
    const r = await grantFor();
    expect(r.status).toBe(200);
    expect(r.body.expires_in).toBe(300);
    const claims = decodeJwtPayload(r.body.access_token);
    expect(claims.exp - claims.iat).toBe(300);
    expect(claims.aud).toBe("unspecified");
  });

  it("puts the requested resource into the token's aud", async () => {
    const one = await grantFor({ claims: { resource: ["https://api.example.no/"] } });
    expect(one.status).toBe(200);
    expect(decodeJwtPayload(one.body.access_token).aud).toBe("https://api.example.no/");
    const two = await grantFor({ claims: { resource: ["https://a.example.no/", "https://b.example.no/"] } });
    expect(decodeJwtPayload(two.body.access_token).aud).toEqual(["https://a.example.no/", "https://b.example.no/"]);
  });

  it("refuses a resource given as a string instead of an array (MP-011)", async () => {
    const r = await grantFor({ claims: { resource: "https://api.example.no/" } });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe("invalid_request");
    expect(description(r)).toContain("MP-011");
  });
});

describe("Maskinporten grant errors", () => {
  it("MP-100: an unknown client id", async () => {
    const r = await grantFor({ clientId: "00000000-0000-4000-8000-000000000000" });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe("invalid_grant");
    expect(description(r)).toMatch(/^MP-100/);
  });

  it("MP-110: an aud other than the issuer, the token endpoint or an array", async () => {
    for (const aud of [`${sim.url}/maskinporten`, `${sim.url}/maskinporten/token`, [sim.bootstrap.issuer]]) {
      const r = await grantFor({ claims: { aud } });
      expect(r.status).toBe(400);
      expect(r.body.error).toBe("invalid_grant");
      expect(description(r)).toMatch(/^MP-110/);
    }
  });

  it("MP-130: a grant living longer than 120 seconds", async () => {
    const now = await simNow(sim);
    const r = await grantFor({ claims: { iat: now, exp: now + 121 } });
    expect(r.body.error).toBe("invalid_grant");
    expect(description(r)).toMatch(/^MP-130/);
  });

  it("MP-130: an expired grant", async () => {
    const now = await simNow(sim);
    const r = await grantFor({ claims: { iat: now - 100, exp: now - 40 } });
    expect(r.body.error).toBe("invalid_grant");
    expect(description(r)).toMatch(/^MP-130.*expired/);
  });

  it("refuses a grant issued in the future beyond the clock skew: Issue time is after now", async () => {
    const now = await simNow(sim);
    const r = await grantFor({ claims: { iat: now + 30, exp: now + 90 } });
    expect(r.body.error).toBe("invalid_grant");
    expect(description(r)).toContain("Issue time is after now");
  });

  it("tolerates a few seconds of clock skew", async () => {
    const now = await simNow(sim);
    const r = await grantFor({ claims: { iat: now + 5, exp: now + 65 } });
    expect(r.status).toBe(200);
  });

  it("MP-012: a grant whose jti was used before", async () => {
    const now = await simNow(sim);
    const assertion = await signGrant(sim, {
      clientId: client.client_id,
      key: key.privateJwk,
      scope: "krr:global/kontaktinformasjon.read",
      now,
    });
    expect((await postGrant(sim, assertion)).status).toBe(200);
    const again = await postGrant(sim, assertion);
    expect(again.status).toBe(400);
    expect(again.body.error).toBe("invalid_grant");
    expect(description(again)).toMatch(/^MP-012/);
  });

  it("MP-124: a grant signed with another key under the registered kid", async () => {
    const r = await grantFor({ key: otherKey.privateJwk });
    expect(r.body.error).toBe("invalid_grant");
    expect(description(r)).toMatch(/^MP-124/);
  });

  it("an unknown kid is reported as an unknown key identifier, not as MP-121 (the expired key)", async () => {
    const r = await grantFor({ header: { kid: "not-registered" } });
    expect(r.body.error).toBe("invalid_grant");
    expect(description(r)).toMatch(/^Unknown key identifier \(kid\)/);
    expect(description(r)).not.toMatch(/MP-121|expired/);
  });

  it("MP-011: an assertion that is not a JWT", async () => {
    const r = await postGrant(sim, "not-a-jwt");
    expect(r.status).toBe(400);
    expect(r.body.error).toBe("invalid_request");
    expect(description(r)).toMatch(/^MP-011/);
  });

  it("MP-011: a token request that is not form-encoded", async () => {
    const r = await call(sim, "POST", "/maskinporten/token", { json: { grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer" } });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe("invalid_request");
  });

  it("MP-123: an x5c header that is a string instead of an array", async () => {
    const r = await grantFor({ header: { kid: undefined, x5c: "MIIB" } });
    expect(r.body.error).toBe("invalid_grant");
    expect(description(r)).toMatch(/^MP-123/);
  });

  it("MP-200: a scope that is not registered on the client", async () => {
    const r = await grantFor({ scope: "krr:global/kontaktinformasjon.read idporten:dcr.read" });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe("invalid_scope");
    expect(description(r)).toMatch(/^MP-200.*idporten:dcr\.read/);
  });

  it("refuses consumer_org equal to the client's own organisation (invalid_request)", async () => {
    const r = await grantFor({ claims: { consumer_org: VENDOR } });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe("invalid_request");
  });

  it("MP-251: consumer_org naming a customer that has delegated nothing", async () => {
    const r = await grantFor({ claims: { consumer_org: "310000019" } });
    expect(r.status).toBe(403);
    expect(r.body.error).toBe("forbidden");
    expect(description(r)).toMatch(/^MP-251/);
  });
});

describe("authorization_details extension point", () => {
  it("hands a registered type to its module and puts the module's answer into the token", async () => {
    const r = await grantFor({ claims: { authorization_details: [{ type: "urn:test:thing", ok: true }] } });
    expect(r.status).toBe(200);
    expect(decodeJwtPayload(r.body.access_token).authorization_details).toEqual([{ type: "urn:test:thing", owner: VENDOR }]);
  });

  it("passes the module's refusal through as the token error", async () => {
    const r = await grantFor({ claims: { authorization_details: [{ type: "urn:test:thing", ok: false }] } });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: "invalid_altinn_customer_configuration", error_description: "MP-303 no such thing" });
  });

  it("MP-301: an authorization_details type no module handles", async () => {
    const r = await grantFor({ claims: { authorization_details: [{ type: "urn:unknown" }] } });
    expect(r.status).toBe(400);
    expect(description(r)).toMatch(/^MP-301/);
  });
});
