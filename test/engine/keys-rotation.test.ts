import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { MaskinportenTokens, readPrivateKey } from "../../providers/core/auth";
import { isApiError } from "../../providers/core/errors";
import { HttpClient } from "../../providers/core/http";
import { rsaKeyPair } from "../support/keys";
import { GrpcError, type ProviderHost, providerTextOf, urnOf, withHost, type DiffAnswer } from "../support/provider-host";
import { control, localConfig, startSim, type Simulator, type SimStats as Stats } from "../support/sim";

type Props = Record<string, unknown>;

const day = 24 * 3600;
const scope = "krr:global/kontaktinformasjon.read";

/**
 * Key rotation over the simulator's clock, through the SDK's provider host. Every `pulumi up` is a fresh host,
 * as with the CLI: check, diff from the stored outputs, then create or update. Between them the test moves the
 * simulator's clock; the provider reads the time from the services' Date headers, so it sees the jump.
 */
describe("ClientKeys over simulated time", () => {
  let sim: Simulator;
  let P: Record<string, string>;
  const stderr: string[] = [];
  const errors: string[] = [];
  const privateDs: string[] = [];

  beforeAll(async () => {
    sim = await startSim();
    await control(sim, "POST", "/config", { keyActivationDelaySeconds: 0 });
    P = { MaskinportenClient: providerTextOf("MaskinportenClient"), ClientKeys: providerTextOf("ClientKeys") };
  });
  afterAll(async () => {
    await sim?.close();
  });

  /** One CLI run in a fresh host; its stderr and any error are kept for the secrets check at the end. */
  const run = <T>(fn: (host: ProviderHost) => Promise<T>): Promise<T> =>
    withHost(localConfig(sim), fn, { stderr }).catch((e: unknown) => {
      errors.push(e instanceof Error ? `${e.message} ${(e as GrpcError).details ?? ""}` : String(e));
      throw e;
    });

  async function newClient(name: string): Promise<string> {
    return run(async (host) => {
      const urn = urnOf("MaskinportenClient", name);
      const checked = await host.check(urn, {}, { __provider: P.MaskinportenClient, name, scopes: [scope] });
      return (await host.create(urn, checked.inputs)).id;
    });
  }

  /** One `pulumi up` of a ClientKeys resource: create when there is no state, else diff and update when changed. */
  async function up(
    name: string,
    declared: Props,
    state?: { id: string; outs: Props },
  ): Promise<{ id: string; outs: Props; diff?: DiffAnswer }> {
    return run(async (host) => {
      const urn = urnOf("ClientKeys", name);
      const checked = await host.check(urn, state?.outs ?? {}, { __provider: P.ClientKeys, ...declared });
      expect(checked.failures).toEqual([]);
      if (!state) return { ...(await host.create(urn, checked.inputs)) };
      const diff = await host.diff(urn, state.id, state.outs, checked.inputs);
      if (diff.changes !== "some") return { ...state, diff };
      return { id: state.id, outs: (await host.update(urn, state.id, state.outs, checked.inputs)).outs, diff };
    }).then((r) => {
      expectPrivateOnlyInSecretOutputs(r.outs);
      return r;
    });
  }

  /** Private key members appear only in the outputs listed in additionalSecretOutputs. */
  function expectPrivateOnlyInSecretOutputs(outs: Props) {
    const { currentPrivateJwk: _c, pendingPrivateJwk: _p, ...rest } = outs;
    expect(JSON.stringify(rest)).not.toMatch(/"(d|p|q|dp|dq|qi)"\s*:/);
    expect(JSON.stringify(rest)).not.toMatch(/\\"d\\"/);
  }

  function remember(outs: Props) {
    const jwk = outs.currentPrivateJwk as string | undefined;
    if (jwk) privateDs.push((JSON.parse(jwk) as { d: string }).d);
  }

  /** A token for the client signed with one key, from a fresh token cache: "ok", or the refusal's MP code. */
  async function tokenWith(clientId: string, privateJwk: string): Promise<string> {
    const { key, kid } = readPrivateKey(privateJwk, "test key");
    const tokens = new MaskinportenTokens(new HttpClient(), `${sim.url}/maskinporten/.well-known/oauth-authorization-server`);
    try {
      await tokens.token({ clientId, key, kid }, { scopes: [scope] });
      return "ok";
    } catch (e) {
      if (!isApiError(e)) throw e;
      return e.codes.find((c) => c.startsWith("MP-")) ?? `HTTP ${e.status}`;
    }
  }

  const advance = (days: number) => control(sim, "POST", "/clock", { advanceSeconds: Math.round(days * day) });
  const expSeconds = (outs: Props, kid: string) => Date.parse((outs.expiresAt as Record<string, string>)[kid]) / 1000;

  // A dozen `up`s, each in a provider host of its own as each `pulumi up` is: over the default 30 s on a busy machine.
  test("create → renew → rotate → both keys work during the overlap → the old one stops → renew again, with a token at every step", async () => {
    const clientId = await newClient("rotating");
    const declared = { clientId, generate: true, rotateAfterDays: 60, overlapDays: 5, keyLifetimeDays: 45, renewBeforeDays: 10 };

    // Day 0: a key is generated, registered, and exposed with its private JWK.
    let state = await up("rotating", declared);
    remember(state.outs);
    const k1 = state.outs.currentKid as string;
    const k1Jwk = state.outs.currentPrivateJwk as string;
    expect(k1).toMatch(/^[0-9a-f-]{36}$/);
    expect(state.outs.kids).toEqual([k1]);
    expect(JSON.parse(k1Jwk)).toMatchObject({ kty: "RSA", kid: k1, alg: "RS256", use: "sig" });
    const created = Date.parse(state.outs.rotatedAt as string) / 1000;
    expect(expSeconds(state.outs, k1) - created).toBeCloseTo(45 * day, -2);
    expect(await tokenWith(clientId, k1Jwk)).toBe("ok");

    // Day 1: nothing is due; the diff makes no call to the self-service API and asks for no token.
    await advance(1);
    await control(sim, "GET", "/stats?reset=true");
    let next = await up("rotating", declared, state);
    expect(next.diff?.changes).toBe("none");
    const stats = await control<Stats>(sim, "GET", "/stats");
    expect(Object.keys(stats.routes).filter((r) => r.includes("/samarbeid/") || r.includes("/token"))).toEqual([]);
    expect(await tokenWith(clientId, k1Jwk)).toBe("ok");

    // Day 36: K1 expires at day 45 and renewBeforeDays is 10: re-registered with a new exp, still current.
    await advance(35);
    next = await up("rotating", declared, state);
    expect(next.diff?.changes).toBe("some");
    expect(next.outs.kids).toEqual([k1]);
    expect(next.outs.currentKid).toBe(k1);
    expect(expSeconds(next.outs, k1)).toBeGreaterThan(expSeconds(state.outs, k1) + 30 * day);
    expect(await tokenWith(clientId, k1Jwk)).toBe("ok");
    state = next;
    // Day 50: past K1's first exp, and it still gets tokens.
    await advance(14);
    expect((await up("rotating", declared, state)).diff?.changes).toBe("none");
    expect(await tokenWith(clientId, k1Jwk)).toBe("ok");

    // Day 61: rotation. K2 is registered next to K1 and becomes current; K1 stays for the overlap.
    await advance(11);
    state = await up("rotating", declared, state);
    remember(state.outs);
    const k2 = state.outs.currentKid as string;
    const k2Jwk = state.outs.currentPrivateJwk as string;
    expect(k2).not.toBe(k1);
    expect(state.outs.kids).toEqual([k1, k2]);
    expect((state.outs.generatedKeys as Array<{ kid: string; retireAt?: string }>).find((g) => g.kid === k1)?.retireAt).toBeDefined();
    expect(await tokenWith(clientId, k1Jwk)).toBe("ok");
    expect(await tokenWith(clientId, k2Jwk)).toBe("ok");

    // Day 64: still within the overlap: nothing to do, both keys work.
    await advance(3);
    expect((await up("rotating", declared, state)).diff?.changes).toBe("none");
    expect(await tokenWith(clientId, k1Jwk)).toBe("ok");
    expect(await tokenWith(clientId, k2Jwk)).toBe("ok");

    // Day 67: the overlap is over: K1 is dropped and stops working; K2 carries on.
    await advance(3);
    state = await up("rotating", declared, state);
    expect(state.outs.kids).toEqual([k2]);
    expect(state.outs.currentKid).toBe(k2);
    expect(await tokenWith(clientId, k1Jwk)).not.toBe("ok");
    expect(await tokenWith(clientId, k2Jwk)).toBe("ok");

    // K2 expires 45 days after day 61: renewed 10 days before, at day 96, well before its rotation at day 121.
    await advance(28);
    expect((await up("rotating", declared, state)).diff?.changes).toBe("none");
    expect(await tokenWith(clientId, k2Jwk)).toBe("ok");
    await advance(2);
    next = await up("rotating", declared, state);
    expect(next.diff?.changes).toBe("some");
    expect(next.outs.kids).toEqual([k2]);
    expect(expSeconds(next.outs, k2)).toBeGreaterThan(expSeconds(state.outs, k2) + 30 * day);
    expect(await tokenWith(clientId, k2Jwk)).toBe("ok");
    expect(await tokenWith(clientId, k1Jwk)).not.toBe("ok");
    // Day 111: past K2's first exp (day 106), and it still gets tokens.
    await advance(15);
    expect(await tokenWith(clientId, k2Jwk)).toBe("ok");
  }, 120_000);

  test("a new key is exposed only after it gets a token, retrying through Digdir's activation delay", async () => {
    const clientId = await newClient("verified");
    await control(sim, "POST", "/config", { keyActivationDelaySeconds: 3 });
    try {
      const started = Date.now();
      await control(sim, "GET", "/stats?reset=true");
      const state = await up("verified", { clientId, generate: true, verifyToken: true, verifyTimeoutSeconds: 60 });
      remember(state.outs);
      expect(Date.now() - started).toBeGreaterThanOrEqual(2500);
      expect(state.outs.currentKid).toBeDefined();
      expect(state.outs).not.toHaveProperty("pendingPrivateJwk");
      const token = (await control<Stats>(sim, "GET", "/stats")).routes["POST /maskinporten/token"].statuses;
      expect(Object.entries(token).some(([status, n]) => status !== "200" && n > 0)).toBe(true);
      expect(await tokenWith(clientId, state.outs.currentPrivateJwk as string)).toBe("ok");
    } finally {
      await control(sim, "POST", "/config", { keyActivationDelaySeconds: 0 });
    }
  });

  test("a key that does not become active in time is recorded as pending, not current; the next up completes it (on create and on rotation)", async () => {
    const clientId = await newClient("slow");
    const declared = { clientId, generate: true, rotateAfterDays: 30, verifyToken: true, verifyScope: scope, verifyTimeoutSeconds: 2 };
    await control(sim, "POST", "/config", { keyActivationDelaySeconds: 600 });
    const failed = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: GrpcError) => e,
      );
    let failure: GrpcError | undefined;
    try {
      failure = await failed(up("slow", declared));
    } finally {
      await control(sim, "POST", "/config", { keyActivationDelaySeconds: 0 });
    }
    expect(failure?.initFailure?.id).toBe(clientId);
    expect(failure?.details).toMatch(/registered on client .* but was not proven with a token.*recorded as pending/);
    const recorded = failure!.initFailure!.properties;
    expectPrivateOnlyInSecretOutputs(recorded);
    const pending = recorded.pendingPrivateJwk as string;
    privateDs.push((JSON.parse(pending) as { d: string }).d);
    expect(recorded).not.toHaveProperty("currentKid");
    expect(recorded).not.toHaveProperty("currentPrivateJwk");
    expect(recorded.kids).toHaveLength(1);
    expect(recorded.generatedKeys).toEqual([expect.objectContaining({ pending: true })]);

    // The next up (the key has become active meanwhile) verifies and promotes the same key.
    await advance(1);
    const state = await up("slow", declared, { id: clientId, outs: recorded });
    expect(state.diff?.changes).toBe("some");
    expect(state.outs.currentKid).toBe((recorded.kids as string[])[0]);
    expect(state.outs.currentPrivateJwk).toBe(pending);
    expect(state.outs).not.toHaveProperty("pendingPrivateJwk");
    expect(await tokenWith(clientId, pending)).toBe("ok");

    // A rotation whose new key is slow: the update fails, the previous key stays current, the new one pending.
    await advance(30);
    await control(sim, "POST", "/config", { keyActivationDelaySeconds: 600 });
    try {
      failure = await failed(up("slow", declared, state));
    } finally {
      await control(sim, "POST", "/config", { keyActivationDelaySeconds: 0 });
    }
    expect(failure?.details).toMatch(/^ClientKeys: the new key .* not proven with a token.*The next `pulumi up` tries again\.$/);
    const rotating = failure!.initFailure!.properties;
    expectPrivateOnlyInSecretOutputs(rotating);
    privateDs.push((JSON.parse(rotating.pendingPrivateJwk as string) as { d: string }).d);
    expect(rotating.currentKid).toBe(state.outs.currentKid);
    expect(rotating.currentPrivateJwk).toBe(pending);
    expect(rotating.kids).toHaveLength(2);
    expect(await tokenWith(clientId, pending)).toBe("ok");

    await advance(1);
    const rotated = await up("slow", declared, { id: clientId, outs: rotating });
    expect(rotated.outs.currentPrivateJwk).toBe(rotating.pendingPrivateJwk);
    expect(
      (rotated.outs.generatedKeys as Array<{ kid: string; retireAt?: string }>).find((g) => g.kid === state.outs.currentKid)?.retireAt,
    ).toBeDefined();
    expect(await tokenWith(clientId, rotated.outs.currentPrivateJwk as string)).toBe("ok");
    expect(await tokenWith(clientId, pending)).toBe("ok");
  });

  test("declared keys are renewed before Digdir's one-year exp, and removing one re-posts the rest", async () => {
    const clientId = await newClient("declared");
    const pair = () => {
      const k = rsaKeyPair();
      return { ...(k.privateKey.export({ format: "jwk" }) as Record<string, string>), kid: k.kid };
    };
    const a = pair();
    const b = pair();
    const publicOf = (j: Record<string, string>) => ({ kty: "RSA", kid: j.kid, n: j.n, e: j.e });
    let state = await up("declared", { clientId, keys: [publicOf(a), publicOf(b)] });
    expect(state.outs.currentKid).toBe(b.kid);
    expect(state.outs).not.toHaveProperty("currentPrivateJwk");
    const exp = expSeconds(state.outs, a.kid);

    await advance(340);
    const renewed = await up("declared", { clientId, keys: [publicOf(a), publicOf(b)] }, state);
    expect(renewed.diff?.changes).toBe("some");
    expect(expSeconds(renewed.outs, a.kid)).toBeGreaterThan(exp + 300 * day);
    await advance(30);
    expect(await tokenWith(clientId, JSON.stringify(a))).toBe("ok");

    state = await up("declared", { clientId, keys: [publicOf(b)] }, renewed);
    expect(state.outs.kids).toEqual([b.kid]);
    expect(await tokenWith(clientId, JSON.stringify(a))).not.toBe("ok");
    expect(await tokenWith(clientId, JSON.stringify(b))).toBe("ok");
  });

  test("no private key appears in any host's log or any error message", () => {
    expect(privateDs.length).toBeGreaterThanOrEqual(3);
    const text = [...stderr, ...errors].join("\n");
    for (const d of privateDs) expect(text).not.toContain(d);
    expect(text).not.toMatch(/"d"\s*:\s*"[A-Za-z0-9_-]{20,}/);
  });
});
