import type { Context } from "../core/context";
import { apiErrorFrom, InputError, isApiError, ProtocolError } from "../core/errors";
import type { Method } from "../core/http";
import { liveScopeName, type ApiScopeInputs, type LiveScope } from "./api-scope-model";
import type { PublicJwk } from "./client-keys-model";
import type { ClientInputs, ClientKind, LiveClient } from "./client-model";
import type { LiveGrant } from "./scope-access-model";
import {
  clientFromWire,
  clientToWire,
  desiredClientPayload,
  desiredJwks,
  desiredScopePayload,
  grantFromWire,
  keyIn,
  publicKeysFrom,
  scopeFromWire,
  scopeNamed,
  scopeToWire,
  scopeUpdatePayload,
  updatePayload,
  wireJwk,
  type WireClient,
  type WireConsumer,
  type WireJwks,
  type WireScope,
} from "./wire";

/** Digdir admin scopes: digdirator PUTs with dcr.write alone, the docs name dcr.modify; ask for both. */
export const defaultAdminScopes = ["idporten:dcr.read", "idporten:dcr.write", "idporten:dcr.modify"];

/** The admin scope a self-service route asks for (the self-service API's OpenAPI: digdir/digdir-camp-2025-react-impl, app/lib/api.d.ts). */
export function routeScope(method: Method, path: string): string {
  const p = path.split("?")[0]!;
  if (p.startsWith("/scopes") || p.startsWith("/prefix")) return "idporten:scopes.write";
  if (method === "GET") return "idporten:dcr.read";
  if (method === "PUT") return "idporten:dcr.modify (or idporten:dcr.write)";
  return "idporten:dcr.write";
}

/**
 * A 403 from the self-service API: a valid admin token without the route's scope, or another organisation's
 * object (the self-service API's OpenAPI: "ellers vil det gis 403 feil"). The hint names the scope to ask Digdir for.
 */
export function forbiddenHint(method: Method, path: string): string {
  const scope = routeScope(method, path);
  return (
    `Digdir refused ${method} ${path.split("?")[0]}: the admin client lacks ${scope}, or the object belongs to another organisation. ` +
    `Ask Digdir (servicedesk@digdir.no) to give the admin client ${scope.split(" ")[0]}, then add it to digdir:adminScopes if you set that; or check that the id is your organisation's.`
  );
}

/** The self-service API's request helper: the admin token for the class's scopes, errors as ApiError. */
abstract class SelfServiceApi {
  constructor(protected readonly ctx: Context) {}

  protected abstract get scopes(): string[];

  protected async call<T>(
    method: Method,
    path: string,
    opts: { json?: unknown; idempotent?: boolean; ok?: number[]; hint?: (status: number) => string | undefined } = {},
  ): Promise<{ status: number; body: T | undefined }> {
    const url = `${this.ctx.settings.endpoints.samarbeidBase}${path}`;
    const res = await this.ctx.authorized(this.scopes, { service: "digdir", method, url, json: opts.json, idempotent: opts.idempotent });
    const ok = opts.ok ?? [200, 201, 204];
    if (!ok.includes(res.status) && !(res.status >= 200 && res.status < 300)) {
      throw apiErrorFrom(
        "digdir",
        { method, url },
        res,
        opts.hint?.(res.status) ?? (res.status === 403 ? forbiddenHint(method, path) : undefined),
      );
    }
    return { status: res.status, body: res.text.trim() ? (JSON.parse(res.text) as T) : undefined };
  }
}

/** Digdir's answer to a `client_id` in use on create: a 400 naming the field, or a 409 (Digdir does not document which). */
export function isClientIdTaken(e: unknown): boolean {
  if (!isApiError(e)) return false;
  if (e.status === 409) return true;
  return e.status === 400 && e.problems.some((p) => p.field === "client_id");
}

