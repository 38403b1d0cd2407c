import { createHash, createPrivateKey, randomUUID, X509Certificate, type KeyObject } from "node:crypto";
import { SignJWT } from "jose";
import { ApiError, formatDuration, InputError, parseErrorBody, ProtocolError } from "./errors";
import type { HttpClient, HttpResponse } from "./http";

/** A Maskinporten client's signing credential: a registered key (`kid`) or a business certificate (`x5c`). */
export interface Credential {
  clientId: string;
  key: KeyObject;
  /** Header `kid`: the id of a key registered on the client (docs.digdir.no maskinporten_protocol_jwtgrant). */
  kid?: string;
  /** Header `x5c`: the business certificate chain, leaf first, base64 DER. Used instead of `kid`. */
  x5c?: string[];
  /** The grant's `alg`: the registered key's (`RS256`, or `RS512`: the self-service OpenAPI). Default RS256. */
  alg?: SigningAlg;
}

export type SigningAlg = "RS256" | "RS512";

export interface TokenRequest {
  scopes: string[];
  /** Audience restriction (RFC 8707), array form as Maskinporten requires. */
  resource?: string[];
  /** A customer's orgno, for supplier access through Altinn delegation. */
  consumerOrg?: string;
  /** Rich authorization requests, e.g. `urn:altinn:systemuser` (docs.digdir.no maskinporten_func_systembruker). */
  authorizationDetails?: unknown[];
}

export interface Token {
  accessToken: string;
  expiresAt: number;
  scope: string;
}

export interface AuthorizationServer {
  issuer: string;
  token_endpoint: string;
  jwks_uri?: string;
}

/** Grants live 60 s: well inside Maskinporten's 120 s limit, with room for clock skew. */
const grantLifetimeSeconds = 60;

/**
 * Reads a private key given as a JWK (JSON) or PEM (PKCS#8 or PKCS#1), refusing anything but RSA ≥ 2048 bits.
 * `what` names the setting in errors; the key itself never appears in one.
 */
