import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Context, configureContext } from "../../providers/core/context";
import { resolveSettings } from "../../providers/core/settings";
import { clientKeysProvider } from "../../providers/digdir/client-keys";
import { checkClientKeysInputs } from "../../providers/digdir/client-keys-model";
import { clientProvider } from "../../providers/digdir/client-provider";
import { checkClientInputs, krrScopes } from "../../providers/digdir/client-model";
import { control, localConfig, startSim, type Simulator, type SimStats as Stats } from "../support/sim";

const day = 24 * 3600;

/** The services' clock, as the providers read it from Date headers, against the simulator's movable clock. */
describe("the services' clock", () => {
  let sim: Simulator;
  const fresh = () => new Context(resolveSettings({ get: (k) => localConfig(sim)[k] }));

  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(async () => {
    await sim?.close();
  });

  test("a fresh context reads the time once, from Maskinporten's metadata, and then needs no request", async () => {
    await control(sim, "POST", "/clock", { advanceSeconds: 10 * day });
    const ctx = fresh();
    expect(Math.abs(ctx.now() - Date.now())).toBeLessThan(1000);
    await control(sim, "GET", "/stats?reset=true");
    const now = await ctx.serverNow();
    expect(now - Date.now()).toBeGreaterThan(10 * day * 1000 - 5000);
    expect(now - Date.now()).toBeLessThan(10 * day * 1000 + 5000);
    await ctx.serverNow();
    const stats = await control<Stats>(sim, "GET", "/stats");
    expect(Object.entries(stats.routes).map(([r, v]) => [r, v.count])).toEqual([
      ["GET /maskinporten/.well-known/oauth-authorization-server", 1],
    ]);
    await ctx.http.close();
  });

  test("after the service's clock jumps, the next token exchange tells the context the new time", async () => {
    const ctx = configureContext({ get: (k) => localConfig(sim)[k] });
    const created = await clientProvider("MaskinportenClient").create(
      checkClientInputs("MaskinportenClient", { name: "clock", scopes: krrScopes }, "local").inputs,
    );
    const before = ctx.now() - Date.now();
    await control(sim, "POST", "/clock", { advanceSeconds: 30 * day });
    await clientProvider("MaskinportenClient").read!(created.id, created.outs);
    expect(ctx.now() - Date.now() - before).toBeGreaterThan(30 * day * 1000 - 5000);
  });

  test("a key set's diff follows the simulator's clock: nothing due, then renewal due after the clock moves", async () => {
    const ctx = configureContext({ get: (k) => localConfig(sim)[k] });
    const client = await clientProvider("MaskinportenClient").create(
      checkClientInputs("MaskinportenClient", { name: "keys-clock", scopes: krrScopes }, "local").inputs,
    );
    const provider = clientKeysProvider();
    const inputs = checkClientKeysInputs({ clientId: client.id, generate: true, renewBeforeDays: 30 }, Math.floor(ctx.now() / 1000)).inputs;
    const created = await provider.create(inputs);
    await control(sim, "GET", "/stats?reset=true");
    expect((await provider.diff!(client.id, created.outs, inputs)).changes).toBe(false);
    expect((await control<Stats>(sim, "GET", "/stats")).total).toBe(0);
    // Digdir gave the key one year; 30 days before that, renewal is due, by the simulator's clock alone.
    await control(sim, "POST", "/clock", { advanceSeconds: 336 * day });
    // A fresh host would read the time from the metadata; this context learns it from its next answer (a refresh).
    await provider.read!(client.id, created.outs);
    expect((await provider.diff!(client.id, created.outs, inputs)).changes).toBe(true);
    await provider.delete!(client.id, created.outs);
  });
});
