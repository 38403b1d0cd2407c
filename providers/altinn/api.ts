import type { Context } from "../core/context";
import { ApiError, apiErrorFrom, parseErrorBody, ProtocolError } from "../core/errors";
import type { Method } from "../core/http";
import type {
  ChangeRequestBody,
  ListedSystemUser,
  LiveChangeRequest,
  LiveRequest,
  LiveSystemUser,
  RequestInputs,
  RequestKey,
  RequestKind,
} from "./request-model";
import { systemDeleteOutcome, type LiveSystem, type SystemInputs } from "./system-model";
import {
  answersChangeRequest,
  changeRequestFromWire,
  changeRequestPayload,
  nextPageToken,
  requestFromWire,
  requestPayload,
  systemFromWire,
  systemPayload,
  systemUserFromWire,
  type WireChangeRequest,
  type WirePage,
  type WireRequest,
  type WireSystem,
  type WireSystemUser,
} from "./wire";

/**
 * Typed client for Altinn Authentication's vendor routes (altinn-authentication `src/Authentication/Controllers`);
 * the wire's shapes and spelling are in wire.ts. Every route asks for the one scope it needs (`AuthzConstants` and
 * the policies in `AuthenticationHost.cs`; README "Tokens and scopes"), so a client holding only
 * `systemregister.write` can manage systems; tokens are cached per scope set.
 */

export const altinnScopes = {
  systemRegister: "altinn:authentication/systemregister.write",
  requestRead: "altinn:authentication/systemuser.request.read",
  requestWrite: "altinn:authentication/systemuser.request.write",
} as const;

// ---- errors -----------------------------------------------------------------------------------------------------

/**
 * One sentence on what to do, per Altinn code (AUTH.VLD-* in altinn-authentication `src/Core/Errors/ValidationErrors.cs`,
 * AUTH-* in `src/Core/Problems/Problem.cs`); the first code that has one wins.
 */
const codeHints: Record<string, string> = {
  "AUTH.VLD-00000": "vendor.ID must be 0192:<orgno>: this is a bug in the provider; report it.",
  "AUTH.VLD-00001":
    "The systemId must start with the vendor's organisation number and _: the token's organisation (digdir:orgNo) must be the vendor.",
  "AUTH.VLD-00002": "That system id is taken, possibly by a deleted system (ids are never released): choose another systemId.",
  "AUTH.VLD-00003":
    "A right names a resource the Resource Registry does not know: check the resource id (Altinn 3 apps are app_<org>_<app>).",
  "AUTH.VLD-00004":
    "A client id is already attached to another system, and a Maskinporten client can belong to one system only: remove it there, or use another client.",
  "AUTH.VLD-00005": "allowedRedirectUrls must be absolute https URLs.",
  "AUTH.VLD-00006": "The same right is listed twice: remove the duplicate.",
  "AUTH.VLD-00007": "The same access package is listed twice: remove the duplicate.",
  "AUTH.VLD-00008":
    "An access package is unknown to Altinn or cannot be delegated: check the URN against Altinn's list of access packages.",
  "AUTH.VLD-00009": "Each right's attribute id must be urn:altinn:resource.",
  "AUTH.VLD-00011": "The same client id is listed twice: remove the duplicate.",
  "AUTH.VLD-00012": "The body's id differs from the system in the path: this is a bug in the provider; report it.",
  "AUTH.VLD-00013": "System ids may not contain spaces.",
  "AUTH.VLD-00017":
    "A right's resource cannot be delegated (Maskinporten schemas, Altinn 2 services and consent resources cannot): remove it.",
  "AUTH.VLD-00018":
    "isVisible: true is refused with an access package that is not assignable (a client package for agent system users): set isVisible: false; mark the package isAssignable: false to have this caught before anything is sent.",
  "AUTH-00000":
    "Altinn does not know the customer organisation (partyOrgNo): check the number; in TT02 use a test organisation that exists there.",
  "AUTH-00001":
    "Every requested right must match a right declared on the System exactly, and a request needs at least one right or package: add the right to the System first.",
  "AUTH-00004": "A system user already exists for this system, customer and externalRef.",
  "AUTH-00006": "An accepted request holds this key: use another externalRef.",
  "AUTH-00007": "A pending request holds this key: delete it or use another externalRef.",
  "AUTH-00008": "A denied request holds this key: delete it, then ask again.",
  "AUTH-00009": "A rejected request holds this key: delete it, then ask again.",
  "AUTH-00011":
    "The system does not exist or belongs to another vendor: create the System first, and check that the token's organisation (digdir:orgNo) is its vendor.",
  "AUTH-00015": "The system user does not exist (any more), or it is an agent system user, whose packages no change request can alter.",
  "AUTH-00021": "redirectUrl must be one of the system's allowedRedirectUrls (scheme, host and path; the query is ignored).",
  "AUTH-00023":
    "Altinn could not tell the vendor from the token: it must be a Maskinporten token of a client owned by the vendor organisation.",
  "AUTH-00026": "The system has no allowedRedirectUrls: add redirectUrl to the System's allowedRedirectUrls, or leave redirectUrl out.",
  "AUTH-00058": "An agent request needs at least one access package.",
  "AUTH-00059": "A request needs at least one right or access package.",
  "AUTH-00061":
    "The correlation id belongs to a change request of another vendor's system: run `pulumi up` again (each attempt uses a new id).",
  "AUTH-00063": "A requested access package is not declared on the system: add it to the System's accessPackages first.",
  "AUTH-00064":
    "A requested access package is not assignable (a client package): a standard system user cannot get it; use an AgentSystemUserRequest.",
  "AUTH-00065":
    "A requested access package cannot be delegated to an agent system user: agent system users take client packages (regnskapsfører, revisor, forretningsfører).",
};

