import * as pulumi from "@pulumi/pulumi";
import {
  AgentSystemUserRequestGroup,
  SystemUserRequestGroup,
  type GroupCustomerArg,
  type RequestGroupArgs,
  type System,
} from "../providers";
import { customerKey, shardOf, type CustomerState } from "../providers/altinn/request-group-model";
import { requestFingerprint, type Manifest } from "./manifest";
import type { PlannedRequest, PlannedRequestGroup, StackPlan } from "./validate";
import { judgedArgs, type Plain, type RequestGroupFields } from "./validate/plan";

/**
 * A request group of the stack file as resources: its customers spread over a fixed number of shards (default
 * 16), each shard that has customers one `SystemUserRequestGroup` (or `AgentSystemUserRequestGroup`) named
 * `<group>/<shard>`. A customer's shard is a hash of its organisation number and externalRef alone
 * (`shardOf`), so adding or removing customers never moves another; a group of any size is at most `shards`
 * resources, and a change to one customer touches one of them.
 */

export const defaultShards = 16;

export interface PlannedShard {
  /** The resource name: `<group>/<nn>`, two digits. */
  name: string;
  group: PlannedRequestGroup;
  index: number;
  /** The group resource's inputs, without the system (wired by the program). */
  args: Plain<RequestGroupFields> & { concurrency?: number; customers: Record<string, Plain<GroupCustomerArg>> };
  /** The shard's customers, in file order: their request names and keys in the group's `customers` map. */
  members: Array<{ request: PlannedRequest; key: string }>;
}

export function shardName(group: string, index: number): string {
  return `${group}/${String(index).padStart(2, "0")}`;
}

/** The shards of every group, each with its customers' entries. */
export function planShards(plan: StackPlan): PlannedShard[] {
  const out: PlannedShard[] = [];
  for (const group of plan.requestGroups) {
    const shards = group.shards ?? defaultShards;
    const members = plan.requests.filter(
      (r) => r.group === group.name && (r.kind === "AgentSystemUserRequest") === (group.kind === "AgentSystemUserRequest"),
    );
    const byShard = new Map<number, PlannedShard>();
    for (const request of members) {
      const externalRef = typeof request.args.externalRef === "string" ? request.args.externalRef : undefined;
      const index = shardOf(request.customer.orgNo, externalRef, shards);
      let shard = byShard.get(index);
      if (!shard) {
        shard = {
          name: shardName(group.name, index),
          group,
          index,
          args: { ...group.args, ...(group.concurrency !== undefined && { concurrency: group.concurrency }), customers: {} },
          members: [],
        };
        byShard.set(index, shard);
      }
      const key = customerKey(request.customer.orgNo, externalRef);
      const fields: Record<string, unknown> = {};
      if (request.customer.name !== undefined) fields.name = request.customer.name;
      for (const f of request.own) if (f !== "externalRef" && request.args[f] !== undefined) fields[f] = request.args[f];
      shard.args.customers[key] = judgedArgs<GroupCustomerArg>(fields);
      shard.members.push({ request, key });
    }
    out.push(...[...byShard.values()].sort((a, b) => a.index - b.index));
  }
  return out;
}

/**
 * Where one customer's request stands, as the stack outputs show it. The flags and the change request's fields
 * are there only when they say something (true, or not empty), which keeps a group of 10,000 customers' outputs
 * small (stacks/README.md, "Outputs").
 */
export interface RequestOutput {
  system: string;
  customer: string;
  /** The customer's name as the stack file gives it. */
  name?: string;
  externalRef: string;
  /** An agent request (klientdelegering). */
  agent?: true;
  /** New, Accepted, Rejected, Denied; "" before the request is made, or after a failure to make it. */
  status: string;
  confirmUrl: string;
  /** Older than Altinn's time-out (180 days). */
  timedOut?: true;
  /** The customer passed the approval on to its access managers. */
  escalated?: true;
  systemUserId?: string;
  /** After acceptance, a change of rights goes to the customer as a change request (standard requests only). */
  changeRequestStatus?: string;
  changeRequestConfirmUrl?: string;
  /** Why the last `pulumi up` failed for this customer (the next one tries again). */
  error?: string;
}

/** A value of the stack outputs that a preview may not know yet (`pulumi.unknown` in its place). */
export type MaybeKnown<T> = T | typeof pulumi.unknown;

export const isKnown = <T>(v: MaybeKnown<T> | undefined): v is T => v !== undefined && !pulumi.isUnknown(v);

/** One customer's output from its shard's `requests` and URL templates. */
export function requestOutputOf(
  member: { request: PlannedRequest; key: string },
  group: Pick<PlannedRequestGroup, "kind">,
  outs: { requests?: Record<string, CustomerState>; confirmUrlTemplate?: string; changeRequestUrlTemplate?: string },
): RequestOutput {
  const r = member.request;
  const s = outs.requests?.[member.key];
  const agent = group.kind === "AgentSystemUserRequest";
  const fill = (template: string | undefined, id: string | undefined) =>
    template && id ? template.replace("{id}", encodeURIComponent(id)) : "";
  const out: RequestOutput = {
    system: r.system,
    customer: r.customer.orgNo,
    ...(r.customer.name !== undefined && { name: r.customer.name }),
    externalRef: typeof r.args.externalRef === "string" ? r.args.externalRef : r.customer.orgNo,
    ...(agent && { agent: true as const }),
    status: s?.status ?? "",
    confirmUrl: fill(outs.confirmUrlTemplate, s?.requestId),
    ...(s?.timedOut === true && { timedOut: true as const }),
    ...(s?.escalated === true && { escalated: true as const }),
  };
  if (s?.systemUserId) out.systemUserId = s.systemUserId;
  if (!agent && s?.changeRequestStatus) {
    out.changeRequestStatus = s.changeRequestStatus;
    const url = s.changeRequestStatus !== "NoChangeNeeded" ? fill(outs.changeRequestUrlTemplate, s.changeRequestId) : "";
    if (url) out.changeRequestConfirmUrl = url;
  }
  if (s?.error) out.error = s.error;
  return out;
}

