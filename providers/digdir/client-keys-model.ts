import { z } from "zod";
import { containsUnknown, isUnknown, knownFailures, parseAroundUnknowns, type Failure } from "../core/check";

/**
 * Pure decisions about a client's key set (docs.digdir.no, "oidc_api_admin", and the self-service API's OpenAPI:
 * README.md, "Sources"): at most 5 RSA keys of at least 2048 bits, RS256 or RS512, `use: sig` (mandatory since the
 * 2025-05-22 API), `exp` at most one year ahead, public members only. The rotation plan over
 * time lives in client-keys-plan.ts.
 */

export const maxKeys = 5;
export const maxKeyLifetimeSeconds = 365 * 24 * 3600;
export const daySeconds = 24 * 3600;
/** A generated key and its successor during a rotation: the places kept free for them among the five. */
export const generatedPlaces = 2;
const privateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

export interface PublicJwk {
  kty: "RSA";
  kid: string;
  n: string;
  e: string;
  alg: "RS256" | "RS512";
  use: "sig";
  /** Expiry, epoch seconds; Digdir sets one year when absent. */
  exp?: number;
  x5c?: string[];
}

/** The policy inputs of a key set: what to generate, when to rotate, renew and verify. */
export interface KeyPolicy {
  /** The provider generates RSA keys (private JWK as a secret output) besides the declared ones. */
  generate: boolean;
  /** Days after which the current generated key is replaced by a new one. */
  rotateAfterDays?: number;
  /** Days the previous generated key stays registered after a rotation. */
  overlapDays: number;
  /** Keys whose `exp` is closer than this are registered again (0: never). */
  renewBeforeDays: number;
  /** `exp` of generated keys, in days from registration (default: Digdir's one year). */
  keyLifetimeDays?: number;
  /** After registering a generated key, get a Maskinporten token with it before exposing it as current. */
  verifyToken: boolean;
  /** The scope to ask for when verifying (default: the client's first scope). */
  verifyScope?: string;
  /** How long verification may retry through Digdir's propagation delay. */
  verifyTimeoutSeconds: number;
}

export interface ClientKeysInputs extends KeyPolicy {
  clientId: string;
  /** Declared (bring-your-own) public keys. */
  keys: PublicJwk[];
  /**
   * Written by `check`, never declared or sent: the kids the set has after this `pulumi up`, so that the preview of
   * an update, which shows the checked inputs as the outputs, knows them. Either the inputs alone decide them
   * (`kidsAfterUp`), or, with `generate`, an edit of the policy alone keeps the set Digdir has (`keepsKids`), and
   * the update then holds it: see `planKeys`.
   */
  kids?: string[];
  /** Written by `check` with `kids` when the inputs alone decide them: the last declared key is the one to sign with. */
  currentKid?: string;
}

/** A generated key the state knows: public facts only (its private JWK is a secret output). */
export interface GeneratedKeyRecord {
  kid: string;
  /** When it was first registered (ISO 8601): rotation counts from here. */
  createdAt: string;
  /** The previous key after a rotation: dropped at this time (ISO 8601). */
  retireAt?: string;
  /** Registered, but not yet proven with a token (verifyToken): not exposed as current. */
  pending?: boolean;
}

export interface ClientKeysOutputs extends ClientKeysInputs {
  /** The whole set registered at Digdir, public members and `exp`, as Digdir answered. */
  keys: PublicJwk[];
  kids: string[];
  /** kid → ISO 8601 expiry of each registered key. */
  expiresAt: Record<string, string>;
  /** The key to sign with: the current generated key, else the last declared key. */
  currentKid?: string;
  generatedKeys?: GeneratedKeyRecord[];
  /** The current generated key's private JWK (JSON): a secret output. */
  currentPrivateJwk?: string;
  /** A registered key awaiting verification: a secret output. */
  pendingPrivateJwk?: string;
  /** When the current generated key was registered (ISO 8601). */
  rotatedAt?: string;
  /** When the next rotation, retirement or renewal falls due (ISO 8601): a `pulumi up` after it performs it. */
  nextStepAt?: string;
}

export const keyPolicyDefaults = {
  generate: false,
  overlapDays: 7,
  renewBeforeDays: 30,
  verifyToken: false,
  verifyTimeoutSeconds: 180,
} as const;

