import { daySeconds, maxKeys, sameKey, type ClientKeysInputs, type GeneratedKeyRecord, type PublicJwk } from "./client-keys-model";

/**
 * The rotation plan of a key set: a pure function of the state, the desired inputs and the time (state +
 * desired + now → which keys to register, keep, renew and drop). `diff` runs it to tell whether a `pulumi up`
 * has something to do, `update` runs it again and carries it out. Times are epoch seconds, by the services'
 * clock (Context.now()).
 *
 * The rules, in Digdir's terms (README.md, "ClientKeys"): the whole set is POSTed; re-posting a key renews its
 * `exp`; a generated key is registered before it becomes current (and proven with a token first when
 * `verifyToken`); after a rotation the previous key stays `overlapDays`, then goes.
 */

export interface KeyState {
  /** The set registered at Digdir as the state knows it (public members with `exp`). */
  registered: PublicJwk[];
  /** Generated keys, oldest first. */
  generated: GeneratedKeyRecord[];
  /** Public halves of the private JWKs the state holds (current and pending), by kid. */
  held: Record<string, PublicJwk>;
}

export type StepKind = "register" | "update" | "renew" | "remove" | "retire" | "generate" | "rotate" | "verify" | "forget";

export interface PlanStep {
  kind: StepKind;
  kid?: string;
  /** Why, in the user's terms. */
  reason: string;
}

/** One key of the set after the plan: `jwk.exp` is what to send (absent: Digdir gives one year). */
export type PlannedKey = { source: "declared" | "generated"; jwk: PublicJwk } | { source: "new"; exp?: number };

export interface KeyPlan {
  /** Empty when there is nothing to do. */
  steps: PlanStep[];
  /** The whole set to register. */
  set: PlannedKey[];
  /** Whether the set must be written (POSTed, or DELETEd when empty). */
  write: boolean;
  /** Generated keys kept, oldest first; a new key is added by whoever generates it. */
  generated: GeneratedKeyRecord[];
  /** The generated key to prove and expose as current: an existing pending kid, or "new". */
  promote?: string;
}

const iso = (s: number) => new Date(s * 1000).toISOString();
const secondsOf = (isoTime: string) => Math.floor(Date.parse(isoTime) / 1000);

/** When a registered key is due for renewal; undefined when it never is (renewBeforeDays 0, or no exp). */
export function renewalDueAt(exp: number | undefined, renewBeforeDays: number): number | undefined {
  if (exp === undefined || !(renewBeforeDays > 0)) return undefined;
  return exp - Math.round(renewBeforeDays * daySeconds);
}

/** The generated key currently exposed: the newest that is neither pending nor retiring. */
export function currentGenerated(records: GeneratedKeyRecord[]): GeneratedKeyRecord | undefined {
  return [...records].reverse().find((r) => !r.pending && !r.retireAt);
}

/** The exp to send for a new or renewed generated key: `keyLifetimeDays` ahead, else Digdir's one year. */
export function generatedExp(desired: Pick<ClientKeysInputs, "keyLifetimeDays">, now: number): number | undefined {
  return desired.keyLifetimeDays === undefined ? undefined : now + Math.round(desired.keyLifetimeDays * daySeconds);
}

/** A kept key is sent with its registered exp, unless that has passed (Digdir would refuse it). */
function kept(r: PublicJwk, now: number): PublicJwk {
  const { exp, ...rest } = r;
  return exp !== undefined && exp > now ? { ...rest, exp } : rest;
}

function withoutExp(k: PublicJwk): PublicJwk {
  const { exp: _exp, ...rest } = k;
  return rest;
}

