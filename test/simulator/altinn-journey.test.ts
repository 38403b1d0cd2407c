import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { A, accept, createRequest, createSystem, CUSTOMER, PKG, REGISTER, REQUESTS, right, SCOPE, systemBody } from "./altinn-helpers";
import {
  adminToken,
  call,
  createClient,
  decodeJwtPayload,
  newRsaKey,
  registerKeys,
  start,
  tokenFor,
  VENDOR,
  type KeyPair,
  type Sim,
} from "./helpers";

// The whole vendor journey over HTTP, as the seeds describe it: a Maskinporten client, a system naming it,
// a request to a customer, the customer approving on the confirm page, and a system user token.

let sim: Sim;
let admin: string;
let client: { client_id: string };
let key: KeyPair;

beforeAll(async () => {
  sim = await start();
  admin = await adminToken(sim);
  key = await newRsaKey("smartcloud-key");
  client = await createClient(sim, admin, { client_name: "SmartCloud", scopes: [SCOPE.read] });
  expect((await registerKeys(sim, admin, client.client_id, [key.publicJwk])).status).toBe(200);
});
afterAll(() => sim.close());

const systemUserGrant = (detail: Record<string, unknown>) =>
  tokenFor(sim, {
    clientId: client.client_id,
    key: key.privateJwk,
    scope: SCOPE.read,
    claims: {
      authorization_details: [
        { type: "urn:altinn:systemuser", systemuser_org: { authority: "iso6523-actorid-upis", ID: `0192:${CUSTOMER}` }, ...detail },
      ],
    },
  });

describe("vendor journey", () => {
  it("registers a system, gets it approved on the confirm page, and obtains a system user token", async () => {
    const system = systemBody({
      clientId: [client.client_id],
      allowedRedirectUrls: ["https://smartcloud.example/receipt"],
      name: { nb: "SmartCloud 1", nn: "Smart SKY", en: "SmartCloud 1" },
    });
    const created = await call(sim, "POST", REGISTER, { token: admin, json: system });
    expect(created.status).toBe(200);
    expect(created.body).toMatch(/^[0-9a-f-]{36}$/);

    // Before any request: no system user, so Maskinporten answers MP-303.
    const early = await systemUserGrant({ externalRef: "kunde-1" });
    expect(early.status).toBe(400);
    expect(early.body.error).toBe("invalid_altinn_customer_configuration");
    expect(early.body.error_description).toMatch(/^MP-303/);

    const request = await call(sim, "POST", REQUESTS, {
      token: admin,
      json: {
        systemId: system.id,
        partyOrgNo: CUSTOMER,
        externalRef: "kunde-1",
        rights: [right("ske-krav-og-betalinger")],
        accessPackages: [{ urn: PKG }],
        redirectUrl: "https://smartcloud.example/receipt?state=abc",
      },
    });
    expect(request.status).toBe(201);
    const id = request.body.id as string;
    expect(request.body).toMatchObject({
      systemId: system.id,
      partyOrgNo: CUSTOMER,
      externalRef: "kunde-1",
      status: "New",
      escalated: false,
      timedOut: false,
    });
    expect(request.body.confirmUrl).toBe(`${sim.url}/am/accessmanagement/ui/systemuser/request?id=${id}&DONTCHOOSEREPORTEE=true`);
    expect(request.headers.get("location")).toBe(`${sim.url}${A}/systemuser/request/${id}`);

    // Still New: MP-303.
    expect((await systemUserGrant({ externalRef: "kunde-1" })).body.error_description).toMatch(/^MP-303/);

    // The customer opens the confirm page.
    const page = await fetch(request.body.confirmUrl);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    const html = await page.text();
    expect(html).toContain("SmartCloud 1");
    expect(html).toContain("Simulert Systemleverandør AS");
    expect(html).toContain(VENDOR);
    expect(html).toContain("ske-krav-og-betalinger");
    expect(html).toContain(PKG);
    expect(html).toContain("Kunde En AS");
    expect(html).toMatch(/<button[^>]*>Godkjenn<\/button>/);
    expect(html).toMatch(/<button[^>]*>Avvis<\/button>/);

    // ... and approves: back to the vendor's redirectUrl.
    const approved = await fetch(request.body.confirmUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "action=approve",
      redirect: "manual",
    });
    expect(approved.status).toBe(302);
    expect(approved.headers.get("location")).toBe("https://smartcloud.example/receipt?state=abc");

    // The vendor reads the request: Accepted.
    const read = await call(sim, "GET", `${REQUESTS}/${id}`, { token: admin });
    expect(read.status).toBe(200);
    expect(read.body.status).toBe("Accepted");
    const byRef = await call(sim, "GET", `${REQUESTS}/byexternalref/${system.id}/${CUSTOMER}/kunde-1`, { token: admin });
    expect(byRef.body).toMatchObject({ id, status: "Accepted" });

    // byquery finds the system user.
    const user = await call(sim, "GET", `${A}/systemuser/vendor/byquery?system-id=${system.id}&orgno=${CUSTOMER}&external-ref=kunde-1`, {
      token: admin,
    });
    expect(user.status).toBe(200);
    expect(user.body).toMatchObject({
      systemId: system.id,
      reporteeOrgNo: CUSTOMER,
      externalRef: "kunde-1",
      userType: "standard",
      supplierOrgno: VENDOR,
      isDeleted: false,
      integrationTitle: "SmartCloud 1",
    });
    expect(Object.keys(user.body).sort()).toEqual(
      [
        "created",
        "externalRef",
        "id",
        "integrationTitle",
        "isDeleted",
        "productName",
        "reporteeOrgNo",
        "supplierName",
        "supplierOrgno",
        "systemId",
        "userType",
      ].sort(),
    );

    // The system's own client gets a system user token.
    const token = await systemUserGrant({ externalRef: "kunde-1" });
    expect(token.status).toBe(200);
    const claims = decodeJwtPayload(token.body.access_token);
    expect(claims.consumer).toEqual({ authority: "iso6523-actorid-upis", ID: `0192:${VENDOR}` });
    expect(claims.authorization_details).toEqual([
      {
        type: "urn:altinn:systemuser",
        systemuser_id: [user.body.id],
        systemuser_org: { authority: "iso6523-actorid-upis", ID: `0192:${CUSTOMER}` },
        system_id: system.id,
      },
    ]);

    // Without the externalRef the request used, Altinn finds no system user.
    expect((await systemUserGrant({})).body.error_description).toMatch(/^MP-303/);

    // A second POST with the same key now meets the system user: AUTH-00004.
    const again = await call(sim, "POST", REQUESTS, {
      token: admin,
      json: { systemId: system.id, partyOrgNo: CUSTOMER, externalRef: "kunde-1", rights: [right("ske-krav-og-betalinger")] },
    });
    expect(again.status).toBe(400);
    expect(again.body.code).toBe("AUTH-00004");
    expect(again.headers.get("content-type")).toContain("application/problem+json");
  });
});

