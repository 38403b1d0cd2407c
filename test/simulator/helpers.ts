import { generateKeyPair } from "node:crypto";
import { promisify } from "node:util";
import { SignJWT, importJWK, type JWK, type JWTPayload } from "jose";
import { startSimulator, type BootstrapCredentials, type StartOptions } from "../../simulator/index";

// Helpers for the simulator tests: everything goes over HTTP to a simulator on a real socket.

export type Sim = Awaited<ReturnType<typeof startSimulator>>;

export const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
export const KRR_SCOPES = ["krr:global/kontaktinformasjon.read", "krr:global/digitalpost.read"];
export const VENDOR = "991825827";

export function start(options: StartOptions = {}): Promise<Sim> {
  return startSimulator({ port: 0, log: () => {}, ...options });
}

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export async function call<T = any>(
  sim: Sim,
  method: string,
  path: string,
  options: { token?: string; json?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers["content-type"] ??= "application/json";
  }
  const res = await fetch(`${sim.url}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

export async function simNow(sim: Sim): Promise<number> {
  return (await call<{ epochSeconds: number }>(sim, "GET", "/_sim/clock")).body.epochSeconds;
}

export async function advanceClock(sim: Sim, seconds: number): Promise<void> {
  const r = await call(sim, "POST", "/_sim/clock", { json: { advanceSeconds: seconds } });
  if (r.status !== 200) throw new Error(`clock: ${r.status} ${r.text}`);
}

export interface KeyPair {
  privateJwk: JWK & { kid: string };
  publicJwk: JWK & { kid: string };
}

const generateKeyPairAsync = promisify(generateKeyPair);

export async function newRsaKey(kid: string, modulusLength = 2048): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPairAsync("rsa", { modulusLength });
  const priv = privateKey.export({ format: "jwk" }) as JWK;
  const pub = publicKey.export({ format: "jwk" }) as JWK;
  return {
    privateJwk: { ...priv, kid, alg: "RS256", use: "sig" },
    publicJwk: { kty: "RSA", n: pub.n, e: pub.e, kid, alg: "RS256", use: "sig" },
  };
}

export interface GrantOptions {
  clientId: string;
  key: JWK;
  /** Header members; default {alg: RS256, kid: key.kid}. */
  header?: Record<string, unknown>;
  scope?: string;
  /** Claims to add or override (undefined removes). */
  claims?: Record<string, unknown>;
  now: number;
}

export async function signGrant(sim: Sim, o: GrantOptions): Promise<string> {
  const claims: JWTPayload = {
    aud: sim.bootstrap.issuer,
    iss: o.clientId,
    scope: o.scope,
    iat: o.now,
    exp: o.now + 60,
    jti: crypto.randomUUID(),
  };
  for (const [k, v] of Object.entries(o.claims ?? {})) {
    if (v === undefined) delete claims[k];
    else claims[k] = v;
  }
  const header = { alg: "RS256", kid: o.key.kid, ...(o.header ?? {}) } as { alg: string } & Record<string, unknown>;
  for (const k of Object.keys(header)) if (header[k] === undefined) delete header[k];
  return new SignJWT(claims).setProtectedHeader(header).sign(await importJWK(o.key, header.alg));
}

export async function postGrant(sim: Sim, assertion: string): Promise<Reply> {
  const res = await fetch(`${sim.url}/maskinporten/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: JWT_BEARER, assertion }).toString(),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text), text };
}

/** A token for the given credentials (grant signed with the registered key, header kid). */
export async function tokenFor(sim: Sim, o: Omit<GrantOptions, "now"> & { now?: number }): Promise<Reply> {
  const now = o.now ?? (await simNow(sim));
  return postGrant(sim, await signGrant(sim, { ...o, now }));
}

export async function adminToken(sim: Sim, creds: BootstrapCredentials = sim.bootstrap, scope = creds.scopes.join(" ")): Promise<string> {
  const r = await tokenFor(sim, { clientId: creds.clientId, key: creds.privateJwk as unknown as JWK, scope });
  if (r.status !== 200) throw new Error(`admin token: ${r.status} ${r.text}`);
  return r.body.access_token as string;
}

export function maskinportenClientBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client_name: "Test integration",
    description: "made by a simulator test",
    integration_type: "maskinporten",
    application_type: "web",
    token_endpoint_auth_method: "private_key_jwt",
    grant_types: [JWT_BEARER],
    scopes: ["krr:global/kontaktinformasjon.read"],
    ...overrides,
  };
}

export async function createClient(sim: Sim, token: string, overrides: Record<string, unknown> = {}): Promise<any> {
  const r = await call(sim, "POST", "/samarbeid/api/v1/clients", { token, json: maskinportenClientBody(overrides) });
  if (r.status !== 200) throw new Error(`create client: ${r.status} ${r.text}`);
  return r.body;
}

/** Keys as sent to Digdir: JWKs, optionally with `exp` (epoch seconds). */
export async function registerKeys(sim: Sim, token: string, clientId: string, keys: (JWK & { exp?: number })[]): Promise<Reply> {
  return call(sim, "POST", `/samarbeid/api/v1/clients/${clientId}/jwks`, { token, json: { keys } });
}

export function decodeJwtPayload(jwt: string): Record<string, any> {
  return JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString("utf8"));
}
