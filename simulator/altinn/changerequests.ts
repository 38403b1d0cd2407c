import type { SimReply, SimRequest } from "../core/http";
import type { SimContext } from "../context";
import { bindChangeRequest } from "./bind";
import {
  addRoute,
  altinnProblem,
  aspnetProblem,
  AUTH_BASE,
  authorize,
  EMPTY_GUID,
  emptyStatus,
  guidRouteError,
  okJson,
  parseGuid,
  plainText,
  readJson,
  SCOPES,
  type Caller,
} from "./http";
import { changeRequestView, type AltinnState, type ChangeRequestRecord } from "./model";
import { pagedReply, pageToken, paginate } from "./paging";
import { checkRedirectUrl, checkRequestedPackages, checkRequestedRights } from "./validate";

// Change requests on an existing standard system user (`ChangeRequestSystemUserController`): POST with correlation-id and
// system-user-id, GET by id / by external ref / by system, DELETE.

const BASE = `${AUTH_BASE}/systemuser/changerequest`;

export function registerChangeRequests(ctx: SimContext, state: AltinnState): void {
  const quirks = () => ctx.config.quirks;
  const view = (c: ChangeRequestRecord, withConfirmUrl = true) => changeRequestView(ctx, state, c, withConfirmUrl);

  const ownedSystem = (caller: Caller, systemId: string) => {
    const s = state.system(systemId);
    return s && s.vendorOrgNo === caller.orgNo ? s : undefined;
  };

  addRoute(ctx, "POST", `${BASE}/vendor`, async (req) => {
    const auth = await authorize(ctx, req, [SCOPES.requestWrite]);
    if (!auth.ok) return auth.reply;
    // Query parameters bind to Guid: a malformed value is a model-binding error, a missing one is Guid.Empty.
    const rawCorrelation = req.query.get("correlation-id") ?? "";
    const rawUser = req.query.get("system-user-id") ?? "";
    const correlationId = rawCorrelation === "" ? EMPTY_GUID : parseGuid(rawCorrelation);
    if (!correlationId) return guidRouteError("correlation-id", rawCorrelation);
    const systemUserId = rawUser === "" ? EMPTY_GUID : parseGuid(rawUser);
    if (!systemUserId) return guidRouteError("system-user-id", rawUser);
    const json = readJson(req, "changeRequest");
    if (!json.ok) return json.reply;
    const bound = bindChangeRequest(json.value);
    if (!bound.ok) return bound.reply;
    const input = bound.value;

    if (correlationId === EMPTY_GUID) return plainText(400, "The correlation-id query parameter must be a non-empty GUID.");
    if (correlationId === systemUserId) return plainText(400, "The correlation-id must differ from the system-user-id.");

    const user = state.systemUser(systemUserId);
    if (!user || user.isDeleted) return altinnProblem("AUTH-00015");
    const system = state.system(user.systemId);
    if (!system || system.vendorOrgNo !== auth.caller.orgNo) return aspnetProblem(401);

    const base = {
      id: correlationId,
      systemUserId: user.id,
      externalRef: user.externalRef,
      systemId: user.systemId,
      partyOrgNo: user.reporteeOrgNo,
      ...input,
      created: ctx.clock.iso(),
      isDeleted: false,
    };
    const nothing =
      input.requiredRights.length +
        input.unwantedRights.length +
        input.requiredAccessPackages.length +
        input.unwantedAccessPackages.length ===
      0;
    if (nothing) return okJson(200, view({ ...base, status: "NoChangeNeeded" }));

    const existing = state.changeRequest(correlationId);
    if (existing) {
      // A deleted change request still holds its id (primary key): storing another under it fails.
      if (existing.isDeleted) return altinnProblem("AUTH-00012");
      // An id used for one of the caller's own systems: 200 with the stored change request, whatever its status
      // and whichever system user it was for (ChangeRequestSystemUserController.CreateChangeRequest;
      // `GetChangeRequestById` has no status filter: `ChangeRequestSystemUserController.CreateChangeRequest`). Only another vendor's id is refused.
      const owner = state.system(existing.systemId);
      if (owner && owner.vendorOrgNo === auth.caller.orgNo) return okJson(200, view(existing));
      return altinnProblem(state.readStatus(existing) === "New" ? "AUTH-00007" : "AUTH-00061");
    }
    if (user.userType === "agent") return altinnProblem("AUTH-00015");
    if (system.isDeleted && !quirks()) return altinnProblem("AUTH-00011");
    if (!ctx.registry.organisation(user.reporteeOrgNo)) return altinnProblem("AUTH-00000");
    const redirect = checkRedirectUrl(system, input.redirectUrl, () => (quirks() ? aspnetProblem(500) : altinnProblem("AUTH-00021")));
    if (!redirect.ok) return redirect.reply;
    if (input.requiredRights.some((r) => r.resource.length === 0)) return quirks() ? aspnetProblem(500) : altinnProblem("AUTH-00001");
    const rights = checkRequestedRights(system, input.requiredRights);
    if (!rights.ok) return rights.reply;
    const packages = checkRequestedPackages(state, system, input.requiredAccessPackages, "standard");
    if (!packages.ok) return packages.reply;

    const record: ChangeRequestRecord = { ...base, status: "New" };
    state.changeRequests.value[record.id] = record;
    state.changed();
    return okJson(201, view(record));
  });

  const byId = async (req: SimRequest): Promise<SimReply> => {
    const auth = await authorize(ctx, req, [SCOPES.requestRead]);
    if (!auth.ok) return auth.reply;
    const id = parseGuid(req.params.requestId!);
    if (!id) return guidRouteError("requestId", req.params.requestId!);
    const c = state.changeRequest(id);
    if (!c || c.isDeleted) return altinnProblem("AUTH-00010");
    if (!ownedSystem(auth.caller, c.systemId)) return altinnProblem("AUTH-00011");
    return okJson(200, view(c));
  };

  addRoute(ctx, "GET", `${BASE}/vendor/byexternalref/:systemId/:orgNo/:externalRef`, async (req) => {
    const auth = await authorize(ctx, req, [SCOPES.requestRead]);
    if (!auth.ok) return auth.reply;
    const { systemId, orgNo, externalRef } = req.params as { systemId: string; orgNo: string; externalRef: string };
    if (!ownedSystem(auth.caller, systemId)) return altinnProblem("AUTH-00011");
    const first = Object.values(state.changeRequests.value)
      .filter((c) => !c.isDeleted && c.systemId === systemId && c.partyOrgNo === orgNo && c.externalRef === externalRef)
      .sort((a, b) => a.created.localeCompare(b.created))[0];
    return first ? okJson(200, view(first)) : altinnProblem("AUTH-00010");
  });

  addRoute(ctx, "GET", `${BASE}/vendor/bysystem/:systemId`, async (req) => {
    const auth = await authorize(ctx, req, [SCOPES.requestRead]);
    if (!auth.ok) return auth.reply;
    const systemId = req.params.systemId!;
    if (!ownedSystem(auth.caller, systemId)) return altinnProblem("AUTH-00011");
    const all = Object.values(state.changeRequests.value)
      .filter((c) => !c.isDeleted && c.systemId === systemId)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const token = pageToken(req);
    if (!token.ok) return token.reply;
    // Quirk: the list ignores the continuation token, so `next` leads back to the first page.
    const page = paginate(all, (c) => c.id, token.from, state.settings.value.pageSize, quirks() ? "ignore-token" : "exact");
    return pagedReply(
      ctx,
      `${BASE}/vendor/bysystem/${encodeURIComponent(systemId)}`,
      page.next,
      page.items.map((c) => view(c, false)),
    );
  });

  addRoute(ctx, "GET", `${BASE}/vendor/:requestId`, byId);

  addRoute(ctx, "DELETE", `${BASE}/vendor/:requestId`, async (req) => {
    const auth = await authorize(ctx, req, [SCOPES.requestWrite]);
    if (!auth.ok) return auth.reply;
    const id = parseGuid(req.params.requestId!);
    if (!id) return guidRouteError("requestId", req.params.requestId!);
    const c = state.changeRequest(id);
    if (!c || c.isDeleted || !ownedSystem(auth.caller, c.systemId)) return altinnProblem("AUTH-00010");
    c.isDeleted = true;
    state.changed();
    return emptyStatus(202);
  });
}