/** The sentence on what to do for an Altinn failure, or undefined to leave it to the generic per-status one. */
export function altinnHint(status: number, codes: string[], scope: string): string | undefined {
  for (const c of codes) if (codeHints[c]) return codeHints[c];
  if (status === 403) {
    return scope === altinnScopes.systemRegister
      ? `Altinn refused: the token's organisation is not this system's vendor, or the admin client lacks ${scope}. Check digdir:orgNo and the client's scopes.`
      : `Altinn refused: the admin client lacks ${scope}. Ask Digdir for the scope and add it to the client.`;
  }
  if (status === 401)
    return "Altinn did not accept the token: the admin client must be a Maskinporten client of the vendor organisation, in the environment Altinn runs in (TT02 pairs with Maskinporten test).";
  return undefined;
}

/** An ApiError with another sentence on what to do (the facts stay). */
export function withHint(e: ApiError, hint: string): ApiError {
  return new ApiError({
    service: e.service,
    method: e.method,
    path: e.path,
    status: e.status,
    codes: e.codes,
    correlationId: e.correlationId,
    problems: e.problems,
    hint,
  });
}

// ---- the client -------------------------------------------------------------------------------------------------

interface CallOptions {
  json?: unknown;
  query?: Record<string, string>;
  idempotent?: boolean;
  /** Statuses answered to the caller instead of thrown. */
  ok: number[];
}

export class AltinnApi {
  constructor(private readonly ctx: Context) {}

  private get base(): string {
    return `${this.ctx.settings.endpoints.altinnBase}/authentication/api/v1`;
  }

  private async call(scope: string, method: Method, path: string, opts: CallOptions): Promise<{ status: number; text: string }> {
    const qs = opts.query ? `?${new URLSearchParams(opts.query).toString()}` : "";
    const url = `${this.base}${path}${qs}`;
    const res = await this.ctx.authorized([scope], { service: "altinn", method, url, json: opts.json, idempotent: opts.idempotent });
    if (!opts.ok.includes(res.status)) {
      const parsed = parseErrorBody(res.text);
      const codes = [...parsed.codes, ...parsed.problems.map((p) => p.code).filter((c): c is string => !!c)];
      // The query may name a customer: report the path alone.
      throw apiErrorFrom("altinn", { method, url: `${this.base}${path}` }, res, altinnHint(res.status, codes, scope));
    }
    return { status: res.status, text: res.text };
  }

  private json<T>(text: string): T | undefined {
    return text.trim() ? (JSON.parse(text) as T) : undefined;
  }

  // -- system register (`SystemRegisterController`)

  /** The system, soft-deleted ones included (`isDeleted`); undefined when Altinn does not know the id. */
  async getSystem(systemId: string): Promise<LiveSystem | undefined> {
    const res = await this.call(altinnScopes.systemRegister, "GET", `/systemregister/vendor/${encodeURIComponent(systemId)}`, {
      ok: [200, 404],
    });
    const body = res.status === 200 ? this.json<WireSystem>(res.text) : undefined;
    return body ? systemFromWire(body) : undefined;
  }

  /** Creates the system; answers Altinn's internal id (200 with a JSON string, not 201). Not retried: a POST. */
  async createSystem(s: SystemInputs): Promise<string> {
    const res = await this.call(altinnScopes.systemRegister, "POST", "/systemregister/vendor", { json: systemPayload(s), ok: [200, 201] });
    const text = res.text.trim();
    if (!text) return "";
    try {
      const v = JSON.parse(text) as unknown;
      return typeof v === "string" ? v : typeof (v as { id?: unknown })?.id === "string" ? (v as { id: string }).id : "";
    } catch {
      return text.replace(/^"|"$/g, "");
    }
  }

