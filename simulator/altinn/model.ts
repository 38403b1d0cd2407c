import type { Slice } from "../core/store";
import type { SimContext } from "../context";
import type { SeedAccessPackage, SeedResource } from "../seed/schema";

// The Altinn side's data (Altinn/altinn-authentication's controllers and models): registered systems (with their change log), system user
// requests (standard and agent), change requests and system users, each in its own store slice so that
// --state keeps them and POST /_sim/reset forgets them. The views below give the wire shapes (`RegisterSystemRequest`, `RegisteredSystemResponse`,
// `RequestSystemResponse`, `CreateAgentRequestSystemUser`, `SystemUserController`, `ChangeRequestSystemUserController`): camelCase, null-valued members left out.

export interface AttributePair {
  id: string;
  value: string;
}

export interface Right {
  action?: string;
  resource: AttributePair[];
}

export interface PackageRef {
  urn: string;
}

export type ChangeType = "create" | "update" | "rightsupdate" | "accesspackageupdate" | "delete";

export interface ChangeLogEntry {
  systemInternalId: string;
  changedByOrgNumber: string;
  changeType: ChangeType;
  changedData: unknown;
  clientId: string;
  created: string;
}

export interface SystemRecord {
  internalId: string;
  id: string;
  vendorOrgNo: string;
  name: Record<string, string>;
  description: Record<string, string>;
  rights: Right[];
  accessPackages: PackageRef[];
  /** Stored as NULL (sent as `null`): GET leaves `accessPackages` out. */
  accessPackagesNull?: boolean;
  clientId: string[];
  isVisible: boolean;
  allowedRedirectUrls: string[];
  isDeleted: boolean;
  created: string;
  changelog: ChangeLogEntry[];
}

export type RequestStatus = "New" | "Accepted" | "Rejected" | "Denied" | "Timedout";
export type RequestKind = "standard" | "agent";

export interface RequestRecord {
  id: string;
  kind: RequestKind;
  externalRef: string;
  systemId: string;
  partyOrgNo: string;
  integrationTitle?: string;
  rights: Right[];
  accessPackages: PackageRef[];
  status: RequestStatus;
  redirectUrl?: string;
  escalated: boolean;
  created: string;
  isDeleted: boolean;
  /** The system user created when the customer accepted. */
  systemUserId?: string;
}

export interface SystemUserRecord {
  id: string;
  integrationTitle: string;
  systemId: string;
  systemInternalId: string;
  reporteeOrgNo: string;
  created: string;
  isDeleted: boolean;
  supplierOrgno: string;
  externalRef: string;
  userType: RequestKind;
  /** What the customer delegated (not visible to the vendor; shown by GET /_sim/systemusers). */
  rights: Right[];
  accessPackages: PackageRef[];
  /** Altinn's internal sequence number: the order of the vendor listing. */
  sequence: number;
}

export type ChangeRequestStatus = RequestStatus | "NoChangeNeeded";

export interface ChangeRequestRecord {
  id: string;
  systemUserId: string;
  externalRef: string;
  systemId: string;
  partyOrgNo: string;
  requiredRights: Right[];
  unwantedRights: Right[];
  requiredAccessPackages: PackageRef[];
  unwantedAccessPackages: PackageRef[];
  status: ChangeRequestStatus;
  redirectUrl?: string;
  created: string;
  isDeleted: boolean;
}

export interface AltinnSettings {
  /** Report `status: "Timedout"` for New requests older than 10 days (builds before 2025-11-20) instead of only `timedOut` after 180 days. */
  legacyTimeout: boolean;
  /** Page size of the bysystem lists (PaginationOptions:Size; 50 in the repo's default appsettings). */
  pageSize: number;
}

export const DEFAULT_SETTINGS: AltinnSettings = { legacyTimeout: false, pageSize: 50 };

const DAY_MS = 86_400_000;
/** Current builds: `timedOut` becomes true 180 days after creation (`RequestStatus`, `Archiver.cs`). */
export const TIMEOUT_DAYS = 180;
/** Builds before 2025-11-20: status read as Timedout once a New request was 10 days old. */
export const LEGACY_TIMEOUT_DAYS = 10;

/** Resource types the system register accepts in rights (`SystemRegisterController` create); others (MaskinportenSchema, Altinn2Service, Consent) → AUTH.VLD-00017. */
const DELEGABLE_RESOURCE_TYPES = new Set([
  "default",
  "systemresource",
  "altinnapp",
  "genericaccessresource",
  "brokerservice",
  "correspondenceservice",
  "migratedapp",
]);

