import * as pulumi from "@pulumi/pulumi";
import { generateKeyPair, randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { readPrivateKey } from "../core/auth";
import { containsUnknown, defined, isUnknown } from "../core/check";
import { context, type Context } from "../core/context";
import { InputError, isApiError, PartialCreateError, PartialUpdateError } from "../core/errors";
import { ShimResource } from "../core/shim";
import { DigdirClientApi } from "./api";
import {
  checkClientKeysInputs,
  expiryOf,
  keepsKids,
  kidsAfterUp,
  kidsOf,
  policyChanged,
  type ClientKeysInputs,
  type ClientKeysOutputs,
  type GeneratedKeyRecord,
  type PublicJwk,
} from "./client-keys-model";
import { KeyWriteError, writeKeySet } from "./client-keys-write";
import {
  currentGenerated,
  heldKidsBroken,
  heldOrder,
  holdsKids,
  makeCurrent,
  nextStepAt,
  planKeys,
  type KeyState,
} from "./client-keys-plan";

export interface ClientKeysArgs {
  /** The client whose key set this is (a MaskinportenClient's, KrrClient's or IdportenClient's `clientId`). */
  clientId: pulumi.Input<string>;
  /**
   * Public keys you bring (0–5; at most 3 with `generate`): the private keys never leave your vault. Each an
   * RSA JWK of at least 2048 bits with `kid`, `n`, `e`; `alg` RS256 and `use` sig are filled in; `exp` (epoch
   * seconds, at most one year ahead) defaults to one year at Digdir, and is then renewed (`renewBeforeDays`).
   * Rotate them yourself: add the new key, deploy it, then remove the old one.
   */
  keys?: pulumi.Input<pulumi.Input<PublicJwkArg>[]>;
  /**
   * Generate an RSA key (2048 bits, random UUID `kid`) and manage it: its private JWK is the secret output
   * `currentPrivateJwk`. Default false.
   */
  generate?: pulumi.Input<boolean>;
  /** Replace the generated key when it is this many days old (a `pulumi up` after that time does it). */
  rotateAfterDays?: pulumi.Input<number>;
  /** Days the previous generated key stays registered after a rotation, for running apps to pick up the new one. Default 7. */
  overlapDays?: pulumi.Input<number>;
  /** Register keys again when their `exp` is closer than this many days (0: never). Default 30. */
  renewBeforeDays?: pulumi.Input<number>;
  /** `exp` of generated keys, in days from registration (1–365). Default: Digdir's one year. */
  keyLifetimeDays?: pulumi.Input<number>;
  /**
   * Before a new generated key becomes current, get a Maskinporten token with it (Maskinporten and KRR clients),
   * retrying through Digdir's propagation delay. Default false.
   */
  verifyToken?: pulumi.Input<boolean>;
  /** The scope to ask for when verifying; default the client's first scope. */
  verifyScope?: pulumi.Input<string>;
  /** How long verification may take before the update fails (the key stays registered, pending). Default 180. */
  verifyTimeoutSeconds?: pulumi.Input<number>;
}

export interface PublicJwkArg {
  kty: "RSA";
  kid: string;
  n: string;
  e: string;
  alg?: "RS256" | "RS512";
  use?: "sig";
  exp?: number;
  x5c?: string[];
}

export interface GeneratedKeyInfo {
  kid: string;
  createdAt: string;
  retireAt?: string;
  pending?: boolean;
}

/** Outputs that hold private key material: listed in `additionalSecretOutputs`. */
export const clientKeysSecretOutputs = ["currentPrivateJwk", "pendingPrivateJwk"];

/**
 * The key set registered on one client, with rotation. Digdir replaces the whole set on every change, so this
 * resource owns all keys of its client: declare one ClientKeys per client.
 */
export class ClientKeys extends ShimResource {
  declare readonly clientId: pulumi.Output<string>;
  /** The whole registered set: public JWKs with `exp`. */
  declare readonly keys: pulumi.Output<PublicJwk[]>;
  /** The registered key ids. */
  declare readonly kids: pulumi.Output<string[]>;
  /** kid → when Digdir stops accepting the key (ISO 8601). */
  declare readonly expiresAt: pulumi.Output<Record<string, string>>;
  /** The key to sign with: the current generated key, else the last declared key. */
  declare readonly currentKid: pulumi.Output<string | undefined>;
  /** The current generated key's private JWK, as JSON (secret): wire it into your runtime's secret store. */
  declare readonly currentPrivateJwk: pulumi.Output<string | undefined>;
  /** Generated keys still registered, oldest first: creation, retirement, pending verification. */
  declare readonly generatedKeys: pulumi.Output<GeneratedKeyInfo[] | undefined>;
  /** When the current generated key was registered (ISO 8601). */
  declare readonly rotatedAt: pulumi.Output<string | undefined>;
  /** When the next rotation, retirement or renewal falls due (ISO 8601): the first `pulumi up` after it performs it. */
  declare readonly nextStepAt: pulumi.Output<string | undefined>;

  constructor(name: string, args: ClientKeysArgs, opts?: pulumi.CustomResourceOptions) {
    const outputs = {
      kids: undefined,
      expiresAt: undefined,
      currentKid: undefined,
      currentPrivateJwk: undefined,
      pendingPrivateJwk: undefined,
      generatedKeys: undefined,
      rotatedAt: undefined,
      nextStepAt: undefined,
    };
    super(
      "digdir",
      "ClientKeys",
      name,
      { ...outputs, ...args },
      { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...clientKeysSecretOutputs] },
    );
  }
}

