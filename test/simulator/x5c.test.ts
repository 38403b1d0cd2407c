import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { X509Certificate } from "node:crypto";
import { SignJWT, importPKCS8 } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  adminToken,
  advanceClock,
  createClient,
  decodeJwtPayload,
  newRsaKey,
  postGrant,
  registerKeys,
  simNow,
  start,
  VENDOR,
  type Sim,
} from "./helpers";

// Business-certificate (x5c) grants, as real admin clients use them. Throw-away self-signed certificates are
// made with openssl in a temporary directory at test time; no key material is kept.

interface Cert {
  x5c: string[];
  keyPem: string;
}

let dir: string;
let sim: Sim;
let certs: Record<"vendor" | "vendorByOrgId" | "customer", Cert>;

function makeCert(name: string, subject: string): Cert {
  const key = join(dir, `${name}.key`);
  const crt = join(dir, `${name}.crt`);
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt, "-days", "2", "-subj", subject], {
    stdio: "ignore",
  });
  const cert = new X509Certificate(readFileSync(crt));
  return { x5c: [cert.raw.toString("base64")], keyPem: readFileSync(key, "utf8") };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sim-x5c-"));
  certs = {
    vendor: makeCert("vendor", `/C=NO/O=Simulert Systemleverandør AS/serialNumber=${VENDOR}/CN=Simulert Systemleverandør AS`),
    vendorByOrgId: makeCert("vendor-orgid", `/C=NO/O=Simulert Systemleverandør AS/organizationIdentifier=NTRNO-${VENDOR}/CN=Test`),
    customer: makeCert("customer", "/C=NO/O=Kunde En AS/serialNumber=310000019/CN=Kunde En AS"),
  };
  sim = await start();
});
afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

async function certGrant(clientId: string, cert: Cert, signingPem = cert.keyPem, x5c: unknown = cert.x5c) {
  const now = await simNow(sim);
  const assertion = await new SignJWT({
    aud: sim.bootstrap.issuer,
    iss: clientId,
    scope: "krr:global/kontaktinformasjon.read",
    iat: now,
    exp: now + 60,
    jti: crypto.randomUUID(),
  })
    .setProtectedHeader({ alg: "RS256", x5c } as never)
    .sign(await importPKCS8(signingPem, "RS256"));
  return postGrant(sim, assertion);
}

describe("x5c (business certificate) grants", () => {
  it("gives a token to a client without registered keys, authenticated by a certificate with the owner's serialNumber", async () => {
    const client = await createClient(sim, await adminToken(sim));
    const r = await certGrant(client.client_id, certs.vendor);
    expect(r.status).toBe(200);
    const claims = decodeJwtPayload(r.body.access_token);
    expect(claims.client_amr).toBe("virksomhetssertifikat");
    expect(claims.consumer.ID).toBe(`0192:${VENDOR}`);
  });

  it("reads the organisation number from organizationIdentifier NTRNO-<orgno> too", async () => {
    const client = await createClient(sim, await adminToken(sim));
    expect((await certGrant(client.client_id, certs.vendorByOrgId)).status).toBe(200);
  });

  it("MP-122: a certificate of another organisation than the client's", async () => {
    const client = await createClient(sim, await adminToken(sim));
    const r = await certGrant(client.client_id, certs.customer);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe("invalid_grant");
    expect(r.body.error_description).toMatch(/^MP-122/);
  });

  it("MP-124: an assertion not signed by the certificate's key", async () => {
    const client = await createClient(sim, await adminToken(sim));
    const r = await certGrant(client.client_id, certs.vendor, certs.customer.keyPem);
    expect(r.body.error_description).toMatch(/^MP-124/);
  });

  it("MP-123: x5c that holds no certificate", async () => {
    const client = await createClient(sim, await adminToken(sim));
    const r = await certGrant(client.client_id, certs.vendor, certs.vendor.keyPem, ["bm90IGEgY2VydA=="]);
    expect(r.body.error).toBe("invalid_grant");
    expect(r.body.error_description).toMatch(/^MP-123/);
  });

  it("MP-123: x5c from a client that has registered keys (it must use kid)", async () => {
    const admin = await adminToken(sim);
    const client = await createClient(sim, admin);
    await registerKeys(sim, admin, client.client_id, [(await newRsaKey("registered")).publicJwk]);
    const r = await certGrant(client.client_id, certs.vendor);
    expect(r.body.error_description).toMatch(/^MP-123/);
  });

  it("MP-120: a certificate that has expired on the simulator clock", async () => {
    const client = await createClient(sim, await adminToken(sim));
    await advanceClock(sim, 3 * 86400);
    const r = await certGrant(client.client_id, certs.vendor);
    expect(r.status).toBe(400);
    expect(r.body.error_description).toMatch(/^MP-120/);
  });
});