const indexKey = (systemId: string, orgNo: string, externalRef: string) => `${systemId}\u0000${orgNo}\u0000${externalRef}`;

function push<T>(m: Map<string, T[]>, key: string, v: T): void {
  const list = m.get(key);
  if (list) list.push(v);
  else m.set(key, [v]);
}

export class AltinnState {
  readonly systems: Slice<Record<string, SystemRecord>>;
  readonly requests: Slice<Record<string, RequestRecord>>;
  readonly changeRequests: Slice<Record<string, ChangeRequestRecord>>;
  readonly systemUsers: Slice<Record<string, SystemUserRecord>>;
  readonly settings: Slice<AltinnSettings>;

  constructor(private readonly ctx: SimContext) {
    const record = <T>(name: string) =>
      ctx.store.define<Record<string, T>>(name, {
        initial: () => ({}),
        parse: (raw) => {
          if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error("expected an object");
          return raw as Record<string, T>;
        },
      });
    this.systems = record<SystemRecord>("altinn.systems");
    this.requests = record<RequestRecord>("altinn.requests");
    this.changeRequests = record<ChangeRequestRecord>("altinn.changeRequests");
    this.systemUsers = record<SystemUserRecord>("altinn.systemUsers");
    this.settings = ctx.store.define<AltinnSettings>("altinn.settings", {
      initial: () => ({ ...DEFAULT_SETTINGS }),
      parse: (raw) => ({ ...DEFAULT_SETTINGS, ...(raw as Partial<AltinnSettings>) }),
    });
  }

  changed(): void {
    this.generation++;
    this.ctx.store.changed();
  }

  /** Bumped by every change that a module reports (`changed`) and every record added. */
  private generation = 0;
  private readonly lists = new Map<string, { generation: number; of: [object, object]; value: unknown[] }>();

  /**
   * A list that a paged endpoint serves page by page (all of a system's requests, sorted), built once and kept
   * until the next change: a client that follows 200 pages of 50 does not make the simulator sort 10,000 records
   * 200 times. `build` must depend only on the stored records.
   */
  cachedList<T>(key: string, build: () => T[]): T[] {
    const hit = this.lists.get(key);
    if (hit && hit.generation === this.generation && hit.of[0] === this.requests.value && hit.of[1] === this.systemUsers.value)
      return hit.value as T[];
    const value = build();
    this.lists.set(key, { generation: this.generation, of: [this.requests.value, this.systemUsers.value], value });
    return value;
  }

  system(id: string): SystemRecord | undefined {
    return Object.hasOwn(this.systems.value, id) ? this.systems.value[id] : undefined;
  }

  /** The non-deleted system a Maskinporten client id is attached to (a client id belongs to at most one). */
  systemWithClientId(clientId: string, exceptSystemId?: string): SystemRecord | undefined {
    const wanted = clientId.toLowerCase();
    return Object.values(this.systems.value).find(
      (s) => !s.isDeleted && s.id !== exceptSystemId && s.clientId.some((c) => c.toLowerCase() === wanted),
    );
  }

  request(id: string): RequestRecord | undefined {
    return Object.hasOwn(this.requests.value, id) ? this.requests.value[id] : undefined;
  }

  /**
   * The non-deleted request of this kind with the key (systemId, partyOrgNo, externalRef); the newest when there
   * are several (possible only with the legacy time-out, where a timed-out key may be requested again).
   */
  requestByKey(kind: RequestKind, systemId: string, partyOrgNo: string, externalRef: string): RequestRecord | undefined {
    const all = this.index().requests.get(indexKey(systemId, partyOrgNo, externalRef)) ?? [];
    return all.findLast((r) => !r.isDeleted && r.kind === kind);
  }

  /** Stores a new request (and indexes it by key). */
  addRequest(r: RequestRecord): void {
    this.requests.value[r.id] = r;
    this.generation++;
    const i = this.index();
    push(i.requests, indexKey(r.systemId, r.partyOrgNo, r.externalRef), r);
  }

  /** Stores a new system user (and indexes it by key). */
  addSystemUser(u: SystemUserRecord): void {
    this.systemUsers.value[u.id] = u;
    this.generation++;
    const i = this.index();
    push(i.systemUsers, indexKey(u.systemId, u.reporteeOrgNo, u.externalRef), u);
    i.maxSequence = Math.max(i.maxSequence, u.sequence);
  }

