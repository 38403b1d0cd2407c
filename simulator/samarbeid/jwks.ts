import { createPublicKey } from "node:crypto";
import { isPlainObject } from "../core/http";
import type { ClientJwks, PublicJwk, RegisteredKey } from "../registry/registry";
import type { DigdirError } from "./errors";

// A client's key set (the self-service API's OpenAPI, app/lib/api.d.ts in digdir/digdir-camp-2025-react-impl): POST and PUT replace the whole set, PUT and DELETE
// of /jwks/{kid} one key; at most 5 keys; RSA, at least 2048 bits, alg RS256 or RS512 (the self-service API's
// OpenAPI), `use: "sig"` mandatory, kid of [A-Za-z0-9._-], public members only. `exp`
// (epoch seconds) is optional: default now + 1 year, never more than 1 year ahead, never in the past.
// Re-posting a key renews its exp; a key that keeps its kid and modulus keeps its activation time.

export const MAX_KEYS = 5;
export const MAX_KEY_LIFETIME_SECONDS = 365 * 24 * 3600;
const MIN_RSA_BITS = 2048;
const ALLOWED_ALGS = ["RS256", "RS512"];
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
const KID_PATTERN = /^[A-Za-z0-9._-]{1,255}$/;

export type JwksValidation = { ok: true; keys: RegisteredKey[] } | { ok: false; errors: DigdirError[] };

export function validateJwks(body: unknown, now: number, activationDelay: number, existing: ClientJwks | undefined): JwksValidation {
  const errors: DigdirError[] = [];
  const err = (message: string, field = "keys") => errors.push({ errorMessage: message, fieldIdentifier: field, objectName: "Jwks" });
  if (!isPlainObject(body) || !Array.isArray(body.keys)) {
    return { ok: false, errors: [{ errorMessage: 'The body must be a JWK Set: {"keys": [...]}', objectName: "Jwks" }] };
  }
  const raw = body.keys as unknown[];
  if (raw.length === 0) err("keys must not be empty; to remove the last key, DELETE the key set");
  if (raw.length > MAX_KEYS) err(`a client can have at most ${MAX_KEYS} keys (got ${raw.length})`);

  const keys: RegisteredKey[] = [];
  const seen = new Set<string>();
  raw.forEach((k, i) => {
    const at = `keys[${i}]`;
    if (!isPlainObject(k)) return err(`${at} must be a JWK object`, at);
    const before = errors.length;
    const priv = PRIVATE_MEMBERS.filter((m) => k[m] !== undefined);
    if (priv.length) err(`${at} holds private key members (${priv.join(", ")}); register the public key only`, at);
    if (k.kty !== "RSA") err(`${at}.kty must be RSA`, `${at}.kty`);
    if (typeof k.kid !== "string" || !KID_PATTERN.test(k.kid))
      err(`${at}.kid is required and may contain only letters, digits, '.', '_' and '-'`, `${at}.kid`);
    else if (seen.has(k.kid)) err(`${at}.kid ${k.kid} appears twice in the set`, `${at}.kid`);
    else seen.add(k.kid);
    if (typeof k.alg !== "string" || !ALLOWED_ALGS.includes(k.alg))
      err(`${at}.alg is required and must be ${ALLOWED_ALGS.join(" or ")}`, `${at}.alg`);
    if (k.use !== "sig") err(`${at}.use is required and must be "sig"`, `${at}.use`);
    if (typeof k.n !== "string" || typeof k.e !== "string") err(`${at}: n and e are required`, at);
    else if (k.kty === "RSA") {
      const bits = rsaModulusBits(k.n, k.e);
      if (bits === undefined) err(`${at} is not a valid RSA public key`, at);
      else if (bits < MIN_RSA_BITS) err(`${at} is a ${bits}-bit key; at least ${MIN_RSA_BITS} bits are required`, at);
    }
    if (k.x5c !== undefined && (!Array.isArray(k.x5c) || !k.x5c.every((c) => typeof c === "string")))
      err(`${at}.x5c must be an array of base64 certificates`, `${at}.x5c`);
    let exp = now + MAX_KEY_LIFETIME_SECONDS;
    if (k.exp !== undefined) {
      if (typeof k.exp !== "number" || !Number.isInteger(k.exp)) err(`${at}.exp must be epoch seconds`, `${at}.exp`);
      else if (k.exp <= now) err(`${at}.exp is in the past`, `${at}.exp`);
      else if (k.exp > now + MAX_KEY_LIFETIME_SECONDS)
        err(`${at}.exp is more than one year ahead; the maximum is ${now + MAX_KEY_LIFETIME_SECONDS}`, `${at}.exp`);
      else exp = k.exp;
    }
    if (errors.length > before) return;
    const jwk: PublicJwk = { kty: "RSA", kid: k.kid as string, alg: k.alg as string, use: "sig", n: k.n as string, e: k.e as string };
    if (k.x5c !== undefined) jwk.x5c = [...(k.x5c as string[])];
    const previous = existing?.keys.find((p) => p.jwk.kid === jwk.kid && p.jwk.n === jwk.n && p.jwk.e === jwk.e);
    keys.push({ jwk, exp, activeFrom: previous ? previous.activeFrom : now + activationDelay });
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, keys };
}

/** The wire form: each key with its `exp`, plus the set's timestamps. */
export function jwksResponse(jwks: ClientJwks | undefined): Record<string, unknown> {
  if (!jwks) return { keys: [] };
  return {
    keys: jwks.keys.map((k) => (k.exp === undefined ? { ...k.jwk } : { ...k.jwk, exp: k.exp })),
    created: jwks.created,
    last_updated: jwks.last_updated,
  };
}

function rsaModulusBits(n: string, e: string): number | undefined {
  try {
    createPublicKey({ key: { kty: "RSA", n, e }, format: "jwk" });
  } catch {
    return undefined;
  }
  const bytes = Buffer.from(n, "base64url");
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  if (i === bytes.length) return 0;
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(bytes[i]!));
}