const seconds = (ms: number) => Math.floor(ms / 1000);
const iso = (s: number) => new Date(s * 1000).toISOString();

interface FreshKey {
  kid: string;
  publicJwk: PublicJwk;
  privateJwk: string;
}

/** RSA 2048, kid a random UUID, RS256 and sig (what digdirator generates). */
async function generateKey(): Promise<FreshKey> {
  const { privateKey } = await promisify(generateKeyPair)("rsa", { modulusLength: 2048 });
  const kid = randomUUID();
  const jwk = privateKey.export({ format: "jwk" }) as Record<string, string>;
  return {
    kid,
    publicJwk: { kty: "RSA", kid, n: jwk.n, e: jwk.e, alg: "RS256", use: "sig" },
    privateJwk: JSON.stringify({ ...jwk, kid, alg: "RS256", use: "sig" }),
  };
}

/** The public half of a private JWK held in the state. */
function publicHalf(privateJwk: string | undefined): PublicJwk | undefined {
  if (typeof privateJwk !== "string" || !privateJwk) return undefined;
  try {
    const j = JSON.parse(privateJwk) as Record<string, string>;
    if (!j.kid || !j.n || !j.e) return undefined;
    return { kty: "RSA", kid: j.kid, n: j.n, e: j.e, alg: j.alg === "RS512" ? "RS512" : "RS256", use: "sig" };
  } catch {
    return undefined;
  }
}

/** The private JWKs the state holds, by kid, and the plan's view of the state. */
function stateOf(olds: Partial<ClientKeysOutputs> | undefined): { state: KeyState; privates: Record<string, string> } {
  const privates: Record<string, string> = {};
  const held: Record<string, PublicJwk> = {};
  for (const p of [olds?.currentPrivateJwk, olds?.pendingPrivateJwk]) {
    const pub = publicHalf(p);
    if (pub) {
      held[pub.kid] = pub;
      privates[pub.kid] = p!;
    }
  }
  const generated = Array.isArray(olds?.generatedKeys) ? olds!.generatedKeys : [];
  return { state: { registered: Array.isArray(olds?.keys) ? olds!.keys : [], generated, held }, privates };
}