/** A success that lacks the field the self-service API always answers with. */
function missingField(call: string, status: number, field: string, hint: string): ProtocolError {
  return new ProtocolError({ service: "digdir", call, problem: `answered ${status} without a ${field}`, hint });
}

const createdClientHint =
  "Digdir may have made the client all the same: run `pulumi up` again, which looks for it under the id this resource chose before the POST; report it to Digdir if it repeats.";
const newSecretHint =
  "Digdir may have replaced the client's secret all the same, so the one in the state may no longer work: set a new rotationTrigger and run `pulumi up` to get a new one; report it to Digdir if it repeats.";

/**
 * Typed client for the self-service client API (`/api/v1/clients`). It takes and answers the resources' terms
 * (`LiveClient`, `ClientInputs`, `PublicJwk`); wire.ts maps them to and from the wire.
 */
export class DigdirClientApi extends SelfServiceApi {
  protected get scopes(): string[] {
    return this.ctx.settings.adminScopes ?? defaultAdminScopes;
  }

  /** The admin scopes this API asks for. */
  get adminScopes(): string[] {
    return this.scopes;
  }

  /**
   * The client as Digdir shows it, deactivated (deleted) ones included where Digdir shows them (`active: false`);
   * undefined on a 404. "forbidden" on a 403: another organisation's client (the OpenAPI's GET /clients/{id}), or
   * an admin client without dcr.read. Whoever asks decides what that means for them.
   */
  async findClient(clientId: string): Promise<LiveClient | "forbidden" | undefined> {
    const res = await this.call<WireClient>("GET", `/clients/${encodeURIComponent(clientId)}`, { ok: [200, 403, 404] });
    return res.status === 404 ? undefined : res.status === 403 ? "forbidden" : res.body && clientFromWire(res.body);
  }

  /** The client, or undefined when Digdir does not know it (404) or has deactivated it; a 403 is an error. */
  async getClient(clientId: string): Promise<LiveClient | undefined> {
    const res = await this.call<WireClient>("GET", `/clients/${encodeURIComponent(clientId)}`, { ok: [200, 404] });
    if (res.status === 404 || !res.body || res.body.active === false) return undefined;
    return clientFromWire(res.body);
  }

  /** The organisation's clients (active ones; Digdir lists deleted ones only with `?inactive=true`). */
  async listClients(): Promise<LiveClient[]> {
    const res = await this.call<WireClient[]>("GET", "/clients");
    return Array.isArray(res.body) ? res.body.map(clientFromWire) : [];
  }

  /**
   * Creates a `kind` client with the inputs' fields, under `clientId` when given (Digdir keeps a caller's unique
   * id). The client as Digdir answered: its `clientId` is the one to use, whatever was asked for.
   */
  async createClient(kind: ClientKind, inputs: ClientInputs, clientId?: string): Promise<LiveClient> {
    const body = { ...desiredClientPayload(kind, inputs), ...(clientId !== undefined && { client_id: clientId }) };
    const res = await this.call<WireClient>("POST", "/clients", { json: body });
    if (!res.body?.client_id) throw missingField("POST /clients", res.status, "client_id", createdClientHint);
    return clientFromWire(res.body);
  }

  /**
   * Brings the client `live` to the inputs with a full PUT that keeps what no resource manages (wire.ts
   * `updatePayload`). The client after it: Digdir's answer over `live` (a field the answer leaves out keeps its
   * value; no answer: what was sent).
   */
  async updateClient(clientId: string, kind: ClientKind, live: LiveClient, inputs: ClientInputs): Promise<LiveClient> {
    const before = clientToWire(live);
    const body = updatePayload(kind, before, inputs);
    const res = await this.call<WireClient>("PUT", `/clients/${encodeURIComponent(clientId)}`, { json: body });
    return clientFromWire({ ...before, ...(res.body ?? body) });
  }

  /** Deletes the client; a 404 means it is gone already. */
  async deleteClient(clientId: string): Promise<void> {
    await this.call("DELETE", `/clients/${encodeURIComponent(clientId)}`, { ok: [200, 204, 404] });
  }

