import { apiErrorFrom, type Context } from "../core/context";
import type { Method } from "../core/http";

/** ClientRegistration as the self-service API spells it (digdir-api.md §2.3). */
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

/** Digdir admin scopes: digdirator PUTs with dcr.write alone, the docs name dcr.modify; ask for both. */
export const defaultAdminScopes = ["idporten:dcr.read", "idporten:dcr.write", "idporten:dcr.modify"];

/** Typed client for the self-service client API (`/api/v1/clients`). */
export class DigdirClientApi {
  constructor(private readonly ctx: Context) {}

  private get scopes(): string[] {
    return this.ctx.settings.adminScopes ?? defaultAdminScopes;
  }

  private async call<T>(method: Method, path: string, opts: { json?: unknown; idempotent?: boolean; ok?: number[]; hint?: (status: number) => string | undefined } = {}): Promise<{ status: number; body: T | undefined }> {
    const url = `${this.ctx.settings.endpoints.samarbeidBase}${path}`;
    const res = await this.ctx.authorized(this.scopes, { service: "digdir", method, url, json: opts.json, idempotent: opts.idempotent });
    const ok = opts.ok ?? [200, 201, 204];
    if (!ok.includes(res.status) && !(res.status >= 200 && res.status < 300)) {
      throw apiErrorFrom("digdir", { method, url }, res, opts.hint?.(res.status));
    }
    return { status: res.status, body: res.text.trim() ? (JSON.parse(res.text) as T) : undefined };
  }

  /** The client, or undefined when Digdir does not know it (404) or has deactivated it. */
  async getClient(clientId: string): Promise<WireClient | undefined> {
    const res = await this.call<WireClient>("GET", `/clients/${encodeURIComponent(clientId)}`, { ok: [200, 404] });
    if (res.status === 404 || !res.body || res.body.active === false) return undefined;
    return res.body;
  }

  async createClient(body: WireClient): Promise<WireClient> {
    const res = await this.call<WireClient>("POST", "/clients", { json: body });
    if (!res.body?.client_id) throw new Error("Digdir self-service API: POST /clients answered without a client_id");
    return res.body;
  }

  async updateClient(clientId: string, body: WireClient): Promise<WireClient> {
    const res = await this.call<WireClient>("PUT", `/clients/${encodeURIComponent(clientId)}`, { json: body });
    return res.body ?? body;
  }

  /** Deletes the client; a 404 means it is gone already. */
  async deleteClient(clientId: string): Promise<void> {
    await this.call("DELETE", `/clients/${encodeURIComponent(clientId)}`, { ok: [200, 204, 404] });
  }

  /** A new client secret (secret-based ID-porten clients). */
  async newSecret(clientId: string): Promise<string> {
    const res = await this.call<{ client_secret?: string }>("POST", `/clients/${encodeURIComponent(clientId)}/secret`);
    if (!res.body?.client_secret) throw new Error("Digdir self-service API: POST /clients/{id}/secret answered without a client_secret");
    return res.body.client_secret;
  }

  /** The registered key set; undefined when the client is unknown. */
  async getJwks(clientId: string): Promise<WireJwks | undefined> {
    const res = await this.call<WireJwks>("GET", `/clients/${encodeURIComponent(clientId)}/jwks`, { ok: [200, 404] });
    if (res.status === 404) return undefined;
    return res.body ?? { keys: [] };
  }

  /** Replaces the whole key set (POST replaces; sending the same set again is harmless, so it is retried). */
  async putJwks(clientId: string, keys: WireJwk[]): Promise<WireJwks> {
    const res = await this.call<WireJwks>("POST", `/clients/${encodeURIComponent(clientId)}/jwks`, {
      json: { keys },
      idempotent: true,
      hint: (s) => (s === 404 ? "The client does not exist: check clientId, or create the client first." : undefined),
    });
    return res.body ?? { keys };
  }

  /** Removes every key: an empty set cannot be POSTed. A 404 means there is nothing to remove. */
  async deleteJwks(clientId: string): Promise<void> {
    await this.call("DELETE", `/clients/${encodeURIComponent(clientId)}/jwks`, { ok: [200, 204, 404] });
  }
}