function schema(now: number) {
  const b64url = /^[A-Za-z0-9_-]+$/;
  const jwk = z.strictObject({
    kty: z.literal("RSA", { error: 'must be "RSA": Digdir registers RSA keys only' }),
    kid: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, "must be letters, digits, '.', '_' or '-' (a random UUID is safest)")
      .max(200),
    n: z
      .string()
      .regex(b64url, "must be the base64url modulus")
      .refine(
        (n) => Buffer.from(n, "base64url").length * 8 >= 2048,
        "the key is shorter than 2048 bits: generate an RSA key of 2048 bits or more",
      ),
    e: z.string().regex(b64url, "must be the base64url exponent"),
    alg: z.enum(["RS256", "RS512"], { error: 'must be "RS256" or "RS512" (the algorithms Digdir registers)' }).default("RS256"),
    use: z.literal("sig", { error: 'must be "sig": Digdir requires signing keys since the 2025-05-22 API' }).default("sig"),
    exp: z
      .number()
      .int("must be whole epoch seconds")
      .refine(
        (x) => x > now,
        "is in the past: a key must expire in the future (leave exp out and Digdir gives the key one year, renewed by renewBeforeDays)",
      )
      .refine((x) => x <= now + maxKeyLifetimeSeconds, "is more than one year ahead: Digdir accepts at most one year")
      .optional(),
    x5c: z.array(z.string()).min(1).optional(),
  });
  const days = (what: string) => z.number({ error: `must be a number of days (${what})` }).positive("must be more than 0 days");
  return z.strictObject({
    clientId: z.string().min(1, "must be the client's id (e.g. a MaskinportenClient's clientId output)"),
    keys: z.array(jwk).max(maxKeys, `Digdir accepts at most ${maxKeys} keys per client`).default([]),
    generate: z.boolean().default(keyPolicyDefaults.generate),
    rotateAfterDays: days("how old the current generated key may get")
      .max(365, "must be at most 365: Digdir keys live at most one year")
      .optional(),
    overlapDays: days("how long the previous key stays after a rotation").default(keyPolicyDefaults.overlapDays),
    renewBeforeDays: z
      .number({ error: "must be a number of days (0: never renew)" })
      .min(0, "must be 0 (never) or more days")
      .max(364, "must be less than a year")
      .default(keyPolicyDefaults.renewBeforeDays),
    keyLifetimeDays: days("the exp of generated keys").max(365, "must be at most 365: Digdir accepts at most one year").optional(),
    verifyToken: z.boolean().default(keyPolicyDefaults.verifyToken),
    verifyScope: z
      .string()
      .regex(/^[a-z0-9_.-]+:[A-Za-z0-9_./:-]+$/, "must be a scope of the client, e.g. krr:global/kontaktinformasjon.read")
      .optional(),
    verifyTimeoutSeconds: z
      .number()
      .int("must be whole seconds")
      .min(1)
      .max(1800, "must be at most 1800 seconds")
      .default(keyPolicyDefaults.verifyTimeoutSeconds),
  });
}

/**
 * Validates a key set and its policy offline, filling in defaults; private key material is refused without
 * being echoed. `now` is epoch seconds (the provider passes the services' clock).
 */