  /** A new client secret (secret-based ID-porten clients). */
  async newSecret(clientId: string): Promise<string> {
    const res = await this.call<{ client_secret?: string }>("POST", `/clients/${encodeURIComponent(clientId)}/secret`);
    if (!res.body?.client_secret) throw missingField("POST /clients/{id}/secret", res.status, "client_secret", newSecretHint);
    return res.body.client_secret;
  }

  /** The registered key set, public members only; undefined when the client is unknown. */
  async getJwks(clientId: string): Promise<PublicJwk[] | undefined> {
    const res = await this.call<WireJwks>("GET", `/clients/${encodeURIComponent(clientId)}/jwks`, { ok: [200, 404] });
    if (res.status === 404) return undefined;
    return publicKeysFrom(res.body ?? { keys: [] });
  }

  /** Replaces the whole key set (POST replaces; sending the same set again is harmless, so it is retried). */
  async putJwks(clientId: string, keys: PublicJwk[]): Promise<PublicJwk[]> {
    const wire = desiredJwks(keys);
    const res = await this.call<WireJwks>("POST", `/clients/${encodeURIComponent(clientId)}/jwks`, {
      json: { keys: wire },
      idempotent: true,
      hint: (s) => (s === 404 ? "The client does not exist: check clientId, or create the client first." : undefined),
    });
    return publicKeysFrom(res.body ?? { keys: wire });
  }

  /**
   * Registers one key, or replaces the registered key with its `kid`, leaving the others as they are (`PUT
   * /clients/{id}/jwks/{kid}`, the OpenAPI's `addOrUpdateSingleKey`): the key as Digdir registered it (with its
   * `exp`). "unsupported" when the API has no such route (405, or a 404 while the client's set can be read), so the
   * caller can write the whole set instead.
   */
  async putJwk(clientId: string, key: PublicJwk): Promise<PublicJwk | "unsupported"> {
    const path = `/clients/${encodeURIComponent(clientId)}/jwks/${encodeURIComponent(key.kid)}`;
    const res = await this.call<unknown>("PUT", path, { json: wireJwk(key), idempotent: true, ok: [200, 201, 204, 404, 405] });
    if (res.status === 405 || (res.status === 404 && (await this.clientKnown(clientId)))) return "unsupported";
    if (res.status === 404) throw this.clientGone(clientId);
    // The answer is the key, or (the simulator, and possibly Digdir) the whole set holding it; else read the key.
    const answered = keyIn(res.body, key.kid);
    return answered ? publicKeysFrom({ keys: [answered] })[0]! : ((await this.getJwk(clientId, key.kid)) ?? key);
  }

  /** One registered key (`GET /clients/{id}/jwks/{kid}`); undefined when it, or the route, is not there. */
  async getJwk(clientId: string, kid: string): Promise<PublicJwk | undefined> {
    const path = `/clients/${encodeURIComponent(clientId)}/jwks/${encodeURIComponent(kid)}`;
    const res = await this.call<unknown>("GET", path, { ok: [200, 404, 405] });
    const key = res.status === 200 ? keyIn(res.body, kid) : undefined;
    return key && publicKeysFrom({ keys: [key] })[0];
  }

  /**
   * Removes one key, leaving the others (`DELETE /clients/{id}/jwks/{kid}`): "absent" when it is not registered
   * (gone already), "unsupported" when the API has no such route (405, or a 404 while the key is still in the set).
   */
  async deleteJwk(clientId: string, kid: string): Promise<"deleted" | "absent" | "unsupported"> {
    const path = `/clients/${encodeURIComponent(clientId)}/jwks/${encodeURIComponent(kid)}`;
    const res = await this.call("DELETE", path, { ok: [200, 204, 404, 405] });
    if (res.status === 405) return "unsupported";
    if (res.status !== 404) return "deleted";
    const set = await this.getJwks(clientId);
    if (!set) throw this.clientGone(clientId);
    return set.some((k) => k.kid === kid) ? "unsupported" : "absent";
  }

