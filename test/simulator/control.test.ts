import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { adminToken, call, createClient, maskinportenClientBody, start, type Sim } from "./helpers";

let sim: Sim;
beforeAll(async () => {
  sim = await start();
});
beforeEach(async () => {
  await call(sim, "DELETE", "/_sim/faults");
});
afterAll(() => sim.close());

const addFaults = (rules: unknown[]) => call(sim, "POST", "/_sim/faults", { json: { rules } });

describe("faults", () => {
  it("answers a status with Retry-After, only as often as `times` says", async () => {
    const added = await addFaults([{ method: "GET", path: "^/maskinporten/jwk$", status: 503, retryAfter: 7, times: 2 }]);
    expect(added.status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const r = await call(sim, "GET", "/maskinporten/jwk");
      expect(r.status).toBe(503);
      expect(r.headers.get("retry-after")).toBe("7");
    }
    expect((await call(sim, "GET", "/maskinporten/jwk")).status).toBe(200);
  });

  it("matches the method: a POST rule leaves GETs alone", async () => {
    await addFaults([{ method: "POST", path: "^/maskinporten/jwk$", status: 500 }]);
    expect((await call(sim, "GET", "/maskinporten/jwk")).status).toBe(200);
  });

  it("delays a response", async () => {
    await addFaults([{ path: "^/maskinporten/jwk$", delayMs: 300, times: 1 }]);
    const t0 = performance.now();
    const r = await call(sim, "GET", "/maskinporten/jwk");
    expect(r.status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(280);
  });

  it("resets the connection", async () => {
    await addFaults([{ path: "^/maskinporten/jwk$", reset: true, times: 1 }]);
    await expect(fetch(`${sim.url}/maskinporten/jwk`)).rejects.toThrow();
    expect((await call(sim, "GET", "/maskinporten/jwk")).status).toBe(200);
  });

  it("commit-then-fail: carries out a client create, then answers 500", async () => {
    const admin = await adminToken(sim);
    const before = (await call(sim, "GET", "/samarbeid/api/v1/clients", { token: admin })).body.length;
    await addFaults([{ method: "POST", path: "^/samarbeid/api/v1/clients$", commitThenFail: 500, times: 1 }]);
    const r = await call(sim, "POST", "/samarbeid/api/v1/clients", {
      token: admin,
      json: maskinportenClientBody({ client_name: "committed" }),
    });
    expect(r.status).toBe(500);
    const after = (await call(sim, "GET", "/samarbeid/api/v1/clients", { token: admin })).body;
    expect(after.length).toBe(before + 1);
    expect(after.map((c: any) => c.client_name)).toContain("committed");
  });

  it("commit-then-fail with reset: the change happens, the connection drops", async () => {
    const admin = await adminToken(sim);
    await addFaults([{ method: "POST", path: "/clients$", commitThenFail: "reset", times: 1 }]);
    await expect(
      fetch(`${sim.url}/samarbeid/api/v1/clients`, {
        method: "POST",
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
        body: JSON.stringify(maskinportenClientBody({ client_name: "dropped" })),
      }),
    ).rejects.toThrow();
    const after = (await call(sim, "GET", "/samarbeid/api/v1/clients", { token: admin })).body;
    expect(after.map((c: any) => c.client_name)).toContain("dropped");
  });

  it("never faults the control API, and DELETE removes every rule", async () => {
    await addFaults([{ path: ".*", status: 503 }]);
    expect((await call(sim, "GET", "/_sim/stats")).status).toBe(200);
    expect((await call(sim, "GET", "/maskinporten/jwk")).status).toBe(503);
    expect((await call(sim, "DELETE", "/_sim/faults")).status).toBe(204);
    expect((await call(sim, "GET", "/maskinporten/jwk")).status).toBe(200);
  });

  it("refuses a rule with no action or an invalid regex, saying why", async () => {
    const none = await addFaults([{ path: "^/x$" }]);
    expect(none.status).toBe(400);
    expect(none.body.problems.join(" ")).toContain("give one of");
    const badRegex = await addFaults([{ path: "(", status: 500 }]);
    expect(badRegex.status).toBe(400);
    expect(badRegex.body.problems.join(" ")).toContain("regular expression");
  });
});

describe("stats", () => {
  it("counts requests per route and status, and resets the counters on request", async () => {
    await call(sim, "GET", "/_sim/stats?reset=true");
    await call(sim, "GET", "/maskinporten/jwk");
    await call(sim, "GET", "/maskinporten/jwk");
    await call(sim, "GET", "/samarbeid/api/v1/clients");
    await call(sim, "GET", "/no/such/route");
    const r = await call(sim, "GET", "/_sim/stats?reset=true");
    expect(r.body.routes["GET /maskinporten/jwk"]).toEqual({ count: 2, statuses: { "200": 2 } });
    expect(r.body.routes["GET /samarbeid/api/v1/clients"]).toEqual({ count: 1, statuses: { "401": 1 } });
    expect(r.body.routes["GET (unmatched)"].count).toBe(1);
    expect(r.body.total).toBe(4);
    expect(Object.keys(r.body.routes).some((k) => k.includes("/_sim"))).toBe(false);
    expect((await call(sim, "GET", "/_sim/stats")).body.total).toBe(0);
  });
});

describe("config", () => {
  it("reports quirks off when started with quirks: false, and takes changes at run time", async () => {
    const plain = await start({ quirks: false });
    try {
      expect((await call(plain, "GET", "/_sim/config")).body).toEqual({
        keyActivationDelaySeconds: 0,
        clientCreateStatus: 200,
        deletedClients: "hidden",
        deactivatedScopeRead: "inactive",
        quirks: false,
      });
      const changed = await call(plain, "POST", "/_sim/config", { json: { quirks: true, keyActivationDelaySeconds: 30 } });
      expect(changed.body).toMatchObject({ quirks: true, keyActivationDelaySeconds: 30 });
      expect((await call(plain, "POST", "/_sim/config", { json: { clientCreateStatus: 202 } })).status).toBe(400);
    } finally {
      await plain.close();
    }
  });
});

describe("clock", () => {
  it("moves forward by advanceSeconds and refuses going back", async () => {
    const before = (await call(sim, "GET", "/_sim/clock")).body.epochSeconds;
    const r = await call(sim, "POST", "/_sim/clock", { json: { advanceSeconds: 3600 } });
    expect(r.body.epochSeconds - before).toBeGreaterThanOrEqual(3600);
    expect(r.body.epochSeconds - before).toBeLessThan(3605);
    expect((await call(sim, "POST", "/_sim/clock", { json: { advanceSeconds: -5 } })).status).toBe(400);
  });
});

describe("organisations", () => {
  it("adds a vendor with an admin client whose credentials get an admin token", async () => {
    const r = await call(sim, "POST", "/_sim/orgs", { json: { orgNo: "310000027", name: "Kunde To AS", vendor: true } });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body).sort()).toEqual(["clientId", "issuer", "kid", "orgNo", "privateJwk", "scopes", "tokenEndpoint", "url"]);
    expect(r.body.orgNo).toBe("310000027");
    expect(r.body.scopes).toEqual(sim.bootstrap.scopes);
    const token = await adminToken(sim, r.body);
    const created = await createClient(sim, token);
    expect(created.client_orgno).toBe("310000027");
    const again = await call(sim, "POST", "/_sim/orgs", { json: { orgNo: "310000027", name: "Kunde To AS", vendor: true } });
    expect(again.status).toBe(200);
    expect(again.body.clientId).toBe(r.body.clientId);
  });

  it("adds a plain organisation, and refuses an organisation number with a wrong check digit", async () => {
    const plain = await call(sim, "POST", "/_sim/orgs", { json: { orgNo: "310000035", name: "Kunde Tre AS" } });
    expect(plain.status).toBe(200);
    expect(plain.body).toEqual({ orgNo: "310000035", name: "Kunde Tre AS", vendor: false });
    const bad = await call(sim, "POST", "/_sim/orgs", { json: { orgNo: "310000036", name: "Feil AS" } });
    expect(bad.status).toBe(400);
    expect(bad.body.problems[0]).toContain("check digit");
  });
});

