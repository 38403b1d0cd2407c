import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { configureContext } from "../../providers/core/context";
import { isApiError, type ApiError } from "../../providers/core/errors";
import { DigdirScopeApi } from "../../providers/digdir/api";
import { apiScopeProvider } from "../../providers/digdir/api-scope";
import { checkApiScopeInputs } from "../../providers/digdir/api-scope-model";
import { scopeAccessProvider } from "../../providers/digdir/scope-access";
import { control, localConfig, startSim, type Simulator } from "../support/sim";

async function failure(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof Error)) throw new Error(`expected an error, got ${String(e)}`);
  return e;
}

/** The scope providers in-process, against the simulator over HTTP: the edges of the scope API. */
describe("scope API edges", () => {
  let sim: Simulator;
  let api: DigdirScopeApi;
  const scopes = apiScopeProvider();
  const access = scopeAccessProvider();

  beforeAll(async () => {
    sim = await startSim();
    api = new DigdirScopeApi(configureContext({ get: (k) => localConfig(sim)[k] }));
  });
  afterAll(async () => {
    await sim?.close();
  });

  test("a prefix Digdir has not assigned to the organisation is refused before the POST, listing the organisation's prefixes", async () => {
    await control(sim, "GET", "/stats?reset=true");
    const e = await failure(scopes.create(checkApiScopeInputs({ prefix: "ikke-min", subscope: "x", description: "x" }).inputs));
    expect(e.message).toMatch(/prefix "ikke-min" is not assigned to your organisation \(its prefixes are "leverandor"/);
    const stats = await control<{ routes: Record<string, unknown> }>(sim, "GET", "/stats");
    expect(Object.keys(stats.routes).filter((r) => r.startsWith("POST /samarbeid"))).toEqual([]);
    // When Digdir's own check is what refuses (the list said yes), its reason is passed on.
    expect(await api.listPrefixes()).toEqual(["leverandor"]);
  });

  test("a scope the service refuses anyway reports Digdir's reason", async () => {
    const e = (await failure(
      api.createScope(checkApiScopeInputs({ prefix: "andreleverandor", subscope: "x", description: "x" }).inputs),
    )) as ApiError;
    expect(isApiError(e)).toBe(true);
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/andreleverandor/);
  });

  // Whether GET /scopes/scope?scope= shows a deactivated scope is not documented: both answers.
  test.each([{ deactivatedScopeRead: "inactive" }, { deactivatedScopeRead: "hidden" }])(
    "a scope deactivated outside Pulumi reads as gone; declaring it again reactivates it with the declared fields ($deactivatedScopeRead)",
    async (answers) => {
      await control(sim, "POST", "/config", answers);
      try {
        const inputs = checkApiScopeInputs({
          prefix: "leverandor",
          subscope: `contract/outside/${answers.deactivatedScopeRead}`,
          description: "Før",
        }).inputs;
        const created = await scopes.create(inputs);
        expect((await scopes.read!(created.id, created.outs)).props).toMatchObject({ name: created.id, active: true, description: "Før" });
        await api.deactivateScope(created.id);
        expect((await scopes.read!(created.id, created.outs)).id).toBe("");
        expect((await api.findScope(created.id))?.active).toBe(false);
        const again = await scopes.create({ ...inputs, description: "Etter" });
        expect(again.outs).toMatchObject({ active: true, description: "Etter" });
        expect((await api.getScope(created.id))?.active).toBe(true);
        await scopes.delete!(created.id, again.outs);
      } finally {
        await control(sim, "POST", "/config", { deactivatedScopeRead: "inactive" });
      }
    },
  );

  test("a grant on a scope that is not the organisation's fails naming the scope; a grant of a gone scope reads as gone", async () => {
    const e = await failure(access.create({ scope: "leverandor:contract/never-created", consumerOrgNo: "974761076" }));
    expect(e.message).toMatch(/leverandor:contract\/never-created/);
    const id = "leverandor:contract/never-created|974761076";
    expect((await access.read!(id, { scope: "leverandor:contract/never-created", consumerOrgNo: "974761076" })).id).toBe("");
    // Revoking what is not there is no error: a destroy after someone else revoked the grant completes.
    await access.delete!(id, { scope: "leverandor:contract/never-created", consumerOrgNo: "974761076" });
  });
});