  private async clientKnown(clientId: string): Promise<boolean> {
    return (await this.getJwks(clientId)) !== undefined;
  }

  private clientGone(clientId: string): Error {
    return new InputError(`Digdir knows no client ${clientId}: check clientId, or create the client first. No key was changed.`);
  }

  /** Removes every key: an empty set cannot be POSTed. A 404 means there is nothing to remove. */
  async deleteJwks(clientId: string): Promise<void> {
    await this.call("DELETE", `/clients/${encodeURIComponent(clientId)}/jwks`, { ok: [200, 204, 404] });
  }
}

/** API-provider scopes need `idporten:scopes.write` (the OpenAPI's /scopes routes), for reading as well (nais/digdirator). */
export const scopeAdminScopes = ["idporten:scopes.write"];

/**
 * Typed client for the scope API (`/api/v1/scopes`), in the resources' terms (`LiveScope`, `ApiScopeInputs`,
 * `LiveGrant`). Scope names hold `:` and `/`, so they always travel as the `scope` query parameter, never in the
 * path (the OpenAPI's /scopes routes; docs.digdir.no, "oidc_api_admin").
 */
export class DigdirScopeApi extends SelfServiceApi {
  protected get scopes(): string[] {
    return scopeAdminScopes;
  }

  /** Every scope the organisation owns, deactivated ones included. */
  async listScopes(): Promise<LiveScope[]> {
    const res = await this.call<WireScope[]>("GET", "/scopes?inactive=true");
    return Array.isArray(res.body) ? res.body.map(scopeFromWire) : [];
  }

  /**
   * One owned scope by name, with `GET /scopes/scope?scope=` (an object in the OpenAPI's `getScope`; a list
   * holding it is read too). Undefined on a 404. Whether it shows a deactivated scope is not documented:
   * callers for whom that matters use `findScope`.
   */
  async getScope(name: string): Promise<LiveScope | undefined> {
    const res = await this.call<unknown>("GET", `/scopes/scope?scope=${encodeURIComponent(name)}`, { ok: [200, 404] });
    const scope = res.status === 404 ? undefined : scopeNamed(res.body, name);
    return scope && scopeFromWire(scope);
  }

  /**
   * One owned scope by name, deactivated ones included; undefined when the organisation owns no such scope. When
   * the single read does not show it, the full list with `?inactive=true` is searched: it lists deactivated
   * scopes (docs.digdir.no, "Inaktive entiteter"), whatever the single read does.
   */
  async findScope(name: string): Promise<LiveScope | undefined> {
    return (await this.getScope(name)) ?? (await this.listScopes()).find((s) => liveScopeName(s) === name);
  }

  /**
   * The prefixes Digdir has assigned to the organisation (`GET /prefix` in the self-service API's OpenAPI), or
   * undefined when the API does not answer the list (an older build: 404), so that the caller lets Digdir judge.
   */
  async listPrefixes(): Promise<string[] | undefined> {
    const res = await this.call<unknown>("GET", "/prefix", { ok: [200, 404] });
    if (res.status === 404 || !Array.isArray(res.body)) return undefined;
    return res.body
      .map((p) =>
        typeof p === "string"
          ? p
          : p && typeof p === "object" && typeof (p as { prefix?: unknown }).prefix === "string"
            ? (p as { prefix: string }).prefix
            : undefined,
      )
      .filter((p): p is string => !!p);
  }

  /** Creates the scope; `conflict` when it exists already (a deactivated scope answers 409 too). */
  async createScope(inputs: ApiScopeInputs): Promise<{ created?: LiveScope; conflict: boolean }> {
    const body = desiredScopePayload(inputs);
    const name = `${body.prefix}:${body.subscope}`;
    const res = await this.call<WireScope>("POST", "/scopes", {
      json: body,
      ok: [200, 201, 409],
      hint: (s) => scopeHint(s, name, body.prefix),
    });
    if (res.status === 409) return { conflict: true };
    return { created: scopeFromWire(res.body ?? body), conflict: false };
  }