describe("reset", () => {
  it("forgets clients, added organisations and faults, but keeps the bootstrap credentials working", async () => {
    const admin = await adminToken(sim);
    const created = await createClient(sim, admin);
    await addFaults([{ path: "^/krr/", status: 500 }]);
    await call(sim, "POST", "/_sim/clock", { json: { advanceSeconds: 1000 } });
    const r = await call(sim, "POST", "/_sim/reset");
    expect(r.status).toBe(200);
    expect((await call(sim, "GET", "/_sim/bootstrap")).body).toEqual(sim.bootstrap);
    expect((await call(sim, "GET", "/_sim/faults")).body.rules).toEqual([]);
    expect(Math.abs((await call(sim, "GET", "/_sim/clock")).body.offsetSeconds)).toBeLessThan(1);
    const fresh = await adminToken(sim);
    expect((await call(sim, "GET", `/samarbeid/api/v1/clients/${created.client_id}`, { token: fresh })).status).toBe(404);
    const list = (await call(sim, "GET", "/samarbeid/api/v1/clients", { token: fresh })).body;
    expect(list.map((c: any) => c.client_id)).toEqual([sim.bootstrap.clientId]);
    const vendor = await call(sim, "POST", "/_sim/orgs", { json: { orgNo: "310000027", name: "Kunde To AS", vendor: true } });
    expect(vendor.status).toBe(201);
  });
});

describe("seed files", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "sim-seed-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("extends the default seed with scopes, consumers and KRR persons", async () => {
    const file = join(dir, "extra.yaml");
    writeFileSync(
      file,
      [
        "scopes:",
        "  - name: test:api.read",
        "organisations:",
        '  - orgNo: "991825827"',
        "    name: Simulert Systemleverandør AS",
        "    vendor: true",
        "    consumableScopes: [test:api.read]",
        "krrPersons:",
        '  - personidentifikator: "01017012345"',
        "    status: AKTIV",
        "    reservasjon: JA",
      ].join("\n"),
    );
    const extended = await start({ seed: file });
    try {
      const admin = await adminToken(extended);
      const created = await call(extended, "POST", "/samarbeid/api/v1/clients", {
        token: admin,
        json: maskinportenClientBody({ scopes: ["test:api.read"] }),
      });
      expect(created.status).toBe(200);
      expect(extended.context.seed.krrPersons.map((p) => p.personidentifikator)).toContain("01017012345");
      expect(extended.context.seed.organisations).toHaveLength(6);
    } finally {
      await extended.close();
    }
  });

  it("refuses an invalid seed file, naming the file and the field", async () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(file, 'organisations:\n  - orgNo: "123"\n    name: X\n');
    await expect(start({ seed: file })).rejects.toThrow(/bad\.yaml[\s\S]*organisations\[0\]\.orgNo: must be 9 digits/);
  });
});