export function checkClientKeysInputs(
  raw: Record<string, unknown>,
  now = Math.floor(Date.now() / 1000),
): { inputs: ClientKeysInputs; failures: Failure[] } {
  const news = Object.fromEntries(Object.entries(raw).filter(([k]) => !k.startsWith("__")));
  const failures: Failure[] = [];
  const keys = Array.isArray(news.keys) ? (news.keys as unknown[]) : [];
  keys.forEach((k, i) => {
    const present = k && typeof k === "object" ? privateMembers.filter((m) => m in (k as object)) : [];
    if (present.length) {
      failures.push({
        property: `keys[${i}]`,
        reason: `holds private key material (${present.join(", ")}): register only the public key; the private key stays in your vault`,
      });
    }
  });
  if (failures.length) return { inputs: raw as unknown as ClientKeysInputs, failures };
  const parsed = parseAroundUnknowns(schema(now), news);
  if (!parsed.data) return { inputs: raw as unknown as ClientKeysInputs, failures: parsed.failures };
  const inputs = stripUndefined(parsed.data) as ClientKeysInputs;
  return { inputs, failures: knownFailures(ruleFailures(inputs), news) };
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Rules across fields: duplicates, the five-key limit with room for rotation, policy that needs generated keys. */
function ruleFailures(i: ClientKeysInputs): Failure[] {
  const out: Failure[] = [];
  const seen = new Map<string, number>();
  i.keys.forEach((k, n) => {
    if (isUnknown(k) || isUnknown(k.kid)) return;
    if (seen.has(k.kid))
      out.push({
        property: `keys[${n}].kid`,
        reason: `"${k.kid}" is also the kid of keys[${seen.get(k.kid)}]: every key needs its own kid`,
      });
    seen.set(k.kid, n);
  });
  if (isUnknown(i.generate)) return out;
  if (!i.generate) {
    if (!containsUnknown(i.keys) && i.keys.length === 0) {
      out.push({
        property: "keys",
        reason: "needs at least one key, or generate: true: to remove every key, delete the ClientKeys resource",
      });
    }
    for (const f of ["rotateAfterDays", "keyLifetimeDays"] as const) {
      if (i[f] !== undefined)
        out.push({
          property: f,
          reason:
            "applies to generated keys: set generate: true, or rotate declared keys yourself by adding the new key and later removing the old",
        });
    }
    if (i.verifyToken === true)
      out.push({
        property: "verifyToken",
        reason: "needs generate: true: the provider holds no private key of a declared key to get a token with",
      });
  } else if (!containsUnknown(i.keys) && i.keys.length > maxKeys - generatedPlaces) {
    out.push({
      property: "keys",
      reason: `with generate: true, at most ${maxKeys - generatedPlaces} declared keys: Digdir accepts ${maxKeys}, and ${generatedPlaces} places are kept for the generated key and its successor during a rotation`,
    });
  }
  if (i.verifyScope !== undefined && i.verifyToken === false)
    out.push({ property: "verifyScope", reason: "is used only with verifyToken: true: set that, or remove verifyScope" });
  const num = (v: unknown): v is number => typeof v === "number";
  if (num(i.rotateAfterDays) && num(i.overlapDays) && i.overlapDays >= i.rotateAfterDays) {
    out.push({
      property: "overlapDays",
      reason: `must be shorter than rotateAfterDays (${i.rotateAfterDays}): the previous key must be gone before the next rotation`,
    });
  }
  if (num(i.keyLifetimeDays) && num(i.renewBeforeDays) && i.renewBeforeDays >= i.keyLifetimeDays) {
    out.push({
      property: "renewBeforeDays",
      reason: `must be shorter than keyLifetimeDays (${i.keyLifetimeDays}), or every key would be due for renewal as soon as it is registered`,
    });
  }
  return out;
}

/** kid → ISO expiry. */
export function expiryOf(keys: PublicJwk[]): Record<string, string> {
  const expiresAt: Record<string, string> = {};
  for (const k of keys) if (k.exp !== undefined) expiresAt[k.kid] = new Date(k.exp * 1000).toISOString();
  return expiresAt;
}

/** Is a registered key the same key as a declared one? `exp` counts only where the declared key sets it. */
export function sameKey(r: PublicJwk, d: PublicJwk): boolean {
  if (r.n !== d.n || r.e !== d.e || (r.alg ?? "RS256") !== d.alg || (r.use ?? "sig") !== d.use) return false;
  if (d.exp !== undefined && r.exp !== d.exp) return false;
  return JSON.stringify(r.x5c ?? null) === JSON.stringify(d.x5c ?? null);
}

/** Does the registered set differ from the desired one? `exp` counts only where the desired key sets it. */
export function keySetChanged(registered: PublicJwk[] | undefined, desired: PublicJwk[]): boolean {
  if (isUnknown(desired) || desired.some(isUnknown)) return true;
  const have = new Map((registered ?? []).map((k) => [k.kid, k]));
  if (have.size !== desired.length) return true;
  return desired.some((d) => {
    const r = have.get(d.kid);
    return !r || !sameKey(r, d);
  });
}

/** The policy fields whose change is an update even when no key changes (the state records the policy). */
export const policyFields = [
  "generate",
  "rotateAfterDays",
  "overlapDays",
  "renewBeforeDays",
  "keyLifetimeDays",
  "verifyToken",
  "verifyScope",
  "verifyTimeoutSeconds",
] as const;

export function policyChanged(olds: Partial<KeyPolicy>, news: Partial<KeyPolicy>): boolean {
  return policyFields.some((f) => isUnknown(news[f]) || JSON.stringify(olds[f] ?? null) !== JSON.stringify(news[f] ?? null));
}

/**
 * The kids the set has after a `pulumi up`, when the inputs alone decide them: declared keys only (no generated key),
 * all known. `up` registers exactly the declared keys then (the plan removes any other), and the `kids` output lists
 * them in declared order. Undefined with `generate` (a generated key's kid, and when it is rotated, are known only to
 * the state's outputs, which `check` never sees) or while a key is not known yet.
 */
export function kidsAfterUp(i: ClientKeysInputs): string[] | undefined {
  if (i.generate !== false || isUnknown(i.keys) || i.keys.some((k) => isUnknown(k) || isUnknown(k.kid))) return undefined;
  return i.keys.map((k) => k.kid);
}

/**
 * Does this edit change the policy of a generated set and nothing else (the same client, the same declared keys)?
 * Then its `pulumi up` keeps the key ids: `check` reads them from Digdir and writes them as `kids`, and the plan
 * holds them (a rotation or retirement that falls due waits for the next `up`). Any other edit, and an `up` with no
 * edit, takes every step that is due, so its preview may not promise the key ids.
 */
export function keepsKids(olds: Partial<Record<keyof ClientKeysInputs, unknown>> | undefined, news: ClientKeysInputs): boolean {
  if (!olds || olds.generate !== true || news.generate !== true) return false;
  if (isUnknown(news.clientId) || olds.clientId !== news.clientId || containsUnknown(news.keys)) return false;
  return canonical(olds.keys ?? []) === canonical(news.keys) && policyChanged(olds as Partial<KeyPolicy>, news);
}

/** JSON with each object's members sorted: the stored inputs come back from the engine in another member order. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x,
  );
}

/** The kids output: the declared keys in declared order, then the others as registered. */
export function kidsOf(registered: PublicJwk[], declared: PublicJwk[]): string[] {
  const at = new Map(declared.map((d, i) => [d.kid, i]));
  return [...registered].sort((a, b) => (at.get(a.kid) ?? declared.length) - (at.get(b.kid) ?? declared.length)).map((k) => k.kid);
}
