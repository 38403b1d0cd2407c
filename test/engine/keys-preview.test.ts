import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { configureContext } from "../../providers/core/context";
import { DigdirClientApi } from "../../providers/digdir/api";
import { rsaKeyPair } from "../support/keys";
import { providerTextOf, urnOf, withHost } from "../support/provider-host";
import { control, localConfig, startSim, type Simulator } from "../support/sim";

type Props = Record<string, unknown>;
const day = 24 * 3600;
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

  const advance = (days: number) => control(sim, "POST", "/clock", { advanceSeconds: Math.round(days * day) });

  const newClient = (name: string) =>
    withHost(localConfig(sim), async (host) => {
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
  async function previewThenUp(name: string, declared: Props, stored?: Stored): Promise<{ preview: Props; stored: Stored; log: string }> {
    const urn = urnOf("ClientKeys", name);
    const news = { __provider: P.keys, ...declared };
    return withHost(localConfig(sim), async (host) => {
      // The preview: check, diff; the outputs of an update (and of a create) in a preview are the checked inputs.
      const preview = await host.check(urn, stored?.inputs ?? {}, news);
      expect(preview.failures).toEqual([]);
      if (stored) expect((await host.diff(urn, stored.id, stored.outs, preview.inputs)).changes).toBe("some");
      // The up: check again, then create or update.
      const checked = await host.check(urn, stored?.inputs ?? {}, news);
      if (!stored)
        return {
          preview: preview.inputs,
          stored: { ...(await host.create(urn, checked.inputs)), inputs: checked.inputs },
          log: host.stderr(),
        };
      const { outs } = await host.update(urn, stored.id, stored.outs, checked.inputs);
      return { preview: preview.inputs, stored: { id: stored.id, outs, inputs: checked.inputs }, log: host.stderr() };
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
    expect(policy.preview.currentKid).toBe(a.kid);
    expect(policy.stored.outs.currentKid).toBe(a.kid);

    // A key added, key by key: a key registered outside Pulumi meanwhile stays at Digdir (the state does not list it).
    const outsider = rsaKeyPair();
    const api = new DigdirClientApi(configureContext({ get: (k) => localConfig(sim)[k] }));
    expect(await api.putJwk(clientId, { ...outsider.publicJwk, alg: "RS256", use: "sig" })).not.toBe("unsupported");
    const added = await previewThenUp("preview-kids", { clientId, keys: [a.publicJwk, b.publicJwk], renewBeforeDays: 20 }, policy.stored);
    expect(added.preview.kids).toEqual([a.kid, b.kid]);
    expect(added.stored.outs.kids).toEqual(added.preview.kids);
    // The last declared key is the one to sign with, in the preview as after the up.
    expect(added.preview.currentKid).toBe(b.kid);
    expect(added.stored.outs.currentKid).toBe(b.kid);
    expect(((await api.getJwks(clientId)) ?? []).map((k) => k.kid).sort()).toEqual([a.kid, b.kid, outsider.kid].sort());
  }, 120_000);

  test("generated keys: an edit of the policy alone keeps the key ids, so its preview knows them; a rotation that falls due waits for the next up", async () => {
    const clientId = await newClient("preview-generated");
    const policy = { clientId, generate: true, rotateAfterDays: 30 };
    const created = await previewThenUp("preview-generated", policy);
    // A new key: its kid is made by the up, so the preview of the create does not know it.
    expect(created.preview).not.toHaveProperty("kids");
    const [k1] = created.stored.outs.kids as string[];
    expect(created.stored.outs.kids).toEqual([k1]);

    const renewal = await previewThenUp("preview-generated", { ...policy, renewBeforeDays: 20 }, created.stored);
    expect(renewal.preview.kids).toEqual([k1]);
    expect(renewal.stored.outs.kids).toEqual([k1]);
    expect(renewal.stored.outs.currentKid).toBe(k1);

    // The rotation falls due, and the same change edits the policy: the update keeps what the preview showed and says
    // what waits; its nextStepAt has passed, so the next up, with no edit, rotates (and its preview does not promise kids).
    await advance(31);
    const edited = await previewThenUp("preview-generated", { ...policy, renewBeforeDays: 20, overlapDays: 3 }, renewal.stored);
    expect(edited.preview.kids).toEqual([k1]);
    expect(edited.stored.outs.kids).toEqual([k1]);
    expect(edited.log).toContain(`ClientKeys on client ${clientId}: rotate ${k1} (registered`);
    expect(edited.log).toContain("the next `pulumi up` takes what is due");
    expect(Date.parse(edited.stored.outs.nextStepAt as string)).toBe(Date.parse(created.stored.outs.rotatedAt as string) + 30 * day * 1000);

    const rotated = await previewThenUp("preview-generated", { ...policy, renewBeforeDays: 20, overlapDays: 3 }, edited.stored);
    expect(rotated.preview).not.toHaveProperty("kids");
    expect(rotated.stored.inputs).not.toHaveProperty("kids");
    expect(rotated.stored.outs.kids).toHaveLength(2);
    expect(rotated.stored.outs.kids).toContain(k1);
    expect(rotated.stored.outs.currentKid).not.toBe(k1);
  }, 120_000);

  test("generated keys changed at Digdir outside Pulumi: a policy edit's preview fails before anything changes, and says to refresh", async () => {
    const clientId = await newClient("preview-drift");
    const created = await previewThenUp("preview-drift", { clientId, generate: true });
    const outsider = rsaKeyPair();
    const api = new DigdirClientApi(configureContext({ get: (k) => localConfig(sim)[k] }));
    expect(await api.putJwk(clientId, { ...outsider.publicJwk, alg: "RS256", use: "sig" })).not.toBe("unsupported");
    const before = ((await api.getJwks(clientId)) ?? []).map((k) => k.kid).sort();

    const urn = urnOf("ClientKeys", "preview-drift");
    const refused = await withHost(localConfig(sim), async (host) => {
      const checked = await host.check(urn, created.stored.inputs, { __provider: P.keys, clientId, generate: true, renewBeforeDays: 20 });
      // What Digdir has, the outsider too: the preview promises the set as it is.
      expect([...(checked.inputs.kids as string[])].sort()).toEqual(before);
      return host.diff(urn, created.stored.id, created.stored.outs, checked.inputs).then(
        () => "no error",
        (e: Error) => e.message,
      );
    });
    expect(refused).toContain(`the policy edit keeps the key ids Digdir has for client ${clientId}`);
    expect(refused).toContain("Run `pulumi refresh`, then preview again. Nothing was changed.");
    expect(((await api.getJwks(clientId)) ?? []).map((k) => k.kid).sort()).toEqual(before);
  }, 120_000);
});