export function planKeys(state: KeyState, desired: ClientKeysInputs, now: number): KeyPlan {
  const steps: PlanStep[] = [];
  const set: PlannedKey[] = [];
  const registered = new Map(state.registered.map((k) => [k.kid, k]));
  const declaredKids = new Set(desired.keys.map((k) => k.kid));
  // An edit of the policy alone keeps the key ids its preview showed (`desired.kids`, keepsKids): a rotation or a
  // retirement that falls due waits for the next `pulumi up`. A renewal keeps the ids, so it goes ahead.
  const holds = holdsKids(desired);
  const dueForRenewal = (exp: number | undefined) => {
    const at = renewalDueAt(exp, desired.renewBeforeDays);
    return at !== undefined && now >= at;
  };

  for (const d of desired.keys) {
    const r = registered.get(d.kid);
    if (!r) {
      steps.push({ kind: "register", kid: d.kid, reason: "declared, not registered yet" });
      set.push({ source: "declared", jwk: d });
    } else if (!sameKey(r, d)) {
      steps.push({ kind: "update", kid: d.kid, reason: "the declared key differs from the registered one" });
      set.push({ source: "declared", jwk: d });
    } else if (d.exp === undefined && dueForRenewal(r.exp)) {
      steps.push({ kind: "renew", kid: d.kid, reason: `expires ${iso(r.exp!)}, within renewBeforeDays (${desired.renewBeforeDays})` });
      set.push({ source: "declared", jwk: withoutExp(d) });
    } else {
      set.push({ source: "declared", jwk: d.exp === undefined ? kept({ ...d, exp: r.exp }, now) : d });
    }
  }

  let generated: GeneratedKeyRecord[] = state.generated.filter((g) => !declaredKids.has(g.kid));
  let promote: string | undefined;
  // A record leaves the state with a step: "remove"/"retire" when the key is registered, "forget" when not.
  const drop = (g: GeneratedKeyRecord, kind: "remove" | "retire", reason: string) =>
    steps.push(
      registered.has(g.kid) ? { kind, kid: g.kid, reason } : { kind: "forget", kid: g.kid, reason: `${reason} (no longer registered)` },
    );
  if (!desired.generate) {
    for (const g of generated) drop(g, "remove", "generate is off: generated keys are removed");
    generated = [];
  } else {
    const keep: GeneratedKeyRecord[] = [];
    for (const g of generated) {
      if (g.retireAt && !holds && now >= secondsOf(g.retireAt)) drop(g, "retire", `the overlap after the rotation ended ${g.retireAt}`);
      else if (!(registered.get(g.kid) ?? state.held[g.kid]) || (g.pending && !state.held[g.kid]))
        drop(g, "remove", "the state holds no private key for it");
      else keep.push(g);
    }
    generated = keep;
    const pending = generated.find((g) => g.pending);
    const current = currentGenerated(generated);
    let rotation: PlanStep | undefined;
    if (pending) {
      promote = pending.kid;
    } else if (!current) {
      promote = "new";
      rotation = { kind: "generate", reason: "generate is on and no generated key is current" };
    } else if (!state.held[current.kid]) {
      promote = "new";
      rotation = { kind: "rotate", kid: current.kid, reason: "the state holds no private key for the current key" };
    } else if (!holds && rotationDueAt(current, desired) !== undefined && now >= rotationDueAt(current, desired)!) {
      promote = "new";
      rotation = {
        kind: "rotate",
        kid: current.kid,
        reason: `registered ${current.createdAt}, rotateAfterDays ${desired.rotateAfterDays} have passed`,
      };
    }
    // A key being rotated out now retires after the overlap: it is renewed only if it would expire before that.
    const retiresAt = (g: GeneratedKeyRecord) =>
      g.retireAt
        ? secondsOf(g.retireAt)
        : rotation?.kind === "rotate" && g.kid === current?.kid
          ? now + Math.round(desired.overlapDays * daySeconds)
          : undefined;
    for (const g of generated) {
      const r = registered.get(g.kid) ?? state.held[g.kid];
      const retire = retiresAt(g);
      if (!registered.has(g.kid)) {
        steps.push({ kind: "register", kid: g.kid, reason: "missing at Digdir (removed outside Pulumi): registered again" });
        set.push({ source: "generated", jwk: { ...withoutExp(r), ...expOf(generatedExp(desired, now)) } });
      } else if (dueForRenewal(r.exp) && (retire === undefined || (r.exp ?? 0) < retire)) {
        steps.push({ kind: "renew", kid: g.kid, reason: `expires ${iso(r.exp!)}, within renewBeforeDays (${desired.renewBeforeDays})` });
        set.push({ source: "generated", jwk: { ...withoutExp(r), ...expOf(generatedExp(desired, now)) } });
      } else {
        set.push({ source: "generated", jwk: kept(r, now) });
      }
    }
    if (pending)
      steps.push({
        kind: "verify",
        kid: pending.kid,
        reason: desired.verifyToken ? "registered, not yet proven with a token" : "registered, not yet exposed as current",
      });
    if (rotation) {
      steps.push(rotation);
      set.push({ source: "new", ...expOf(generatedExp(desired, now)) });
    }
  }

  const generatedKids = new Set(generated.map((g) => g.kid));
  for (const r of state.registered) {
    if (
      !declaredKids.has(r.kid) &&
      !generatedKids.has(r.kid) &&
      !steps.some((s) => s.kid === r.kid && (s.kind === "remove" || s.kind === "retire"))
    ) {
      steps.push({
        kind: "remove",
        kid: r.kid,
        reason: "registered, but neither declared nor generated (removed from the program, or added outside Pulumi)",
      });
    }
  }
  const write = steps.some((s) => s.kind !== "verify" && s.kind !== "forget");
  return { steps, set, write, generated, promote };
}

/** Does this `up` hold the key ids `check` promised (a generated set whose policy alone was edited)? */
export function holdsKids(desired: Pick<ClientKeysInputs, "generate" | "kids">): desired is ClientKeysInputs & { kids: string[] } {
  return desired.generate && Array.isArray(desired.kids);
}

/**
 * Why a plan cannot keep the key ids `check` promised, or undefined when it can (or promised none). A held plan takes
 * no rotation or retirement, so this is a state that differs from Digdir's set (keys changed outside Pulumi since the
 * last refresh), or a key the state cannot keep: the preview said what Digdir has, the state would register another set.
 */
