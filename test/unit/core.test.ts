import { generateKeyPairSync } from "node:crypto";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { describe, expect, test } from "vitest";
import { needsRenewal, readPrivateKey, signGrant, tokenCacheKey } from "../../providers/core/auth";
import { ApiError } from "../../providers/core/errors";
import { parseRetryAfter, routeTemplate } from "../../providers/core/http";
import { parseErrorBody } from "../../providers/core/errors";
import { redact } from "../../providers/core/redact";
import { resolveSettings } from "../../providers/core/settings";

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });

/** A PEM block around text that is no key (the markers are assembled so no file looks like it holds one). */
const fakePem = (body: string) => ["-----BEGIN", "PRIVATE KEY-----\n"].join(" ") + body + ["\n-----END", "PRIVATE KEY-----"].join(" ");
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

describe("upstream errors", () => {
  test("Digdir's error body yields field problems and the correlation id", () => {
    const p = parseErrorBody(
      JSON.stringify({
        status: 400,
        correlation_id: "abc",
        errors: [{ errorMessage: "must not be empty", isFieldError: true, objectName: "Client", fieldIdentifier: "scopes" }],
        error: "must not be empty",
      }),
    );
    expect(p).toEqual({ codes: [], correlationId: "abc", problems: [{ field: "scopes", message: "must not be empty", code: undefined }] });
  });

  test("Maskinporten's error yields the MP code", () => {
    const p = parseErrorBody(
      JSON.stringify({ error: "invalid_grant", error_description: "Invalid assertion. Client key expired (MP-121)" }),
    );
    expect(p.codes).toEqual(["MP-121"]);
    expect(p.problems[0].message).toMatch(/Client key expired/);
  });

  test("Altinn's problem details yield the AUTH and AUTH.VLD codes", () => {
    const p = parseErrorBody(
      JSON.stringify({
        code: "STD-00000",
        traceId: "t1",
        validationErrors: [{ code: "AUTH.VLD-00018", title: "not assignable", paths: ["/accessPackages/0"] }],
      }),
    );
    expect(p.codes).toEqual(["STD-00000", "AUTH.VLD-00018"]);
    expect(p.correlationId).toBe("t1");
    expect(p.problems).toEqual([{ field: "/accessPackages/0", message: "not assignable", code: "AUTH.VLD-00018" }]);
  });

  test("plain-text and empty bodies are handled, tokens in them masked", () => {
    expect(parseErrorBody("")).toEqual({ codes: [], problems: [] });
    expect(parseErrorBody("bad token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln").problems[0].message).toBe("bad token [redacted jwt]");
  });

  test("the error message says status, codes, correlation id and what to do", () => {
    const e = new ApiError({
      service: "digdir",
      method: "POST",
      path: "/api/v1/clients",
      status: 400,
      codes: ["X"],
      correlationId: "abc",
      problems: [{ field: "scopes", message: "bad" }],
      hint: "Fix it.",
    });
    expect(e.message).toBe("Digdir self-service API: POST /api/v1/clients answered 400 [X] (correlation id abc): scopes: bad. Fix it.");
  });

  test("redaction masks grants, bearer tokens, PEM and secret members", () => {
    const text = `Bearer abc.def-ghi assertion=eyJhbGciOi.eyJzdWIi.sig {"client_secret":"s3cr3t","d":"xyz"} ${fakePem("AAA")}`;
    const out = redact(text);
    for (const s of ["abc.def-ghi", "s3cr3t", "xyz", "AAA", "eyJzdWIi"]) expect(out).not.toContain(s);
  });
});

describe("HTTP helpers", () => {
  test("Retry-After is read as seconds or a date", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter("soon")).toBeUndefined();
  });

  test("routes group ids", () => {
    expect(routeTemplate("/api/v1/clients/0b6f8f2e-1d7c-4b8a-9d3e-2f1a0c9b8e7d/jwks")).toBe("/api/v1/clients/{id}/jwks");
  });
});

describe("settings", () => {
  const source = (values: Record<string, string>) => ({ get: (k: string) => values[k] });

  test("an unknown environment is refused with the choices", () => {
    expect(() => resolveSettings(source({ "digdir:environment": "staging" }))).toThrow(/expected one of test, prod, local/);
  });

  test("local needs the simulator URL and maps every service under it", () => {
    expect(() => resolveSettings(source({ "digdir:environment": "local" }))).toThrow(/digdir:simulatorUrl/);
    const s = resolveSettings(source({ "digdir:environment": "local", "digdir:simulatorUrl": "http://127.0.0.1:9/" }));
    expect(s.endpoints.samarbeidBase).toBe("http://127.0.0.1:9/samarbeid/api/v1");
    expect(s.endpoints.maskinportenWellKnown).toBe("http://127.0.0.1:9/maskinporten/.well-known/oauth-authorization-server");
  });

  test("test is the default and points at the test services", () => {
    const s = resolveSettings(source({}));
    expect(s.environment).toBe("test");
    expect(s.endpoints.samarbeidBase).toBe("https://api.test.samarbeid.digdir.no/api/v1");
    expect(s.endpoints.altinnBase).toBe("https://platform.tt02.altinn.no");
  });
});

describe("HTTP settings", () => {
  test("retry caps and the time-out are read from the stack config, and bad values are refused naming the key", () => {
    const src = (o: Record<string, string>) => ({ get: (k: string) => o[k] });
    const s = resolveSettings(src({ "digdir:httpMaxRetries": "2", "digdir:httpMaxWaitSeconds": "5", "digdir:httpTimeoutSeconds": "3" }));
    expect(s.http).toMatchObject({ maxRetries: 2, maxDelayMs: 5000, timeoutMs: 3000 });
    expect(resolveSettings(src({})).http).toEqual({});
    expect(() => resolveSettings(src({ "digdir:httpMaxRetries": "many" }))).toThrow(
      /digdir:httpMaxRetries is "many"; expected a whole number from 0 to 20/,
    );
  });
});
