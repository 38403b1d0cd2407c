import { randomUUID } from "node:crypto";
import { setFlagsFromString } from "node:v8";
import * as pulumi from "@pulumi/pulumi";
import { defined } from "../core/check";
import { configuredVendor, context } from "../core/context";
import { isApiError, PartialUpdateError } from "../core/errors";
import { inProviderHost } from "../core/host-watch";
import { Limiter, settleAll } from "../core/limit";
import { AltinnApi } from "./api";
import {
  checkGroupInputs,
  defaultConcurrency,
  effectiveInputs,
  listKey,
  parseCustomerKey,
  requestKindOf,
  type CustomerFields,
  type CustomerState,
  type GroupInputs,
  type GroupKind,
  type GroupOutputs,
} from "./request-group-model";
import { askedOf, customerState, groupChanges, groupDiff, recordAgainst, urlTemplates } from "./request-group-plan";
import type { ListedSystemUser, LiveRequest, LiveRequestState, RequestInputs, RequestKind } from "./request-model";
import { postOrAdopt, reconcileRequest } from "./request-provider";

/**
 * check/diff/create/read/update/delete of a request group (providers/altinn/README.md, "Request groups"): each
 * customer is handled on its own, at most `concurrency` at a time per provider host; a failure for one customer is
 * recorded with its reason while every other customer's progress is kept, and the next `pulumi up` acts on the
 * failed ones only. A refresh reads the system's paged lists instead of one call per customer.
 */

/** One bound for every group in this provider host (the engine runs several groups, or shards, at once). */
const limiter = new Limiter(defaultConcurrency);

/** What Altinn lists for a system, shared by the groups (shards) of one host while it is fresh. */
interface Listing {
  requests: Map<string, LiveRequest>;
  systemUsers: Map<string, ListedSystemUser>;
}

const listings = new Map<string, { at?: number; promise: Promise<Listing> }>();
/**
 * How long one reading of the lists serves the groups (shards) of a refresh after it is complete: the engine reads
 * them at about the same time, and one host serves one Pulumi command.
 */
const listingMaxAgeMs = 5_000;

function listingOf(api: AltinnApi, kind: RequestKind, systemId: string): Promise<Listing> {
  const cacheKey = `${kind}\u0000${systemId}`;
  const hit = listings.get(cacheKey);
  if (hit && (hit.at === undefined || Date.now() - hit.at < listingMaxAgeMs)) return hit.promise;
  const promise = (async () => {
    const [reqs, users] = await Promise.all([api.listRequests(kind, systemId), api.listSystemUsers(systemId)]);
    const agent = kind === "AgentSystemUserRequest";
    const requests = new Map(reqs.map((r) => [listKey(r.partyOrgNo, r.externalRef), r]));
    const systemUsers = new Map(
      users.filter((u) => (u.userType === "agent") === agent).map((u) => [listKey(u.partyOrgNo, u.externalRef), u]),
    );
    return { requests, systemUsers };
  })();
  const entry: { at?: number; promise: Promise<Listing> } = { promise };
  listings.set(cacheKey, entry);
  const forget = () => listings.get(cacheKey) === entry && listings.delete(cacheKey);
  promise.then(() => {
    entry.at = Date.now();
    // Not held past its use: at 10,000 customers a reading is some 10 MB, and the host lives as long as the command.
    setTimeout(forget, listingMaxAgeMs).unref();
  }, forget);
  return promise;
}

/** A write for the system makes this host's reading of its lists stale. */
function forgetListing(kind: RequestKind, systemId: string): void {
  listings.delete(`${kind}\u0000${systemId}`);
}

/** How many failures an error message names one by one; the state has them all. */
const namedFailures = 100;

function reasonOf(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s+/g, " ").trim();
}

/**
 * How far V8 lets the provider host's heap grow past what was live at its last full collection: 50 % instead of
 * V8's own factor, up to 4 × on a machine with memory to spare (bench/README.md, "The provider host's memory"). What is live
 * peaks while the engine's calls for a group's shards are in flight: the SDK's host holds each call's request
 * decoded by google-protobuf, about 4.5 MB for a shard of 625 customers (30 times its bytes on the wire), 16 at
 * a time; with V8's factor the host reached 530–580 MiB at 10,000 customers, nearly all of it garbage not yet
 * collected. Set once, in the SDK's provider host only (`inProviderHost`), unless the host's own node options
 * already bound the heap (`NODE_OPTIONS`, which then wins). It costs a few more full collections, each some
 * 10–30 ms at that size.
 */
export const heapGrowingPercent = 50;

