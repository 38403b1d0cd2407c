import { containsUnknown, defined, isPlainObject, isUnknown, sameSet } from "../core/check";
import { normaliseRedirectUrl, rightKey } from "./model";
import {
  contentFields,
  effectiveInputs,
  requestKindOf,
  type CustomerFields,
  type CustomerState,
  type GroupInputs,
  type GroupKind,
  type GroupOutputs,
} from "./request-group-model";
import { confirmUrlFor, type LiveRequestState, type RequestInputs } from "./request-model";

/**
 * What an `up` does with a request group (providers/altinn/README.md, "Request groups"): which customers it acts on,
 * what it records of each, and the confirm pages. request-group-model.ts judges the inputs; this plans from them,
 * as client-keys-model.ts and client-keys-plan.ts split a key set.
 */

/** What is compared per customer besides its name: the request's contents. */
function contentKey(r: RequestInputs, agent: boolean, accepted: boolean): string {
  return JSON.stringify([
    agent ? null : (r.rights ?? []).map(rightKey).sort(),
    (r.accessPackages ?? []).map((p) => p.urn).sort(),
    // Once accepted, the title and redirect URL no longer matter (a system user cannot be renamed).
    accepted ? null : (r.integrationTitle ?? null),
    accepted ? null : r.redirectUrl === undefined ? null : normaliseRedirectUrl(r.redirectUrl),
  ]);
}

/**
 * `contentKey` of the customers of one side (the group's fields `g`), once per distinct own fields: the contents
 * do not depend on the customer's key, and most customers have no own fields (at 10,000 customers, one per
 * customer was most of what a diff allocated).
 */
function contentKeys(g: GroupInputs, agent: boolean): (key: string, c: CustomerFields, accepted: boolean) => string {
  const made = new Map<string, string>();
  return (key, c, accepted) => {
    const own = contentFields.filter((k) => c[k] !== undefined);
    const id = `${accepted}${own.length ? JSON.stringify(own.map((k) => [k, c[k]])) : ""}`;
    let out = made.get(id);
    if (out === undefined) made.set(id, (out = contentKey(effectiveInputs(g, key, c), agent, accepted)));
    return out;
  };
}

export interface GroupChanges {
  added: string[];
  removed: string[];
  /** Customers whose request differs from what was asked, or whose last attempt failed. */
  changed: string[];
}

/** Which customers an `up` has to act on: added, removed, changed or failed last time; nothing else is touched. */
export function groupChanges(kind: GroupKind, olds: Partial<GroupOutputs>, news: GroupInputs): GroupChanges {
  const agent = kind === "AgentSystemUserRequestGroup";
  const before = olds.customers ?? {};
  const states = olds.requests ?? {};
  const added: string[] = [];
  const changed: string[] = [];
  const wanted = contentKeys(news, agent);
  const had = contentKeys(olds as GroupInputs, agent);
  for (const [key, c] of Object.entries(news.customers)) {
    const old = before[key];
    const state = states[key];
    if (!old || !state) {
      added.push(key);
      continue;
    }
    if (state.error || containsUnknown(c)) {
      changed.push(key);
      continue;
    }
    const accepted = state.status === "Accepted";
    if ((c.name ?? null) !== (old.name ?? null) || wanted(key, c, accepted) !== had(key, old, accepted)) changed.push(key);
  }
  const removed = Object.keys(before).filter((k) => !(k in news.customers));
  // A state without its customer entry (never happens by our hand) is removed too.
  for (const k of Object.keys(states)) if (!(k in news.customers) && !(k in before)) removed.push(k);
  return { added, removed, changed };
}

export function groupDiff(
  kind: GroupKind,
  olds: Partial<GroupOutputs>,
  news: GroupInputs,
): { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean } {
  const replaces = isUnknown(news.systemId) || olds.systemId !== news.systemId ? ["systemId"] : [];
  if (replaces.length) return { changes: true, replaces, deleteBeforeReplace: true };
  if (isUnknown(news.customers) || !isPlainObject(news.customers)) return { changes: true, replaces: [], deleteBeforeReplace: true };
  const c = groupChanges(kind, olds, news);
  const settings = (olds.concurrency ?? null) !== (news.concurrency ?? null);
  return { changes: settings || c.added.length + c.removed.length + c.changed.length > 0, replaces: [], deleteBeforeReplace: true };
}

/** A customer's recorded state from what Altinn has (its request, system user and our latest change request). */
export function customerState(live: LiveRequestState, previous?: CustomerState): CustomerState {
  const r = live.request;
  const status = live.systemUser ? "Accepted" : (r?.status ?? "");
  const cr = live.changeRequest;
  return defined({
    requestId: r?.requestId ?? (live.systemUser ? "" : (previous?.requestId ?? "")),
    status,
    systemUserId: live.systemUser?.systemUserId,
    created: r?.created,
    timedOut: r?.timedOut ? true : undefined,
    escalated: r?.escalated ? true : undefined,
    changeRequestId: cr?.changeRequestId,
    changeRequestStatus: cr?.status,
  }) as CustomerState;
}

/** The confirm pages' templates: `{id}` stands for the request's (or change request's) id. */
export function urlTemplates(kind: GroupKind, uiBase: string): Pick<GroupOutputs, "confirmUrlTemplate" | "changeRequestUrlTemplate"> {
  const rkind = requestKindOf(kind);
  const template = (k: Parameters<typeof confirmUrlFor>[0]) => confirmUrlFor(k, uiBase, "{id}").replace(encodeURIComponent("{id}"), "{id}");
  return defined({
    confirmUrlTemplate: template(rkind),
    changeRequestUrlTemplate: rkind === "SystemUserRequest" ? template("ChangeRequest") : undefined,
  }) as Pick<GroupOutputs, "confirmUrlTemplate" | "changeRequestUrlTemplate">;
}

/** The confirm page of a customer's request ("" when there is none). */
export function confirmUrlOf(template: string, state: Pick<CustomerState, "requestId"> | undefined): string {
  return state?.requestId ? template.replace("{id}", encodeURIComponent(state.requestId)) : "";
}

/** What the asked-for contents were, as the change-request baseline needs them. */
export function askedOf(
  g: Partial<GroupInputs>,
  key: string,
  c: CustomerFields | undefined,
): Pick<RequestInputs, "rights" | "accessPackages"> | undefined {
  if (!c || !g.systemId) return undefined;
  const e = effectiveInputs(g as GroupInputs, key, c);
  return { rights: e.rights, accessPackages: e.accessPackages };
}

/**
 * The customer's fields to record as asked: the same contents as `asked` (effective), written against the group
 * fields `g` (only what differs from them), so that a customer whose update failed keeps what it was asked before.
 */
export function recordAgainst(g: GroupInputs, key: string, asked: RequestInputs, name: string | undefined): CustomerFields {
  const base = effectiveInputs(g, key, {});
  const out: CustomerFields = {};
  if (name !== undefined) out.name = name;
  if ((asked.integrationTitle ?? null) !== (base.integrationTitle ?? null)) out.integrationTitle = asked.integrationTitle;
  if (!sameSet((asked.rights ?? []).map(rightKey), (base.rights ?? []).map(rightKey))) out.rights = asked.rights;
  if (
    !sameSet(
      asked.accessPackages.map((p) => p.urn),
      base.accessPackages.map((p) => p.urn),
    )
  )
    out.accessPackages = asked.accessPackages;
  if ((asked.redirectUrl ?? null) !== (base.redirectUrl ?? null)) out.redirectUrl = asked.redirectUrl;
  return defined(out as Record<string, unknown>) as CustomerFields;
}
