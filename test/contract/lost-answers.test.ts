import { describe, expect, test } from "vitest";
import type { Context } from "../../providers/core/context";
import { recoveries } from "../../providers/core/recovery";
import { DigdirClientApi, DigdirScopeApi } from "../../providers/digdir/api";
import { apiScopeProvider } from "../../providers/digdir/api-scope";
import { scopeAccessProvider } from "../../providers/digdir/scope-access";
import { clientProvider } from "../../providers/digdir/client-provider";
import { candidateClientId } from "../../providers/digdir/client-create";
import { checkClientInputs } from "../../providers/digdir/client-model";
import { systemProvider } from "../../providers/altinn/system";
import { withSimulatorContext } from "../support/contract";
import { control, type SimStats as Stats, type Simulator } from "../support/sim";

const CLIENTS = "^/samarbeid/api/v1/clients$";

/**
 * A create whose answer is lost makes one object, never two: in the same run (read back by the chosen id) and
 * in the next (the same id chosen again from the resource's createKey). Against the simulator over a socket,
 * with its fault injection.
 */
describe("client creates whose answer is lost", () => {
  let sim: Simulator;
  let ctx: Context;
  let api: DigdirClientApi;
  const provider = clientProvider("MaskinportenClient");

  withSimulatorContext((s) => ({ sim, ctx, api } = s), { "digdir:httpTimeoutSeconds": "2" });

  const inputsFor = async (name: string, createKey?: string) => {
    const checked = await provider.check!({}, { name, scopes: ["krr:global/kontaktinformasjon.read"], ...(createKey && { createKey }) });
    expect(checked.failures ?? []).toEqual([]);
    return checked.inputs!;
  };
  const named = async (name: string) => (await api.listClients()).filter((c) => c.name === name);

  for (const [what, rule] of [
    ["the connection reset after the server committed", { commitThenFail: "reset" }],
    ["a 500 after the server committed", { commitThenFail: 500 }],
    ["an answer slower than the time-out", { delayMs: 3000 }],
  ] as const) {
    test(`${what}: one client, found by reading back the chosen id`, async () => {
      const name = `lost-${what.split(" ")[1]}`;
      await control(sim, "POST", "/faults", { rules: [{ method: "POST", path: CLIENTS, times: 1, ...rule }] });
      const created = await provider.create!(await inputsFor(name, `proj/stack/MaskinportenClient/${name}`));
      // The slow POST commits after the second one: wait it out before counting.
      if ("delayMs" in rule) await new Promise((r) => setTimeout(r, 1500));
      const live = await named(name);
      expect(live.map((c) => c.clientId)).toEqual([created.id]);
      expect(created.outs.clientId).toBe(created.id);
    });
  }

  test("without a createKey the id is still chosen before the POST, so a lost answer is read back", async () => {
    await control(sim, "POST", "/faults", { rules: [{ method: "POST", path: CLIENTS, times: 1, commitThenFail: "reset" }] });
    const created = await provider.create!(await inputsFor("lost-no-key"));
    expect((await named("lost-no-key")).map((c) => c.clientId)).toEqual([created.id]);
  });

  test("the next run after a crash chooses the same id and adopts the client, reporting what it found", async () => {
    const key = "proj/stack/MaskinportenClient/crashed";
    // A POST that was carried out while the run died: the client exists under the chosen id, the state knows
    // nothing of it (the engine kills the provider host; the CLI tests do that for real).
    const id0 = candidateClientId({ environment: "local", orgNo: sim.bootstrap.orgNo, createKey: key }, 0);
    const before = { name: "crashed", description: "before the crash", scopes: ["krr:global/kontaktinformasjon.read"] };
    await api.createClient("MaskinportenClient", checkClientInputs("MaskinportenClient", before, "local").inputs, id0);
    const again = await provider.create!(await inputsFor("crashed", key));
    expect(again.id).toBe(id0);
    expect((await named("crashed")).map((c) => c.clientId)).toEqual([id0]);
    expect((await api.getClient(id0))?.description).toBe("crashed");
    expect(recoveries().at(-1)).toMatch(
      new RegExp(`MaskinportenClient crashed: client ${again.id} already existed under this resource's chosen id .*adopted it`),
    );
  });

  test("after a delete, the same resource gets the next id of its sequence, not the deleted one back", async () => {
    const key = "proj/stack/MaskinportenClient/recreated";
    const first = await provider.create!(await inputsFor("recreated", key));
    const orgNo = sim.bootstrap.orgNo;
    expect(first.id).toBe(candidateClientId({ environment: "local", orgNo, createKey: key }, 0));
    await provider.delete!(first.id, first.outs);
    const second = await provider.create!(await inputsFor("recreated", key));
    expect(second.id).toBe(candidateClientId({ environment: "local", orgNo, createKey: key }, 1));
    expect((await named("recreated")).map((c) => c.clientId)).toEqual([second.id]);
  });

  test("a replacement by another integration type does not adopt the client it replaces", async () => {
    const key = "proj/stack/KrrClient/replaced";
    const krr = clientProvider("KrrClient");
    const old = await krr.create!((await krr.check!({}, { name: "replaced", createKey: key })).inputs);
    const mp = await provider.create!(await inputsFor("replaced", key));
    expect(mp.id).not.toBe(old.id);
    expect((await api.getClient(old.id))?.integrationType).toBe("krr");
  });

  test("a create answered 503 then 429 is sent again and makes one client", async () => {
    await control(sim, "POST", "/faults", {
      rules: [
        { method: "POST", path: CLIENTS, times: 1, status: 503 },
        { method: "POST", path: CLIENTS, times: 1, status: 429, retryAfter: 1 },
      ],
    });
    await control(sim, "GET", "/stats?reset=true");
    const created = await provider.create!(await inputsFor("busy", "proj/stack/MaskinportenClient/busy"));
    expect((await named("busy")).map((c) => c.clientId)).toEqual([created.id]);
    const stats = await control<Stats>(sim, "GET", "/stats");
    expect(stats.routes["POST /samarbeid/api/v1/clients"].statuses).toEqual({ "503": 1, "429": 1, "200": 1 });
  });

  describe("system creates", () => {
    const systems = systemProvider();
    const SYSTEMS = "^/altinn/authentication/api/v1/systemregister/vendor$";
    const declare = async (systemId: string, clientIds: string[]) => {
      const checked = await systems.check!(
        {},
        {
          systemId,
          name: { nb: "Sky", nn: "Sky", en: "Sky" },
          description: { nb: "Regnskap", nn: "Rekneskap", en: "Accounting" },
          rights: [{ resource: [{ value: "ske-krav-og-betalinger" }] }],
          clientIds,
          isVisible: true,
        },
      );
      expect(checked.failures ?? []).toEqual([]);
      return checked.inputs!;
    };

    for (const [what, rule] of [
      ["the connection reset after commit", { commitThenFail: "reset" }],
      ["a 500 after commit", { commitThenFail: 500 }],
    ] as const) {
      test(`${what}: the system is read back by id and adopted`, async () => {
        const client = await provider.create!(await inputsFor(`sys-${what.length}`, `proj/stack/MaskinportenClient/sys-${what.length}`));
        const systemId = `${sim.bootstrap.orgNo}_lost${what.length}`;
        await control(sim, "POST", "/faults", { rules: [{ method: "POST", path: SYSTEMS, times: 1, ...rule }] });
        const created = await systems.create!(await declare(systemId, [client.id]));
        expect(created.id).toBe(systemId);
        expect(created.outs).toMatchObject({ systemId, clientIds: [client.id] });
      });
    }

    test("the next run after a crash takes over the system under its id, saying so", async () => {
      const client = await provider.create!(await inputsFor("sys-crash", "proj/stack/MaskinportenClient/sys-crash"));
      const systemId = `${sim.bootstrap.orgNo}_crashed`;
      const inputs = await declare(systemId, [client.id]);
      // The POST of the killed run, carried out.
      await control(sim, "POST", "/faults", {
        rules: [
          { method: "POST", path: SYSTEMS, times: 1, commitThenFail: "reset" },
          { method: "GET", path: `/vendor/${systemId}$`, status: 400, times: 20 },
        ],
      });
      await expect(systems.create!(inputs)).rejects.toThrow(/400/);
      await control(sim, "DELETE", "/faults");
      const again = await systems.create!(inputs);
      expect(again.id).toBe(systemId);
      expect(recoveries().at(-1)).toMatch(new RegExp(`System ${systemId}: it existed already .*taken over`));

      // Taken over by its id with other fields too (adoption by id): brought to the declared ones.
      const other = await declare(`${sim.bootstrap.orgNo}_crashed`, [client.id]);
      (other as { name: unknown }).name = { nb: "Annet", nn: "Anna", en: "Other" };
      const third = await systems.create!(other);
      // What `pulumi import` does: a read with no properties at all.
      const imported = await systems.read!(systemId, undefined as never);
      expect(imported.id).toBe(systemId);
      expect(imported.props).toMatchObject({ systemId, clientIds: [client.id] });
      expect(third.outs).toMatchObject({ name: { nb: "Annet", nn: "Anna", en: "Other" } });
    });
  });

  test("a scope whose create answer was lost is read back by name and adopted; a grant is simply sent again", async () => {
    const scopes = apiScopeProvider();
    const checked = await scopes.check!({}, { prefix: "leverandor", subscope: "lost/orders.read", description: "Ordrer" });
    await control(sim, "POST", "/faults", {
      rules: [
        { method: "POST", path: "^/samarbeid/api/v1/scopes$", times: 1, commitThenFail: "reset" },
        { method: "PUT", path: "^/samarbeid/api/v1/scopes/access/", times: 1, commitThenFail: "reset" },
      ],
    });
    const created = await scopes.create!(checked.inputs!);
    expect(created.id).toBe("leverandor:lost/orders.read");
    expect(recoveries().at(-1)).toMatch(
      /ApiScope leverandor:lost\/orders.read: it was made although the answer to its POST was lost: it was taken over/,
    );
    const grants = scopeAccessProvider();
    const grant = await grants.create!((await grants.check!({}, { scope: created.id, consumerOrgNo: "310000019" })).inputs!);
    expect(grant.outs).toMatchObject({ scope: created.id, consumerOrgNo: "310000019" });
    const rows = await new DigdirScopeApi(ctx).listAccess(created.id);
    expect(rows?.filter((r) => r.consumerOrgNo === "310000019")).toHaveLength(1);
  });
});