  /** The full PUT: every field replaced (`SystemRegisterService.UpdateWholeRegisteredSystem`). */
  async updateSystem(s: SystemInputs): Promise<void> {
    await this.call(altinnScopes.systemRegister, "PUT", `/systemregister/vendor/${encodeURIComponent(s.systemId)}`, {
      json: systemPayload(s),
      ok: [200, 204],
    });
  }

  /**
   * Soft-deletes the system. A 400 (or 404) is judged by a follow-up GET: Altinn answers 400 for some deletes
   * that did happen (README "System"), and "System not found" means there is nothing left to delete.
   */
  async deleteSystem(systemId: string): Promise<void> {
    const path = `/systemregister/vendor/${encodeURIComponent(systemId)}`;
    const res = await this.call(altinnScopes.systemRegister, "DELETE", path, { ok: [200, 204, 400, 404] });
    if (systemDeleteOutcome(res.status, "not read") === "deleted") return;
    const after = await this.getSystem(systemId);
    if (systemDeleteOutcome(res.status, after) === "deleted") return;
    throw apiErrorFrom(
      "altinn",
      { method: "DELETE", url: `${this.base}${path}` },
      { status: res.status, headers: {}, text: res.text, attempts: 1 },
      "Altinn did not delete the system, and it still exists: check the message above, then run `pulumi destroy` (or `up`) again.",
    );
  }

  // -- system user requests (`RequestSystemUserController`)

  private requestBase(kind: RequestKind): string {
    return kind === "AgentSystemUserRequest" ? "/systemuser/request/vendor/agent" : "/systemuser/request/vendor";
  }

  /**
   * Posts a request. 201: created; 200: a request with this key exists, and the stored one is answered (the body
   * is ignored: `RequestSystemUserService`). Safe to repeat, since the key makes it idempotent. Throws ApiError otherwise
   * (AUTH-00004: a system user exists for the key).
   */
  async createRequest(kind: RequestKind, r: RequestInputs): Promise<{ created: boolean; request: LiveRequest }> {
    const res = await this.call(altinnScopes.requestWrite, "POST", this.requestBase(kind), {
      json: requestPayload(kind, r),
      idempotent: true,
      ok: [200, 201],
    });
    const body = this.json<WireRequest>(res.text);
    if (!body?.id) {
      throw new ProtocolError({
        service: "altinn",
        call: `POST ${this.requestBase(kind)}`,
        problem: `answered ${res.status} without a request id`,
        hint: "The request is keyed by its external reference, so sending it again is safe: run `pulumi up` again, which finds it if Altinn made it; report it to Altinn if it repeats.",
      });
    }
    return { created: res.status === 201, request: requestFromWire(body) };
  }

  /** The request with this key, or undefined (none, deleted, or the system unknown: 404 AUTH-00010/AUTH-00011). */
  async getRequestByKey(kind: RequestKind, key: RequestKey): Promise<LiveRequest | undefined> {
    const path = `${this.requestBase(kind)}/byexternalref/${encodeURIComponent(key.systemId)}/${encodeURIComponent(key.partyOrgNo)}/${encodeURIComponent(key.externalRef)}`;
    const res = await this.call(altinnScopes.requestRead, "GET", path, { ok: [200, 404] });
    const body = res.status === 200 ? this.json<WireRequest>(res.text) : undefined;
    return body?.id ? requestFromWire(body) : undefined;
  }

  /** Deletes a standard or agent request (202); false when it was gone already (404 AUTH-00010). */
  async deleteRequest(requestId: string): Promise<boolean> {
    const res = await this.call(altinnScopes.requestWrite, "DELETE", `/systemuser/request/vendor/${encodeURIComponent(requestId)}`, {
      ok: [200, 202, 204, 404],
    });
    return res.status !== 404;
  }

  /**
   * Every non-deleted request of the system, of one kind, through the paged `bysystem` list (50 a page in
   * production): about N/50 calls for N requests. Status, `escalated` and `timedOut` are the stored values;
   * list items carry no `confirmUrl` (use `confirmUrlFor`). Altinn's request pages may leave out the request
   * at each page boundary (the controllers ask for ids greater than the token, which is the next page's first id; simulator/README.md), so a caller that must see one particular key
   * reads it with `getRequestByKey` when the list does not have it. Throws AUTH-00011 for a system that is
   * unknown or another vendor's.
   */
  async listRequests(kind: RequestKind, systemId: string): Promise<LiveRequest[]> {
    const base = `/systemuser/request/vendor/${kind === "AgentSystemUserRequest" ? "agent/" : ""}bysystem/${encodeURIComponent(systemId)}`;
    return this.pages<WireRequest, LiveRequest>(altinnScopes.requestRead, base, (w) => (w?.id ? [requestFromWire(w)] : []));
  }