describe("around the journey", () => {
  it("escapes what the vendor wrote on the confirm page", async () => {
    const system = await createSystem(sim, admin, { name: { nb: "<script>alert(1)</script>", nn: "x", en: "x" }, clientId: [] });
    const r = await createRequest(sim, admin, {
      systemId: system.id,
      partyOrgNo: CUSTOMER,
      externalRef: "<b>ref</b>",
      integrationTitle: '"quoted" & <i>',
      rights: [right("ske-krav-og-betalinger")],
    });
    const html = await (await fetch(r.body.confirmUrl)).text();
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("&quot;quoted&quot; &amp; &lt;i&gt;");
  });

  it("a request committed but answered 500 (commit-then-fail) is found again by the retry: 200 with the same request", async () => {
    const system = await createSystem(sim, admin, { clientId: [] });
    const body = { systemId: system.id, partyOrgNo: CUSTOMER, externalRef: "retry", rights: [right("ske-krav-og-betalinger")] };
    await call(sim, "POST", "/_sim/faults", {
      json: {
        rules: [{ method: "POST", path: "^/altinn/authentication/api/v1/systemuser/request/vendor$", commitThenFail: 500, times: 1 }],
      },
    });
    expect((await createRequest(sim, admin, body)).status).toBe(500);
    const retry = await createRequest(sim, admin, body);
    expect(retry.status).toBe(200);
    const list = await call(sim, "GET", `${REQUESTS}/bysystem/${system.id}`, { token: admin });
    expect(list.body.data.map((x: any) => x.id)).toEqual([retry.body.id]);
  });

  it("keeps systems, requests and system users across a restart with a state directory, and forgets them on reset", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sim-altinn-"));
    try {
      const first = await start({ stateDir: dir });
      const token = await adminToken(first);
      const system = await createSystem(first, token, { clientId: [] });
      const r = await createRequest(first, token, { systemId: system.id, partyOrgNo: CUSTOMER, rights: [right("ske-krav-og-betalinger")] });
      await accept(first, r.body.id);
      await first.close();

      const second = await start({ stateDir: dir });
      try {
        const t2 = await adminToken(second);
        expect((await call(second, "GET", `${REGISTER}/${system.id}`, { token: t2 })).status).toBe(200);
        expect((await call(second, "GET", `${REQUESTS}/${r.body.id}`, { token: t2 })).body.status).toBe("Accepted");
        expect(
          (await call(second, "GET", `${A}/systemuser/vendor/byquery?system-id=${system.id}&orgno=${CUSTOMER}`, { token: t2 })).status,
        ).toBe(200);
        await call(second, "POST", "/_sim/reset");
        const t3 = await adminToken(second);
        expect((await call(second, "GET", `${REGISTER}/${system.id}`, { token: t3 })).status).toBe(404);
        expect((await call(second, "GET", "/_sim/systemusers")).body.systemUsers).toEqual([]);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