  /**
   * Brings the scope to the inputs with a PUT that keeps the fields the inputs leave out and reactivates it (wire.ts
   * `scopeUpdatePayload`). The scope after it: Digdir's answer over `live` as the PUT left it, active (a field the
   * answer leaves out keeps its value; no answer: what was sent).
   */
  async updateScope(name: string, live: LiveScope | undefined, inputs: ApiScopeInputs): Promise<LiveScope> {
    const before = live && scopeToWire(live);
    const body = scopeUpdatePayload(before, inputs);
    const res = await this.call<WireScope>("PUT", `/scopes?scope=${encodeURIComponent(name)}`, {
      json: body,
      hint: (s) => scopeHint(s, name, body.prefix),
    });
    return scopeFromWire({ ...before, active: true, ...(res.body ?? body) } as WireScope);
  }

  /** Deactivates the scope (Digdir keeps it for audit; consumers keep their grants). A 404 means it is gone. */
  async deactivateScope(name: string): Promise<void> {
    await this.call("DELETE", `/scopes?scope=${encodeURIComponent(name)}`, { ok: [200, 204, 404] });
  }

  /** The access list of one of the organisation's scopes; undefined when the scope is unknown. */
  async listAccess(scope: string): Promise<LiveGrant[] | undefined> {
    const res = await this.call<WireConsumer[]>("GET", `/scopes/access?scope=${encodeURIComponent(scope)}`, { ok: [200, 404] });
    if (res.status === 404) return undefined;
    return Array.isArray(res.body) ? res.body.map(grantFromWire) : [];
  }

  /** Grants an organisation access; Digdir answers 400 for a consumer it does not accept. */
  async grantAccess(scope: string, consumerOrgNo: string): Promise<LiveGrant | undefined> {
    const res = await this.call<WireConsumer>(
      "PUT",
      `/scopes/access/${encodeURIComponent(consumerOrgNo)}?scope=${encodeURIComponent(scope)}`,
      {
        hint: (s) => accessHint(s, scope, consumerOrgNo),
      },
    );
    return res.body && grantFromWire(res.body);
  }

  /** Revokes access (the row stays, `state: DENIED`); a 404 means there is nothing to revoke. */
  async revokeAccess(scope: string, consumerOrgNo: string): Promise<void> {
    await this.call("DELETE", `/scopes/access/${encodeURIComponent(consumerOrgNo)}?scope=${encodeURIComponent(scope)}`, {
      ok: [200, 204, 404],
    });
  }
}

function scopeHint(status: number, name: string, prefix: string): string | undefined {
  if (status === 403)
    return `The admin client may not manage scopes with prefix "${prefix}": it needs idporten:scopes.write, and Digdir must have assigned the prefix to your organisation (servicedesk@digdir.no).`;
  if (status === 400) return `Digdir refused scope ${name}: correct the fields named above; nothing was changed.`;
  if (status === 409) return `Scope ${name} exists already.`;
  return undefined;
}

function accessHint(status: number, scope: string, consumerOrgNo: string): string | undefined {
  if (status === 400) {
    return `Digdir refused organisation ${consumerOrgNo} as a consumer of ${scope}: it does not accept that organisation number (not in Enhetsregisteret, or not an organisation that can be granted scopes). Check the number with the consumer, or remove the ScopeAccess; nothing was granted.`;
  }
  if (status === 404)
    return `Scope ${scope} does not exist or is not your organisation's: declare it with an ApiScope (and pass its name, so the grant waits for it).`;
  if (status === 403)
    return `The admin client may not grant access to ${scope}: it needs idporten:scopes.write and must own the scope's prefix.`;
  return undefined;
}
