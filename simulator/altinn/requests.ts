import type { SimReply, SimRequest } from "../core/http";
import { newUuid } from "../core/ids";
import type { SimContext } from "../context";
import { bindRequest } from "./bind";
import { isPlainObject } from "../core/http";
import {
  addRoute,
  altinnProblem,
  aspnetProblem,
  aspnetValidationProblem,
  AUTH_BASE,
  authorize,
  emptyStatus,
  guidRouteError,
  okJson,
  parseGuid,
  readJson,
  SCOPES,
  type Caller,
} from "./http";
import { requestView, type AltinnState, type RequestKind, type RequestRecord, type SystemRecord } from "./model";
import { pagedReply, pageToken, paginate } from "./paging";
import { checkRedirectUrl, checkRequestedPackages, checkRequestedRights } from "./validate";

// System user requests, vendor side (`RequestSystemUserController`, standard and agent): create with the `RequestSystemUserService.CreateRequest` order and
// idempotency, read by id / by external ref / by system, and the shared soft DELETE.

const BASE = `${AUTH_BASE}/systemuser/request`;

export function registerRequests(ctx: SimContext, state: AltinnState): void {
  const quirks = () => ctx.config.quirks;

  // Quirk: the vendor single-GET paths do not copy `escalated` (false there); lists carry the stored value.
  const single = (r: RequestRecord) => requestView(ctx, state, r, { withConfirmUrl: true, storedEscalated: !quirks() });
  const listItem = (r: RequestRecord) => requestView(ctx, state, r, { withConfirmUrl: false, storedEscalated: true });

  // --- create (`RequestSystemUserService.CreateRequest`, `CreateAgentRequest`) ---
  const create =
    (kind: RequestKind) =>
    async (req: SimRequest): Promise<SimReply> => {
      const auth = await authorize(ctx, req, [SCOPES.requestWrite]);
      if (!auth.ok) return auth.reply;
      const json = readJson(req, kind === "agent" ? "createAgentRequest" : "createRequest");
      if (!json.ok) return json.reply;
      // `AccessPackages` is [Required] on the agent model (CreateAgentRequestSystemUser.cs): absent or null is the
      // framework's model-validation 400; only an empty list reaches AUTH-00058 (`[Required]` in `CreateAgentRequestSystemUser.cs`).
      if (kind === "agent" && isPlainObject(json.value)) {
        const key = Object.keys(json.value).find((k) => k.toLowerCase() === "accesspackages");
        if (key === undefined || json.value[key] === null)
          return aspnetValidationProblem({ AccessPackages: ["The AccessPackages field is required."] });
      }
      const bound = bindRequest(json.value, kind === "agent");
      if (!bound.ok) return bound.reply;
      const input = bound.value;
      const vendor = auth.caller.orgNo;

      // 2. The key. Quirk: an empty-string externalRef is used as "" by the duplicate checks but stored as partyOrgNo.
      const sent = input.externalRef;
      const storedRef = sent ? sent : input.partyOrgNo;
      const checkRef = quirks() ? (sent ?? input.partyOrgNo) : storedRef;

      // 3. A system user with the key (any type) blocks both kinds.
      if (state.systemUserByKey(input.systemId, input.partyOrgNo, checkRef)) return altinnProblem("AUTH-00004");

      // 4. Idempotency: a stored request of this kind with the key, on a system of the caller → 200, body ignored.
      const system = state.system(input.systemId);
      const existing = state.requestByKey(kind, input.systemId, input.partyOrgNo, checkRef);
      if (existing && system && system.vendorOrgNo === vendor && state.readStatus(existing) !== "Timedout") {
        return okJson(200, single(existing));
      }

      // 5. Validation, in order.
      if (!system || (system.isDeleted && !quirks())) return altinnProblem("AUTH-00011");
      const conflictOf = (r: RequestRecord) =>
        ({ Accepted: "AUTH-00006", New: "AUTH-00007", Denied: "AUTH-00008", Rejected: "AUTH-00009", Timedout: undefined })[
          state.readStatus(r)
        ];
      if (existing) {
        const conflict = conflictOf(existing);
        if (conflict) return altinnProblem(conflict);
      }
      // An agent request is refused while a standard request holds the key; not the reverse
      // (RequestSystemUserService.CreateAgentRequest → ValidateExternalRequestId`).
      if (kind === "agent") {
        const standard = state.requestByKey("standard", input.systemId, input.partyOrgNo, checkRef);
        const conflict = standard ? conflictOf(standard) : undefined;
        if (conflict) return altinnProblem(conflict);
      }
      if (system.vendorOrgNo !== vendor) return altinnProblem("AUTH-00011");
      if (!ctx.registry.organisation(input.partyOrgNo)) return altinnProblem("AUTH-00000");
      const redirect = checkRedirectUrl(system, input.redirectUrl, () => (quirks() ? aspnetProblem(500) : altinnProblem("AUTH-00021")));
      if (!redirect.ok) return redirect.reply;

      if (kind === "standard") {
        const rightsCheck = checkStandardContent(system, input.rights, input.accessPackages);
        if (rightsCheck) return rightsCheck;
      } else if (!input.accessPackages || input.accessPackages.length === 0) {
        return altinnProblem("AUTH-00058");
      }
      const packages = checkRequestedPackages(state, system, input.accessPackages ?? [], kind);
      if (!packages.ok) return packages.reply;

      const record: RequestRecord = {
        id: newUuid(),
        kind,
        externalRef: storedRef,
        systemId: input.systemId,
        partyOrgNo: input.partyOrgNo,
        // Not sent: the system's nb name, stored and answered so (CreateRequest, CreateAgentRequest; test
        // Dont_Set_IntegrationTitle_Success`).
        integrationTitle: input.integrationTitle || system.name.nb || "",
        rights: kind === "standard" ? (input.rights ?? []) : [],
        accessPackages: input.accessPackages ?? [],
        status: "New",
        ...(input.redirectUrl ? { redirectUrl: input.redirectUrl } : {}),
        escalated: false,
        created: ctx.clock.iso(),
        isDeleted: false,
      };
      state.addRequest(record);
      state.changed();
      return okJson(201, single(record), { location: `${ctx.url()}${BASE}/${record.id}` });
    };

  /** `RequestSystemUserService.CreateRequest`: rights/packages presence, a right without resources (500 with quirks), rights ⊆ the system's. */
  const checkStandardContent = (
    system: SystemRecord,
    rights: RequestRecord["rights"] | null,
    packages: RequestRecord["accessPackages"] | null,
  ): SimReply | undefined => {
    if (rights === null && packages === null) return altinnProblem("AUTH-00001");
    if ((rights?.length ?? 0) === 0 && (packages?.length ?? 0) === 0) return altinnProblem("AUTH-00059");
    const list = rights ?? [];
    if (list.some((r) => r.resource.length === 0)) return quirks() ? aspnetProblem(500) : altinnProblem("AUTH-00001");
    const subset = checkRequestedRights(system, list);
    return subset.ok ? undefined : subset.reply;
  };

  addRoute(ctx, "POST", `${BASE}/vendor`, create("standard"));
  addRoute(ctx, "POST", `${BASE}/vendor/agent`, create("agent"));

  // --- reads ---

  /** The system of a request, or AUTH-00011 when it is unknown or another vendor's. */
  const ownedSystem = (caller: Caller, systemId: string): SystemRecord | undefined => {
    const s = state.system(systemId);
    return s && s.vendorOrgNo === caller.orgNo ? s : undefined;
  };

  const byId =
    (kind: RequestKind) =>
    async (req: SimRequest): Promise<SimReply> => {
      const auth = await authorize(ctx, req, [SCOPES.requestRead]);
      if (!auth.ok) return auth.reply;
      const id = parseGuid(req.params.requestId!);
      if (!id) return guidRouteError("requestId", req.params.requestId!);
      const r = state.request(id);
      if (!r || r.isDeleted || r.kind !== kind) return altinnProblem("AUTH-00010");
      if (!ownedSystem(auth.caller, r.systemId)) return altinnProblem("AUTH-00011");
      return okJson(200, single(r));
    };

  const byExternalRef =
    (kind: RequestKind) =>
    async (req: SimRequest): Promise<SimReply> => {
      const auth = await authorize(ctx, req, [SCOPES.requestRead]);
      if (!auth.ok) return auth.reply;
      const { systemId, orgNo, externalRef } = req.params as { systemId: string; orgNo: string; externalRef: string };
      if (!ownedSystem(auth.caller, systemId)) return altinnProblem("AUTH-00011");
      const r = state.requestByKey(kind, systemId, orgNo, externalRef);
      if (!r) return altinnProblem("AUTH-00010");
      return okJson(200, single(r));
    };

  const bySystem =
    (kind: RequestKind) =>
    async (req: SimRequest): Promise<SimReply> => {
      const auth = await authorize(ctx, req, [SCOPES.requestRead]);
      if (!auth.ok) return auth.reply;
      const systemId = req.params.systemId!;
      if (!ownedSystem(auth.caller, systemId)) return altinnProblem("AUTH-00011");
      const all = state.cachedList(`requests\u0000${kind}\u0000${systemId}`, () =>
        Object.values(state.requests.value)
          .filter((r) => !r.isDeleted && r.kind === kind && r.systemId === systemId)
          .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
      );
      const token = pageToken(req);
      if (!token.ok) return token.reply;
      const path = `${BASE}/vendor/${kind === "agent" ? "agent/" : ""}bysystem/${encodeURIComponent(systemId)}`;
      // Quirk: the next page asks for "id greater than" the first id of that page, skipping it.
      const page = paginate(all, (r) => r.id, token.from, state.settings.value.pageSize, quirks() ? "skip-boundary" : "exact");
      return pagedReply(ctx, path, page.next, page.items.map(listItem));
    };

  // Literal segments first, so "agent", "byexternalref" and "bysystem" never bind as ids.
  addRoute(ctx, "GET", `${BASE}/vendor/agent/byexternalref/:systemId/:orgNo/:externalRef`, byExternalRef("agent"));
  addRoute(ctx, "GET", `${BASE}/vendor/agent/bysystem/:systemId`, bySystem("agent"));
  addRoute(ctx, "GET", `${BASE}/vendor/agent/:requestId`, byId("agent"));
  addRoute(ctx, "GET", `${BASE}/vendor/byexternalref/:systemId/:orgNo/:externalRef`, byExternalRef("standard"));
  addRoute(ctx, "GET", `${BASE}/vendor/bysystem/:systemId`, bySystem("standard"));
  addRoute(ctx, "GET", `${BASE}/vendor/:requestId`, byId("standard"));

  // --- DELETE vendor/{requestId}: any request, any status, standard or agent → 202 ---
  addRoute(ctx, "DELETE", `${BASE}/vendor/:requestId`, async (req) => {
    const auth = await authorize(ctx, req, [SCOPES.requestWrite]);
    if (!auth.ok) return auth.reply;
    const id = parseGuid(req.params.requestId!);
    if (!id) return guidRouteError("requestId", req.params.requestId!);
    const r = state.request(id);
    if (!r || r.isDeleted) return altinnProblem("AUTH-00010");
    // Quirk: no check that the request belongs to the caller's systems.
    if (!quirks() && !ownedSystem(auth.caller, r.systemId)) return altinnProblem("AUTH-00010");
    r.isDeleted = true;
    state.changed();
    return emptyStatus(202);
  });
}