  /**
   * Requests and system users by key, so that a POST costs the same with 10 or 10,000 requests stored. Built from
   * the slices on first use and again whenever a slice's value was replaced (a reset, a state file read back);
   * records are only ever added through addRequest/addSystemUser, and their keys never change (deletion is a flag).
   */
  private cache?: {
    of: [Record<string, RequestRecord>, Record<string, SystemUserRecord>];
    requests: Map<string, RequestRecord[]>;
    systemUsers: Map<string, SystemUserRecord[]>;
    maxSequence: number;
  };

  private index(): NonNullable<AltinnState["cache"]> {
    const c = this.cache;
    if (c && c.of[0] === this.requests.value && c.of[1] === this.systemUsers.value) return c;
    const requests = new Map<string, RequestRecord[]>();
    const systemUsers = new Map<string, SystemUserRecord[]>();
    let maxSequence = 0;
    for (const r of Object.values(this.requests.value)) push(requests, indexKey(r.systemId, r.partyOrgNo, r.externalRef), r);
    for (const u of Object.values(this.systemUsers.value)) {
      push(systemUsers, indexKey(u.systemId, u.reporteeOrgNo, u.externalRef), u);
      maxSequence = Math.max(maxSequence, u.sequence);
    }
    this.cache = { of: [this.requests.value, this.systemUsers.value], requests, systemUsers, maxSequence };
    return this.cache;
  }

  changeRequest(id: string): ChangeRequestRecord | undefined {
    return Object.hasOwn(this.changeRequests.value, id) ? this.changeRequests.value[id] : undefined;
  }

  systemUser(id: string): SystemUserRecord | undefined {
    return Object.hasOwn(this.systemUsers.value, id) ? this.systemUsers.value[id] : undefined;
  }

  /** The non-deleted system user (any type) with the key (systemId, owner orgno, externalRef). */
  systemUserByKey(systemId: string, reporteeOrgNo: string, externalRef: string): SystemUserRecord | undefined {
    return (this.index().systemUsers.get(indexKey(systemId, reporteeOrgNo, externalRef)) ?? []).find((u) => !u.isDeleted);
  }

  nextSystemUserSequence(): number {
    return this.index().maxSequence + 1;
  }

  // --- time-out (`RequestStatus`, `Archiver.cs`) ---

  timedOut(created: string): boolean {
    return this.ctx.clock.now() - Date.parse(created) > TIMEOUT_DAYS * DAY_MS;
  }

  /** The status as the API reports it: stored status, or Timedout for an old New request under the legacy setting. */
  readStatus<S extends string>(r: { status: S; created: string }): S | "Timedout" {
    if (
      this.settings.value.legacyTimeout &&
      r.status === "New" &&
      this.ctx.clock.now() - Date.parse(r.created) > LEGACY_TIMEOUT_DAYS * DAY_MS
    ) {
      return "Timedout";
    }
    return r.status;
  }

  /** True when the customer can no longer act on the request (see README: time-out). */
  expired(r: { status: string; created: string }): boolean {
    return this.readStatus(r) === "Timedout" || this.timedOut(r.created);
  }

  // --- seed metadata: Resource Registry and Access Management ---

  resource(identifier: string): SeedResource | undefined {
    return this.ctx.seed.resources.find((r) => r.identifier === identifier);
  }

  accessPackage(urn: string): SeedAccessPackage | undefined {
    return this.ctx.seed.accessPackages.find((p) => p.urn === urn);
  }
}

export function isDelegableResourceType(resourceType: string): boolean {
  return DELEGABLE_RESOURCE_TYPES.has(resourceType.toLowerCase());
}

// --- confirm URLs (the /am prefix stands for https://am.ui.tt02.altinn.no) ---

export type ConfirmPage = "request" | "agentrequest" | "changerequest";

export function confirmPath(page: ConfirmPage): string {
  return `/am/accessmanagement/ui/systemuser/${page}`;
}

export function confirmUrl(ctx: SimContext, page: ConfirmPage, id: string): string {
  return `${ctx.url()}${confirmPath(page)}?id=${encodeURIComponent(id)}&DONTCHOOSEREPORTEE=true`;
}

// --- wire views ---

export function rightView(r: Right): Record<string, unknown> {
  return { ...(r.action != null ? { action: r.action } : {}), resource: r.resource.map((a) => ({ id: a.id, value: a.value })) };
}

export function packageView(p: PackageRef): PackageRef {
  return { urn: p.urn };
}