function outputsOf(
  clientId: string,
  desired: ClientKeysInputs,
  registered: PublicJwk[],
  records: GeneratedKeyRecord[],
  privates: Record<string, string>,
): ClientKeysOutputs {
  const current = currentGenerated(records);
  const pending = records.find((r) => r.pending);
  const held: Record<string, PublicJwk> = {};
  for (const [kid, p] of Object.entries(privates)) {
    const pub = publicHalf(p);
    if (pub) held[kid] = pub;
  }
  const next = nextStepAt({ registered, generated: records, held }, desired);
  return defined({
    ...desired,
    clientId,
    keys: registered,
    kids: heldOrder(kidsOf(registered, desired.keys), desired),
    expiresAt: expiryOf(registered),
    currentKid: current?.kid ?? desired.keys.at(-1)?.kid,
    generatedKeys: records,
    currentPrivateJwk: current ? privates[current.kid] : undefined,
    pendingPrivateJwk: pending ? privates[pending.kid] : undefined,
    rotatedAt: current?.createdAt,
    nextStepAt: next === undefined ? undefined : iso(next),
  }) as ClientKeysOutputs;
}

/**
 * Carries out the plan for the set at `now`: generate a key if one is needed, write the whole set, and only
 * then expose the new key as current, after proving it with a token when `verifyToken`. A failure after the
 * write reports the state as it now is (the key registered, pending), so nothing registered goes unrecorded.
 */
async function carryOut(
  ctx: Context,
  clientId: string,
  olds: Partial<ClientKeysOutputs> | undefined,
  desired: ClientKeysInputs,
  mode: "create" | "update",
): Promise<ClientKeysOutputs> {
  const api = new DigdirClientApi(ctx);
  const { state, privates } = stateOf(olds);
  const plan = planKeys(state, desired, seconds(await ctx.serverNow()));
  const broken = heldKidsBroken(plan, desired);
  if (broken) throw new InputError(`ClientKeys: ${broken}`);
  const fresh = plan.promote === "new" ? await generateKey() : undefined;
  const wire = plan.set.map((p) => (p.source === "new" ? { ...fresh!.publicJwk, ...(p.exp === undefined ? {} : { exp: p.exp }) } : p.jwk));
  let records = plan.generated;
  if (fresh) {
    records = [...records, { kid: fresh.kid, createdAt: iso(seconds(ctx.now())), pending: true }];
    privates[fresh.kid] = fresh.privateJwk;
  }
  const keep = (rs: GeneratedKeyRecord[]) => Object.fromEntries(Object.entries(privates).filter(([kid]) => rs.some((r) => r.kid === kid)));
  let registered = state.registered;
  if (plan.write) {
    try {
      // Key by key where the set on this client is known (client-keys-write.ts); else, and for the last key, whole.
      if (wire.length) registered = await writeKeySet(api, clientId, state.registered, wire);
      else {
        await api.deleteJwks(clientId);
        registered = [];
      }
    } catch (e) {
      if (!(e instanceof KeyWriteError)) throw e;
      // Some keys were written: the state records the set as it now is, a new key (if registered) as pending.
      const now = e.registered;
      const held = records.filter((r) => r.kid !== fresh?.kid || now.some((k) => k.kid === r.kid));
      const recorded: Record<string, unknown> = { ...outputsOf(clientId, desired, now, held, keep(held)) };
      throw new PartialUpdateError(
        clientId,
        recorded,
        `ClientKeys: the key set of client ${clientId} was partly changed (${now.map((k) => k.kid).join(", ") || "no key"} registered now), then a write failed: ${e.message.replace(/\.+$/, "")}. The state records the set as it is; the next \`pulumi up\` finishes the change.`,
      );
    }
  }
  const promoting = plan.promote === "new" ? fresh!.kid : plan.promote;
  if (!promoting) return outputsOf(clientId, desired, registered, records, keep(records));

  if (desired.verifyToken) {
    try {
      await verifyKey(ctx, api, clientId, promoting, privates[promoting], desired);
    } catch (e) {
      const recorded: Record<string, unknown> = { ...outputsOf(clientId, desired, registered, records, keep(records)) };
      const why = (e instanceof Error ? e.message : String(e)).replace(/\.+$/, "");
      const message =
        `the new key ${promoting} is registered on client ${clientId} but was not proven with a token: ${why}; ` +
        "it is recorded as pending and not exposed as current (set verifyToken to false to expose it unproven)";
      if (mode === "create") throw new PartialCreateError(clientId, recorded, new Error(message));
      throw new PartialUpdateError(clientId, recorded, `ClientKeys: ${message}. The next \`pulumi up\` tries again.`);
    }
  }
  records = makeCurrent(records, promoting, seconds(ctx.now()), desired.overlapDays);
  return outputsOf(clientId, desired, registered, records, keep(records));
}

