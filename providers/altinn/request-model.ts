import { z } from "zod";
import { containsUnknown, defined, isUnknown, textFailures, type Failure } from "../core/check";
import {
  accessPackage,
  accessPackages,
  once,
  describeRight,
  failuresFrom,
  field,
  isAssignable,
  orgNo,
  passingItems,
  redirectUrlMatches,
  offeredRight,
  rightAttributesKey,
  rights,
  strictObject,
  text,
  url,
  type AccessPackage,
  type Right,
} from "./model";
import { parseSystemId, systemIdProblems } from "./system-model";

/**
 * Pure decisions about system user requests (systembrukerforespørsler; altinn-authentication
 * `RequestSystemUserController`): validation,
 * the request key, the diff, and the plan for a changed request given what Altinn has now (a function from the
 * live state and the desired state to what to do, the reconciler's way).
 */

export type RequestKind = "SystemUserRequest" | "AgentSystemUserRequest";

/**
 * What the system declares, copied from the System resource's outputs so `check` can compare offline: requested
 * rights and packages must be among the system's, the redirect URL one of its allowed URLs. Never sent.
 */
export interface SystemOffer {
  rights?: Right[];
  accessPackages?: AccessPackage[];
  allowedRedirectUrls?: string[];
}

/** The three values Altinn keys a request on (`RequestSystemUserService`, README "SystemUserRequest"). */
export interface RequestKey {
  systemId: string;
  /** The customer (for an agent request: the facilitator, e.g. the accounting firm). */
  partyOrgNo: string;
  externalRef: string;
}

export interface RequestInputs extends RequestKey {
  /** The system user's display name; Altinn defaults it to the system's `nb` name. */
  integrationTitle?: string;
  /** Standard requests only. */
  rights?: Right[];
  accessPackages: AccessPackage[];
  /** Where the customer lands after answering; must be one of the system's allowedRedirectUrls. */
  redirectUrl?: string;
  systemOffer?: SystemOffer;
}

/** Statuses as Altinn spells them (`RequestStatus`); `Timedout` only from builds before 2025-11-20. */
export type RequestStatus = "New" | "Accepted" | "Rejected" | "Denied" | "Timedout";

/** A request as the vendor GETs it, in input terms. */
export interface LiveRequest extends RequestKey {
  requestId: string;
  integrationTitle?: string;
  rights: Right[];
  accessPackages: AccessPackage[];
  redirectUrl?: string;
  status: string;
  confirmUrl?: string;
  created?: string;
  timedOut: boolean;
  /** A customer user without access-manager rights forwarded the request to the organisation's access managers. */
  escalated: boolean;
}

/** A system user as the vendor's `systemuser/vendor/bysystem` list shows it (Altinn/altinn-authentication, SystemUserController). */
export interface ListedSystemUser {
  systemUserId: string;
  systemId: string;
  /** The owner: the customer (for an agent system user, the facilitator). */
  partyOrgNo: string;
  externalRef: string;
  /** `standard` or `agent`. */
  userType: string;
  integrationTitle?: string;
  created?: string;
}

export interface LiveSystemUser {
  systemUserId: string;
  userType?: string;
}

export interface LiveChangeRequest {
  changeRequestId: string;
  status: string;
  confirmUrl?: string;
}

/** What Altinn has for a key now. */
export interface LiveRequestState {
  request?: LiveRequest;
  systemUser?: LiveSystemUser;
  /** The latest change request this resource made, if it still exists. */
  changeRequest?: LiveChangeRequest;
}

export interface ChangeRequestBody {
  requiredRights: Right[];
  unwantedRights: Right[];
  requiredAccessPackages: AccessPackage[];
  unwantedAccessPackages: AccessPackage[];
  redirectUrl?: string;
}

