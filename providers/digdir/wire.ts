import type { ApiScopeInputs, LiveScope } from "./api-scope-model";
import { scopeFields } from "./api-scope-model";
import type { PublicJwk } from "./client-keys-model";
import { fieldsOf, type ClientField, type ClientInputs, type ClientKind, type LiveClient } from "./client-model";
import type { LiveGrant } from "./scope-access-model";

/**
 * The self-service API's wire: its snake_case shapes (the self-service API's OpenAPI, README.md "Sources") and the
 * pure mapping between them and the resources' camelCase terms. The only module besides the API client (api.ts)
 * that knows how the wire spells a field: the API client answers in the resources' terms (`LiveClient`,
 * `LiveScope`, `LiveGrant`, `PublicJwk`), and the model files and everything above them decide in those terms.
 */

// ---- wire shapes ---------------------------------------------------------------------------------------------

/** `ClientRegistration` as the self-service API spells it (the self-service API's OpenAPI (digdir/digdir-camp-2025-react-impl, app/lib/api.d.ts)). */
export interface WireClient {
  client_id?: string;
  client_name?: string;
  description?: string;
  client_uri?: string;
  client_orgno?: string;
  supplier_orgno?: string;
  integration_type?: string;
  application_type?: string;
  token_endpoint_auth_method?: string;
  grant_types?: string[];
  scopes?: string[];
  redirect_uris?: string[];
  post_logout_redirect_uris?: string[];
  frontchannel_logout_uri?: string;
  frontchannel_logout_session_required?: boolean;
  authorization_lifetime?: number;
  access_token_lifetime?: number;
  refresh_token_lifetime?: number;
  refresh_token_usage?: string;
  sso_disabled?: boolean;
  code_challenge_method?: string;
  active?: boolean;
  created?: string;
  last_updated?: string;
  client_secret?: string;
  [other: string]: unknown;
}

export interface WireJwk {
  kty: string;
  kid: string;
  n: string;
  e: string;
  alg?: string;
  use?: string;
  exp?: number;
  [other: string]: unknown;
}

export interface WireJwks {
  keys: WireJwk[];
  created?: string;
  last_updated?: string;
}

/** A scope (`ScopeRegistration`) as the self-service API spells it (the self-service API's OpenAPI). */
export interface WireScope {
  prefix: string;
  subscope: string;
  name?: string;
  description?: string;
  long_description?: string;
  active?: boolean;
  visibility?: string;
  allowed_integration_types?: string[];
  accessible_for_all?: boolean;
  at_max_age?: number;
  authorization_max_lifetime?: number;
  delegation_source?: string;
  token_type?: string;
  requires_user_consent?: boolean;
  requires_user_authentication?: boolean;
  requires_pseudonymous_tokens?: boolean;
  owner_orgno?: string;
  created?: string;
  last_updated?: string;
  [other: string]: unknown;
}

/** `ConsumerRegistration`: one row of a scope's access list (the self-service API's OpenAPI). */
export interface WireConsumer {
  scope?: string;
  consumer_orgno: string;
  owner_orgno?: string;
  state?: "APPROVED" | "REQUESTED" | "DENIED" | string;
  created?: string;
  last_updated?: string;
  [other: string]: unknown;
}

// ---- clients ---------------------------------------------------------------------------------------------------

/** Input field ↔ wire field, for every field a resource manages. */
export const wireNames = {
  name: "client_name",
  description: "description",
  clientUri: "client_uri",
  integrationType: "integration_type",
  applicationType: "application_type",
  tokenEndpointAuthMethod: "token_endpoint_auth_method",
  grantTypes: "grant_types",
  scopes: "scopes",
  redirectUris: "redirect_uris",
  postLogoutRedirectUris: "post_logout_redirect_uris",
  frontchannelLogoutUri: "frontchannel_logout_uri",
  frontchannelLogoutSessionRequired: "frontchannel_logout_session_required",
  authorizationLifetime: "authorization_lifetime",
  accessTokenLifetime: "access_token_lifetime",
  refreshTokenLifetime: "refresh_token_lifetime",
  refreshTokenUsage: "refresh_token_usage",
  ssoDisabled: "sso_disabled",
  codeChallengeMethod: "code_challenge_method",
} as const satisfies Record<ClientField, string>;

