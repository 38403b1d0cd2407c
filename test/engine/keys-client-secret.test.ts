import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { engineAgainstSim, type EngineAgainstSim } from "../support/engine";
import { type ProviderHost, urnOf } from "../support/provider-host";
import { control, type Simulator, type SimStats as Stats } from "../support/sim";

/** Secret-based ID-porten clients: a new client secret on a change of rotationTrigger, through the provider host. */
describe("client secret rotation", () => {
  let engine: EngineAgainstSim;
  let sim: Simulator;
  let host: ProviderHost;
  let provider: string;

  beforeAll(async () => {
    engine = await engineAgainstSim(["IdportenClient"]);
    ({ sim, host } = engine);
    provider = engine.P.IdportenClient;
  });
  afterAll(() => engine?.close());

  test("changing rotationTrigger gets a new secret in place, without a PUT of the client", async () => {
    const urn = urnOf("IdportenClient", "secret-rotation");
    const declared = {
      __provider: provider,
      name: "Hemmelig",
      clientUri: "https://app.example.no",
      redirectUris: ["https://app.example.no/cb"],
      tokenEndpointAuthMethod: "client_secret_post",
    };
    const first = await host.check(urn, {}, { ...declared, rotationTrigger: "2026-01" });
    expect(first.failures).toEqual([]);
    const created = await host.create(urn, first.inputs);
    const s1 = created.outs.clientSecret as string;
    expect(s1.length).toBeGreaterThan(10);
    expect(created.outs.rotationTrigger).toBe("2026-01");

    expect(await host.diff(urn, created.id, created.outs, first.inputs)).toEqual({
      changes: "none",
      replaces: [],
      deleteBeforeReplace: false,
    });
    const read = await host.read(urn, created.id, created.outs);
    expect(read.props.rotationTrigger).toBe("2026-01");
    expect(await host.diff(urn, created.id, read.props, first.inputs)).toMatchObject({ changes: "none" });

    const second = await host.check(urn, first.inputs, { ...declared, rotationTrigger: "2026-02" });
    expect(await host.diff(urn, created.id, created.outs, second.inputs)).toEqual({
      changes: "some",
      replaces: [],
      deleteBeforeReplace: false,
    });
    await control(sim, "GET", "/stats?reset=true");
    const updated = await host.update(urn, created.id, created.outs, second.inputs);
    const s2 = updated.outs.clientSecret as string;
    expect(s2).not.toBe(s1);
    expect(s2.length).toBeGreaterThan(10);
    expect(updated.outs.rotationTrigger).toBe("2026-02");
    const routes = Object.keys((await control<Stats>(sim, "GET", "/stats")).routes);
    expect(routes.filter((r) => /^POST .*\/clients\/[^/]+\/secret$/.test(r))).toHaveLength(1);
    expect(routes.filter((r) => r.startsWith("PUT "))).toEqual([]);

    // Removing the trigger is a change too; a client without a secret refuses one.
    const keyed = await host.check(urn, second.inputs, {
      ...declared,
      tokenEndpointAuthMethod: "private_key_jwt",
      rotationTrigger: "2026-03",
    });
    expect(keyed.failures.map((f) => f.property)).toEqual(["rotationTrigger"]);

    await host.delete(urn, created.id, updated.outs);
    for (const secret of [s1, s2]) expect(host.stderr()).not.toContain(secret);
  });
});