export interface RequestOutputs extends RequestKey {
  integrationTitle?: string;
  /** What was last asked for (once accepted: by the request and any change request since). */
  rights?: Right[];
  accessPackages: AccessPackage[];
  redirectUrl?: string;
  /** The request's id ("" for a system user adopted without a request). */
  requestId: string;
  status: string;
  /** The page the vendor sends the customer to approve the request ("" when there is none). */
  confirmUrl: string;
  /** true when the request is older than Altinn's time-out (180 days); the status is left as it was. */
  timedOut: boolean;
  /**
   * true when a customer user without access-manager rights forwarded the request to the organisation's access
   * managers (Altinn's single reads have been seen to report false: simulator/README.md).
   */
  escalated: boolean;
  created?: string;
  /** The system user, once the customer has accepted. */
  systemUserId?: string;
  changeRequestId?: string;
  changeRequestStatus?: string;
  changeRequestConfirmUrl?: string;
}

export interface RequestCheckOptions {
  configuredVendor?: string;
}

/**
 * Validates and completes a request's inputs offline: the key (system id format, a valid customer orgno, a
 * non-empty URL-safe externalRef defaulting to the customer orgno), rights and packages, and, where the system's
 * own declarations are given and known, the subset rules Altinn applies. Unknown values are not judged.
 */
/** Request inputs checked, text fields included (`textFailures`: control characters, line breaks, lengths). */
export function checkRequestInputs(
  kind: RequestKind,
  raw: Record<string, unknown>,
  opts: RequestCheckOptions = {},
): { inputs: RequestInputs; failures: Failure[] } {
  const result = checkRequestInputsAsDeclared(kind, raw, opts);
  const text = textFailures(raw, {}).filter((t) => !result.failures.some((f) => f.property === t.property));
  return text.length ? { ...result, failures: [...result.failures, ...text] } : result;
}

function checkRequestInputsAsDeclared(
  kind: RequestKind,
  raw: Record<string, unknown>,
  opts: RequestCheckOptions,
): { inputs: RequestInputs; failures: Failure[] } {
  const news = Object.fromEntries(Object.entries(raw).filter(([k]) => !k.startsWith("__")));
  const parsed = requestSchema(kind, opts).safeParse(news);
  if (!parsed.success) return { inputs: news as unknown as RequestInputs, failures: failuresFrom(parsed.error) };
  const r = parsed.data;
  // The system's offer is judged and then left out: the inputs (what the state records, what a preview's diff
  // shows, what a saved plan holds) say what is asked of the customer, not everything the system offers.
  const inputs = defined({
    systemId: r.systemId,
    partyOrgNo: r.partyOrgNo,
    externalRef: r.externalRef ?? r.partyOrgNo, // Altinn's own default; written out so the key is explicit in the state.
    integrationTitle: r.integrationTitle,
    rights: r.rights,
    accessPackages: r.accessPackages,
    redirectUrl: r.redirectUrl,
  }) as RequestInputs;
  return { inputs, failures: [] };
}

/** What the System offers, as its outputs give it; judged by the System's own check, so only its shape matters. */
const systemOffer: z.ZodType<SystemOffer> = strictObject(
  {
    rights: z
      .unknown()
      .optional()
      .transform((v) => passingItems(offeredRight, v)),
    accessPackages: z
      .unknown()
      .optional()
      .transform((v) => passingItems(accessPackage(true, "ignore"), v)),
    allowedRedirectUrls: z
      .unknown()
      .optional()
      .transform((v) => (isUnknown(v) || Array.isArray(v) ? (v as string[]) : undefined)),
  },
  { notObject: () => "must be {rights, accessPackages, allowedRedirectUrls}, as the System's outputs give them" },
).transform((o) => defined(o) as SystemOffer);

