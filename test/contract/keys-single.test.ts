import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { configureContext } from "../../providers/core/context";
import { PartialUpdateError } from "../../providers/core/errors";
import { DigdirClientApi } from "../../providers/digdir/api";
import { clientKeysProvider } from "../../providers/digdir/client-keys";
import { checkClientKeysInputs, type ClientKeysInputs, type ClientKeysOutputs } from "../../providers/digdir/client-keys-model";
import { clientProvider } from "../../providers/digdir/client-provider";
import { checkClientInputs, krrScopes } from "../../providers/digdir/client-model";
import { rsaKeyPair } from "../support/keys";
import { control, localConfig, startSim, type Simulator, type SimStats as Stats } from "../support/sim";

const day = 24 * 3600;

/**
 * ClientKeys writes what changes one key at a time (`PUT`/`DELETE /clients/{id}/jwks/{kid}`), so a key someone else
 * registers on the client meanwhile is not wiped; the whole set is written where there is no single-key route.
 */
describe("key sets written key by key", () => {
  let sim: Simulator;
  const ctx = () => configureContext({ get: (k) => localConfig(sim)[k] });
  const api = () => new DigdirClientApi(ctx());
  const provider = clientKeysProvider();
  const now = () => Math.floor(ctx().now() / 1000);
  const check = (raw: Record<string, unknown>) => {
    const r = checkClientKeysInputs(raw, now());
    expect(r.failures).toEqual([]);
    return r.inputs;
  };
  const liveKids = async (clientId: string) => ((await api().getJwks(clientId)) ?? []).map((k) => k.kid).sort();
  /** The key-set writes since the last reset, by route and status. */
  const keyWrites = async () =>
    Object.fromEntries(
      Object.entries((await control<Stats>(sim, "GET", "/stats")).routes)
        .filter(([route]) => /jwks/.test(route) && !route.startsWith("GET"))
        .map(([route, s]) => [route, s.statuses]),
    );

  async function newClient(name: string): Promise<string> {
    return (
      await clientProvider("MaskinportenClient").create(
        checkClientInputs("MaskinportenClient", { name, scopes: krrScopes }, "local").inputs,
      )
    ).id;
  }

  /** Someone else registers a key on the client, the way Samarbeidsportalen's "add key" does: one key, the rest kept. */
  async function outsiderKey(clientId: string): Promise<string> {
    const k = rsaKeyPair();
    const answer = await api().putJwk(clientId, { ...k.publicJwk, alg: "RS256", use: "sig" });
    expect(answer).not.toBe("unsupported");
    return k.kid;
  }

  async function update(id: string, olds: ClientKeysOutputs, news: ClientKeysInputs): Promise<ClientKeysOutputs> {
    return (await provider.update!(id, olds, news)).outs as ClientKeysOutputs;
  }

  beforeAll(async () => {
    sim = await startSim();
    await control(sim, "POST", "/config", { keyActivationDelaySeconds: 0 });
    ctx();
  });
  afterEach(async () => {
    await control(sim, "DELETE", "/faults");
    delete process.env.DIGDIR_DEBUG;
  });
  afterAll(async () => {
    await sim?.close();
  });

  test("adding a declared key and then removing the old one leaves a key added outside Pulumi meanwhile in place", async () => {
    const clientId = await newClient("by-key-declared");
    const [a, b] = [rsaKeyPair(), rsaKeyPair()];
    const first = check({ clientId, keys: [a.publicJwk] });
    const created = (await provider.create!(first)).outs as ClientKeysOutputs;
    const other = await outsiderKey(clientId);

    await control(sim, "GET", "/stats?reset=true");
    const both = check({ clientId, keys: [a.publicJwk, b.publicJwk] });
    const added = await update(clientId, created, both);
    expect(added.kids).toEqual([a.kid, b.kid]);
    expect(await liveKids(clientId)).toEqual([a.kid, b.kid, other].sort());
    expect(await keyWrites()).toEqual({ "PUT /samarbeid/api/v1/clients/:id/jwks/:kid": { 200: 1 } });

    await control(sim, "GET", "/stats?reset=true");
    const retired = await update(clientId, added, check({ clientId, keys: [b.publicJwk] }));
    expect(retired.kids).toEqual([b.kid]);
    expect(await liveKids(clientId)).toEqual([b.kid, other].sort());
    expect(await keyWrites()).toEqual({ "DELETE /samarbeid/api/v1/clients/:id/jwks/:kid": { 200: 1 } });
  });

  test("a rotation of the generated key registers the successor and later retires the old key one key at a time", async () => {
    const clientId = await newClient("by-key-rotation");
    const inputs = check({ clientId, generate: true, rotateAfterDays: 30, overlapDays: 7 });
    const created = (await provider.create!(inputs)).outs as ClientKeysOutputs;
    const first = created.currentKid!;
    const other = await outsiderKey(clientId);

    await control(sim, "POST", "/clock", { advanceSeconds: 31 * day });
    // The context learns the services' new time from its next answers (a refresh's read); its props are not kept.
    await provider.read!(clientId, created);
    expect((await provider.diff!(clientId, created, inputs)).changes).toBe(true);
    await control(sim, "GET", "/stats?reset=true");
    const rotated = await update(clientId, created, inputs);
    expect(rotated.currentKid).not.toBe(first);
    expect(rotated.kids).toEqual([first, rotated.currentKid]);
    expect(await liveKids(clientId)).toEqual([first, rotated.currentKid!, other].sort());
    expect(await keyWrites()).toEqual({ "PUT /samarbeid/api/v1/clients/:id/jwks/:kid": { 200: 1 } });

    await control(sim, "POST", "/clock", { advanceSeconds: 8 * day });
    await provider.read!(clientId, rotated);
    await control(sim, "GET", "/stats?reset=true");
    const retired = await update(clientId, rotated, inputs);
    expect(retired.kids).toEqual([rotated.currentKid]);
    expect(await liveKids(clientId)).toEqual([rotated.currentKid!, other].sort());
    expect(await keyWrites()).toEqual({ "DELETE /samarbeid/api/v1/clients/:id/jwks/:kid": { 200: 1 } });
    // Both writes left the outsider's key; the state never recorded it (a refresh would, and then the set is owned).
    expect(retired.keys.map((k) => k.kid)).not.toContain(other);
  });

  for (const [status, body] of [
    [405, { error: "Method Not Allowed" }],
    [404, { timestamp: "2026-12-06T12:00:00Z", status: 404, error: "Not Found", path: "/api/v1/clients/x/jwks/y" }],
  ] as const) {
    test(`an API that answers ${status} for the single-key route gets the whole set, and a debug line says so`, async () => {
      const clientId = await newClient(`by-key-fallback-${status}`);
      const [a, b] = [rsaKeyPair(), rsaKeyPair()];
      const created = (await provider.create!(check({ clientId, keys: [a.publicJwk] }))).outs as ClientKeysOutputs;
      await outsiderKey(clientId);
      await control(sim, "POST", "/faults", { rules: [{ path: "/jwks/[^/]+$", status, body }] });
      process.env.DIGDIR_DEBUG = "1";
      const lines: string[] = [];
      const write = process.stderr.write.bind(process.stderr);
      process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        lines.push(String(chunk));
        return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof process.stderr.write;
      await control(sim, "GET", "/stats?reset=true");
      let added: ClientKeysOutputs;
      try {
        added = await update(clientId, created, check({ clientId, keys: [a.publicJwk, b.publicJwk] }));
      } finally {
        process.stderr.write = write;
      }
      expect(added.kids).toEqual([a.kid, b.kid]);
      // The whole set replaces what was there: the outsider's key is gone, as before the single-key routes.
      expect(await liveKids(clientId)).toEqual([a.kid, b.kid].sort());
      expect(Object.keys(await keyWrites())).toEqual([
        "POST /samarbeid/api/v1/clients/:id/jwks",
        "PUT /samarbeid/api/v1/clients/:id/jwks/:kid",
      ]);
      expect(lines.join("")).toMatch(
        /debug: ClientKeys on client .*: the self-service API has no PUT \/clients\/\{id\}\/jwks\/\{kid\} route/,
      );
    });
  }

  test("a write that fails after another succeeded records the set as it is, and the next up finishes it", async () => {
    const clientId = await newClient("by-key-partial");
    const [a, b, c] = [rsaKeyPair(), rsaKeyPair(), rsaKeyPair()];
    const created = (await provider.create!(check({ clientId, keys: [a.publicJwk, b.publicJwk] }))).outs as ClientKeysOutputs;
    await control(sim, "POST", "/faults", {
      rules: [{ method: "DELETE", path: "/jwks/[^/]+$", status: 400, body: { errors: [{ errorMessage: "refused" }] }, times: 1 }],
    });
    const only = check({ clientId, keys: [c.publicJwk] });
    const e = await update(clientId, created, only).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(PartialUpdateError);
    const recorded = (e as PartialUpdateError).properties as unknown as ClientKeysOutputs;
    expect(recorded.kids).toEqual([c.kid, a.kid, b.kid]);
    expect((e as PartialUpdateError).message).toMatch(/partly changed .*the next `pulumi up` finishes the change/);
    expect(await liveKids(clientId)).toEqual([a.kid, b.kid, c.kid].sort());
    const finished = await update(clientId, recorded, only);
    expect(finished.kids).toEqual([c.kid]);
    expect(await liveKids(clientId)).toEqual([c.kid]);
  });
});