/** A request output as an earlier version wrote it (false flags and empty fields written out), in today's form. */
export function compactRequestOutput(o: Record<string, unknown>): RequestOutput {
  const kept = Object.entries(o).filter(
    ([k, v]) => v !== false && v !== null && v !== undefined && (v !== "" || k === "status" || k === "confirmUrl"),
  );
  return Object.fromEntries(kept) as unknown as RequestOutput;
}

/**
 * What the last run left, so that a preview keeps its unchanged customers known. In the preview of an update the
 * engine answers a shard's inputs as its outputs (the SDK's provider host has no preview of its own), so every
 * customer of a shard that changes for one of them would be unknown; a customer whose request is the same as in
 * the last run (the manifest's fingerprint, stacks/manifest.ts) keeps the last run's output instead, which an
 * `up` leaves as it is (it acts on added, changed and failed customers only).
 */
export interface LastRun {
  /** The last run's `requests` output. */
  requests?: Record<string, Record<string, unknown>>;
  /** The last run's manifest: what was asked of each customer (its fingerprint) and where it stood. */
  manifest?: Manifest;
}

/**
 * Registers the shards of every group; answers every request's output in one output (request name → where it
 * stands, in the file's order). One output per shard is read, not one per customer: with 10,000 customers the
 * program's work stays that of 16 resources. In a preview a value is `pulumi.unknown` where the `up` decides it (a
 * customer added or changed in a shard that is updated), and the output itself is then not known (the SDK knows
 * no partly known output): `applyWithUnknowns` reads it.
 */
export function defineGroups(
  plan: StackPlan,
  systems: Map<string, System>,
  registered: (key: string, resource: pulumi.Resource) => void = () => {},
  last: LastRun = {},
): pulumi.Output<Record<string, MaybeKnown<RequestOutput>>> {
  const views: pulumi.Output<Record<string, MaybeKnown<RequestOutput>>>[] = [];
  for (const shard of planShards(plan)) {
    const system = systems.get(shard.group.system)!;
    const args: RequestGroupArgs = { system, ...shard.args };
    const resource =
      shard.group.kind === "AgentSystemUserRequest"
        ? new AgentSystemUserRequestGroup(shard.name, args)
        : new SystemUserRequestGroup(shard.name, args);
    // What the program says about a request (stacks/manifest.ts) is said on the shard that holds it.
    registered(`${shard.group.kind}Group::${shard.name}`, resource);
    for (const m of shard.members) registered(`${m.request.kind}::${m.request.name}`, resource);
    const outs = pulumi.all([resource.requests, resource.confirmUrlTemplate, resource.changeRequestUrlTemplate]);
    views.push(
      applyWithUnknowns(outs, (v) => {
        const [requests, confirmUrlTemplate, changeRequestUrlTemplate] = isKnown(v) ? v : [];
        const known = isKnown(requests) && isKnown(confirmUrlTemplate);
        return Object.fromEntries(
          shard.members.map((m): [string, MaybeKnown<RequestOutput>] => [
            m.request.name,
            known
              ? requestOutputOf(m, shard.group, {
                  requests,
                  confirmUrlTemplate,
                  changeRequestUrlTemplate: isKnown(changeRequestUrlTemplate) ? changeRequestUrlTemplate : undefined,
                })
              : lastKnown(m.request, last),
          ]),
        );
      }),
    );
  }
  // In the file's order, as people wrote their customers.
  return applyWithUnknowns(pulumi.all(views), (vs) => {
    const merged: Record<string, MaybeKnown<RequestOutput>> = Object.assign({}, ...(isKnown(vs) ? vs : []));
    return Object.fromEntries(plan.requests.filter((r) => r.name in merged).map((r) => [r.name, merged[r.name]!]));
  });
}

/** In a preview: the last run's output of a customer whose request did not change, else unknown (the `up` decides it). */
function lastKnown(request: PlannedRequest, last: LastRun): MaybeKnown<RequestOutput> {
  const was = last.requests?.[request.name];
  const fingerprint = last.manifest?.requests[request.name]?.asked;
  if (!was || was.error || fingerprint === undefined || fingerprint !== requestFingerprint(request)) return pulumi.unknown;
  return compactRequestOutput(was);
}

/**
 * `o.apply(fn)` that runs `fn` in a preview even when `o` is not known yet, with `pulumi.unknown` for what is not:
 * the SDK's `apply(func, runWithUnknowns)` (node_modules/@pulumi/pulumi/output.js, as its output proxy uses it).
 * The result is known where `fn` makes it so. In an `up` every value is known, and this is a plain apply.
 */
export function applyWithUnknowns<T, U>(o: pulumi.Output<T>, fn: (v: MaybeKnown<T>) => MaybeKnown<U>): pulumi.Output<U> {
  return (o as unknown as { apply(f: (v: MaybeKnown<T>) => MaybeKnown<U>, runWithUnknowns: boolean): pulumi.Output<U> }).apply(fn, true);
}