/**
 * Gets a Maskinporten token with the new key, retrying with back-off while Digdir propagates it (0–2 minutes,
 * docs.digdir.no, "oidc_api_admin"; nais/digdirator#109: "for several minutes"). Scope refusals (MP-2xx) are not a key problem and end the wait at once.
 */
async function verifyKey(
  ctx: Context,
  api: DigdirClientApi,
  clientId: string,
  kid: string,
  privateJwk: string | undefined,
  desired: ClientKeysInputs,
): Promise<void> {
  if (!privateJwk) throw new InputError(`the state holds no private key for ${kid}`);
  const scope = desired.verifyScope ?? (await verifyScopeOf(api, clientId));
  const { key, alg } = readPrivateKey(privateJwk, "the generated key");
  const deadline = Date.now() + desired.verifyTimeoutSeconds * 1000;
  let wait = 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      await ctx.tokens.token({ clientId, key, kid, ...(alg ? { alg } : {}) }, { scopes: [scope] });
      return;
    } catch (e) {
      if (!isApiError(e) || e.service !== "maskinporten" || e.codes.some((c) => /^MP-2\d\d$/.test(c))) throw e;
      if (Date.now() + wait > deadline) {
        // The answer's own parts, not its hint: an unknown kid reads as an expired key there (MP-121).
        const answer = `${e.status ?? "no answer"}${e.codes.length ? ` [${e.codes.join(", ")}]` : ""}${e.problems.length ? ` ${e.problems.map((p) => p.message).join("; ")}` : ""}`;
        throw new Error(
          `Maskinporten did not accept it within ${desired.verifyTimeoutSeconds} s (${attempt} attempts; Digdir may take minutes to activate a new key: raise verifyTimeoutSeconds if this recurs). Its last answer: ${answer}`,
          { cause: e },
        );
      }
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(wait * 2, 15_000);
    }
  }
}

async function verifyScopeOf(api: DigdirClientApi, clientId: string): Promise<string> {
  const client = await api.getClient(clientId);
  const machine = client?.integrationType === "maskinporten" || client?.integrationType === "krr";
  const scope = client?.scopes?.[0];
  if (!client || !machine || !scope) {
    throw new InputError(
      `verifyToken gets a Maskinporten token, which needs a Maskinporten or KRR client with a scope; client ${clientId} is ${client ? `an ${client.integrationType} client${scope ? "" : " without scopes"}` : "not found"}: set verifyScope, or verifyToken to false.`,
    );
  }
  return scope;
}

/**
 * The kids Digdir has registered on the client, in the order of the `kids` output; undefined when they cannot be read
 * (the preview then leaves them unknown, as for any update).
 */
async function registeredKids(ctx: Context, inputs: ClientKeysInputs): Promise<string[] | undefined> {
  try {
    const registered = await new DigdirClientApi(ctx).getJwks(inputs.clientId);
    return registered && kidsOf(registered, inputs.keys);
  } catch (e) {
    pulumi.log.debug(
      `ClientKeys: the registered keys of client ${inputs.clientId} could not be read in check: ${e instanceof Error ? e.message : String(e)}`,
    );
    return undefined;
  }
}

/** Is the set asked for on another client than the stored one (or one not known yet)? */
function movesTo(olds: Partial<ClientKeysOutputs>, news: ClientKeysInputs): boolean {
  return isUnknown(news.clientId) || (olds.clientId !== undefined && olds.clientId !== news.clientId);
}

/** The client the stored set is on: its `clientId` output, else (an import) the id. */
function clientOf(id: string, props: Partial<ClientKeysOutputs> | undefined): string {
  return typeof props?.clientId === "string" && props.clientId ? props.clientId : id;
}

