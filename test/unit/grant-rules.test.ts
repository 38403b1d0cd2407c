import { generateKeyPairSync } from "node:crypto";
import { decodeProtectedHeader } from "jose";
import { describe, expect, test } from "vitest";
import { checkGrantRules, readPrivateKey, signGrant } from "../../providers/core/auth";

const org = (orgNo: string) => ({ authority: "iso6523-actorid-upis", ID: `0192:${orgNo}` });
const entry = (extra: Record<string, unknown> = {}) => ({ type: "urn:altinn:systemuser", systemuser_org: org("310000019"), ...extra });

/** Maskinporten's grant rules (docs.digdir.no maskinporten_func_systembruker, maskinporten_feilsoking), applied before a grant is sent. */
describe("grant rules", () => {
  test("one system user entry with known fields passes; two entries, a list of parties, or an unknown field are refused", () => {
    expect(() => checkGrantRules({ scopes: ["s"], authorizationDetails: [entry({ externalRef: "k" })] })).not.toThrow();
    expect(() => checkGrantRules({ scopes: ["s"], authorizationDetails: [entry(), entry({ systemuser_org: org("310000027") })] })).toThrow(
      /one system user/,
    );
    expect(() =>
      checkGrantRules({ scopes: ["s"], authorizationDetails: [entry({ systemuser_org: [org("310000019"), org("310000027")] })] }),
    ).toThrow(/not a list/);
    expect(() => checkGrantRules({ scopes: ["s"], authorizationDetails: [entry({ reportee: "x" })] })).toThrow(/remove reportee .*MP-302/);
    // Other authorization_details types are not judged here.
    expect(() =>
      checkGrantRules({ scopes: ["s"], authorizationDetails: [{ type: "other", anything: 1 }, { type: "other" }] }),
    ).not.toThrow();
  });

  test("signGrant refuses a broken grant before signing, and signs RS512 with an RS512 key", async () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const jwk = { ...privateKey.export({ format: "jwk" }), kid: "k1", alg: "RS512" };
    const read = readPrivateKey(JSON.stringify(jwk), "test key");
    expect(read.alg).toBe("RS512");
    const grant = await signGrant({ clientId: "c", key: read.key, kid: read.kid, alg: read.alg }, { scopes: ["s"] }, "https://mp/");
    expect(decodeProtectedHeader(grant)).toMatchObject({ alg: "RS512", kid: "k1" });
    await expect(
      signGrant({ clientId: "c", key: read.key, kid: "k1" }, { scopes: ["s"], authorizationDetails: [entry(), entry()] }, "https://mp/"),
    ).rejects.toThrow(/one system user/);
    expect(() => readPrivateKey(JSON.stringify({ ...jwk, alg: "RS384" }), "test key")).toThrow(/RS256 and RS512/);
  });
});
