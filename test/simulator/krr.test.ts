import { compactVerify, importJWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminToken, call, createClient, KRR_SCOPES, newRsaKey, registerKeys, start, tokenFor, type KeyPair, type Sim } from "./helpers";

const ACTIVE = "15889010069";
const RESERVED = "03919010028";
const NOT_REGISTERED = "30047010043";
const UNKNOWN = "01017012345";

let sim: Sim;
let key: KeyPair;
let krrClient: { client_id: string };

beforeAll(async () => {
  sim = await start();
  const admin = await adminToken(sim);
  key = await newRsaKey("krr-key");
  krrClient = await createClient(sim, admin, { client_name: "KRR lookup", integration_type: "krr", scopes: KRR_SCOPES });
  expect((await registerKeys(sim, admin, krrClient.client_id, [key.publicJwk])).status).toBe(200);
});
afterAll(() => sim.close());

const krrToken = async (scope: string) => {
  const r = await tokenFor(sim, { clientId: krrClient.client_id, key: key.privateJwk, scope });
  expect(r.status).toBe(200);
  return r.body.access_token as string;
};
const lookup = (token: string | undefined, ids: unknown, path = "/krr/rest/v2/personer") =>
  call(sim, "POST", path, { token, json: { personidentifikatorer: ids } });

describe("KRR lookup", () => {
  it("a krr client with its own key gets a token that KRR accepts, and sees contact info and digital post", async () => {
    const token = await krrToken(KRR_SCOPES.join(" "));
    const r = await lookup(token, [ACTIVE, RESERVED]);
    expect(r.status).toBe(200);
    const [active, reserved] = r.body.personer;
    expect(active).toMatchObject({
      personidentifikator: ACTIVE,
      reservasjon: "NEI",
      status: "AKTIV",
      varslingsstatus: "KAN_VARSLES",
      kontaktinformasjon: { epostadresse: "kari.nordmann@example.no", mobiltelefonnummer: "+4799999999" },
      digital_post: { postkasseadresse: expect.any(String), postkasseleverandoeradresse: expect.any(String) },
      spraak: "nb",
    });
    expect(reserved).toMatchObject({ personidentifikator: RESERVED, reservasjon: "JA", status: "AKTIV" });
  });

  it("shows only what the token's scope allows; the reservation status always", async () => {
    const contactOnly = await lookup(await krrToken("krr:global/kontaktinformasjon.read"), [ACTIVE]);
    expect(contactOnly.body.personer[0]).toHaveProperty("kontaktinformasjon");
    expect(contactOnly.body.personer[0]).not.toHaveProperty("digital_post");
    const postOnly = await lookup(await krrToken("krr:global/digitalpost.read"), [ACTIVE]);
    expect(postOnly.body.personer[0]).toHaveProperty("digital_post");
    expect(postOnly.body.personer[0]).not.toHaveProperty("kontaktinformasjon");
    expect(postOnly.body.personer[0].reservasjon).toBe("NEI");
  });

  it("answers IKKE_REGISTRERT for persons not in the register", async () => {
    const r = await lookup(await krrToken(KRR_SCOPES.join(" ")), [NOT_REGISTERED, UNKNOWN], "/krr/rest/v1/personer");
    expect(r.status).toBe(200);
    expect(r.body.personer).toEqual([
      { personidentifikator: NOT_REGISTERED, status: "IKKE_REGISTRERT" },
      { personidentifikator: UNKNOWN, status: "IKKE_REGISTRERT" },
    ]);
  });

  it("refuses a token without krr scopes (403) and a missing token (401)", async () => {
    const admin = await adminToken(sim);
    const forbidden = await lookup(admin, [ACTIVE]);
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get("www-authenticate")).toContain("insufficient_scope");
    expect((await lookup(undefined, [ACTIVE])).status).toBe(401);
    expect((await lookup("not.a.token", [ACTIVE])).status).toBe(401);
  });

  it("refuses an empty list, more than 1000 identifiers and identifiers that are not 11 digits", async () => {
    const token = await krrToken(KRR_SCOPES.join(" "));
    expect((await lookup(token, [])).status).toBe(400);
    expect(
      (
        await lookup(
          token,
          Array.from({ length: 1001 }, () => ACTIVE),
        )
      ).status,
    ).toBe(400);
    expect((await lookup(token, ["1234"])).status).toBe(400);
  });

  it("answers a signed JWS when asked for application/jose", async () => {
    const token = await krrToken(KRR_SCOPES.join(" "));
    const res = await fetch(`${sim.url}/krr/rest/v2/personer`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/jose" },
      body: JSON.stringify({ personidentifikatorer: [ACTIVE] }),
    });
    expect(res.headers.get("content-type")).toBe("application/jose");
    const jwks = (await call(sim, "GET", "/maskinporten/jwk")).body;
    const { payload } = await compactVerify(await res.text(), await importJWK(jwks.keys[0], "RS256"));
    expect(JSON.parse(new TextDecoder().decode(payload)).personer[0].personidentifikator).toBe(ACTIVE);
  });
});
