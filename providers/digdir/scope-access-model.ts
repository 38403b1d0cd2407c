import { isUnknown, type Failure } from "../core/check";
import { orgNoProblem } from "../core/orgno";

/**
 * Pure decisions about one consumer's access to one of your scopes (the self-service API's OpenAPI, `/scopes/access`): a grant is a
 * PUT, a revocation a DELETE that leaves the row `DENIED` (`activeGrant`: what counts as granted). Either
 * input changing moves the grant by an update.
 */

export interface ScopeAccessInputs {
  /** `prefix:subscope` of a scope your organisation owns (an ApiScope's `name`). */
  scope: string;
  /** The consumer's 9-digit organisation number. */
  consumerOrgNo: string;
}

export interface ScopeAccessOutputs extends ScopeAccessInputs {
  /** APPROVED once granted. */
  state: string;
  ownerOrgNo: string;
  created: string;
  lastUpdated: string;
}

/** One row of a scope's access list, in the resource's terms (wire.ts reads the API's answer into it). */
export interface LiveGrant {
  scope?: string;
  consumerOrgNo?: string;
  ownerOrgNo?: string;
  /** APPROVED, REQUESTED or DENIED (a revoked grant). */
  state?: string;
  created?: string;
  lastUpdated?: string;
  rest?: Readonly<Record<string, unknown>>;
}

/** The consumer's row, when it grants access: a DENIED row is a revoked grant, so it counts as gone. */
export function activeGrant(rows: LiveGrant[] | undefined, consumerOrgNo: string): LiveGrant | undefined {
  const row = rows?.find((r) => r.consumerOrgNo === consumerOrgNo);
  return row && row.state !== "DENIED" ? row : undefined;
}

export function scopeAccessOutputs(i: ScopeAccessInputs, row: LiveGrant | undefined): ScopeAccessOutputs {
  return {
    scope: i.scope,
    consumerOrgNo: i.consumerOrgNo,
    state: row?.state ?? "APPROVED",
    ownerOrgNo: row?.ownerOrgNo ?? "",
    created: row?.created ?? "",
    lastUpdated: row?.lastUpdated ?? "",
  };
}

const scopeName = /^[a-z0-9_-]+:[A-Za-z0-9_./:-]+$/;

export function checkScopeAccessInputs(raw: Record<string, unknown>): { inputs: ScopeAccessInputs; failures: Failure[] } {
  const news = Object.fromEntries(Object.entries(raw).filter(([k]) => !k.startsWith("__")));
  const failures: Failure[] = [];
  for (const k of Object.keys(news)) {
    if (k !== "scope" && k !== "consumerOrgNo")
      failures.push({
        property: k,
        reason: `unknown field ${k}: remove it or check the spelling (a ScopeAccess takes scope and consumerOrgNo)`,
      });
  }
  if (!isUnknown(news.scope) && (typeof news.scope !== "string" || !scopeName.test(news.scope))) {
    failures.push({ property: "scope", reason: "must be the scope's full name, prefix:subscope (e.g. an ApiScope's name output)" });
  }
  if (!isUnknown(news.consumerOrgNo)) {
    const problem =
      news.consumerOrgNo === undefined
        ? "is required: the organisation number of the organisation to grant access"
        : orgNoProblem(news.consumerOrgNo);
    if (problem) failures.push({ property: "consumerOrgNo", reason: problem });
  }
  return { inputs: news as unknown as ScopeAccessInputs, failures };
}

/** The resource id: scope names never hold `|`. */
export function scopeAccessId(i: ScopeAccessInputs): string {
  return `${i.scope}|${i.consumerOrgNo}`;
}

export function parseScopeAccessId(id: string): ScopeAccessInputs {
  const at = id.lastIndexOf("|");
  return { scope: id.slice(0, at), consumerOrgNo: id.slice(at + 1) };
}

/**
 * The fields whose change moves the grant (an update: grant the new, revoke the old), whether known or not yet
 * (a preview of a scope being replaced): the same step in preview and up, never a replacement on an unknown.
 */
export function scopeAccessMoves(olds: Partial<ScopeAccessInputs>, news: ScopeAccessInputs): string[] {
  return (["scope", "consumerOrgNo"] as const).filter((f) => isUnknown(news[f]) || olds[f] !== news[f]);
}