export function clientKeysProvider(): pulumi.dynamic.ResourceProvider {
  return {
    async check(olds, news) {
      const ctx = context();
      // A declared exp is judged by the services' clock; without one no time (and no request) is needed.
      const declaresExp =
        Array.isArray(news.keys) &&
        news.keys.some((k: unknown) => !!k && typeof k === "object" && typeof (k as { exp?: unknown }).exp === "number");
      const now = seconds(declaresExp ? await ctx.serverNow() : ctx.now());
      // `kids` and `currentKid` are this provider's own (written below), never declared: not judged.
      const { kids: _written, currentKid: _current, ...declared } = news;
      const { inputs, failures } = checkClientKeysInputs(declared, now);
      if (failures.length) return { inputs: news, failures };
      // The preview of an update shows these inputs as the outputs: kids the inputs decide stay known there, and
      // so do those of a generated set whose policy alone is edited (the set Digdir has; its update holds them).
      const declaredOnly = kidsAfterUp(inputs);
      const kids = declaredOnly ?? (keepsKids(olds, inputs) ? await registeredKids(ctx, inputs) : undefined);
      // With declared keys only, the last one is the key to sign with (`currentKid`), whatever the up does.
      const current = declaredOnly?.at(-1);
      return { inputs: { ...inputs, ...(kids && { kids }), ...(current && { currentKid: current }) } };
    },

    /**
     * Offline: the stored outputs, the new inputs and the services' clock decide. A due rotation, retirement or
     * renewal is a change even when the inputs are unchanged, so that `pulumi up` performs it.
     */
    async diff(_id, olds: ClientKeysOutputs, news: ClientKeysInputs) {
      // Another client (or one not known yet: a client being created or replaced) is an update, which moves
      // the set: never a replacement on an unknown alone, and the same step whether the preview knew the id.
      if (movesTo(olds, news) || containsUnknown(news)) return { changes: true, replaces: [], deleteBeforeReplace: false };
      const state = stateOf(olds).state;
      const now = seconds(await context().serverNow());
      const plan = planKeys(state, news, now);
      // The preview fails as the `up` would, before anything is changed.
      const broken = heldKidsBroken(plan, news);
      if (broken) throw new InputError(`ClientKeys: ${broken}`);
      if (holdsKids(news)) {
        const waiting = planKeys(state, { ...news, kids: undefined }, now).steps.filter((s) => s.kind === "rotate" || s.kind === "retire");
        if (waiting.length)
          pulumi.log.warn(
            `ClientKeys on client ${news.clientId}: ${waiting.map((s) => `${s.kind} ${s.kid} (${s.reason})`).join("; ")}. ` +
              "This update changes the policy only and keeps the key ids; the next `pulumi up` takes what is due.",
          );
      }
      return { changes: policyChanged(olds, news) || plan.steps.length > 0, replaces: [], deleteBeforeReplace: false };
    },

    async create(inputs: ClientKeysInputs) {
      return { id: inputs.clientId, outs: await carryOut(context(), inputs.clientId, undefined, inputs, "create") };
    },

    /**
     * Refresh: the registered set as Digdir has it; the rest (generated keys, private JWKs, policy) as stored.
     * The client is the stored `clientId` (the id names the client the set was created on; see update).
     */
    async read(id, props: ClientKeysOutputs) {
      const clientId = clientOf(id, props);
      const registered = await new DigdirClientApi(context()).getJwks(clientId);
      if (!registered || registered.length === 0) return { id: "", props: {} };
      return { id, props: { ...props, clientId, keys: registered, kids: registered.map((k) => k.kid), expiresAt: expiryOf(registered) } };
    },

    /**
     * On another client (the old one replaced, or the set moved), the set is registered there as on a create
     * (a generated key is generated anew: it was the old client's), then removed from the old client. The
     * resource keeps its id, the client it was created on; `clientId` says where the set is.
     */
    async update(id, olds: ClientKeysOutputs, news: ClientKeysInputs) {
      const ctx = context();
      if (!movesTo(olds, news)) return { outs: await carryOut(ctx, news.clientId, olds, news, "update") };
      const outs = await carryOut(ctx, news.clientId, undefined, news, "update");
      await new DigdirClientApi(ctx).deleteJwks(clientOf(id, olds));
      return { outs };
    },

    async delete(id, props: ClientKeysOutputs) {
      await new DigdirClientApi(context()).deleteJwks(clientOf(id, props));
    },
  };
}
