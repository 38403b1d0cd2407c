import type { AccessPackage, LocalizedText, Right } from "./model";
import type { ChangeRequestBody, ListedSystemUser, LiveChangeRequest, LiveRequest, RequestInputs, RequestKind } from "./request-model";
import type { LiveSystem, SystemInputs } from "./system-model";

/**
 * Altinn Authentication's wire shapes for the vendor routes and the pure mapping between them and the resources'
 * terms: the only place that knows the wire's spelling (`clientId`, `vendor.ID`, `reporteeOrgNo`). The HTTP calls
 * are in api.ts.
 */

// ---- wire shapes ---------------------------------------------------------------------------------------------

export interface WireRight {
  action?: string;
  resource: Array<{ id: string; value: string }>;
}

export interface WireAccessPackage {
  urn: string;
}

/** The full system model (`RegisterSystemRequest`, `RegisteredSystemResponse`): POST/PUT body and `GET vendor/{id}` answer. */
export interface WireSystem {
  id: string;
  vendor: { ID: string; authority?: string };
  name: Record<string, string>;
  description: Record<string, string>;
  rights?: WireRight[];
  accessPackages?: WireAccessPackage[];
  clientId?: string[];
  isVisible?: boolean;
  allowedRedirectUrls?: string[];
  isDeleted?: boolean;
}

/** `POST systemuser/request/vendor` and `.../vendor/agent` bodies (`CreateRequestSystemUser`, `CreateAgentRequestSystemUser`). */
export interface WireRequestBody {
  systemId: string;
  partyOrgNo: string;
  externalRef: string;
  integrationTitle?: string;
  rights?: WireRight[];
  accessPackages: WireAccessPackage[];
  redirectUrl?: string;
}

/** A request as Altinn answers it (`RequestSystemResponse`, `AgentRequestSystemResponse`). */
export interface WireRequest {
  id: string;
  integrationTitle?: string;
  externalRef?: string;
  systemId: string;
  partyOrgNo: string;
  rights?: WireRight[];
  accessPackages?: WireAccessPackage[];
  status: string;
  redirectUrl?: string;
  confirmUrl?: string;
  escalated?: boolean;
  created?: string;
  timedOut?: boolean;
}

/** A system user, vendor view (`SystemUserExternalDTO`). */
export interface WireSystemUser {
  id: string;
  integrationTitle?: string;
  systemId?: string;
  reporteeOrgNo?: string;
  externalRef?: string;
  isDeleted?: boolean;
  userType?: string;
  created?: string;
}

/** The `bysystem` lists' envelope (altinn-authentication `Paginated.cs`): `next` is absent or null on the last page. */
export interface WirePage<T> {
  links?: { next?: string | null };
  data?: T[];
}

/** A change request (`ChangeRequestResponse`). */
export interface WireChangeRequest {
  id: string;
  systemUserId?: string;
  status: string;
  confirmUrl?: string;
  requiredRights?: WireRight[];
  unwantedRights?: WireRight[];
  requiredAccessPackages?: WireAccessPackage[];
  unwantedAccessPackages?: WireAccessPackage[];
  redirectUrl?: string;
  created?: string;
  timedOut?: boolean;
}

// ---- mapping between the wire and the resources' terms (pure) ---------------------------------------------------

function wireRights(rights: Right[]): WireRight[] {
  return rights.map((r) => ({
    ...(r.action !== undefined && { action: r.action }),
    resource: r.resource.map((a) => ({ id: a.id, value: a.value })),
  }));
}

function rightsFromWire(rights: WireRight[] | undefined | null): Right[] {
  return (rights ?? []).map((r) => ({
    ...(r.action != null && { action: r.action }),
    resource: (r.resource ?? []).map((a) => ({ id: a.id, value: a.value })),
  }));
}

function wirePackages(packages: AccessPackage[]): WireAccessPackage[] {
  return packages.map((p) => ({ urn: p.urn }));
}

function packagesFromWire(packages: WireAccessPackage[] | undefined | null): AccessPackage[] {
  return (packages ?? []).map((p) => ({ urn: p.urn }));
}

/**
 * The body of the create and of the full PUT: every field, always. PUT replaces the whole system (an omitted
 * list becomes empty, an omitted `isVisible` true: `SystemRegisterService`), so nothing declared may be left out. Hints such as
 * `isAssignable` are not sent.
 */
export function systemPayload(s: SystemInputs): WireSystem {
  return {
    id: s.systemId,
    vendor: { ID: `0192:${s.vendorOrgNo}` },
    name: { nb: s.name.nb, nn: s.name.nn, en: s.name.en },
    description: { nb: s.description.nb, nn: s.description.nn, en: s.description.en },
    rights: wireRights(s.rights),
    accessPackages: wirePackages(s.accessPackages),
    clientId: [...s.clientIds],
    isVisible: s.isVisible,
    allowedRedirectUrls: [...s.allowedRedirectUrls],
  };
}

