import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { CompactSign, SignJWT, errors as joseErrors, jwtVerify, type JWTPayload } from "jose";
import type { Clock } from "../core/clock";
import { header, type SimRequest } from "../core/http";
import { newUuid } from "../core/ids";
import type { StateStore } from "../core/store";
import { generateRsaJwk, type ClientRecord, type PrivateJwk, type PublicJwk, publicPart } from "../registry/registry";

// Maskinporten as a service other modules use: the simulator's signing key, the issuer, issuing access
// tokens, checking bearer tokens (for /samarbeid, /krr and later /altinn), and the extension point for
// `authorization_details` types (the Altinn module registers "urn:altinn:systemuser").

export const CONSUMER_AUTHORITY = "iso6523-actorid-upis";

/** The claims of an access token the simulator issues (docs.digdir.no maskinporten_protocol_token). */
export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  client_id: string;
  client_amr: string;
  consumer: { authority: string; ID: string };
  scope: string;
  token_type: string;
  iat: number;
  exp: number;
  jti: string;
  authorization_details?: Record<string, unknown>[];
}

export interface VerifiedToken {
  claims: AccessTokenClaims;
  /** The organisation number from the `consumer` claim (0192:<orgno>). */
  orgNo: string;
  scopes: string[];
}

export type BearerCheck = { ok: true; token: VerifiedToken } | { ok: false; status: 401 | 403; reason: string; wwwAuthenticate: string };

/** What an authorization_details handler gets to decide on one entry of the grant's array. */
export interface AuthorizationDetailsRequest {
  /** The entry as sent in the grant. */
  detail: Record<string, unknown>;
  client: ClientRecord;
  /** The client's organisation number. */
  orgNo: string;
  /** The scopes requested in the grant. */
  scopes: string[];
  /** Simulator time, epoch seconds. */
  now: number;
}

export type AuthorizationDetailsResult =
  /** `detail` goes into the access token's authorization_details array. */
  | { ok: true; detail: Record<string, unknown> }
  /** Fails the token request: e.g. {status: 400, error: "invalid_altinn_customer_configuration", description: "MP-303 ..."}. */
  | { ok: false; status: number; error: string; description: string };

export type AuthorizationDetailsHandler = (
  req: AuthorizationDetailsRequest,
) => AuthorizationDetailsResult | Promise<AuthorizationDetailsResult>;

interface SigningKeyState {
  privateJwk: PrivateJwk;
}

export class MaskinportenService {
  private readonly handlers = new Map<string, AuthorizationDetailsHandler>();
  private privateKey!: KeyObject;
  private publicKey!: KeyObject;
  private jwk!: PublicJwk;

  private constructor(
    private readonly clock: Clock,
    private readonly url: () => string,
  ) {}

  /** The signing key lives in the store (kept across restarts and resets), so issued tokens stay verifiable. */
  static async create(store: StateStore, clock: Clock, url: () => string): Promise<MaskinportenService> {
    const service = new MaskinportenService(clock, url);
    const slice = store.define<SigningKeyState | null>("maskinporten.signingKey", { initial: () => null, keepOnReset: true });
    if (!slice.value) {
      slice.value = { privateJwk: await generateRsaJwk(`sim-maskinporten-${newUuid()}`) };
      store.changed();
    }
    service.privateKey = createPrivateKey({ key: { ...slice.value.privateJwk }, format: "jwk" });
    service.publicKey = createPublicKey(service.privateKey);
    service.jwk = publicPart(slice.value.privateJwk);
    return service;
  }

  /** `<url>/maskinporten/`, with the trailing slash of the real issuer. */
  issuer(): string {
    return `${this.url()}/maskinporten/`;
  }

  tokenEndpoint(): string {
    return `${this.url()}/maskinporten/token`;
  }

  jwksUri(): string {
    return `${this.url()}/maskinporten/jwk`;
  }

  publicJwks(): { keys: PublicJwk[] } {
    return { keys: [{ ...this.jwk }] };
  }

  registerAuthorizationDetailsType(type: string, handler: AuthorizationDetailsHandler): void {
    this.handlers.set(type, handler);
  }

  authorizationDetailsHandler(type: string): AuthorizationDetailsHandler | undefined {
    return this.handlers.get(type);
  }

  async signAccessToken(claims: AccessTokenClaims): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: this.jwk.kid, typ: "JWT" }).sign(this.privateKey);
  }

  /** A compact JWS over `payload`, signed with the Maskinporten key (e.g. KRR's application/jose answers). */
  async signPayload(payload: string): Promise<string> {
    return new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader({ alg: "RS256", kid: this.jwk.kid }).sign(this.privateKey);
  }

  /** Check a token string: signature, issuer and expiry on the simulator clock. */
  async verifyAccessToken(token: string): Promise<{ ok: true; token: VerifiedToken } | { ok: false; reason: string }> {
    try {
      const { payload } = await jwtVerify(token, this.publicKey, {
        issuer: this.issuer(),
        algorithms: ["RS256"],
        currentDate: this.clock.date(),
        requiredClaims: ["exp", "iat", "scope", "consumer", "client_id"],
      });
      const claims = payload as AccessTokenClaims;
      const id = claims.consumer?.ID;
      const match = typeof id === "string" ? /^0192:(\d{9})$/.exec(id) : null;
      if (!match || claims.consumer.authority !== CONSUMER_AUTHORITY) return { ok: false, reason: "token has no valid consumer claim" };
      const scopes = typeof claims.scope === "string" ? claims.scope.split(" ").filter(Boolean) : [];
      return { ok: true, token: { claims, orgNo: match[1]!, scopes } };
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) return { ok: false, reason: "token expired" };
      return { ok: false, reason: "token invalid" };
    }
  }

  /**
   * Check the request's `Authorization: Bearer` token and, when `anyScope` is given, that it holds at least
   * one of those scopes. 401 for a missing/invalid/expired token, 403 for a missing scope; each service maps
   * the result to its own error body (Digdir answers 401 for a missing scope too, see samarbeid).
   */
  async checkBearer(req: SimRequest, anyScope?: readonly string[]): Promise<BearerCheck> {
    const auth = header(req, "authorization");
    const match = auth ? /^Bearer\s+(\S+)$/i.exec(auth) : null;
    if (!match) return { ok: false, status: 401, reason: "missing bearer token", wwwAuthenticate: 'Bearer realm="simulator"' };
    const verified = await this.verifyAccessToken(match[1]!);
    if (!verified.ok) {
      return {
        ok: false,
        status: 401,
        reason: verified.reason,
        wwwAuthenticate: `Bearer error="invalid_token", error_description="${verified.reason}"`,
      };
    }
    if (anyScope && anyScope.length > 0 && !anyScope.some((s) => verified.token.scopes.includes(s))) {
      return {
        ok: false,
        status: 403,
        reason: `token lacks the scope (one of: ${anyScope.join(", ")})`,
        wwwAuthenticate: `Bearer error="insufficient_scope", scope="${anyScope.join(" ")}"`,
      };
    }
    return { ok: true, token: verified.token };
  }
}