/** Fields the server owns; never sent in a PUT (docs.digdir.no, "oidc_api_admin": remove them before a PUT). */
const readOnlyWire = ["created", "last_updated", "active", "client_secret", "jwks_uri", "onbehalfof", "supplier_orgno"];

/** The body to POST for a new client. */
export function desiredClientPayload(kind: ClientKind, c: ClientInputs): WireClient {
  const body: Record<string, unknown> = {};
  for (const f of fieldsOf(kind)) {
    const v = c[f];
    if (v !== undefined) body[wireNames[f]] = v;
  }
  return body as WireClient;
}

/**
 * The full PUT body: the live object (keeping fields this provider does not manage, such as ones the API gains
 * later), with every managed field set to the desired value or removed, and read-only fields (`onbehalfof`
 * among them) stripped (docs.digdir.no, "oidc_api_admin").
 */
export function updatePayload(kind: ClientKind, live: WireClient, c: ClientInputs): WireClient {
  const body: Record<string, unknown> = { ...live };
  for (const k of readOnlyWire) delete body[k];
  for (const f of fieldsOf(kind)) delete body[wireNames[f]];
  return { ...body, ...desiredClientPayload(kind, c) } as WireClient;
}

/** Answer field ↔ wire field, for what a client shows besides the managed fields. */
const clientStateNames = {
  clientId: "client_id",
  clientOrgNo: "client_orgno",
  active: "active",
  created: "created",
  lastUpdated: "last_updated",
  clientSecret: "client_secret",
} as const satisfies Record<Exclude<keyof LiveClient, ClientField | "rest">, string>;

const liveClientNames = { ...wireNames, ...clientStateNames };

/** A client as Digdir answered it, in the resources' terms; every other entry is kept in `rest` as it came. */
export function clientFromWire(w: WireClient): LiveClient {
  return fromWire<LiveClient>(w, liveClientNames);
}

/** The client as the wire spells it again: exactly the entries it was read from. */
export function clientToWire(c: LiveClient): WireClient {
  return toWire(c, liveClientNames) as WireClient;
}

/**
 * `names` (field → wire name) read out of a wire object: a field is carried when the wire has a value for it (null
 * counts as none, as it always has); what is not carried stays in `rest` as it came, so that `toWire` gives back
 * the same entries (a PUT keeps what no resource manages).
 */