/** The V8 flag to set in this process, if any: in the provider host only, and never over the host's own node options. */
export function hostHeapFlag(
  argv: string[] = process.argv,
  env: NodeJS.ProcessEnv = process.env,
  execArgv: string[] = process.execArgv,
): string | undefined {
  if (!inProviderHost(argv)) return undefined;
  if (
    /--(?:heap[-_]growing[-_]percent|max[-_]old[-_]space[-_]size|max[-_]heap[-_]size)\b/.test(
      [...execArgv, env.NODE_OPTIONS ?? ""].join(" "),
    )
  )
    return undefined;
  return `--heap-growing-percent=${heapGrowingPercent}`;
}

let heapBounded = false;

function boundHostHeap(): void {
  if (heapBounded) return;
  heapBounded = true;
  const flag = hostHeapFlag();
  if (flag) setFlagsFromString(flag);
}

export function requestGroupProvider(kind: GroupKind): pulumi.dynamic.ResourceProvider {
  boundHostHeap();
  const rkind = requestKindOf(kind);
  const templates = () => urlTemplates(kind, context().settings.endpoints.altinnUiBase);

  /** What every customer outcome becomes in the outputs. */
  interface Outcome {
    key: string;
    /** What to record as asked of the customer (the desired fields on success, the previous ones on failure). */
    fields?: CustomerFields;
    state?: CustomerState;
    error?: string;
  }

  function outputsOf(news: GroupInputs, outcomes: Outcome[]): GroupOutputs {
    const customers: Record<string, CustomerFields> = {};
    const requests: Record<string, CustomerState> = {};
    for (const o of outcomes) {
      if (!o.fields || !o.state) continue;
      customers[o.key] = o.fields;
      requests[o.key] = o.error ? { ...o.state, error: o.error } : o.state;
    }
    const { systemOffer: _offer, ...rest } = news;
    return defined({ ...rest, customers, requests, ...templates() }) as unknown as GroupOutputs;
  }

  /** Throws the error that records `outs` when any customer failed. */
  function finish(id: string, outs: GroupOutputs, outcomes: Outcome[], what: string): GroupOutputs {
    const failed = outcomes.filter((o) => o.error);
    if (!failed.length) return outs;
    const total = outcomes.length;
    const lines = failed.slice(0, namedFailures).map((o) => `  ${o.key}: ${o.error}`);
    if (failed.length > namedFailures)
      lines.push(
        `  ... and ${failed.length - namedFailures} more: every failed customer is in the state with its reason (\`npm run requests -- --stack <stack> --json\`)`,
      );
    throw new PartialUpdateError(
      id,
      outs as unknown as Record<string, unknown>,
      `${kind} for ${outs.systemId}: ${what} failed for ${failed.length} of ${total} customer${total === 1 ? "" : "s"}; the others are done and recorded in the state, ` +
        `and the next \`pulumi up\` tries only these again:\n${lines.join("\n")}`,
    );
  }

  /** Brings one customer to its desired state from what Altinn has; `progress` keeps what was done if it fails. */
  async function ensure(
    api: AltinnApi,
    desired: RequestInputs,
    live: LiveRequestState | undefined,
    asked: ReturnType<typeof askedOf>,
    progress: { live?: LiveRequestState },
  ): Promise<LiveRequestState> {
    let current = live;
    if (!current || (!current.request && !current.systemUser)) {
      const posted = await postOrAdopt(api, rkind, desired);
      progress.live = posted.live;
      if (posted.created) return posted.live;
      current = posted.live;
    }
    progress.live = current;
    return reconcileRequest(api, rkind, current, desired, asked);
  }

  /** What Altinn has for one key, read one by one (changed customers, and those a list left out). */
  async function readOne(api: AltinnApi, desired: RequestInputs, state: CustomerState | undefined): Promise<LiveRequestState> {
    const request = await api.getRequestByKey(rkind, desired);
    const systemUser = !request || request.status === "Accepted" ? await api.getSystemUser(desired) : undefined;
    const changeRequest =
      state?.changeRequestId && rkind === "SystemUserRequest" ? await api.getChangeRequest(state.changeRequestId) : undefined;
    return { request, systemUser, changeRequest };
  }

  async function apply(id: string, api: AltinnApi, olds: Partial<GroupOutputs>, news: GroupInputs, create: boolean): Promise<GroupOutputs> {
    limiter.setLimit(news.concurrency ?? defaultConcurrency);
    const changes = create ? { added: Object.keys(news.customers), removed: [], changed: [] } : groupChanges(kind, olds, news);
    const oldCustomers = olds.customers ?? {};
    const oldStates = olds.requests ?? {};
    const touched = new Set([...changes.added, ...changes.changed]);
    forgetListing(rkind, news.systemId);

    // A new group first reads what Altinn already has for the system (50 a page), so that requests posted earlier
    // (by per-customer resources before a migration, or by hand) are adopted as they are: nothing posted again.
    const listing = create ? await listingOf(api, rkind, news.systemId) : undefined;
    forgetListing(rkind, news.systemId);
    // Only when Altinn lists some of this group's own customers can a missing one be a request the list left out;
    // requests of other groups or shards of the system say nothing about them.
    const anyListed = !!listing && Object.keys(news.customers).some((k) => listing.requests.has(k) || listing.systemUsers.has(k));

    const work = await settleAll(limiter, [...touched], async (key): Promise<Outcome> => {
      const c = news.customers[key]!;
      const desired = effectiveInputs(news, key, c);
      const progress: { live?: LiveRequestState } = {};
      try {
        let live: LiveRequestState | undefined;
        if (listing) {
          const request = listing.requests.get(key);
          const user = listing.systemUsers.get(key);
          live =
            request || user
              ? { request, systemUser: user && { systemUserId: user.systemUserId, ...(user.userType && { userType: user.userType }) } }
              : undefined;
          // The list may leave out the request at a page boundary (see `listRequests` in api.ts): look before posting,
          // and for the request of a system user the (consistent) user list names.
          if (!live && anyListed) live = await readOne(api, desired, undefined);
          else if (live && !live.request) {
            const boundary = await api.getRequestByKey(rkind, desired);
            if (boundary) live = { ...live, request: boundary };
          }
        } else if (oldStates[key] && !oldStates[key].error) {
          live = await readOne(api, desired, oldStates[key]);
        } else if (oldStates[key]?.requestId || oldStates[key]?.systemUserId) {
          live = await readOne(api, desired, oldStates[key]);
        }
        const asked = askedOf(olds, key, oldCustomers[key]);
        const after = await ensure(api, desired, live, oldStates[key]?.status === "Accepted" ? asked : undefined, progress);
        return { key, fields: c, state: customerState(after, oldStates[key]) };
      } catch (e) {
        // What was asked before stays the baseline; a customer never asked keeps its new fields, and no state.
        const fields = oldCustomers[key]
          ? recordAgainst(news, key, effectiveInputs(olds as GroupInputs, key, oldCustomers[key]), oldCustomers[key].name)
          : c;
        const state = progress.live ? customerState(progress.live, oldStates[key]) : (oldStates[key] ?? { requestId: "", status: "" });
        return { key, fields, state, error: reasonOf(e) };
      }
    });

    const removedStates = changes.removed.map((key) => ({ key, state: oldStates[key], fields: oldCustomers[key] }));
    const notices: string[] = [];
    const removal = await settleAll(limiter, removedStates, async ({ key, state }): Promise<Outcome> => {
      await deleteCustomer(api, key, state, news.systemId, notices);
      return { key };
    });
    if (notices.length) pulumi.log.warn(keptSystemUsers(notices, news.systemId));

    const outcomes: Outcome[] = work.map((w) => w.value!);
    for (const r of removal) {
      // A customer whose delete failed stays recorded, so the next `up` deletes it again.
      if (r.error)
        outcomes.push({
          key: r.item.key,
          fields: r.item.fields ?? {},
          state: r.item.state ?? { requestId: "", status: "" },
          error: reasonOf(r.error),
        });
    }
    for (const [key, c] of Object.entries(news.customers)) {
      if (touched.has(key)) continue;
      outcomes.push({ key, fields: c, state: oldStates[key] });
    }
    return finish(
      id,
      outputsOf(news, outcomes),
      outcomes.filter((o) => touched.has(o.key) || o.error),
      create ? "creating requests" : "updating requests",
    );
  }

  async function deleteCustomer(
    api: AltinnApi,
    key: string,
    state: CustomerState | undefined,
    systemId: string,
    notices: string[],
  ): Promise<void> {
    const { partyOrgNo, externalRef } = parseCustomerKey(key);
    const deleted = state?.requestId ? await api.deleteRequest(state.requestId) : false;
    if (!deleted) {
      // The request in the state is gone; another may hold the key now (posted again elsewhere).
      const current = await api.getRequestByKey(rkind, { systemId, partyOrgNo, externalRef });
      if (current) await api.deleteRequest(current.requestId);
    }
    if (state?.changeRequestId && state.changeRequestStatus === "New") await api.deleteChangeRequest(state.changeRequestId);
    if (state?.status === "Accepted" || state?.systemUserId) notices.push(`${key}${state.systemUserId ? ` (${state.systemUserId})` : ""}`);
  }

  function keptSystemUsers(notices: string[], systemId: string): string {
    const what = rkind === "AgentSystemUserRequest" ? "agent system user" : "system user";
    const shown = notices.slice(0, 20).join(", ") + (notices.length > 20 ? `, and ${notices.length - 20} more` : "");
    return (
      `${notices.length} ${what}${notices.length === 1 ? "" : "s"} of system ${systemId} stay: ${shown}. Deleting a request does not remove a ${what}, ` +
      "and a vendor cannot: only the customer can, in Altinn (Tilgangsstyring → Systemtilganger); until then it can still get tokens through the system's clients."
    );
  }

  return {
    async check(_olds, news) {
      const { inputs, failures } = checkGroupInputs(kind, news, { configuredVendor: configuredVendor() });
      return failures.length ? { inputs: news, failures } : { inputs };
    },

    async diff(_id, olds: GroupOutputs, news: GroupInputs) {
      return groupDiff(kind, olds, news);
    },

    async create(inputs: GroupInputs) {
      const id = `${inputs.systemId}/${randomUUID()}`;
      const outs = await apply(id, new AltinnApi(context()), {}, inputs, true);
      return { id, outs };
    },

    async update(id, olds: GroupOutputs, news: GroupInputs) {
      return { outs: await apply(id, new AltinnApi(context()), olds, news, false) };
    },

    async read(id, props: GroupOutputs) {
      if (!props?.systemId || !props.requests)
        throw new Error(
          `${kind}: "${id}" cannot be imported; declare the group, and \`pulumi up\` adopts the requests Altinn has for its customers`,
        );
      const api = new AltinnApi(context());
      let listing: Listing;
      try {
        listing = await listingOf(api, rkind, props.systemId);
      } catch (e) {
        // The system is gone (AUTH-00011), and with it every request of the group: the next `up` asks again.
        if (isApiError(e) && e.status === 404) return { id: "", props: {} };
        throw e;
      }
      const requests: Record<string, CustomerState> = {};
      const customers: Record<string, CustomerFields> = {};
      await settleAll(limiter, Object.entries(props.requests), async ([key, old]) => {
        const listed = listing.requests.get(key);
        const user = listing.systemUsers.get(key);
        let live: LiveRequestState = { request: listed, systemUser: user && { systemUserId: user.systemUserId } };
        // Left out of the request list (at a page boundary), or not yet listed: read by key.
        if (!listed && !user && (old.requestId || old.systemUserId || old.status))
          live = await readOne(api, { ...effectiveInputs(props, key, props.customers?.[key] ?? {}) }, old);
        else if (old.changeRequestId && old.changeRequestStatus === "New" && rkind === "SystemUserRequest")
          live.changeRequest = await api.getChangeRequest(old.changeRequestId);
        else if (old.changeRequestId) live.changeRequest = { changeRequestId: old.changeRequestId, status: old.changeRequestStatus ?? "" };
        if (!live.request && !live.systemUser && !old.error) return; // gone: the next `up` asks again
        const state = live.request || live.systemUser ? customerState(live, old) : old;
        requests[key] = old.error ? { ...state, error: old.error } : state;
        if (props.customers?.[key]) customers[key] = props.customers[key];
      });
      // Keep the order of the state (a refresh that changes nothing writes the same state).
      const ordered = (o: Record<string, unknown>, like: Record<string, unknown>) =>
        Object.fromEntries(
          Object.keys(like)
            .filter((k) => k in o)
            .map((k) => [k, o[k]]),
        );
      return {
        id,
        props: {
          ...props,
          customers: ordered(customers, props.customers ?? {}),
          requests: ordered(requests, props.requests),
          ...templates(),
        },
      };
    },

    async delete(id, props: GroupOutputs) {
      const api = new AltinnApi(context());
      limiter.setLimit(props.concurrency ?? defaultConcurrency);
      const notices: string[] = [];
      const results = await settleAll(limiter, Object.entries(props.requests ?? {}), ([key, state]) =>
        deleteCustomer(api, key, state, props.systemId, notices),
      );
      forgetListing(rkind, props.systemId);
      if (notices.length) pulumi.log.warn(keptSystemUsers(notices, props.systemId));
      const failed = results.filter((r) => r.error);
      if (failed.length) {
        const lines = failed.slice(0, namedFailures).map((r) => `  ${r.item[0]}: ${reasonOf(r.error)}`);
        throw new Error(
          `${kind} for ${props.systemId}: deleting failed for ${failed.length} of ${results.length} customers (the others are deleted); run the delete again:\n${lines.join("\n")}`,
        );
      }
    },
  };
}
