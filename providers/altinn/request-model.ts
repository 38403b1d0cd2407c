import { containsUnknown, defined, isPlainObject, isUnknown, sameSet, textFailures, type Failure } from "../core/check";
import {
  checkAccessPackages,
  checkRights,
  checkString,
  checkUrl,
  checkOrgNo,
  describeRight,
  Failures,
  isAssignable,
  normaliseRedirectUrl,
  redirectUrlMatches,
  rightAttributesKey,
  rightKey,
  unknownFields,
  type AccessPackage,
  type Right,
} from "./model";
import { parseSystemId, systemIdProblems } from "./system-model";

/**
 * Pure decisions about system user requests (systembrukerforespørsler, altinn-api.md §3, §4, §6): validation,
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

/** The three values Altinn keys a request on (§0 #13). */
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

/** Statuses as Altinn spells them (§3.6); `Timedout` only from builds before 2025-11-20. */
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

const inputFields = [
  "systemId",
  "partyOrgNo",
  "externalRef",
  "integrationTitle",
  "rights",
  "accessPackages",
  "redirectUrl",
  "systemOffer",
] as const;
const agentInputFields = inputFields.filter((f) => f !== "rights");

/** Characters that cannot travel in the `byexternalref/{systemId}/{orgNo}/{externalRef}` path segment. */
// eslint-disable-next-line no-control-regex -- the control characters are what this refuses
const externalRefUnsafe = /[/\\?#%\u0000-\u001f]/;

export interface RequestCheckOptions {
  configuredVendor?: string;
}

/**
 * Validates and completes a request's inputs offline: the key (system id format, a valid customer orgno, a
 * non-empty URL-safe externalRef defaulting to the customer orgno), rights and packages, and, where the system's
 * own declarations are given and known, the subset rules Altinn applies (§3.4). Unknown values are not judged.
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
  const agent = kind === "AgentSystemUserRequest";
  const news = Object.fromEntries(Object.entries(raw).filter(([k]) => !k.startsWith("__")));
  const f = new Failures();
  if (agent && news.rights !== undefined) {
    f.add(
      "rights",
      "agent system users get access packages only (Altinn ignores rights on agent requests): remove rights, or use a SystemUserRequest",
    );
  }
  unknownFields(
    f,
    Object.fromEntries(Object.entries(news).filter(([k]) => !(agent && k === "rights"))),
    agent ? agentInputFields : inputFields,
    "",
  );

  const known = (v: unknown): v is string => typeof v === "string" && !isUnknown(v);
  const systemId = checkString(f, news.systemId, "systemId", { required: true, what: "the System's systemId" });
  if (known(systemId)) {
    const problems = systemIdProblems(systemId);
    problems.forEach((p) => f.add(p.property, p.reason));
    const vendor = parseSystemId(systemId)?.vendorOrgNo;
    if (!problems.length && opts.configuredVendor && vendor !== opts.configuredVendor) {
      f.add(
        "systemId",
        `belongs to vendor ${vendor}, but the configured vendor (digdir:orgNo) is ${opts.configuredVendor}: a vendor can only request system users for its own systems`,
      );
    }
  }
  const partyOrgNo = checkOrgNo(
    f,
    news.partyOrgNo,
    "partyOrgNo",
    agent ? "the facilitator's organisation number" : "the customer's organisation number",
  );

  let externalRef: string | undefined;
  if (news.externalRef === undefined || news.externalRef === null) {
    externalRef = partyOrgNo; // Altinn's own default; written out so the key is explicit in the state.
  } else {
    externalRef = checkString(f, news.externalRef, "externalRef", {
      what: "your own reference for this customer's system user (defaults to partyOrgNo)",
    });
    if (known(externalRef)) {
      if (externalRef !== externalRef.trim())
        f.add("externalRef", `"${externalRef}" has leading or trailing spaces: Altinn trims them, which changes the key; remove them`);
      if (externalRefUnsafe.test(externalRef))
        f.add(
          "externalRef",
          `"${externalRef}" contains / \\ ? # % or a control character: it travels in URL paths; use letters, digits, _ - . or :`,
        );
      if (externalRef.length > 255) f.add("externalRef", `is ${externalRef.length} characters long; Altinn stores at most 255`);
    }
  }

  // Altinn trims the title; trimmed here so that the state says what Altinn keeps.
  const title = news.integrationTitle === undefined ? undefined : checkString(f, news.integrationTitle, "integrationTitle");
  const integrationTitle = known(title) ? title.trim() : title;
  const rights = agent ? undefined : (checkRights(f, news.rights, "rights") ?? []);
  const accessPackages = checkAccessPackages(f, news.accessPackages, "accessPackages", false) ?? [];
  const redirectUrl =
    news.redirectUrl === undefined || news.redirectUrl === null
      ? undefined
      : checkUrl(f, news.redirectUrl, "redirectUrl", ["https", "http"]);
  const systemOffer = checkSystemOffer(f, news.systemOffer);

  if (agent) {
    if (!isUnknown(accessPackages) && accessPackages.length === 0) {
      f.add(
        "accessPackages",
        "an agent system user needs at least one access package (a client package such as urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet)",
      );
    }
  } else {
    if (!isUnknown(rights) && !isUnknown(accessPackages) && rights!.length === 0 && accessPackages.length === 0) {
      f.add("rights", "a request needs at least one right or access package (Altinn: AUTH-00059)");
    }
    if (!isUnknown(accessPackages)) {
      accessPackages.forEach((p, i) => {
        if (isUnknown(p) || isUnknown(p.urn)) return;
        const hint = offerPackage(systemOffer, p.urn);
        if (!isAssignable(hint ?? p)) {
          f.add(
            `accessPackages[${i}]`,
            `${p.urn} is a client package, not assignable to a standard system user (Altinn: AUTH-00064): request it with an AgentSystemUserRequest`,
          );
        }
      });
    }
  }
  subsetFailures(f, { rights, accessPackages, redirectUrl }, systemOffer);

  // The system's offer is judged here and then left out: the inputs (what the state records, what a preview's
  // diff shows, what a saved plan holds) say what is asked of the customer, not everything the system offers.
  const inputs = defined({
    systemId,
    partyOrgNo,
    externalRef,
    integrationTitle,
    rights,
    accessPackages,
    redirectUrl,
  }) as RequestInputs;
  return { inputs, failures: f.list };
}

function checkSystemOffer(f: Failures, v: unknown): SystemOffer | undefined {
  if (v === undefined || v === null) return undefined;
  if (isUnknown(v)) return v as SystemOffer;
  if (!isPlainObject(v)) {
    f.add("systemOffer", "must be {rights, accessPackages, allowedRedirectUrls}, as the System's outputs give them");
    return undefined;
  }
  unknownFields(f, v, ["rights", "accessPackages", "allowedRedirectUrls"], "systemOffer");
  const rights = v.rights === undefined ? undefined : checkRights(new Failures(), v.rights, "systemOffer.rights");
  const accessPackages =
    v.accessPackages === undefined ? undefined : checkAccessPackages(new Failures(), v.accessPackages, "systemOffer.accessPackages", true);
  const urls = v.allowedRedirectUrls;
  const allowedRedirectUrls =
    urls === undefined ? undefined : isUnknown(urls) ? (urls as unknown as string[]) : Array.isArray(urls) ? (urls as string[]) : undefined;
  // The offer comes from a System that validated it; only its shape matters here.
  return defined({ rights, accessPackages, allowedRedirectUrls }) as SystemOffer;
}

function offerPackage(offer: SystemOffer | undefined, urn: string): AccessPackage | undefined {
  const packages = offer?.accessPackages;
  if (!packages || isUnknown(packages)) return undefined;
  return packages.find((p) => !isUnknown(p) && p.urn === urn);
}

/** The subset rules of §3.4, judged only where both sides are known. */
function subsetFailures(
  f: Failures,
  asked: { rights?: Right[]; accessPackages?: AccessPackage[]; redirectUrl?: string },
  offer: SystemOffer | undefined,
): void {
  if (!offer) return;
  const offeredRights = offer.rights;
  if (asked.rights && !isUnknown(asked.rights) && offeredRights && !containsUnknown(offeredRights)) {
    const keys = new Set(offeredRights.map(rightAttributesKey));
    asked.rights.forEach((r, i) => {
      if (containsUnknown(r)) return;
      if (!keys.has(rightAttributesKey(r))) {
        const on = offeredRights.length ? offeredRights.map(describeRight).join(", ") : "none";
        f.add(
          `rights[${i}]`,
          `${describeRight(r)} is not among the system's rights (${on}): a request can only ask for rights the System declares; add it there first (Altinn: AUTH-00001)`,
        );
      }
    });
  }
  const offeredPackages = offer.accessPackages;
  if (asked.accessPackages && !isUnknown(asked.accessPackages) && offeredPackages && !containsUnknown(offeredPackages)) {
    const urns = new Set(offeredPackages.map((p) => p.urn));
    asked.accessPackages.forEach((p, i) => {
      if (containsUnknown(p)) return;
      if (!urns.has(p.urn)) {
        const on = urns.size ? [...urns].join(", ") : "none";
        f.add(
          `accessPackages[${i}]`,
          `${p.urn} is not among the system's access packages (${on}): add it to the System first (Altinn: AUTH-00063)`,
        );
      }
    });
  }
  const allowed = offer.allowedRedirectUrls;
  if (asked.redirectUrl !== undefined && !isUnknown(asked.redirectUrl) && allowed && !containsUnknown(allowed)) {
    if (allowed.length === 0) {
      f.add(
        "redirectUrl",
        "the system has no allowedRedirectUrls: add this URL to the System's allowedRedirectUrls, or leave redirectUrl out (Altinn: AUTH-00026)",
      );
    } else if (!allowed.some((a) => redirectUrlMatches(asked.redirectUrl!, a))) {
      f.add(
        "redirectUrl",
        `${asked.redirectUrl} is not one of the system's allowedRedirectUrls (${allowed.join(", ")}); scheme, host and path must match, the query is ignored (Altinn: AUTH-00021)`,
      );
    }
  }
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

const keyFields = ["systemId", "partyOrgNo", "externalRef"] as const;

function samePackages(a: AccessPackage[] | undefined, b: AccessPackage[] | undefined): boolean {
  return sameSet(
    (a ?? []).map((p) => p.urn),
    (b ?? []).map((p) => p.urn),
  );
}

function sameRights(a: Right[] | undefined, b: Right[] | undefined): boolean {
  return sameSet((a ?? []).map(rightKey), (b ?? []).map(rightKey));
}

function sameRedirect(a: string | undefined, b: string | undefined): boolean {
  return (a === undefined ? null : normaliseRedirectUrl(a)) === (b === undefined ? null : normaliseRedirectUrl(b));
}

/**
 * The diff: a changed key is another request (a replacement; the old one is deleted first, so a forced
 * replacement of the same key works); a key not known yet (a preview) is a change, never on its own a
 * replacement (providers/README.md, "What a preview knows"). Rights and packages are sets. Once accepted, the title and redirect URL
 * no longer matter (a system user has no API to rename it), so changes to them are not reported.
 */
export function requestDiff(
  olds: Partial<RequestOutputs>,
  news: Partial<RequestInputs>,
): { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean } {
  const replaces = keyFields.filter((k) => !isUnknown(news[k]) && olds[k] !== news[k]);
  const changed: string[] = keyFields.filter((k) => isUnknown(news[k]));
  if (containsUnknown(news.rights) || !sameRights(olds.rights, news.rights)) changed.push("rights");
  if (containsUnknown(news.accessPackages) || !samePackages(olds.accessPackages, news.accessPackages)) changed.push("accessPackages");
  if (olds.status !== "Accepted") {
    if (isUnknown(news.integrationTitle) || (news.integrationTitle !== undefined && olds.integrationTitle !== news.integrationTitle))
      changed.push("integrationTitle");
    if (isUnknown(news.redirectUrl) || !sameRedirect(olds.redirectUrl, news.redirectUrl)) changed.push("redirectUrl");
  }
  return { changes: replaces.length > 0 || changed.length > 0, replaces: [...replaces], deleteBeforeReplace: true };
}

/** What Altinn has for a key now. */
export interface LiveRequestState {
  request?: LiveRequest;
  systemUser?: LiveSystemUser;
  /** The latest change request this resource made, if it still exists. */
  changeRequest?: LiveChangeRequest;
}

export type RequestPlan =
  | { action: "none" }
  | { action: "create" }
  | { action: "recreate"; requestId: string; reason: string }
  | { action: "changeRequest"; systemUserId: string; body: ChangeRequestBody; deletePending?: string }
  | { action: "blocked"; reason: string };

/** The status the resource reports: a system user means accepted, whatever became of its request. */
export function effectiveStatus(live: LiveRequestState): string | undefined {
  if (live.systemUser) return "Accepted";
  return live.request?.status;
}

/**
 * What to do to bring a key to the desired state:
 * - nothing at Altinn: create it;
 * - a request not (yet) accepted (New, Rejected, Denied, Timedout) that differs: delete it and post it again, since
 *   a repeated POST answers with the stored request and changes nothing (§0 #14);
 * - accepted (a system user exists) and rights or packages differ: a change request, for standard system users;
 *   agent system users cannot be changed (§4.4), which is refused with what to do instead.
 * `asked` is what this resource last asked for (its outputs); it is the baseline once the request is accepted,
 * because the vendor cannot read a system user's rights.
 */
export function planRequest(
  kind: RequestKind,
  live: LiveRequestState,
  desired: RequestInputs,
  asked?: Pick<RequestOutputs, "rights" | "accessPackages">,
): RequestPlan {
  const status = effectiveStatus(live);
  if (status === undefined) return { action: "create" };
  const agent = kind === "AgentSystemUserRequest";

  if (status === "Accepted") {
    const baseline = asked ?? (live.request ? { rights: live.request.rights, accessPackages: live.request.accessPackages } : undefined);
    // A system user adopted without any request: what it holds cannot be read, so it is taken as desired.
    if (!baseline) return { action: "none" };
    const rightsSame = agent || sameRights(baseline.rights, desired.rights);
    if (rightsSame && samePackages(baseline.accessPackages, desired.accessPackages)) return { action: "none" };
    if (!live.systemUser) {
      // Accepted, yet no system user: it was removed by other means than the customer's delete (which deletes the
      // request too). The request is stale, so it is asked again.
      return { action: "recreate", requestId: live.request!.requestId, reason: "the request was accepted, but its system user is gone" };
    }
    if (agent) {
      return {
        action: "blocked",
        reason:
          `the customer ${desired.partyOrgNo} has accepted this agent system user, and Altinn cannot change an agent system user's access packages ` +
          "(change requests are for standard system users only). To get other packages, declare a new externalRef: that requests a new agent " +
          "system user, and the customer moves its clients over and removes the old one",
      };
    }
    const notWanted = <T>(items: T[], key: (x: T) => string, keep: T[]) => {
      const wanted = new Set(keep.map(key));
      const seen = new Set<string>();
      return items.filter((x) => !wanted.has(key(x)) && !seen.has(key(x)) && seen.add(key(x)));
    };
    const before = {
      rights: [...(baseline.rights ?? []), ...(live.request?.rights ?? [])],
      accessPackages: [...(baseline.accessPackages ?? []), ...(live.request?.accessPackages ?? [])],
    };
    const desiredRights = desired.rights ?? [];
    return {
      action: "changeRequest",
      systemUserId: live.systemUser.systemUserId,
      // The whole desired set is required (approval delegates only what is missing), and everything asked for
      // before but no longer desired is unwanted (approval removes only what is there).
      body: defined({
        requiredRights: desiredRights,
        unwantedRights: notWanted(before.rights, rightKey, desiredRights),
        requiredAccessPackages: desired.accessPackages.map((p) => ({ urn: p.urn })),
        unwantedAccessPackages: notWanted(before.accessPackages, (p) => p.urn, desired.accessPackages).map((p) => ({ urn: p.urn })),
        redirectUrl: desired.redirectUrl,
      }) as ChangeRequestBody,
      deletePending: live.changeRequest?.status === "New" ? live.changeRequest.changeRequestId : undefined,
    };
  }

  const r = live.request!;
  const differences = requestDifferences(r, desired, agent);
  if (!differences.length) return { action: "none" };
  return { action: "recreate", requestId: r.requestId, reason: `the ${r.status} request differs in ${differences.join(", ")}` };
}

/** Which of the request's contents differ from the desired state (a title left out is Altinn's to choose). */
export function requestDifferences(r: LiveRequest, desired: RequestInputs, agent: boolean): string[] {
  const out: string[] = [];
  if (!agent && !sameRights(r.rights, desired.rights)) out.push("rights");
  if (!samePackages(r.accessPackages, desired.accessPackages)) out.push("accessPackages");
  if (desired.integrationTitle !== undefined && r.integrationTitle !== desired.integrationTitle) out.push("integrationTitle");
  if (!sameRedirect(r.redirectUrl, desired.redirectUrl)) out.push("redirectUrl");
  return out;
}

/**
 * The outputs for what Altinn has. Before acceptance the request is the truth; once accepted, what this resource
 * asked for last is kept (the vendor cannot read a system user's rights), and only statuses are refreshed.
 */
export function requestOutputs(
  kind: RequestKind,
  key: RequestKey,
  live: LiveRequestState,
  asked: Partial<RequestOutputs> | undefined,
  confirmUrlFallback: (id: string) => string,
): RequestOutputs {
  const agent = kind === "AgentSystemUserRequest";
  const r = live.request;
  const status = effectiveStatus(live) ?? "";
  const accepted = status === "Accepted";
  const content = accepted && asked ? asked : (r ?? asked ?? {});
  const cr = live.changeRequest;
  return defined({
    systemId: key.systemId,
    partyOrgNo: key.partyOrgNo,
    externalRef: key.externalRef,
    integrationTitle: content.integrationTitle,
    rights: agent ? undefined : (content.rights ?? []),
    accessPackages: (content.accessPackages ?? []).map((p) => ({ urn: p.urn })),
    redirectUrl: content.redirectUrl,
    requestId: r?.requestId ?? asked?.requestId ?? "",
    status,
    confirmUrl: r ? (r.confirmUrl ?? confirmUrlFallback(r.requestId)) : "",
    timedOut: r?.timedOut ?? false,
    escalated: r?.escalated ?? false,
    created: r?.created,
    systemUserId: live.systemUser?.systemUserId,
    // Always present on standard requests ("" when there is none), so a preview does not show them as unknown.
    changeRequestId: agent ? undefined : (cr?.changeRequestId ?? ""),
    changeRequestStatus: agent ? undefined : (cr?.status ?? ""),
    changeRequestConfirmUrl: agent ? undefined : (cr?.confirmUrl ?? ""),
  }) as RequestOutputs;
}

/** The inputs the outputs stand for (for `read`, and so for import). */
export function requestInputsFrom(kind: RequestKind, o: RequestOutputs): RequestInputs {
  return defined({
    systemId: o.systemId,
    partyOrgNo: o.partyOrgNo,
    externalRef: o.externalRef,
    integrationTitle: o.integrationTitle,
    rights: kind === "AgentSystemUserRequest" ? undefined : o.rights,
    accessPackages: o.accessPackages,
    redirectUrl: o.redirectUrl,
  }) as RequestInputs;
}

/** The confirm page Altinn links to, for when an answer lacks `confirmUrl` (list items do). */
export function confirmUrlFor(kind: RequestKind | "ChangeRequest", uiBase: string, id: string): string {
  const page = kind === "AgentSystemUserRequest" ? "agentrequest" : kind === "ChangeRequest" ? "changerequest" : "request";
  return `${uiBase}/accessmanagement/ui/systemuser/${page}?id=${encodeURIComponent(id)}&DONTCHOOSEREPORTEE=true`;
}

/**
 * What deleting the resource leaves behind. Deleting a request never removes a system user, and the vendor has
 * no API to do so: only the customer can, in Altinn.
 */
export function requestDeleteNotice(kind: RequestKind, o: Partial<RequestOutputs>): string | undefined {
  if (o.status !== "Accepted" && !o.systemUserId) return undefined;
  const what = kind === "AgentSystemUserRequest" ? "agent system user" : "system user";
  const id = o.systemUserId ? ` ${o.systemUserId}` : "";
  return (
    `The ${what}${id} of ${o.partyOrgNo} for system ${o.systemId} (externalRef ${o.externalRef}) stays: deleting the request does not remove it, ` +
    "and a vendor cannot. Only the customer can remove it, in Altinn (Tilgangsstyring → Systemtilganger); until then it can still get tokens " +
    "through the system's clients."
  );
}
