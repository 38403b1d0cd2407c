import { compactVerify, decodeJwt, decodeProtectedHeader, importJWK, type JWTPayload, type ProtectedHeaderParameters } from "jose";
import { newUuid } from "../core/ids";
import type { Slice } from "../core/store";
import type { SimContext } from "../context";
import { JWT_BEARER_GRANT, type ClientRecord } from "../registry/registry";
import { CONSUMER_AUTHORITY, type AccessTokenClaims } from "./service";
import { certificateOrgNo, isValidAt, parseLeafCertificate } from "./x5c";

// The JWT-bearer grant at /maskinporten/token (docs.digdir.no maskinporten_protocol_jwtgrant): every header and claim rule, with
// the OAuth `error` and the MP code in `error_description`. Checks run in the order Maskinporten has to run
// them: parse, find the client, authenticate it (kid or x5c), then the claims, then the scopes.

const ALGORITHMS = new Set(["RS256", "RS384", "RS512"]);
/** Maskinporten tolerates about ±10 s of clock skew. */
export const CLOCK_SKEW_SECONDS = 10;
/** exp - iat may be at most 120 s. */
export const MAX_GRANT_LIFETIME_SECONDS = 120;
export const DEFAULT_ACCESS_TOKEN_LIFETIME = 120;

export interface TokenError {
  status: number;
  error: string;
  description: string;
}

export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  scope: string;
}

export type GrantOutcome = { ok: true; response: TokenResponse } | { ok: false; err: TokenError };

/** Used grant ids per client (`<client_id> <jti>` -> the grant's exp), pruned once the grant has expired. */
export type JtiStore = Slice<Record<string, number>>;

const invalidRequest = (description: string): TokenError => ({ status: 400, error: "invalid_request", description });
const invalidGrant = (description: string): TokenError => ({ status: 400, error: "invalid_grant", description });
const invalidScope = (description: string): TokenError => ({ status: 400, error: "invalid_scope", description });
// MP-250/251 answer `error: "forbidden"` (docs.digdir.no maskinporten_feilsoking; real answers quoted in
// oslokommune/okdata-maskinporten-api doc/sos.md), status 403 (listed under "Forbidden").
const forbidden = (description: string): TokenError => ({ status: 403, error: "forbidden", description });

class GrantRejected extends Error {
  constructor(readonly err: TokenError) {
    super(err.description);
  }
}

function reject(err: TokenError): never {
  throw new GrantRejected(err);
}

export async function exchangeJwtGrant(ctx: SimContext, jtis: JtiStore, form: URLSearchParams): Promise<GrantOutcome> {
  try {
    return { ok: true, response: await exchange(ctx, jtis, form) };
  } catch (err) {
    if (err instanceof GrantRejected) return { ok: false, err: err.err };
    throw err;
  }
}

