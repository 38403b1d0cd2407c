import { containsUnknown, defined, isUnknown, sameSet } from "../core/check";
import { normaliseRedirectUrl, rightKey, type AccessPackage, type Right } from "./model";
import type {
  ChangeRequestBody,
  LiveRequest,
  LiveRequestState,
  RequestInputs,
  RequestKind,
  RequestKey,
  RequestOutputs,
} from "./request-model";

/**
 * What to do about a system user request, given what Altinn has now: the diff, the plan for a changed request (a
 * function from the live state and the desired state to one action, carried out by request-provider.ts), the
 * outputs and what a delete leaves behind. The inputs are checked in request-model.ts.
 */

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
 *   a repeated POST answers with the stored request and changes nothing (`RequestSystemUserService`);
 * - accepted (a system user exists) and rights or packages differ: a change request, for standard system users;
 *   agent system users cannot be changed (no change requests for them), which is refused with what to do instead.
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
      return { action: "blocked", reason: agentPackagesFixed(desired.partyOrgNo) };
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

/** Why an accepted agent system user is not changed, and what to do instead. */
export function agentPackagesFixed(partyOrgNo: string): string {
  return (
    `the customer ${partyOrgNo} has accepted this agent system user, and Altinn cannot change an agent system user's access packages ` +
    "(change requests are for standard system users only). To get other packages, declare a new externalRef: that requests a new agent " +
    "system user, and the customer moves its clients over and removes the old one"
  );
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