export function heldKidsBroken(plan: KeyPlan, desired: ClientKeysInputs): string | undefined {
  if (!holdsKids(desired)) return undefined;
  const after = plan.set.map((p) => (p.source === "new" ? "a new key" : p.jwk.kid));
  const promised = new Set(desired.kids);
  if (after.length === promised.size && after.every((k) => promised.has(k))) return undefined;
  const what =
    `the policy edit keeps the key ids Digdir has for client ${desired.clientId} (${desired.kids.join(", ") || "none"}), ` +
    `but the state's plan registers ${after.join(", ") || "none"}`;
  // A key the state cannot keep (its private JWK is gone from the state) is replaced by an up with no edit of the set.
  if (after.includes("a new key"))
    return `${what}: the state has no current generated key it can keep (its private key is not in the state). Run \`pulumi up\` without this edit first (it replaces the key), then make the edit. Nothing was changed.`;
  return `${what}: the set at Digdir changed outside Pulumi since the last refresh. Run \`pulumi refresh\`, then preview again. Nothing was changed.`;
}

/** The kids output of a held plan lists the set in the order the preview showed. */
export function heldOrder(kids: string[], desired: ClientKeysInputs): string[] {
  if (!holdsKids(desired) || kids.length !== desired.kids.length || !kids.every((k) => desired.kids.includes(k))) return kids;
  return desired.kids;
}

function expOf(exp: number | undefined): { exp?: number } {
  return exp === undefined ? {} : { exp };
}

export function rotationDueAt(current: GeneratedKeyRecord, desired: Pick<ClientKeysInputs, "rotateAfterDays">): number | undefined {
  if (desired.rotateAfterDays === undefined) return undefined;
  return secondsOf(current.createdAt) + Math.round(desired.rotateAfterDays * daySeconds);
}

/**
 * Exposes a registered generated key as current: it stops being pending, and the key it succeeds stays
 * registered for `overlapDays` from now, then is retired.
 */
export function makeCurrent(records: GeneratedKeyRecord[], kid: string, now: number, overlapDays: number): GeneratedKeyRecord[] {
  const previous = currentGenerated(records.filter((r) => r.kid !== kid));
  return records.map((r) => {
    if (r.kid === kid) {
      const { pending: _pending, ...rest } = r;
      return rest;
    }
    if (previous && r.kid === previous.kid) return { ...r, retireAt: iso(now + Math.round(overlapDays * daySeconds)) };
    return r;
  });
}

/**
 * When the next step falls due (epoch seconds), for the state a plan left: the current key's rotation, a
 * previous key's retirement, a key's renewal. Undefined when nothing ever falls due. For any state,
 * `planKeys` finds nothing to do before this time and something at it.
 */
export function nextStepAt(state: KeyState, desired: ClientKeysInputs): number | undefined {
  const times: number[] = [];
  const registered = new Map(state.registered.map((k) => [k.kid, k]));
  for (const d of desired.keys) {
    if (d.exp !== undefined) continue;
    const at = renewalDueAt(registered.get(d.kid)?.exp, desired.renewBeforeDays);
    if (at !== undefined) times.push(at);
  }
  if (desired.generate) {
    for (const g of state.generated) {
      const r = registered.get(g.kid);
      if (g.retireAt) times.push(secondsOf(g.retireAt));
      const renewal = renewalDueAt(r?.exp, desired.renewBeforeDays);
      if (renewal !== undefined && (!g.retireAt || (r?.exp ?? 0) < secondsOf(g.retireAt))) times.push(renewal);
    }
    const current = currentGenerated(state.generated);
    const rotation = current && rotationDueAt(current, desired);
    if (rotation !== undefined) times.push(rotation);
  }
  return times.length ? Math.min(...times) : undefined;
}

/**
 * The single-key writes that take the registered set to the planned one (`PUT`/`DELETE /clients/{id}/jwks/{kid}`):
 * each new or changed key is put, each key no longer planned removed, and the keys that stay as they are not
 * touched, so a key someone else registered meanwhile is not wiped. A planned key without `exp` is put (Digdir gives
 * it a year: a renewal). New keys go first, so that a successor is registered before its predecessor goes; removals
 * go first only where the new keys would not fit beside the old ones (at most `maxKeys`).
 */
export function keyWrites(registered: PublicJwk[], planned: PublicJwk[]): { put: PublicJwk[]; remove: string[]; removeFirst: boolean } {
  const have = new Map(registered.map((k) => [k.kid, k]));
  const put = planned.filter((p) => {
    const r = have.get(p.kid);
    return !r || p.exp === undefined || r.exp !== p.exp || !sameKey(r, p);
  });
  const plannedKids = new Set(planned.map((p) => p.kid));
  const remove = registered.filter((r) => !plannedKids.has(r.kid)).map((r) => r.kid);
  const added = put.filter((p) => !have.has(p.kid)).length;
  return { put, remove, removeFirst: registered.length + added > maxKeys };
}
