import { describe, expect, test } from "vitest";
import {
  checkClientKeysInputs,
  daySeconds,
  maxKeys,
  type ClientKeysInputs,
  type PublicJwk,
} from "../../providers/digdir/client-keys-model";
import {
  currentGenerated,
  heldKidsBroken,
  heldOrder,
  keyWrites,
  makeCurrent,
  nextStepAt,
  planKeys,
  type KeyState,
} from "../../providers/digdir/client-keys-plan";

/**
 * The rotation plan over simulated time: pure, so a year of daily `pulumi up`s runs in milliseconds. Digdir is
 * modelled as Digdir documents it (providers/digdir/README.md, "Sources"): the POSTed set replaces the old one, and a key sent without
 * `exp` gets one year from the moment it is posted.
 */

const t0 = 1_800_000_000;
const day = daySeconds;
const year = 365 * day;

/** A stand-in modulus of 2048 bits: the plan compares keys, it never uses them. */
const modulus = (seed: string) => Buffer.from(seed.padEnd(256, "x")).toString("base64url");
const pub = (kid: string): PublicJwk => ({ kty: "RSA", kid, n: modulus(kid), e: "AQAB", alg: "RS256", use: "sig" });

function desired(extra: Record<string, unknown>): ClientKeysInputs {
  const r = checkClientKeysInputs({ clientId: "c1", ...extra }, t0);
  expect(r.failures).toEqual([]);
  return r.inputs;
}

const empty: KeyState = { registered: [], generated: [], held: {} };

/** One `pulumi up` at `now`, as the provider carries it out (without a failing verification). */
function up(state: KeyState, d: ClientKeysInputs, now: number, fresh: () => string) {
  const plan = planKeys(state, d, now);
  const kid = plan.promote === "new" ? fresh() : undefined;
  const registered = plan.write
    ? plan.set.map((p) => (p.source === "new" ? { ...pub(kid!), exp: p.exp ?? now + year } : { ...p.jwk, exp: p.jwk.exp ?? now + year }))
    : state.registered;
  let generated = plan.generated;
  const held = { ...state.held };
  if (kid) {
    generated = [...generated, { kid, createdAt: new Date(now * 1000).toISOString(), pending: true }];
    held[kid] = pub(kid);
  }
  const promoting = plan.promote === "new" ? kid : plan.promote;
  if (promoting) generated = makeCurrent(generated, promoting, now, d.overlapDays);
  for (const k of Object.keys(held)) if (!generated.some((g) => g.kid === k)) delete held[k];
  return { plan, state: { registered, generated, held } as KeyState };
}

function counter(prefix = "g") {
  let n = 0;
  return () => `${prefix}${++n}`;
}