export function readPrivateKey(text: string, what: string): { key: KeyObject; kid?: string; alg?: SigningAlg } {
  const trimmed = text.trim();
  let key: KeyObject;
  let kid: string | undefined;
  let alg: SigningAlg | undefined;
  try {
    if (trimmed.startsWith("{")) {
      const jwk = JSON.parse(trimmed) as { kid?: string; d?: string; alg?: string };
      if (!jwk.d) throw new Error("it is a public key (no `d` member)");
      if (jwk.alg !== undefined && jwk.alg !== "RS256" && jwk.alg !== "RS512")
        throw new Error(`it is an ${jwk.alg} key; Digdir registers RS256 and RS512 keys`);
      kid = jwk.kid;
      alg = jwk.alg as SigningAlg | undefined;
      key = createPrivateKey({ key: jwk as import("node:crypto").JsonWebKey, format: "jwk" });
    } else {
      key = createPrivateKey(trimmed);
    }
  } catch (e) {
    const why = e instanceof Error && e.message.startsWith("it is") ? e.message : "it is neither a private JWK nor a PEM private key";
    throw new InputError(`${what} could not be read: ${why}. Set it to the client's private RSA key as a JWK (JSON) or PEM.`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== "rsa" || bits < 2048) {
    throw new InputError(
      `${what} must be an RSA key of at least 2048 bits (Maskinporten signs with RS256); got ${key.asymmetricKeyType} ${bits || ""}`.trim() +
        ".",
    );
  }
  return alg ? { key, kid, alg } : { key, kid };
}

/** A PEM chain or a JSON array of base64 DER certificates → the `x5c` header value, leaf first. */
export function readCertificateChain(text: string, what: string): string[] {
  const trimmed = text.trim();
  let chain: string[];
  if (trimmed.startsWith("[")) {
    chain = JSON.parse(trimmed) as string[];
  } else {
    chain = [...trimmed.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => m[1].replace(/\s+/g, ""));
  }
  if (!chain.length) throw new InputError(`${what} holds no certificate: give the business certificate chain as PEM, leaf first.`);
  for (const der of chain) {
    try {
      new X509Certificate(Buffer.from(der, "base64"));
    } catch {
      throw new InputError(`${what} holds something that is not an X.509 certificate: give the chain as PEM, leaf first.`);
    }
  }
  return chain;
}

/** Identifies a credential in caches without holding key material. */
export function credentialId(c: Credential, tokenEndpoint: string): string {
  const keyRef =
    c.kid ??
    createHash("sha256")
      .update(c.x5c?.[0] ?? "")
      .digest("hex")
      .slice(0, 16);
  return `${tokenEndpoint}|${c.clientId}|${keyRef}`;
}

export function tokenCacheKey(c: Credential, tokenEndpoint: string, req: TokenRequest): string {
  return JSON.stringify([
    credentialId(c, tokenEndpoint),
    [...new Set(req.scopes)].sort(),
    req.resource ?? null,
    req.consumerOrg ?? null,
    req.authorizationDetails ?? null,
  ]);
}

/** Renew when less than a quarter of the lifetime (at most 60 s) is left. */
export function needsRenewal(token: Token, lifetimeSeconds: number, now = Date.now()): boolean {
  const margin = Math.min(60_000, (lifetimeSeconds * 1000) / 4);
  return now >= token.expiresAt - margin;
}

const mpHints: Record<string, string> = {
  "MP-100": "Maskinporten does not know this client here: check the client id and that digdir:environment is the client's environment.",
  "MP-110": "The grant's audience was refused: the provider uses the issuer of the well-known document; check digdir:environment.",
  "MP-120": "The business certificate was refused: check that it is valid, not revoked, and a test certificate in test.",
  "MP-121": "The key has expired at Digdir: register the key set again (ClientKeys re-posts keys and renews their exp).",
  "MP-122": "The certificate's organisation number differs from the client's owner: use the owner's business certificate.",
  "MP-123": "The x5c header was malformed: give digdir:certificateChain as a PEM chain, leaf first.",
  "MP-124": "The signature was refused: the private key does not match the key registered under this kid.",
  "MP-130": "The grant's times were refused: check this machine's clock.",
  "MP-012": "A grant was reused: this is a bug in the caller; report it.",
  "MP-011": "The grant was malformed: check the scopes and the authorization details requested.",
  "MP-200": "A scope is not registered on this client: add it to the client's scopes (and wait for propagation).",
  "MP-201": "A scope is not allowed for this client's integration type.",
  "MP-250": "The organisation has not been granted this scope: ask the API owner for access.",
  "MP-251": "The customer has not delegated this scope to the supplier in Altinn.",
  "MP-301": "Unknown authorization_details type.",
  "MP-302": "authorization_details carried unknown fields.",
  "MP-303": "The system user was refused: the client must be in the system's clientIds and the customer must have accepted the request.",
};

/**
 * Maskinporten's JWT-bearer grant (docs.digdir.no maskinporten_protocol_jwtgrant): tokens cached per credential, scopes, resource,
 * consumer and authorization details, renewed shortly before expiry, one request in flight per key.
 */
export class MaskinportenTokens {
  /** Token requests sent, per cache key: the benchmark reads these. */
  readonly requestsByKey = new Map<string, number>();
  private readonly cache = new Map<string, { token: Token; lifetime: number }>();
  private readonly inFlight = new Map<string, Promise<Token>>();
  private metadataCache?: { value: Promise<AuthorizationServer>; at: number };
  /**
   * How far Maskinporten's clock is ahead of ours, from its `Date` headers. Grants are refused outside about
   * ±10 s (MP-130); a machine whose clock drifted would otherwise fail every grant.
   */
  private clockOffsetMs = 0;
  /** Whether a `Date` header has been seen in this process (the offset is then the server's, not a guess). */
  private clockObserved = false;

  constructor(
    private readonly http: HttpClient,
    private readonly wellKnownUrl: string,
  ) {}

  /** The authorization server metadata, cached for a day as Digdir recommends. */
  metadata(): Promise<AuthorizationServer> {
    const day = 24 * 3600_000;
    if (!this.metadataCache || Date.now() - this.metadataCache.at > day) {
      const value = this.fetchMetadata();
      this.metadataCache = { value, at: Date.now() };
      value.catch(() => (this.metadataCache = undefined));
    }
    return this.metadataCache.value;
  }

  async token(credential: Credential, req: TokenRequest): Promise<Token> {
    requireKeyReference(credential); // before any request: a configuration error, not a network one
    const meta = await this.metadata();
    const key = tokenCacheKey(credential, meta.token_endpoint, req);
    const cached = this.cache.get(key);
    if (cached && !needsRenewal(cached.token, cached.lifetime)) return cached.token;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const p = this.fetchToken(credential, req, meta, key).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  /** How far the services' clock is ahead of this machine's, in ms, as last observed (0 until observed). */
  get clockOffset(): number {
    return this.clockOffsetMs;
  }

  /**
   * Makes sure the services' time has been observed in this process: when no answer has been seen yet, reads
   * the authorization server's metadata (unauthenticated, needed for any token anyway) for its `Date` header.
   * Answers whether the offset is now known; a failure leaves this machine's clock in charge.
   */
  async syncClock(): Promise<boolean> {
    if (this.clockObserved) return true;
    try {
      await this.metadata();
    } catch {
      return false;
    }
    return this.clockObserved;
  }

  /** Forget a cached token, e.g. after a 401 from an API that had accepted it before. */
  async invalidate(credential: Credential, req: TokenRequest): Promise<void> {
    const meta = await this.metadata();
    this.cache.delete(tokenCacheKey(credential, meta.token_endpoint, req));
  }

  private async fetchMetadata(): Promise<AuthorizationServer> {
    const res = await this.http.send({ service: "maskinporten", method: "GET", url: this.wellKnownUrl });
    this.observeServerDate(res.headers.date);
    if (res.status !== 200) {
      throw new ApiError({
        service: "maskinporten",
        method: "GET",
        path: new URL(this.wellKnownUrl).pathname,
        status: res.status,
        ...parseErrorBody(res.text),
        attempts: res.attempts,
        elapsedMs: res.elapsedMs,
        hint:
          res.status === 429 || res.status >= 500
            ? "Maskinporten is unavailable (an outage at Digdir): check Digdir's status page (status.digdir.no) and try again later."
            : "Maskinporten's metadata could not be read: check digdir:environment (and digdir:simulatorUrl for local).",
      });
    }
    let meta: Partial<AuthorizationServer> | undefined;
    try {
      meta = JSON.parse(res.text) as Partial<AuthorizationServer>;
    } catch {
      meta = undefined;
    }
    if (!meta?.issuer || !meta.token_endpoint)
      throw new ProtocolError({
        service: "maskinporten",
        call: `GET ${this.wellKnownUrl}`,
        problem: meta ? "answered without issuer or token_endpoint" : "answered with something other than JSON",
        hint: "This address does not serve Maskinporten's metadata: check digdir:environment, or digdir:simulatorUrl for the simulator.",
      });
    return { ...meta, issuer: meta.issuer, token_endpoint: meta.token_endpoint };
  }

  /**
   * Notes the server's time from a `Date` header (any Digdir service's answer); differences under 2 s are the
   * header's own rounding. Answers whether the offset changed.
   */
  observeServerDate(date: string | undefined): boolean {
    const at = date ? Date.parse(date) : NaN;
    if (Number.isNaN(at)) return false;
    this.clockObserved = true;
    const offset = at - Date.now();
    const next = Math.abs(offset) < 2000 ? 0 : offset;
    const changed = Math.abs(next - this.clockOffsetMs) >= 2000;
    this.clockOffsetMs = next;
    return changed;
  }

  private async fetchToken(credential: Credential, req: TokenRequest, meta: AuthorizationServer, key: string): Promise<Token> {
    for (let attempt = 1; ; attempt++) {
      this.requestsByKey.set(key, (this.requestsByKey.get(key) ?? 0) + 1);
      const res = await this.http.send({
        service: "maskinporten",
        method: "POST",
        url: meta.token_endpoint,
        // A fresh grant per attempt: a jti can be used once only (MP-012).
        form: async () => ({
          grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
          assertion: await signGrant(credential, req, meta.issuer, Math.floor((Date.now() + this.clockOffsetMs) / 1000)),
        }),
        idempotent: true,
      });
      const skewed = this.observeServerDate(res.headers.date);
      if (res.status === 200 || attempt > 1 || !skewed || !/MP-130|Issue time/.test(res.text))
        return this.tokenFrom(res, credential, req, meta, key);
    }
  }

  private tokenFrom(res: HttpResponse, credential: Credential, req: TokenRequest, meta: AuthorizationServer, key: string): Token {
    if (res.status !== 200) {
      const parsed = parseErrorBody(res.text);
      const mp = parsed.codes.find((c) => c.startsWith("MP-"));
      // A 429 or 5xx says nothing about the grant: the token endpoint is down or overloaded.
      const outage = res.status === 429 || res.status >= 500;
      const unknownKid = !mp && /Unknown key identifier/i.test(res.text);
      throw new ApiError({
        service: "maskinporten",
        method: "POST",
        path: new URL(meta.token_endpoint).pathname,
        status: res.status,
        ...parsed,
        problems: [...parsed.problems, { message: `client ${credential.clientId}, scopes ${req.scopes.join(" ")}` }],
        attempts: res.attempts,
        elapsedMs: res.elapsedMs,
        hint: outage
          ? `Maskinporten's token endpoint is unavailable (an outage or overload at Digdir, not a problem with the client, key or scopes)${res.attempts > 1 ? ` on every one of ${res.attempts} attempts over ${formatDuration(res.elapsedMs ?? 0)}` : ""}: check Digdir's status page (status.digdir.no) and run \`pulumi up\` again later.`
          : unknownKid
            ? `Maskinporten knows no key with kid ${credential.kid} on client ${credential.clientId}: the kid must be one registered on the client (for the admin client digdir:keyId, or the \`kid\` of the JWK in digdir:privateKey). A key registered moments ago can take up to 2 minutes to become known.`
            : ((mp && mpHints[mp]) ?? "Maskinporten refused the grant: check the client id, key and scopes."),
      });
    }
    const body = JSON.parse(res.text) as { access_token: string; expires_in: number; scope?: string };
    const lifetime = Number(body.expires_in) || 120;
    const token: Token = {
      accessToken: body.access_token,
      expiresAt: Date.now() + lifetime * 1000,
      scope: body.scope ?? req.scopes.join(" "),
    };
    this.cache.set(key, { token, lifetime });
    return token;
  }
}

/**
 * Maskinporten's rules for a grant's `authorization_details` (docs.digdir.no
 * maskinporten_func_systembruker): one party per grant, so one `urn:altinn:systemuser` entry whose
 * `systemuser_org` is one organisation, and no fields but `type`, `systemuser_org` and `externalRef` (MP-302).
 * Broken here, before anything is sent, as a clear error.
 */
export function checkGrantRules(req: TokenRequest): void {
  const entries = (req.authorizationDetails ?? []).filter((d) => (d as { type?: unknown }).type === "urn:altinn:systemuser") as Record<
    string,
    unknown
  >[];
  if (entries.length > 1)
    throw new InputError(
      "A Maskinporten token is for one system user: ask for one urn:altinn:systemuser entry per token (one customer per grant).",
    );
  for (const e of entries) {
    const unknown = Object.keys(e).filter((k) => !["type", "systemuser_org", "externalRef"].includes(k));
    if (unknown.length)
      throw new InputError(
        `The urn:altinn:systemuser entry may hold only type, systemuser_org and externalRef; remove ${unknown.join(", ")} (Maskinporten answers MP-302).`,
      );
    if (Array.isArray(e.systemuser_org))
      throw new InputError("systemuser_org names one organisation ({authority, ID}), not a list: one customer per grant.");
  }
}

/** Builds and signs the JWT grant: RS256 (or the key's RS512), `kid` or `x5c`, aud = issuer, 60 s lifetime, fresh jti. */
export async function signGrant(
  credential: Credential,
  req: TokenRequest,
  issuer: string,
  now = Math.floor(Date.now() / 1000),
): Promise<string> {
  const claims: Record<string, unknown> = { scope: req.scopes.join(" ") };
  if (req.resource?.length) claims.resource = req.resource;
  if (req.consumerOrg) claims.consumer_org = req.consumerOrg;
  if (req.authorizationDetails?.length) claims.authorization_details = req.authorizationDetails;
  checkGrantRules(req);
  const alg = credential.alg ?? "RS256";
  const header = credential.x5c ? { alg, typ: "JWT", x5c: credential.x5c } : { alg, typ: "JWT", kid: credential.kid };
  requireKeyReference(credential);
  return new SignJWT(claims)
    .setProtectedHeader(header)
    .setIssuer(credential.clientId)
    .setAudience(issuer)
    .setIssuedAt(now)
    .setExpirationTime(now + grantLifetimeSeconds)
    .setJti(randomUUID())
    .sign(credential.key);
}

/** A grant names its key by `kid` or carries a certificate chain (`x5c`): without either, nothing can be asked. */
export function requireKeyReference(credential: Credential): void {
  if (!credential.x5c && !credential.kid) {
    throw new InputError(
      `No key id for client ${credential.clientId}: set digdir:keyId (DIGDIR_KEY_ID) to the kid the key is registered under, or give the private key as a JWK with its \`kid\`, or set digdir:certificateChain.`,
    );
  }
}