export function systemFromWire(w: WireSystem): LiveSystem {
  const text = (t: Record<string, string> | undefined): LocalizedText => ({ nb: t?.nb ?? "", nn: t?.nn ?? "", en: t?.en ?? "" });
  return {
    systemId: w.id,
    vendorOrgNo: (w.vendor?.ID ?? "").split(":").pop() ?? "",
    name: text(w.name),
    description: text(w.description),
    rights: rightsFromWire(w.rights),
    accessPackages: packagesFromWire(w.accessPackages),
    clientIds: w.clientId ?? [],
    allowedRedirectUrls: w.allowedRedirectUrls ?? [],
    isVisible: w.isVisible ?? true,
    isDeleted: w.isDeleted === true,
  };
}

/** A request's body; `externalRef` is always sent and never empty (an empty one defeats the key: README "SystemUserRequest"). */
export function requestPayload(kind: RequestKind, r: RequestInputs): WireRequestBody {
  const body: WireRequestBody = {
    systemId: r.systemId,
    partyOrgNo: r.partyOrgNo,
    externalRef: r.externalRef,
    accessPackages: wirePackages(r.accessPackages),
  };
  if (kind === "SystemUserRequest") body.rights = wireRights(r.rights ?? []);
  if (r.integrationTitle !== undefined) body.integrationTitle = r.integrationTitle.trim();
  if (r.redirectUrl !== undefined) body.redirectUrl = r.redirectUrl;
  return body;
}

export function requestFromWire(w: WireRequest): LiveRequest {
  const out: LiveRequest = {
    requestId: w.id,
    systemId: w.systemId,
    partyOrgNo: w.partyOrgNo,
    externalRef: w.externalRef ?? w.partyOrgNo,
    rights: rightsFromWire(w.rights),
    accessPackages: packagesFromWire(w.accessPackages),
    status: w.status,
    timedOut: w.timedOut === true,
    escalated: w.escalated === true,
  };
  if (w.integrationTitle != null) out.integrationTitle = w.integrationTitle;
  if (w.redirectUrl != null && w.redirectUrl !== "") out.redirectUrl = w.redirectUrl;
  if (w.confirmUrl != null && w.confirmUrl !== "") out.confirmUrl = w.confirmUrl;
  if (w.created != null) out.created = w.created;
  return out;
}

export function systemUserFromWire(w: WireSystemUser): ListedSystemUser {
  return {
    systemUserId: w.id,
    systemId: w.systemId ?? "",
    partyOrgNo: w.reporteeOrgNo ?? "",
    externalRef: w.externalRef ?? w.reporteeOrgNo ?? "",
    userType: w.userType ?? "standard",
    ...(w.integrationTitle != null ? { integrationTitle: w.integrationTitle } : {}),
    ...(w.created != null ? { created: w.created } : {}),
  };
}

/**
 * The continuation token of a `links.next` URL. The link is absolute on the host that answered, which behind
 * Altinn's gateway need not be the one configured, so only its `token` is taken and the configured base used.
 */
export function nextPageToken(next: string | null | undefined): string | undefined {
  if (!next) return undefined;
  try {
    return new URL(next, "http://relative.invalid").searchParams.get("token") || undefined;
  } catch {
    return undefined;
  }
}

export function changeRequestPayload(body: ChangeRequestBody): Record<string, unknown> {
  return {
    requiredRights: wireRights(body.requiredRights),
    unwantedRights: wireRights(body.unwantedRights),
    requiredAccessPackages: wirePackages(body.requiredAccessPackages),
    unwantedAccessPackages: wirePackages(body.unwantedAccessPackages),
    ...(body.redirectUrl !== undefined && { redirectUrl: body.redirectUrl }),
  };
}

/** Whether a change-request answer is the one just posted: same id, system user and lists ("NoChangeNeeded" is). */
export function answersChangeRequest(w: WireChangeRequest, correlationId: string, systemUserId: string, body: ChangeRequestBody): boolean {
  if (w.status === "NoChangeNeeded") return true;
  if ((w.id || correlationId).toLowerCase() !== correlationId.toLowerCase()) return false;
  if (w.systemUserId && w.systemUserId.toLowerCase() !== systemUserId.toLowerCase()) return false;
  const rightsKey = (rs: WireRight[] | undefined) =>
    JSON.stringify(
      (rs ?? [])
        .map((r) =>
          r.resource
            .map((a) => `${a.id}=${a.value}`)
            .sort()
            .join("&"),
        )
        .sort(),
    );
  const urns = (ps: WireAccessPackage[] | undefined) => JSON.stringify((ps ?? []).map((p) => p.urn).sort());
  const sent = changeRequestPayload(body) as {
    requiredRights: WireRight[];
    unwantedRights: WireRight[];
    requiredAccessPackages: WireAccessPackage[];
    unwantedAccessPackages: WireAccessPackage[];
  };
  return (
    rightsKey(w.requiredRights) === rightsKey(sent.requiredRights) &&
    rightsKey(w.unwantedRights) === rightsKey(sent.unwantedRights) &&
    urns(w.requiredAccessPackages) === urns(sent.requiredAccessPackages) &&
    urns(w.unwantedAccessPackages) === urns(sent.unwantedAccessPackages)
  );
}

export function changeRequestFromWire(w: WireChangeRequest): LiveChangeRequest {
  return { changeRequestId: w.id, status: w.status, ...(w.confirmUrl ? { confirmUrl: w.confirmUrl } : {}) };
}
