import { generateKeyPairSync } from "node:crypto";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { describe, expect, test } from "vitest";
import { needsRenewal, readPrivateKey, signGrant, tokenCacheKey } from "../../providers/core/auth";
import { fakePem } from "../support/keys";

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });

const jwk = { ...(privateKey.export({ format: "jwk" }) as object), kid: "admin-key" };

describe("the JWT grant", () => {
  test("is RS256 with kid, aud = issuer, 60 s lifetime, a jti, and the requested extras", async () => {
    const { key, kid } = readPrivateKey(JSON.stringify(jwk), "digdir:privateKey");
    const grant = await signGrant(
      { clientId: "c1", key, kid },
      {
        scopes: ["a:b", "c:d"],
        consumerOrg: "310000019",
        resource: ["https://api.no"],
        authorizationDetails: [{ type: "urn:altinn:systemuser" }],
      },
      "https://test.maskinporten.no/",
      1000,
    );
    expect(decodeProtectedHeader(grant)).toEqual({ alg: "RS256", typ: "JWT", kid: "admin-key" });
    const claims = decodeJwt(grant);
    expect(claims).toMatchObject({
      iss: "c1",
      aud: "https://test.maskinporten.no/",
      iat: 1000,
      exp: 1060,
      scope: "a:b c:d",
      consumer_org: "310000019",
      resource: ["https://api.no"],
      authorization_details: [{ type: "urn:altinn:systemuser" }],
    });
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    const again = decodeJwt(await signGrant({ clientId: "c1", key, kid }, { scopes: ["a:b"] }, "i", 1000));
    expect(again.jti).not.toBe(claims.jti);
  });

  test("uses x5c instead of kid when a certificate chain is given", async () => {
    const { key } = readPrivateKey(JSON.stringify(jwk), "k");
    const grant = await signGrant({ clientId: "c1", key, x5c: ["MIIB"] }, { scopes: ["a:b"] }, "i");
    expect(decodeProtectedHeader(grant)).toEqual({ alg: "RS256", typ: "JWT", x5c: ["MIIB"] });
  });

  test("a key that is public, short or unreadable is refused without showing it", () => {
    const pub = JSON.stringify({ ...(generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ format: "jwk" }) as object) });
    expect(() => readPrivateKey(pub, "digdir:privateKey")).toThrow(/digdir:privateKey could not be read: it is a public key/);
    const short = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    expect(() => readPrivateKey(short, "digdir:privateKey")).toThrow(/at least 2048 bits/);
    try {
      readPrivateKey(fakePem("notakey"), "digdir:privateKey");
    } catch (e) {
      expect((e as Error).message).not.toContain("notakey");
    }
  });

  test("tokens are cached per credential, scope set and authorization details", () => {
    const { key } = readPrivateKey(JSON.stringify(jwk), "k");
    const c = { clientId: "c1", key, kid: "k1" };
    expect(tokenCacheKey(c, "t", { scopes: ["b", "a"] })).toBe(tokenCacheKey(c, "t", { scopes: ["a", "b", "a"] }));
    expect(tokenCacheKey(c, "t", { scopes: ["a"] })).not.toBe(tokenCacheKey(c, "t", { scopes: ["a"], authorizationDetails: [{ x: 1 }] }));
    expect(tokenCacheKey(c, "t", { scopes: ["a"] })).not.toBe(tokenCacheKey({ ...c, kid: "k2" }, "t", { scopes: ["a"] }));
    expect(tokenCacheKey(c, "t", { scopes: ["a"] })).not.toContain("BEGIN");
  });

  test("a token is renewed shortly before it expires", () => {
    const t = { accessToken: "x", scope: "", expiresAt: 1_000_000 };
    expect(needsRenewal(t, 120, 1_000_000 - 31_000)).toBe(false);
    expect(needsRenewal(t, 120, 1_000_000 - 29_000)).toBe(true);
    expect(needsRenewal(t, 3600, 1_000_000 - 61_000)).toBe(false);
    expect(needsRenewal(t, 3600, 1_000_000 - 59_000)).toBe(true);
  });
});