  /**
   * Every non-deleted system user of the system (standard and agent), through the paged
   * `systemuser/vendor/bysystem` list, which needs `systemregister.write`: those from the vendor's requests and
   * those customers created themselves in Altinn. Consistent pages (ordered by Altinn's sequence number).
   */
  async listSystemUsers(systemId: string): Promise<ListedSystemUser[]> {
    const path = `/systemuser/vendor/bysystem/${encodeURIComponent(systemId)}`;
    return this.pages<WireSystemUser, ListedSystemUser>(altinnScopes.systemRegister, path, (w) =>
      w?.id && !w.isDeleted ? [systemUserFromWire(w)] : [],
    );
  }

  /**
   * Follows `links.next` to the end. A token seen before ends the walk (a list that ignores its token would
   * otherwise loop: the change-request list does, as simulator/README.md records). Each page's items are turned
   * into what the caller keeps as the page arrives, so the wire objects of a 10,000-item list are never all held.
   */
  private async pages<T, R>(scope: string, path: string, item: (w: T) => R[]): Promise<R[]> {
    const out: R[] = [];
    const seen = new Set<string>();
    let token: string | undefined;
    for (;;) {
      const res = await this.call(scope, "GET", path, { ...(token ? { query: { token } } : {}), ok: [200] });
      const page = this.json<WirePage<T>>(res.text);
      for (const w of page?.data ?? []) out.push(...item(w));
      token = nextPageToken(page?.links?.next);
      if (!token || seen.has(token)) return out;
      seen.add(token);
    }
  }

  // -- system users (`SystemUserController`)

  /** The system user for the key (standard or agent), or undefined. A GET that needs the write scope (`AuthzConstants`). */
  async getSystemUser(key: RequestKey): Promise<LiveSystemUser | undefined> {
    const res = await this.call(altinnScopes.requestWrite, "GET", "/systemuser/vendor/byquery", {
      query: { "system-id": key.systemId, orgno: key.partyOrgNo, "external-ref": key.externalRef },
      ok: [200, 404],
    });
    const body = res.status === 200 ? this.json<WireSystemUser>(res.text) : undefined;
    if (!body?.id || body.isDeleted) return undefined;
    return { systemUserId: body.id, ...(body.userType ? { userType: body.userType } : {}) };
  }

  // -- change requests (`ChangeRequestSystemUserController`)

  /**
   * Posts a change request under a fresh correlation id; repeating it answers the same one, so it is retried.
   * Altinn answers 200 with the stored change request for any id already used on the caller's systems, whatever
   * its status or system user (`ChangeRequestSystemUserController.CreateChangeRequest`): an answer that is not this change request (another
   * id, system user or content) is marked `older`, and the caller asks again under a new id.
   */
  async createChangeRequest(
    systemUserId: string,
    correlationId: string,
    body: ChangeRequestBody,
  ): Promise<LiveChangeRequest & { older?: boolean }> {
    const res = await this.call(altinnScopes.requestWrite, "POST", "/systemuser/changerequest/vendor", {
      query: { "correlation-id": correlationId, "system-user-id": systemUserId },
      json: changeRequestPayload(body),
      idempotent: true,
      ok: [200, 201],
    });
    const w = this.json<WireChangeRequest>(res.text);
    if (!w) return { changeRequestId: correlationId, status: "New" };
    const answer = changeRequestFromWire({ ...w, id: w.id || correlationId });
    return res.status === 200 && !answersChangeRequest(w, correlationId, systemUserId, body) ? { ...answer, older: true } : answer;
  }

  async getChangeRequest(id: string): Promise<LiveChangeRequest | undefined> {
    const res = await this.call(altinnScopes.requestRead, "GET", `/systemuser/changerequest/vendor/${encodeURIComponent(id)}`, {
      ok: [200, 404],
    });
    const w = res.status === 200 ? this.json<WireChangeRequest>(res.text) : undefined;
    return w?.id ? changeRequestFromWire(w) : undefined;
  }

  async deleteChangeRequest(id: string): Promise<void> {
    await this.call(altinnScopes.requestWrite, "DELETE", `/systemuser/changerequest/vendor/${encodeURIComponent(id)}`, {
      ok: [200, 202, 204, 404],
    });
  }
}