async function exchange(ctx: SimContext, jtis: JtiStore, form: URLSearchParams): Promise<TokenResponse> {
  const grantType = form.get("grant_type");
  if (!grantType) reject(invalidRequest("MP-011 Missing required parameter grant_type"));
  if (grantType !== JWT_BEARER_GRANT) {
    reject({ status: 400, error: "unsupported_grant_type", description: `MP-011 Unsupported grant_type; use ${JWT_BEARER_GRANT}` });
  }
  const assertion = form.get("assertion");
  if (!assertion) reject(invalidRequest("MP-011 Missing required parameter assertion"));

  let head: ProtectedHeaderParameters;
  let claims: JWTPayload;
  try {
    if (assertion.split(".").length !== 3) throw new Error("not a compact JWS");
    head = decodeProtectedHeader(assertion);
    claims = decodeJwt(assertion);
  } catch {
    reject(invalidRequest("MP-011 Invalid assertion: not a signed JWT"));
  }

  if (typeof head.alg !== "string" || !ALGORITHMS.has(head.alg)) {
    reject(invalidRequest(`MP-011 Invalid assertion: signing algorithm must be one of ${[...ALGORITHMS].join(", ")}`));
  }
  const alg = head.alg;
  const x5c: unknown = head.x5c;
  if (x5c !== undefined && !Array.isArray(x5c))
    reject(invalidGrant("MP-123 Invalid assertion: x5c must be an array of base64 certificates"));
  const kid = head.kid;
  if (kid === undefined && x5c === undefined) reject(invalidRequest("MP-011 Invalid assertion: the header must have kid or x5c"));
  if (kid !== undefined && x5c !== undefined)
    reject(invalidRequest("MP-011 Invalid assertion: the header must have either kid or x5c, not both"));

  const now = ctx.clock.nowSeconds();
  const client = findClient(ctx, claims.iss, now);
  const orgNo = client.client_orgno;

  let clientAmr: string;
  if (kid !== undefined) {
    await verifyWithRegisteredKey(client, kid, alg, assertion, now);
    clientAmr = "private_key_jwt";
  } else {
    await verifyWithCertificate(ctx, client, x5c as unknown[], assertion);
    clientAmr = "virksomhetssertifikat";
  }

  if (typeof claims.aud !== "string" || claims.aud !== ctx.maskinporten.issuer()) {
    reject(invalidGrant(`MP-110 Invalid audience: aud must be the issuer ${ctx.maskinporten.issuer()} as a single string`));
  }
  checkGrantTimes(claims, now);

  let jtiKey: string | undefined;
  if (claims.jti !== undefined) {
    if (typeof claims.jti !== "string" || claims.jti === "") reject(invalidRequest("MP-011 Invalid assertion: jti must be a string"));
    jtiKey = `${client.client_id} ${claims.jti}`;
    pruneJtis(jtis, now);
    if (jtis.value[jtiKey] !== undefined)
      reject(invalidGrant("MP-012 The grant has been used before (jti reused); sign a new grant with a fresh jti"));
  }

  const resource = claims.resource;
  if (
    resource !== undefined &&
    (!Array.isArray(resource) || resource.length === 0 || !resource.every((r) => typeof r === "string" && r !== ""))
  ) {
    reject(invalidRequest("MP-011 Invalid assertion: resource must be an array of strings"));
  }

  const scopes = requestedScopes(claims.scope);
  checkScopes(ctx, client, scopes);
  checkConsumerOrg(claims, orgNo);

  const authorizationDetails = await resolveAuthorizationDetails(ctx, claims.authorization_details, client, scopes, now);

  let lifetime = client.fields.access_token_lifetime ?? DEFAULT_ACCESS_TOKEN_LIFETIME;
  for (const s of scopes) {
    const cap = ctx.registry.scope(s)?.atMaxAge;
    if (cap !== undefined) lifetime = Math.min(lifetime, cap);
  }
  const aud =
    resource === undefined ? "unspecified" : (resource as string[]).length === 1 ? (resource as string[])[0]! : (resource as string[]);
  const tokenClaims: AccessTokenClaims = {
    aud,
    scope: scopes.join(" "),
    iss: ctx.maskinporten.issuer(),
    client_amr: clientAmr,
    token_type: "Bearer",
    exp: now + lifetime,
    iat: now,
    client_id: client.client_id,
    jti: newUuid(),
    consumer: { authority: CONSUMER_AUTHORITY, ID: `0192:${orgNo}` },
  };
  if (authorizationDetails) tokenClaims.authorization_details = authorizationDetails;

  if (jtiKey !== undefined) {
    jtis.value[jtiKey] = typeof claims.exp === "number" ? claims.exp : now + MAX_GRANT_LIFETIME_SECONDS;
    ctx.store.changed();
  }
  return {
    access_token: await ctx.maskinporten.signAccessToken(tokenClaims),
    token_type: "Bearer",
    expires_in: lifetime,
    scope: tokenClaims.scope,
  };
}

function findClient(ctx: SimContext, iss: unknown, now: number): ClientRecord {
  if (typeof iss !== "string" || iss === "") reject(invalidGrant("MP-100 Invalid client: iss (your client_id) is missing"));
  const client = ctx.registry.client(iss);
  // A client still inside its activation delay is not known to Maskinporten yet (Digdir: 0-2 minutes).
  if (!client || !client.active || client.activeFrom > now) {
    reject(invalidGrant(`MP-100 Invalid client: client_id ${iss} not found (check iss and the environment)`));
  }
  return client;
}