/** GET systemregister/vendor/{id}: the full model, soft-deleted systems included. */
export function systemView(s: SystemRecord): Record<string, unknown> {
  return {
    id: s.id,
    vendor: { ID: `0192:${s.vendorOrgNo}` },
    name: { ...s.name },
    description: { ...s.description },
    rights: s.rights.map(rightView),
    ...(s.accessPackagesNull ? {} : { accessPackages: s.accessPackages.map(packageView) }),
    isVisible: s.isVisible,
    isDeleted: s.isDeleted,
    clientId: [...s.clientId],
    allowedRedirectUrls: [...s.allowedRedirectUrls],
  };
}

/** GET systemregister/vendor: the summary shape (no clientId, allowedRedirectUrls, isDeleted). */
export function systemListItem(s: SystemRecord): Record<string, unknown> {
  return {
    systemId: s.id,
    systemVendorOrgNumber: s.vendorOrgNo,
    systemVendorOrgName: "",
    name: { ...s.name },
    description: { ...s.description },
    rights: s.rights.map(rightView),
    ...(s.accessPackagesNull ? {} : { accessPackages: s.accessPackages.map(packageView) }),
    isVisible: s.isVisible,
  };
}

export interface RequestViewOptions {
  /** Single reads and creates carry confirmUrl; list items do not. */
  withConfirmUrl: boolean;
  /** The vendor single-GET paths do not copy `escalated` (always false there); lists carry the stored value. */
  storedEscalated: boolean;
}

export function requestView(ctx: SimContext, state: AltinnState, r: RequestRecord, o: RequestViewOptions): Record<string, unknown> {
  const agent = r.kind === "agent";
  return {
    id: r.id,
    // A NULL column reads back as "" (`RequestSystemUserService.CreateRequest`).
    integrationTitle: r.integrationTitle ?? "",
    externalRef: r.externalRef,
    systemId: r.systemId,
    partyOrgNo: r.partyOrgNo,
    ...(agent ? {} : { rights: r.rights.map(rightView) }),
    accessPackages: r.accessPackages.map(packageView),
    status: state.readStatus(r),
    ...(r.redirectUrl != null ? { redirectUrl: r.redirectUrl } : {}),
    ...(o.withConfirmUrl ? { confirmUrl: confirmUrl(ctx, agent ? "agentrequest" : "request", r.id) } : {}),
    escalated: o.storedEscalated ? r.escalated : false,
    created: r.created,
    timedOut: state.timedOut(r.created),
  };
}

export function changeRequestView(
  ctx: SimContext,
  state: AltinnState,
  c: ChangeRequestRecord,
  withConfirmUrl: boolean,
): Record<string, unknown> {
  return {
    id: c.id,
    externalRef: c.externalRef,
    systemId: c.systemId,
    systemUserId: c.systemUserId,
    partyOrgNo: c.partyOrgNo,
    requiredRights: c.requiredRights.map(rightView),
    unwantedRights: c.unwantedRights.map(rightView),
    requiredAccessPackages: c.requiredAccessPackages.map(packageView),
    unwantedAccessPackages: c.unwantedAccessPackages.map(packageView),
    status: c.status === "NoChangeNeeded" ? c.status : state.readStatus(c as { status: RequestStatus; created: string }),
    ...(c.redirectUrl != null ? { redirectUrl: c.redirectUrl } : {}),
    ...(withConfirmUrl ? { confirmUrl: c.status === "NoChangeNeeded" ? "" : confirmUrl(ctx, "changerequest", c.id) } : {}),
    created: c.created,
    timedOut: state.timedOut(c.created),
  };
}

/** The vendor's view of a system user (`SystemUserController`, since Nov 2025). */
export function systemUserView(u: SystemUserRecord): Record<string, unknown> {
  return {
    id: u.id,
    integrationTitle: u.integrationTitle,
    systemId: u.systemId,
    productName: "",
    reporteeOrgNo: u.reporteeOrgNo,
    created: u.created,
    isDeleted: u.isDeleted,
    supplierName: "",
    supplierOrgno: u.supplierOrgno,
    externalRef: u.externalRef,
    userType: u.userType,
  };
}

/** Two rights name the same thing: the same attribute set (same count, same id/value pairs); `action` ignored (`RequestSystemUserService.CreateRequest`). */
export function sameAttributes(a: Right, b: Right): boolean {
  if (a.resource.length !== b.resource.length) return false;
  const key = (p: AttributePair) => `${p.id}\u0000${p.value}`;
  const bs = new Set(b.resource.map(key));
  const as = new Set(a.resource.map(key));
  return as.size === bs.size && [...as].every((k) => bs.has(k));
}