describe("key rotation planning", () => {
  test("the first plan for generated keys generates one key and exposes it", () => {
    const d = desired({ generate: true });
    const plan = planKeys(empty, d, t0);
    expect(plan.steps.map((s) => s.kind)).toEqual(["generate"]);
    expect(plan.set).toEqual([{ source: "new" }]);
    expect(plan.write).toBe(true);
    expect(plan.promote).toBe("new");
  });

  test("declared keys are registered as declared, and nothing is due the day after", () => {
    const d = desired({ keys: [pub("a"), pub("b")] });
    const first = up(empty, d, t0, counter());
    expect(first.plan.steps.map((s) => [s.kind, s.kid])).toEqual([
      ["register", "a"],
      ["register", "b"],
    ]);
    expect(first.plan.promote).toBeUndefined();
    expect(planKeys(first.state, d, t0 + day).steps).toEqual([]);
  });

  test("rotation adds a new key, keeps the previous one for the overlap, then drops it", () => {
    const d = desired({ generate: true, rotateAfterDays: 30, overlapDays: 5 });
    const fresh = counter();
    let { state } = up(empty, d, t0, fresh);
    expect(currentGenerated(state.generated)?.kid).toBe("g1");

    expect(planKeys(state, d, t0 + 30 * day - 1).steps).toEqual([]);
    const rotation = up(state, d, t0 + 30 * day, fresh);
    expect(rotation.plan.steps).toEqual([expect.objectContaining({ kind: "rotate", kid: "g1" })]);
    state = rotation.state;
    expect(state.registered.map((k) => k.kid)).toEqual(["g1", "g2"]);
    expect(currentGenerated(state.generated)?.kid).toBe("g2");
    expect(state.generated.find((g) => g.kid === "g1")?.retireAt).toBe(new Date((t0 + 35 * day) * 1000).toISOString());
    // The previous key keeps its exp: it is re-sent as registered, not renewed.
    expect(state.registered.find((k) => k.kid === "g1")?.exp).toBe(t0 + year);

    expect(planKeys(state, d, t0 + 35 * day - 1).steps).toEqual([]);
    const retirement = up(state, d, t0 + 35 * day, fresh);
    expect(retirement.plan.steps).toEqual([expect.objectContaining({ kind: "retire", kid: "g1" })]);
    expect(retirement.state.registered.map((k) => k.kid)).toEqual(["g2"]);
    expect(retirement.state.generated.map((g) => g.kid)).toEqual(["g2"]);
  });

  test("a late `pulumi up` retires the previous key and rotates the current one in one step", () => {
    const d = desired({ generate: true, rotateAfterDays: 30, overlapDays: 5 });
    const fresh = counter();
    let { state } = up(empty, d, t0, fresh);
    state = up(state, d, t0 + 30 * day, fresh).state;
    const late = up(state, d, t0 + 90 * day, fresh);
    expect(late.plan.steps.map((s) => [s.kind, s.kid])).toEqual([
      ["retire", "g1"],
      ["rotate", "g2"],
    ]);
    expect(late.state.registered.map((k) => k.kid)).toEqual(["g2", "g3"]);
  });

  test("keys close to their exp are registered again, without exp, so Digdir gives them a new year", () => {
    const d = desired({ keys: [pub("a")], renewBeforeDays: 30 });
    const { state } = up(empty, d, t0, counter());
    expect(state.registered[0].exp).toBe(t0 + year);
    expect(planKeys(state, d, t0 + year - 30 * day - 1).steps).toEqual([]);
    const plan = planKeys(state, d, t0 + year - 30 * day);
    expect(plan.steps).toEqual([expect.objectContaining({ kind: "renew", kid: "a" })]);
    expect(plan.set).toEqual([{ source: "declared", jwk: pub("a") }]);
    expect(plan.write).toBe(true);
  });

  test("generated keys are renewed with keyLifetimeDays as their new exp", () => {
    const d = desired({ generate: true, keyLifetimeDays: 60, renewBeforeDays: 10 });
    const first = planKeys(empty, d, t0);
    expect(first.set).toEqual([{ source: "new", exp: t0 + 60 * day }]);
    const { state } = up(empty, d, t0, counter());
    const renewal = planKeys(state, d, t0 + 50 * day);
    expect(renewal.steps.map((s) => s.kind)).toEqual(["renew"]);
    expect(renewal.set).toEqual([{ source: "generated", jwk: { ...pub("g1"), exp: t0 + 110 * day } }]);
  });

  test("a declared exp is the user's: such a key is never renewed", () => {
    const d = desired({ keys: [{ ...pub("a"), exp: t0 + 100 * day }], renewBeforeDays: 30 });
    const { state } = up(empty, d, t0, counter());
    expect(planKeys(state, d, t0 + 99 * day).steps).toEqual([]);
    expect(nextStepAt(state, d)).toBeUndefined();
  });

  test("renewBeforeDays 0 turns renewal off", () => {
    const d = desired({ keys: [pub("a")], renewBeforeDays: 0 });
    const { state } = up(empty, d, t0, counter());
    expect(planKeys(state, d, t0 + year - 1).steps).toEqual([]);
    expect(nextStepAt(state, d)).toBeUndefined();
  });

  test("a retiring key whose exp comes before its retirement is renewed; otherwise it is left to expire", () => {
    const d = desired({ generate: true, rotateAfterDays: 30, overlapDays: 20, keyLifetimeDays: 40, renewBeforeDays: 5 });
    const fresh = counter();
    let { state } = up(empty, d, t0, fresh);
    // g1 (exp day 40) is rotated out at day 30 and retires at day 50: without renewal it would die at day 40.
    state = up(state, d, t0 + 30 * day, fresh).state;
    const plan = planKeys(state, d, t0 + 35 * day);
    expect(plan.steps).toEqual([expect.objectContaining({ kind: "renew", kid: "g1" })]);

    const short = desired({ generate: true, rotateAfterDays: 30, overlapDays: 2, keyLifetimeDays: 40, renewBeforeDays: 10 });
    const s2 = up(empty, short, t0, counter()).state;
    // At day 30 g1 is due for both; rotated out, it retires at day 32, before its exp (40): no renewal.
    expect(planKeys(s2, short, t0 + 30 * day).steps.map((x) => x.kind)).toEqual(["rotate"]);
  });

  test("a key awaiting verification is verified, not replaced, and nothing is written", () => {
    const d = desired({ generate: true, rotateAfterDays: 30, verifyToken: true });
    const state: KeyState = {
      registered: [
        { ...pub("g1"), exp: t0 + year },
        { ...pub("g2"), exp: t0 + year },
      ],
      generated: [
        { kid: "g1", createdAt: new Date(t0 * 1000).toISOString() },
        { kid: "g2", createdAt: new Date((t0 + 31 * day) * 1000).toISOString(), pending: true },
      ],
      held: { g1: pub("g1"), g2: pub("g2") },
    };
    const plan = planKeys(state, d, t0 + 40 * day);
    expect(plan.steps).toEqual([expect.objectContaining({ kind: "verify", kid: "g2" })]);
    expect(plan.write).toBe(false);
    expect(plan.promote).toBe("g2");
    const promoted = makeCurrent(plan.generated, "g2", t0 + 40 * day, 7);
    expect(currentGenerated(promoted)?.kid).toBe("g2");
    expect(promoted.find((g) => g.kid === "g1")?.retireAt).toBe(new Date((t0 + 47 * day) * 1000).toISOString());
  });

  test("a generated key removed outside Pulumi is registered again from the private key the state holds", () => {
    const d = desired({ generate: true });
    const state: KeyState = {
      registered: [],
      generated: [{ kid: "g1", createdAt: new Date(t0 * 1000).toISOString() }],
      held: { g1: pub("g1") },
    };
    const plan = planKeys(state, d, t0 + day);
    expect(plan.steps).toEqual([expect.objectContaining({ kind: "register", kid: "g1" })]);
    expect(plan.set).toEqual([{ source: "generated", jwk: pub("g1") }]);
    expect(plan.promote).toBeUndefined();
  });

  test("without the current key's private JWK in the state, the key is rotated", () => {
    const d = desired({ generate: true });
    const state: KeyState = {
      registered: [{ ...pub("g1"), exp: t0 + year }],
      generated: [{ kid: "g1", createdAt: new Date(t0 * 1000).toISOString() }],
      held: {},
    };
    const plan = planKeys(state, d, t0 + day);
    expect(plan.steps).toEqual([expect.objectContaining({ kind: "rotate", kid: "g1" })]);
    expect(plan.promote).toBe("new");
  });

  test("keys registered outside Pulumi are removed: the resource owns the whole set", () => {
    const d = desired({ keys: [pub("a")] });
    const state: KeyState = {
      registered: [
        { ...pub("a"), exp: t0 + year },
        { ...pub("stranger"), exp: t0 + year },
      ],
      generated: [],
      held: {},
    };
    const plan = planKeys(state, d, t0 + day);
    expect(plan.steps).toEqual([expect.objectContaining({ kind: "remove", kid: "stranger" })]);
    expect(plan.set.map((p) => (p.source === "new" ? "new" : p.jwk.kid))).toEqual(["a"]);
  });

  test("turning generate off removes the generated keys and keeps the declared ones", () => {
    const on = desired({ keys: [pub("a")], generate: true });
    const { state } = up(empty, on, t0, counter());
    const off = desired({ keys: [pub("a")] });
    const plan = planKeys(state, off, t0 + day);
    expect(plan.steps).toEqual([expect.objectContaining({ kind: "remove", kid: "g1" })]);
    expect(plan.generated).toEqual([]);
    expect(plan.set.map((p) => (p.source === "new" ? "new" : p.jwk.kid))).toEqual(["a"]);
  });

  test("a changed declared key is sent again; removing every declared key empties the set", () => {
    const d = desired({ keys: [pub("a")] });
    const { state } = up(empty, d, t0, counter());
    const changed = planKeys(state, desired({ keys: [{ ...pub("a"), n: modulus("other") }] }), t0 + day);
    expect(changed.steps).toEqual([expect.objectContaining({ kind: "update", kid: "a" })]);
    const none = planKeys(state, { ...d, keys: [] }, t0 + day);
    expect(none.set).toEqual([]);
    expect(none.write).toBe(true);
  });

  test("a year of daily `pulumi up`s: never more than five keys, the current key always registered and in date", () => {
    const d = desired({ keys: [pub("a")], generate: true, rotateAfterDays: 60, overlapDays: 5, keyLifetimeDays: 45, renewBeforeDays: 10 });
    const fresh = counter();
    let state = up(empty, d, t0, fresh).state;
    const kinds = new Set<string>();
    for (let n = 1; n <= 400; n++) {
      const now = t0 + n * day;
      const r = up(state, d, now, fresh);
      r.plan.steps.forEach((s) => kinds.add(s.kind));
      state = r.state;
      expect(state.registered.length).toBeLessThanOrEqual(maxKeys);
      const current = currentGenerated(state.generated)!;
      const registered = state.registered.find((k) => k.kid === current.kid);
      expect(registered, `day ${n}`).toBeDefined();
      expect(registered!.exp! > now, `day ${n}: the current key has expired`).toBe(true);
      for (const k of state.registered) expect(k.exp! > now, `day ${n}: ${k.kid} registered after its exp`).toBe(true);
    }
    expect([...kinds].sort()).toEqual(["renew", "retire", "rotate"]);
  });

  test("diff and nextStepAt agree: nothing is due a second before the next step, something is at it", () => {
    const cases: Array<Record<string, unknown>> = [
      { generate: true, rotateAfterDays: 30, overlapDays: 5 },
      { keys: [pub("a")], renewBeforeDays: 30 },
      { keys: [pub("a")], generate: true, rotateAfterDays: 90, overlapDays: 7, keyLifetimeDays: 60, renewBeforeDays: 14 },
    ];
    for (const c of cases) {
      const d = desired(c);
      const fresh = counter();
      let state = up(empty, d, t0, fresh).state;
      for (let i = 0; i < 6; i++) {
        const at = nextStepAt(state, d);
        expect(at, JSON.stringify(c)).toBeDefined();
        expect(planKeys(state, d, at! - 1).steps, JSON.stringify(c)).toEqual([]);
        expect(planKeys(state, d, at!).steps.length, JSON.stringify(c)).toBeGreaterThan(0);
        state = up(state, d, at!, fresh).state;
      }
    }
  });
});

