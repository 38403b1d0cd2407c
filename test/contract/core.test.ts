import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { MaskinportenTokens, readCertificateChain, readPrivateKey } from "../../providers/core/auth";
import { Context, configureContext } from "../../providers/core/context";
import { isApiError, type ApiError } from "../../providers/core/errors";
import { HttpClient } from "../../providers/core/http";
import { DigdirClientApi } from "../../providers/digdir/api";
import { clientProvider } from "../../providers/digdir/client-provider";
import { checkClientInputs, krrScopes } from "../../providers/digdir/client-model";
import { withSimulatorContext } from "../support/contract";
import { control, credentialOf, localConfig, type SimStats as Stats, type Simulator } from "../support/sim";

const count = (s: Stats, label: string) =>
  Object.entries(s.routes)
    .filter(([k]) => k.includes(label))
    .reduce((n, [, v]) => n + v.count, 0);

async function failure(p: Promise<unknown>): Promise<ApiError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!isApiError(e)) throw new Error(`expected an ApiError, got ${String(e)}`);
  return e;
}

/** The providers' shared HTTP, token and error handling, against the simulator over a socket. */
describe("core against the simulator", () => {
  let sim: Simulator;
  let ctx: Context;
  let api: DigdirClientApi;

  withSimulatorContext((s) => ({ sim, ctx, api } = s));

  async function newClient(name: string): Promise<string> {
    const inputs = checkClientInputs("MaskinportenClient", { name, scopes: krrScopes }, "local").inputs;
    return (await clientProvider("MaskinportenClient").create(inputs)).id;
  }

  test("many calls with one credential and scope set make one token request", async () => {
    await control(sim, "GET", "/stats?reset=true");
    await Promise.all(Array.from({ length: 20 }, (_, i) => newClient(`c${i}`)));
    await Promise.all(Array.from({ length: 10 }, () => api.getClient("nope")));
    const stats = await control<Stats>(sim, "GET", "/stats");
    expect(count(stats, "/maskinporten/token")).toBeLessThanOrEqual(1);
    expect(count(stats, "POST /samarbeid/api/v1/clients")).toBe(20);
  });

  test("concurrent callers share one token request", async () => {
    const tokens = new MaskinportenTokens(new HttpClient(), ctx.settings.endpoints.maskinportenWellKnown);
    const credential = credentialOf(sim.bootstrap);
    const got = await Promise.all(Array.from({ length: 10 }, () => tokens.token(credential, { scopes: ["idporten:dcr.read"] })));
    expect(new Set(got.map((t) => t.accessToken)).size).toBe(1);
    expect([...tokens.requestsByKey.values()]).toEqual([1]);
  });

  test("a read answered 429 with Retry-After is retried after the wait and succeeds", async () => {
    const id = await newClient("retry-429");
    await control(sim, "POST", "/faults", { rules: [{ method: "GET", path: `/clients/${id}$`, status: 429, retryAfter: 1, times: 2 }] });
    const before = ctx.http.stats.retries;
    const started = Date.now();
    expect((await api.getClient(id))?.clientId).toBe(id);
    expect(ctx.http.stats.retries - before).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
  });

  test("a create answered 429 with Retry-After is sent again after the wait, and makes one client", async () => {
    await control(sim, "POST", "/faults", {
      rules: [{ method: "POST", path: "/samarbeid/api/v1/clients$", status: 429, retryAfter: 1, times: 2 }],
    });
    await control(sim, "GET", "/stats?reset=true");
    const before = (await api.listClients()).length;
    const started = Date.now();
    const id = await newClient("retry-429-create");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(count(await control<Stats>(sim, "GET", "/stats"), "POST /samarbeid/api/v1/clients")).toBe(3);
    const after = await api.listClients();
    expect(after.length).toBe(before + 1);
    expect(after.filter((c) => c.name === "retry-429-create").map((c) => c.clientId)).toEqual([id]);
  });

  test("a create answered 503 every time fails after the capped attempts, saying how many and over how long", async () => {
    await control(sim, "POST", "/faults", { rules: [{ method: "POST", path: "/samarbeid/api/v1/clients$", status: 503 }] });
    await control(sim, "GET", "/stats?reset=true");
    const e = await failure(newClient("always-503"));
    expect(e.status).toBe(503);
    expect(e.attempts).toBe(5);
    expect(e.message).toMatch(
      /answered 503 \(5 attempts over \d+(\.\d)? m?s\).*busy or unavailable on every one of 5 attempts over .*try again later/,
    );
    expect(e.message).not.toMatch(/retries did not help/);
    expect(count(await control<Stats>(sim, "GET", "/stats"), "POST /samarbeid/api/v1/clients")).toBe(5);
  });

  test("a Retry-After longer than the longest wait allowed is not waited out, and the error says what was asked", async () => {
    await control(sim, "POST", "/faults", {
      rules: [{ method: "POST", path: "/samarbeid/api/v1/clients$", status: 429, retryAfter: 3600, times: 1 }],
    });
    const started = Date.now();
    const e = await failure(newClient("long-retry-after"));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(e.message).toMatch(
      /answered 429.*asked to be called again in 3600 s, longer than the longest wait allowed \(digdir:httpMaxWaitSeconds\)/,
    );
  });

  test("a token endpoint outage is named as an outage, not as a bad key", async () => {
    const tokens = new MaskinportenTokens(new HttpClient({ baseDelayMs: 10 }), ctx.settings.endpoints.maskinportenWellKnown);
    await control(sim, "POST", "/faults", { rules: [{ method: "POST", path: "/maskinporten/token$", status: 503 }] });
    const e = await failure(tokens.token(credentialOf(sim.bootstrap), { scopes: ["idporten:dcr.read"] }));
    expect(e.status).toBe(503);
    expect(e.message).toMatch(
      /token endpoint is unavailable \(an outage or overload at Digdir, not a problem with the client, key or scopes\) on every one of 5 attempts/,
    );
    expect(e.message).not.toMatch(/refused the grant|check the client id/);
  });

  test("an update whose answer is lost after it was carried out is sent again and succeeds", async () => {
    const id = await newClient("commit-then-fail");
    await control(sim, "POST", "/faults", { rules: [{ method: "PUT", path: `/clients/${id}$`, commitThenFail: 502, times: 1 }] });
    const live = (await api.getClient(id))!;
    const declared = checkClientInputs("MaskinportenClient", { name: "renamed", scopes: krrScopes }, "local").inputs;
    const updated = await api.updateClient(id, "MaskinportenClient", live, declared);
    expect(updated.name).toBe("renamed");
    expect((await api.getClient(id))?.name).toBe("renamed");
  });

  test("a reset connection on a read is retried", async () => {
    const id = await newClient("reset");
    await control(sim, "POST", "/faults", { rules: [{ method: "GET", path: `/clients/${id}$`, reset: true, times: 1 }] });
    expect((await api.getClient(id))?.clientId).toBe(id);
  });

  test("a service that cannot be reached gives an error naming the host and what to check", async () => {
    const dead = new DigdirClientApi(
      configureContext({ get: (k) => ({ ...localConfig(sim), "digdir:simulatorUrl": "http://127.0.0.1:1" })[k] }),
    );
    const e = await dead.getClient("x").then(
      () => undefined,
      (x: Error) => x,
    );
    expect(e?.message).toMatch(/got no answer \(5 attempts over .*\).*Could not reach 127\.0\.0\.1:1: check the network/);
    configureContext({ get: (k) => localConfig(sim)[k] });
  });

  test("a token the service no longer accepts is replaced once, and grants follow the service's clock", async () => {
    const id = await newClient("expired-token");
    await api.getClient(id);
    await control(sim, "POST", "/clock", { advanceSeconds: 3600 });
    await control(sim, "GET", "/stats?reset=true");
    expect((await api.getClient(id))?.clientId).toBe(id);
    const stats = await control<Stats>(sim, "GET", "/stats");
    // The service's clock jumped an hour: the first grant is refused as expired (MP-130), the second is signed
    // with the service's time read from its Date header.
    expect(stats.routes["POST /maskinporten/token"].statuses).toEqual({ "400": 1, "200": 1 });
    expect(stats.routes[Object.keys(stats.routes).find((k) => k.startsWith("GET /samarbeid/api/v1/clients/"))!].statuses).toEqual({
      "401": 1,
      "200": 1,
    });
    await api.getClient(id);
    expect((await control<Stats>(sim, "GET", "/stats")).routes["POST /maskinporten/token"].count).toBe(2);
  });

  test("Maskinporten's refusal carries the MP code and a sentence on what to do, never the grant", async () => {
    const tokens = new MaskinportenTokens(new HttpClient(), ctx.settings.endpoints.maskinportenWellKnown);
    const credential = credentialOf(sim.bootstrap);
    const e = await failure(tokens.token(credential, { scopes: ["nav:not-on-the-client"] }));
    expect(e.codes).toContain("MP-200");
    expect(e.message).toMatch(/Maskinporten: POST \/maskinporten\/token answered 400 \[MP-200\].*add it to the client's scopes/);
    expect(e.message).not.toMatch(/eyJ/);
  });

  test("a business certificate (x5c) gets a token for a client without registered keys", async () => {
    const dir = mkdtempSync(join(tmpdir(), "x5c-"));
    try {
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-keyout",
          join(dir, "key.pem"),
          "-out",
          join(dir, "cert.pem"),
          "-days",
          "2",
          "-subj",
          "/C=NO/O=Simulert Systemleverandør AS/serialNumber=991825827/CN=Simulert",
        ],
        { stdio: "ignore" },
      );
      const id = await newClient("x5c");
      const tokens = new MaskinportenTokens(new HttpClient(), ctx.settings.endpoints.maskinportenWellKnown);
      const credential = {
        clientId: id,
        key: readPrivateKey(readFileSync(join(dir, "key.pem"), "utf8"), "key").key,
        x5c: readCertificateChain(readFileSync(join(dir, "cert.pem"), "utf8"), "chain"),
      };
      const token = await tokens.token(credential, { scopes: [krrScopes[0]] });
      expect(token.scope).toContain(krrScopes[0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
