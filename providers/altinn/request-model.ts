import { containsUnknown, defined, isPlainObject, isUnknown, textFailures, type Failure } from "../core/check";
import {
  checkAccessPackages,
  checkRights,
  checkString,
  checkUrl,
  checkOrgNo,
  describeRight,
  Failures,
  isAssignable,
  redirectUrlMatches,
  rightAttributesKey,
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

/** The confirm page Altinn links to, for when an answer lacks `confirmUrl` (list items do). */
export function confirmUrlFor(kind: RequestKind | "ChangeRequest", uiBase: string, id: string): string {
  const page = kind === "AgentSystemUserRequest" ? "agentrequest" : kind === "ChangeRequest" ? "changerequest" : "request";
  return `${uiBase}/accessmanagement/ui/systemuser/${page}?id=${encodeURIComponent(id)}&DONTCHOOSEREPORTEE=true`;
}