const requestSchema = once((kind: RequestKind, opts: RequestCheckOptions) => {
  const agent = kind === "AgentSystemUserRequest";
  const shape = {
    systemId: field(
      text("the System's systemId").superRefine((systemId, ctx) => {
        const problems = systemIdProblems(systemId);
        problems.forEach((p) => ctx.addIssue(p.reason));
        const vendor = parseSystemId(systemId)?.vendorOrgNo;
        if (!problems.length && opts.configuredVendor && vendor !== opts.configuredVendor)
          ctx.addIssue(notConfiguredVendor(vendor, opts.configuredVendor));
      }),
    ),
    partyOrgNo: field(orgNo(agent ? "the facilitator's organisation number" : "the customer's organisation number")),
    externalRef: field(
      text("your own reference for this customer's system user (defaults to partyOrgNo)")
        .superRefine((ref, ctx) => externalRefProblems(ref).forEach((p) => ctx.addIssue(p)))
        .optional(),
    ),
    // Altinn trims the title; trimmed here so that the state says what Altinn keeps.
    integrationTitle: field(
      text()
        .transform((t) => t.trim())
        .optional(),
    ),
    rights: agent
      ? // Not a field of agent requests: said so, whatever its value, instead of "unknown field".
        z
          .unknown()
          .optional()
          .transform((v, ctx) => {
            if (v !== undefined) ctx.addIssue(agentRights);
            return undefined;
          })
      : field(rights("rights").default([])),
    accessPackages: field(accessPackages("accessPackages", false).default([])),
    redirectUrl: field(url(["https", "http"]).optional()),
    systemOffer: field(systemOffer.optional()),
  };
  return strictObject(shape, { notObject: () => "must be a request's inputs" }).superRefine((r, ctx) => requestRules(agent, r, ctx), {
    when: () => true,
  });
});

const agentRights =
  "agent system users get access packages only (Altinn ignores rights on agent requests): remove rights, or use a SystemUserRequest";