function fromWire<T>(w: object, names: Record<string, string>): T {
  const wire = (w && typeof w === "object" ? w : {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const rest: Record<string, unknown> = { ...wire };
  for (const [field, name] of Object.entries(names)) {
    const v = wire[name];
    if (v === undefined || v === null) continue;
    out[field] = v;
    delete rest[name];
  }
  if (Object.keys(rest).length) out.rest = rest;
  return out as T;
}

function toWire(d: { rest?: Readonly<Record<string, unknown>> }, names: Record<string, string>): Record<string, unknown> {
  const body: Record<string, unknown> = { ...d.rest };
  for (const [field, name] of Object.entries(names)) {
    const v = (d as Record<string, unknown>)[field];
    if (v !== undefined) body[name] = v;
  }
  return body;
}

// ---- keys -------------------------------------------------------------------------------------------------------

/** The keys to POST: public members only. */
export function desiredJwks(keys: PublicJwk[]): WireJwk[] {
  return keys.map(wireJwk);
}

export function wireJwk(k: PublicJwk): WireJwk {
  const out: WireJwk = { kty: k.kty, kid: k.kid, n: k.n, e: k.e, alg: k.alg, use: k.use };
  if (k.exp !== undefined) out.exp = k.exp;
  if (k.x5c) out.x5c = k.x5c;
  return out;
}

/** The registered set as Digdir answered it, public members only. */
export function publicKeysFrom(live: WireJwks): PublicJwk[] {
  return live.keys.map((k) => {
    const out: Record<string, unknown> = { kty: k.kty, kid: k.kid, n: k.n, e: k.e, alg: k.alg ?? "RS256", use: k.use ?? "sig" };
    if (typeof k.exp === "number") out.exp = k.exp;
    if (Array.isArray(k.x5c)) out.x5c = k.x5c;
    return out as unknown as PublicJwk;
  });
}

/** The key `kid` in an answer: the key itself, or a set (`{keys: [...]}`) holding it. */
export function keyIn(body: unknown, kid: string): WireJwk | undefined {
  const items = (
    body && typeof body === "object" && Array.isArray((body as WireJwks).keys) ? (body as WireJwks).keys : [body]
  ) as unknown[];
  return items.find((k): k is WireJwk => !!k && typeof k === "object" && (k as WireJwk).kid === kid);
}

// ---- scopes and grants ------------------------------------------------------------------------------------------

export const scopeWireNames = {
  prefix: "prefix",
  subscope: "subscope",
  description: "description",
  longDescription: "long_description",
  visibility: "visibility",
  allowedIntegrationTypes: "allowed_integration_types",
  atMaxAge: "at_max_age",
  accessibleForAll: "accessible_for_all",
  delegationSource: "delegation_source",
  tokenType: "token_type",
  requiresUserConsent: "requires_user_consent",
  requiresUserAuthentication: "requires_user_authentication",
  requiresPseudonymousTokens: "requires_pseudonymous_tokens",
  authorizationMaxLifetime: "authorization_max_lifetime",
} as const satisfies Record<keyof ApiScopeInputs, string>;

const readOnlyScopeWire = ["name", "owner_orgno", "created", "last_updated"];

/** The body to POST: every managed field that has a value. */
export function desiredScopePayload(i: ApiScopeInputs): WireScope {
  const body: Record<string, unknown> = {};
  for (const f of scopeFields) if (i[f] !== undefined) body[scopeWireNames[f]] = i[f];
  return body as WireScope;
}

/**
 * The PUT body: the live scope with read-only fields stripped and every managed field set to the desired value
 * (fields left out of the inputs keep Digdir's value), `active: true` (a PUT also reactivates).
 */
export function scopeUpdatePayload(live: WireScope | undefined, i: ApiScopeInputs): WireScope {
  const body: Record<string, unknown> = { ...(live ?? {}) };
  for (const k of readOnlyScopeWire) delete body[k];
  return { ...body, ...desiredScopePayload(i), active: true } as WireScope;
}

/** Answer field ↔ wire field, for what a scope shows besides the managed fields. */
const scopeStateNames = {
  name: "name",
  active: "active",
  ownerOrgNo: "owner_orgno",
  created: "created",
  lastUpdated: "last_updated",
} as const satisfies Record<Exclude<keyof LiveScope, keyof ApiScopeInputs | "rest">, string>;

const liveScopeNames = { ...scopeWireNames, ...scopeStateNames };

/** A scope as Digdir answered it, in the resource's terms; every other entry is kept in `rest` as it came. */
export function scopeFromWire(w: WireScope): LiveScope {
  return fromWire<LiveScope>(w, liveScopeNames);
}

/** The scope as the wire spells it again: exactly the entries it was read from. */
export function scopeToWire(s: LiveScope): WireScope {
  return toWire(s, liveScopeNames) as WireScope;
}

function wireScopeName(s: WireScope): string {
  return s.name ?? `${s.prefix}:${s.subscope}`;
}

/** The scope called `name` in an answer to `GET /scopes/scope?scope=`: the scope itself, or a list holding it. */
export function scopeNamed(body: unknown, name: string): WireScope | undefined {
  const items = (Array.isArray(body) ? body : [body]) as unknown[];
  return items.find((s): s is WireScope => !!s && typeof s === "object" && wireScopeName(s as WireScope) === name);
}

/** One row of a scope's access list, in the resource's terms. */
export function grantFromWire(row: WireConsumer): LiveGrant {
  return fromWire<LiveGrant>(row, {
    scope: "scope",
    consumerOrgNo: "consumer_orgno",
    ownerOrgNo: "owner_orgno",
    state: "state",
    created: "created",
    lastUpdated: "last_updated",
  } satisfies Record<Exclude<keyof LiveGrant, "rest">, string>);
}