describe("a policy edit holds the key ids its preview showed", () => {
  /** Day 0 a key, day 40 rotated (previous retires day 47): the state on day 41, before the retirement. */
  function rotatedState(d: ClientKeysInputs): KeyState {
    const fresh = counter();
    let { state } = up(empty, d, t0, fresh);
    ({ state } = up(state, d, t0 + 40 * day, fresh));
    return state;
  }

  test("a rotation or a retirement that falls due waits; a renewal goes ahead, as it keeps the ids", () => {
    const d = desired({ generate: true, rotateAfterDays: 30, overlapDays: 7, keyLifetimeDays: 60, renewBeforeDays: 10 });
    const state = rotatedState(d);
    expect(state.registered.map((k) => k.kid)).toEqual(["g1", "g2"]);
    // Day 95: g1's overlap ended (retire), g2 is due for rotation (day 70) and within renewal (exp day 100).
    const now = t0 + 95 * day;
    expect(
      planKeys(state, d, now)
        .steps.map((s) => s.kind)
        .sort(),
    ).toEqual(["renew", "retire", "rotate"]);
    const held = planKeys(state, { ...d, kids: ["g1", "g2"] }, now);
    expect(held.steps.map((s) => `${s.kind} ${s.kid}`).sort()).toEqual(["renew g2"]);
    expect(held.promote).toBeUndefined();
    expect(held.set.map((p) => (p.source === "new" ? "new" : p.jwk.kid))).toEqual(["g1", "g2"]);
    expect(heldKidsBroken(held, { ...d, kids: ["g1", "g2"] })).toBeUndefined();
    // Without the promise the same state rotates and retires: the hold lasts one up.
    expect(heldKidsBroken(planKeys(state, d, now), d)).toBeUndefined();
  });

  test("a state that differs from the set the preview read is refused before anything is changed, saying to refresh", () => {
    const d = desired({ generate: true, rotateAfterDays: 30 });
    const state = rotatedState(d);
    const promised = { ...d, kids: ["g1", "g2", "outsider"] };
    const why = heldKidsBroken(planKeys(state, promised, t0 + 41 * day), promised);
    expect(why).toContain("the policy edit keeps the key ids Digdir has for client c1 (g1, g2, outsider)");
    expect(why).toContain("the state's plan registers g1, g2");
    expect(why).toContain("Run `pulumi refresh`, then preview again. Nothing was changed.");
    // A state without the current key's private JWK must generate one: a new key, which the promise forbids.
    const lost = { ...state, held: {} };
    expect(heldKidsBroken(planKeys(lost, { ...d, kids: ["g1", "g2"] }, t0 + 41 * day), { ...d, kids: ["g1", "g2"] })).toContain(
      "registers g1, g2, a new key: the state has no current generated key it can keep (its private key is not in the state). Run `pulumi up` without this edit first",
    );
  });

  test("the kids output keeps the order the preview showed; declared keys are never held", () => {
    const d = desired({ generate: true });
    expect(heldOrder(["a", "b"], { ...d, kids: ["b", "a"] })).toEqual(["b", "a"]);
    expect(heldOrder(["a", "b"], { ...d, kids: ["a", "c"] })).toEqual(["a", "b"]);
    expect(heldOrder(["a", "b"], d)).toEqual(["a", "b"]);
    const declared = desired({ keys: [pub("a")] });
    expect(heldKidsBroken(planKeys(empty, { ...declared, kids: ["a"] }, t0), { ...declared, kids: ["a"] })).toBeUndefined();
  });
});

describe("single-key writes", () => {
  const at = (k: PublicJwk, exp: number): PublicJwk => ({ ...k, exp });

  test("only what changes is written: new and renewed keys put, keys no longer planned removed, the rest untouched", () => {
    const [a, b, c] = [pub("a"), pub("b"), pub("c")];
    const w = keyWrites([at(a, t0 + year), at(b, t0 + year)], [at(a, t0 + year), { ...b }, c]);
    expect(w.put.map((k) => k.kid)).toEqual(["b", "c"]);
    expect(w.remove).toEqual([]);
    expect(keyWrites([at(a, t0 + year), at(b, t0 + year)], [at(b, t0 + year)])).toEqual({ put: [], remove: ["a"], removeFirst: false });
  });

  test("removals go first only where the new keys would not fit beside the old ones", () => {
    const five = ["a", "b", "c", "d", "e"].map((k) => at(pub(k), t0 + year));
    const w = keyWrites(five, [...five.slice(1), pub("f")]);
    expect(w).toMatchObject({ remove: ["a"], removeFirst: true });
    expect(w.put.map((k) => k.kid)).toEqual(["f"]);
    expect(keyWrites(five.slice(1), [...five.slice(2), pub("f")]).removeFirst).toBe(false);
  });
});
