import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { configureContext } from "../../providers/core/context";
import { DigdirClientApi } from "../../providers/digdir/api";
import { rsaKeyPair } from "../support/keys";
import { ProviderHost, providerTextOf, urnOf } from "../support/provider-host";
import { localConfig, startSim, type Simulator } from "../support/sim";

type Props = Record<string, unknown>;
const scope = "krr:global/kontaktinformasjon.read";

/**
 * A key set's `kids` in the preview of an update, through the SDK's provider host. The host answers no preview of
 * its own, so the engine shows the inputs `check` returned as the outputs of an updated resource
 * (providers/README.md, "What a preview knows"): what `check` puts there is what the preview knows, and it must be
 * what `up` then produces. Each step is a fresh host, as each CLI run is; `check` gets the old inputs, as from the
 * engine.
 */
describe("ClientKeys kids in the preview of an update", () => {
  let sim: Simulator;
  const P = { client: providerTextOf("MaskinportenClient"), keys: providerTextOf("ClientKeys") };

  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(async () => {
    await sim?.close();
  });

  async function withHost<T>(fn: (host: ProviderHost) => Promise<T>): Promise<T> {
    const host = await ProviderHost.start();
    try {
      await host.configure(localConfig(sim));
      return await fn(host);
    } finally {
      host.close();
    }
  }

  const newClient = (name: string) =>
    withHost(async (host) => {
      const urn = urnOf("MaskinportenClient", name);
      const checked = await host.check(urn, {}, { __provider: P.client, name, scopes: [scope] });
      return (await host.create(urn, checked.inputs)).id;
    });

  /** A stored resource: its id, the inputs `check` returned (the engine's old inputs) and the outputs. */
  type Stored = { id: string; inputs: Props; outs: Props };

  /**
   * `pulumi preview` then `pulumi up` of one edit, in one host (each is a check, and check is deterministic): what
   * the preview shows as the outputs, and what up stored.
   */
  async function previewThenUp(name: string, declared: Props, stored?: Stored): Promise<{ preview: Props; stored: Stored }> {
    const urn = urnOf("ClientKeys", name);
    const news = { __provider: P.keys, ...declared };
    return withHost(async (host) => {
      // The preview: check, diff; the outputs of an update (and of a create) in a preview are the checked inputs.
      const preview = await host.check(urn, stored?.inputs ?? {}, news);
      expect(preview.failures).toEqual([]);
      if (stored) expect((await host.diff(urn, stored.id, stored.outs, preview.inputs)).changes).toBe("some");
      // The up: check again, then create or update.
      const checked = await host.check(urn, stored?.inputs ?? {}, news);
      if (!stored) return { preview: preview.inputs, stored: { ...(await host.create(urn, checked.inputs)), inputs: checked.inputs } };
      const { outs } = await host.update(urn, stored.id, stored.outs, checked.inputs);
      return { preview: preview.inputs, stored: { id: stored.id, outs, inputs: checked.inputs } };
    });
  }

  test("declared keys: kids are known in the preview of a policy change and of an added key, and equal what up produces", async () => {
    const clientId = await newClient("preview-kids");
    const [a, b] = [rsaKeyPair(), rsaKeyPair()];
    const created = await previewThenUp("preview-kids", { clientId, keys: [a.publicJwk] });
    expect(created.preview.kids).toEqual([a.kid]);
    expect(created.stored.outs.kids).toEqual([a.kid]);

    // A policy change alone: no key changes, and the preview says so.
    const policy = await previewThenUp("preview-kids", { clientId, keys: [a.publicJwk], renewBeforeDays: 20 }, created.stored);
    expect(policy.preview.kids).toEqual([a.kid]);
    expect(policy.stored.outs.kids).toEqual(policy.preview.kids);

    // A key added, key by key: a key registered outside Pulumi meanwhile stays at Digdir (the state does not list it).
    const outsider = rsaKeyPair();
    const api = new DigdirClientApi(configureContext({ get: (k) => localConfig(sim)[k] }));
    expect(await api.putJwk(clientId, { ...outsider.publicJwk, alg: "RS256", use: "sig" })).not.toBe("unsupported");
    const added = await previewThenUp("preview-kids", { clientId, keys: [a.publicJwk, b.publicJwk], renewBeforeDays: 20 }, policy.stored);
    expect(added.preview.kids).toEqual([a.kid, b.kid]);
    expect(added.stored.outs.kids).toEqual(added.preview.kids);
    expect(((await api.getJwks(clientId)) ?? []).map((k) => k.kid).sort()).toEqual([a.kid, b.kid, outsider.kid].sort());
  }, 120_000);

  test("a generated key's kid is not known to check, so an update's preview leaves kids unknown rather than guess", async () => {
    const clientId = await newClient("preview-generated");
    const created = await previewThenUp("preview-generated", { clientId, generate: true });
    expect(created.preview).not.toHaveProperty("kids");
    const policy = await previewThenUp("preview-generated", { clientId, generate: true, renewBeforeDays: 20 }, created.stored);
    expect(policy.preview).not.toHaveProperty("kids");
    expect(policy.stored.outs.kids).toEqual(created.stored.outs.kids);
  }, 120_000);
});