/** Characters that cannot travel in the `byexternalref/{systemId}/{orgNo}/{externalRef}` path segment. */
// eslint-disable-next-line no-control-regex -- the control characters are what this refuses
const externalRefUnsafe = /[/\\?#%\u0000-\u001f]/;

function externalRefProblems(ref: string): string[] {
  const out: string[] = [];
  if (ref !== ref.trim()) out.push(`"${ref}" has leading or trailing spaces: Altinn trims them, which changes the key; remove them`);
  if (externalRefUnsafe.test(ref))
    out.push(`"${ref}" contains / \\ ? # % or a control character: it travels in URL paths; use letters, digits, _ - . or :`);
  if (ref.length > 255) out.push(`is ${ref.length} characters long; Altinn stores at most 255`);
  return out;
}

function notConfiguredVendor(vendor: string | undefined, configured: string): string {
  return `belongs to vendor ${vendor}, but the configured vendor (digdir:orgNo) is ${configured}: a vendor can only request system users for its own systems`;
}

interface ParsedRequest {
  rights?: unknown;
  accessPackages?: AccessPackage[];
  redirectUrl?: string;
  systemOffer?: SystemOffer;
}

/** The rules across fields: at least one right or package, none a client package, all among the system's offer. */
function requestRules(agent: boolean, r: ParsedRequest, ctx: z.RefinementCtx): void {
  const add = (path: PropertyKey[], message: string) => ctx.addIssue({ code: "custom", path, message });
  const packages = r.accessPackages;
  const rights = agent ? undefined : (r.rights as Right[] | undefined);
  if (agent) {
    if (Array.isArray(packages) && packages.length === 0) add(["accessPackages"], noAgentPackage);
  } else {
    if (Array.isArray(rights) && Array.isArray(packages) && rights.length === 0 && packages.length === 0)
      add(["rights"], "a request needs at least one right or access package (Altinn: AUTH-00059)");
    if (Array.isArray(packages)) {
      packages.forEach((p, i) => {
        if (isUnknown(p) || isUnknown(p.urn)) return;
        if (!isAssignable(offerPackage(r.systemOffer, p.urn) ?? p)) add(["accessPackages", i], clientPackageInStandardRequest(p.urn));
      });
    }
  }
  for (const f of offerFailures({ rights, accessPackages: packages, redirectUrl: r.redirectUrl }, r.systemOffer)) add(f.path, f.message);
}

const noAgentPackage =
  "an agent system user needs at least one access package (a client package such as urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet)";

function clientPackageInStandardRequest(urn: string): string {
  return `${urn} is a client package, not assignable to a standard system user (Altinn: AUTH-00064): request it with an AgentSystemUserRequest`;
}

function offerPackage(offer: SystemOffer | undefined, urn: string): AccessPackage | undefined {
  const packages = offer?.accessPackages;
  if (!packages || isUnknown(packages)) return undefined;
  return packages.find((p) => !isUnknown(p) && p.urn === urn);
}

/**
 * Altinn's subset rules for a request (altinn-authentication `RequestSystemUserService`: AUTH-00001, AUTH-00063,
 * AUTH-00021, AUTH-00026): what is asked must be among what the system offers. Judged only where both sides are known.
 */
function offerFailures(
  asked: { rights?: Right[]; accessPackages?: AccessPackage[]; redirectUrl?: string },
  offer: SystemOffer | undefined,
): Array<{ path: PropertyKey[]; message: string }> {
  const out: Array<{ path: PropertyKey[]; message: string }> = [];
  if (!offer) return out;
  const offeredRights = offer.rights;
  if (Array.isArray(asked.rights) && offeredRights && !containsUnknown(offeredRights)) {
    const keys = new Set(offeredRights.map(rightAttributesKey));
    asked.rights.forEach((r, i) => {
      if (!containsUnknown(r) && !keys.has(rightAttributesKey(r)))
        out.push({ path: ["rights", i], message: rightNotOffered(r, offeredRights) });
    });
  }
  const offeredPackages = offer.accessPackages;
  if (Array.isArray(asked.accessPackages) && offeredPackages && !containsUnknown(offeredPackages)) {
    const urns = new Set(offeredPackages.map((p) => p.urn));
    asked.accessPackages.forEach((p, i) => {
      if (!containsUnknown(p) && !urns.has(p.urn)) out.push({ path: ["accessPackages", i], message: packageNotOffered(p.urn, [...urns]) });
    });
  }
  const allowed = offer.allowedRedirectUrls;
  const url = asked.redirectUrl;
  if (url !== undefined && !isUnknown(url) && allowed && !containsUnknown(allowed)) {
    if (allowed.length === 0) out.push({ path: ["redirectUrl"], message: noRedirectUrls });
    else if (!allowed.some((a) => redirectUrlMatches(url, a)))
      out.push({ path: ["redirectUrl"], message: redirectUrlNotAllowed(url, allowed) });
  }
  return out;
}

function rightNotOffered(r: Right, offered: Right[]): string {
  const on = offered.length ? offered.map(describeRight).join(", ") : "none";
  return `${describeRight(r)} is not among the system's rights (${on}): a request can only ask for rights the System declares; add it there first (Altinn: AUTH-00001)`;
}

function packageNotOffered(urn: string, offered: string[]): string {
  return `${urn} is not among the system's access packages (${offered.length ? offered.join(", ") : "none"}): add it to the System first (Altinn: AUTH-00063)`;
}

const noRedirectUrls =
  "the system has no allowedRedirectUrls: add this URL to the System's allowedRedirectUrls, or leave redirectUrl out (Altinn: AUTH-00026)";

function redirectUrlNotAllowed(url: string, allowed: string[]): string {
  return `${url} is not one of the system's allowedRedirectUrls (${allowed.join(", ")}); scheme, host and path must match, the query is ignored (Altinn: AUTH-00021)`;
}

/** The resource's id: the key, `systemId/partyOrgNo/externalRef`, stable while the request behind it changes. */
export function requestResourceId(key: RequestKey): string {
  return `${key.systemId}/${key.partyOrgNo}/${key.externalRef}`;
}

/** The key from a resource id (for import); undefined when it is not one. */
export function parseRequestResourceId(id: string): RequestKey | undefined {
  const m = /^([^/]+)\/(\d{9})\/(.+)$/.exec(id);
  return m ? { systemId: m[1], partyOrgNo: m[2], externalRef: m[3] } : undefined;
}

/** The confirm page Altinn links to, for when an answer lacks `confirmUrl` (list items do). */
export function confirmUrlFor(kind: RequestKind | "ChangeRequest", uiBase: string, id: string): string {
  const page = kind === "AgentSystemUserRequest" ? "agentrequest" : kind === "ChangeRequest" ? "changerequest" : "request";
  return `${uiBase}/accessmanagement/ui/systemuser/${page}?id=${encodeURIComponent(id)}&DONTCHOOSEREPORTEE=true`;
}