async function verifyWithRegisteredKey(client: ClientRecord, kid: unknown, alg: string, assertion: string, now: number): Promise<void> {
  if (typeof kid !== "string") reject(invalidRequest("MP-011 Invalid assertion: kid must be a string"));
  const key = client.jwks?.keys.find((k) => k.jwk.kid === kid);
  // A key inside its activation delay is as unknown to Maskinporten as a key never registered. An unknown kid is
  // reported as such; MP-121 is the expired key (as oslokommune/okdata-maskinporten-api handles it).
  if (!key || key.activeFrom > now)
    reject(invalidGrant(`Unknown key identifier (kid): no active key with kid ${kid} is registered on the client`));
  if (key.exp !== undefined && key.exp <= now) {
    reject(
      invalidGrant(`MP-121 The key with kid ${kid} expired at ${new Date(key.exp * 1000).toISOString()}; re-post the key set to renew it`),
    );
  }
  if (key.jwk.alg !== alg)
    reject(invalidGrant(`MP-124 Invalid signature: the key with kid ${kid} is registered for ${key.jwk.alg}, the grant uses ${alg}`));
  try {
    await compactVerify(assertion, await importJWK({ ...key.jwk }, alg));
  } catch {
    reject(invalidGrant("MP-124 Invalid signature on the assertion"));
  }
}

async function verifyWithCertificate(ctx: SimContext, client: ClientRecord, x5c: unknown[], assertion: string): Promise<void> {
  if (client.jwks && client.jwks.keys.length > 0) {
    reject(invalidGrant("MP-123 Invalid assertion: this client has registered keys and must authenticate with kid, not x5c"));
  }
  const leaf = parseLeafCertificate(x5c);
  if (!leaf) reject(invalidGrant("MP-123 Invalid assertion: x5c[0] is not a base64 DER certificate"));
  try {
    await compactVerify(assertion, leaf.publicKey);
  } catch {
    reject(invalidGrant("MP-124 Invalid signature: the assertion is not signed by the certificate's key"));
  }
  if (!isValidAt(leaf, ctx.clock.now()))
    reject(invalidGrant(`MP-120 Invalid certificate: not valid now (valid ${leaf.validFrom} - ${leaf.validTo})`));
  const certOrgNo = certificateOrgNo(leaf);
  if (!certOrgNo) reject(invalidGrant("MP-120 Invalid certificate: the subject carries no organisation number"));
  if (certOrgNo !== client.client_orgno) {
    reject(invalidGrant(`MP-122 The certificate belongs to organisation ${certOrgNo}, the client to ${client.client_orgno}`));
  }
}

function checkGrantTimes(claims: JWTPayload, now: number): void {
  const { iat, exp } = claims;
  if (typeof iat !== "number" || typeof exp !== "number")
    reject(invalidRequest("MP-011 Invalid assertion: iat and exp are required (epoch seconds)"));
  if (iat > now + CLOCK_SKEW_SECONDS) reject(invalidGrant("MP-130 Invalid assertion: Issue time is after now (check the clock)"));
  if (exp + CLOCK_SKEW_SECONDS < now) reject(invalidGrant("MP-130 Invalid assertion: the JWT has expired"));
  if (exp <= iat || exp - iat > MAX_GRANT_LIFETIME_SECONDS) {
    reject(invalidGrant(`MP-130 Invalid assertion: exp must be after iat and at most ${MAX_GRANT_LIFETIME_SECONDS} s after it`));
  }
}

function pruneJtis(jtis: JtiStore, now: number): void {
  for (const [key, exp] of Object.entries(jtis.value)) {
    if (exp + CLOCK_SKEW_SECONDS < now) delete jtis.value[key];
  }
}

function requestedScopes(scope: unknown): string[] {
  if (scope === undefined || scope === "") reject(invalidRequest("MP-011 Invalid assertion: scope is missing"));
  if (typeof scope !== "string") reject(invalidRequest("MP-011 Invalid assertion: scope must be a space-separated string"));
  return [...new Set(scope.split(" ").filter(Boolean))];
}

