import { z } from "zod";
import { isUnknown, parseAroundUnknowns, type Failure } from "../core/check";
import type { WireJwk, WireJwks } from "./api";

/**
 * Pure decisions about a client's key set (digdir-api.md §2.4): whole-set semantics, at most 5 RSA keys of at
 * least 2048 bits, RS256, `use: sig`, `exp` at most one year ahead, public members only.
 */

export const maxKeys = 5;
export const maxKeyLifetimeSeconds = 365 * 24 * 3600;
const privateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

export interface PublicJwk {
  kty: "RSA";
  kid: string;
  n: string;
  e: string;
  alg: "RS256";
  use: "sig";
  /** Expiry, epoch seconds; Digdir sets one year when absent. */
  exp?: number;
  x5c?: string[];
}

export interface ClientKeysInputs {
  clientId: string;
  keys: PublicJwk[];
}

export interface ClientKeysOutputs extends ClientKeysInputs {
  kids: string[];
  /** kid → ISO 8601 expiry of each registered key. */
  expiresAt: Record<string, string>;
}

function schema(now: number) {
  const b64url = /^[A-Za-z0-9_-]+$/;
  const jwk = z.strictObject({
    kty: z.literal("RSA", { error: 'must be "RSA": Digdir registers RSA keys only' }),
    kid: z.string().regex(/^[A-Za-z0-9._-]+$/, "must be letters, digits, '.', '_' or '-' (a random UUID is safest)").max(200),
    n: z.string().regex(b64url, "must be the base64url modulus").refine((n) => Buffer.from(n, "base64url").length * 8 >= 2048, "the key is shorter than 2048 bits: generate an RSA key of 2048 bits or more"),
    e: z.string().regex(b64url, "must be the base64url exponent"),
    alg: z.literal("RS256", { error: 'must be "RS256" (the algorithm Digdir accepts everywhere)' }).default("RS256"),
    use: z.literal("sig", { error: 'must be "sig": Digdir requires signing keys since the 2025-05-22 API' }).default("sig"),
    exp: z
      .number()
      .int("must be whole epoch seconds")
      .refine((x) => x > now, "is in the past: a key must expire in the future")
      .refine((x) => x <= now + maxKeyLifetimeSeconds, "is more than one year ahead: Digdir accepts at most one year")
      .optional(),
    x5c: z.array(z.string()).min(1).optional(),
  });
  return z.strictObject({
    clientId: z.string().min(1, "must be the client's id (e.g. a MaskinportenClient's clientId output)"),
    keys: z
      .array(jwk)
      .min(1, "needs at least one key: to remove every key, delete the ClientKeys resource")
      .max(maxKeys, `Digdir accepts at most ${maxKeys} keys per client`),
  });
}

/** Validates a key set offline; private key material is refused without being echoed. */
export function checkClientKeysInputs(raw: Record<string, unknown>, now = Math.floor(Date.now() / 1000)): { inputs: ClientKeysInputs; failures: Failure[] } {
  const news = Object.fromEntries(Object.entries(raw).filter(([k]) => !k.startsWith("__")));
  const failures: Failure[] = [];
  const keys = Array.isArray(news.keys) ? (news.keys as unknown[]) : [];
  keys.forEach((k, i) => {
    const present = k && typeof k === "object" ? privateMembers.filter((m) => m in (k as object)) : [];
    if (present.length) {
      failures.push({ property: `keys[${i}]`, reason: `holds private key material (${present.join(", ")}): register only the public key; the private key stays in your vault` });
    }
  });
  if (failures.length) return { inputs: raw as unknown as ClientKeysInputs, failures };
  const parsed = parseAroundUnknowns(schema(now), news);
  if (!parsed.data) return { inputs: raw as unknown as ClientKeysInputs, failures: parsed.failures };
  const inputs = parsed.data as ClientKeysInputs;
  const seen = new Map<string, number>();
  inputs.keys.forEach((k, i) => {
    if (isUnknown(k.kid)) return;
    if (seen.has(k.kid)) failures.push({ property: `keys[${i}].kid`, reason: `"${k.kid}" is also the kid of keys[${seen.get(k.kid)}]: every key needs its own kid` });
    seen.set(k.kid, i);
  });
  return { inputs, failures };
}

/** The keys to POST: public members only. */
export function desiredJwks(keys: PublicJwk[]): WireJwk[] {
  return keys.map((k) => {
    const out: WireJwk = { kty: k.kty, kid: k.kid, n: k.n, e: k.e, alg: k.alg, use: k.use };
    if (k.exp !== undefined) out.exp = k.exp;
    if (k.x5c) out.x5c = k.x5c;
    return out;
  });
}

export function keysOutputs(clientId: string, live: WireJwks): ClientKeysOutputs {
  const keys = live.keys.map((k) => {
    const out: Record<string, unknown> = { kty: k.kty, kid: k.kid, n: k.n, e: k.e, alg: k.alg ?? "RS256", use: k.use ?? "sig" };
    if (typeof k.exp === "number") out.exp = k.exp;
    if (Array.isArray(k.x5c)) out.x5c = k.x5c;
    return out as unknown as PublicJwk;
  });
  const expiresAt: Record<string, string> = {};
  for (const k of keys) if (k.exp !== undefined) expiresAt[k.kid] = new Date(k.exp * 1000).toISOString();
  return { clientId, keys, kids: keys.map((k) => k.kid), expiresAt };
}

/** Does the registered set differ from the desired one? `exp` counts only where the desired key sets it. */
export function keySetChanged(registered: PublicJwk[] | undefined, desired: PublicJwk[]): boolean {
  if (isUnknown(desired) || desired.some(isUnknown)) return true;
  const have = new Map((registered ?? []).map((k) => [k.kid, k]));
  if (have.size !== desired.length) return true;
  return desired.some((d) => {
    const r = have.get(d.kid);
    if (!r) return true;
    if (r.n !== d.n || r.e !== d.e || (r.alg ?? "RS256") !== d.alg || (r.use ?? "sig") !== d.use) return true;
    if (d.exp !== undefined && r.exp !== d.exp) return true;
    return JSON.stringify(r.x5c ?? null) !== JSON.stringify(d.x5c ?? null);
  });
}