function checkScopes(ctx: SimContext, client: ClientRecord, scopes: string[]): void {
  for (const s of scopes) {
    if (!client.fields.scopes.includes(s)) reject(invalidScope(`MP-200 Invalid scope: ${s} is not registered on the client`));
  }
  // A scope its owner has deactivated (DELETE /scopes) is no scope Maskinporten issues any more; the reference
  // has no code of its own for that, so it is the "invalid scope" MP-200 (the registration stays on the client).
  for (const s of scopes) {
    const def = ctx.registry.scope(s);
    if (!def) reject(invalidScope(`MP-200 Invalid scope: ${s} does not exist`));
    if (!def.active) reject(invalidScope(`MP-200 Invalid scope: ${s} has been deactivated by its owner`));
  }
  for (const s of scopes) {
    const def = ctx.registry.scope(s)!;
    if (!def.allowedIntegrationTypes.includes(client.fields.integration_type)) {
      reject(invalidScope(`MP-201 Invalid scope: ${s} may not be used by integration type ${client.fields.integration_type}`));
    }
  }
  // Digdir assigned the admin scopes to the admin clients by hand; every other scope needs the organisation's access.
  const handGranted = client.admin ? ctx.registry.adminScopes() : [];
  for (const s of scopes) {
    if (handGranted.includes(s)) continue;
    if (!ctx.registry.mayConsume(client.client_orgno, s)) {
      reject(forbidden(`MP-250 Consumer ${client.client_orgno} has not been granted access to the scope ${s}`));
    }
  }
}

function checkConsumerOrg(claims: JWTPayload, orgNo: string): void {
  const consumerOrg = claims.consumer_org;
  if (consumerOrg === undefined) return;
  if (typeof consumerOrg !== "string" || !/^\d{9}$/.test(consumerOrg))
    reject(invalidRequest("MP-011 Invalid assertion: consumer_org must be a 9-digit organisation number"));
  if (claims.iss_onbehalfof !== undefined)
    reject(invalidRequest("MP-011 Invalid assertion: consumer_org and iss_onbehalfof cannot be combined"));
  if (consumerOrg === orgNo) reject(invalidRequest("MP-011 Invalid assertion: consumer_org must not be the client's own organisation"));
  // The simulator keeps no Altinn API delegations (and they do not apply in TT02).
  reject(forbidden(`MP-251 ${consumerOrg} has not delegated the requested scopes to ${orgNo} in Altinn`));
}

async function resolveAuthorizationDetails(
  ctx: SimContext,
  raw: unknown,
  client: ClientRecord,
  scopes: string[],
  now: number,
): Promise<Record<string, unknown>[] | undefined> {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || raw.length === 0) {
    reject({ status: 400, error: "invalid_authorization_details", description: "MP-303 authorization_details must be a non-empty array" });
  }
  const out: Record<string, unknown>[] = [];
  // One party per grant (docs.digdir.no maskinporten_func_systembruker): two system user entries are refused.
  const systemUserEntries = (raw as unknown[]).filter(
    (e) => typeof e === "object" && e !== null && (e as { type?: unknown }).type === "urn:altinn:systemuser",
  );
  if (systemUserEntries.length > 1) {
    reject({
      status: 400,
      error: "invalid_authorization_details",
      description: "MP-303 a token can be for one system user only: send one urn:altinn:systemuser entry per grant",
    });
  }
  for (const entry of raw) {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry) || typeof (entry as { type?: unknown }).type !== "string") {
      reject({
        status: 400,
        error: "invalid_authorization_details",
        description: "MP-303 each authorization_details entry must be an object with a type",
      });
    }
    const detail = entry as Record<string, unknown>;
    const handler = ctx.maskinporten.authorizationDetailsHandler(detail.type as string);
    if (!handler)
      reject({
        status: 400,
        error: "invalid_authorization_details",
        description: `MP-301 Unknown authorization_details type ${String(detail.type)}`,
      });
    const result = await handler({ detail, client, orgNo: client.client_orgno, scopes, now });
    if (!result.ok) reject({ status: result.status, error: result.error, description: result.description });
    out.push(result.detail);
  }
  return out;
}
