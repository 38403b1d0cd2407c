import * as pulumi from "@pulumi/pulumi";
import { AgentSystemUserRequestGroup, SystemUserRequestGroup, type RequestGroupArgs, type System } from "../providers";
import { customerKey, shardOf, type CustomerState } from "../providers/altinn/request-group-model";
import type { PlannedRequest, PlannedRequestGroup, StackPlan } from "./validate";

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
  args: Record<string, unknown>;
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
      (shard.args.customers as Record<string, unknown>)[key] = fields;
      shard.members.push({ request, key });
    }
    out.push(...[...byShard.values()].sort((a, b) => a.index - b.index));
  }
  return out;
}

/** Where one customer's request stands, as the stack outputs show it. */
export interface RequestOutput {
  system: string;
  customer: string;
  /** The customer's name as the stack file gives it. */
  name?: string;
  externalRef: string;
  agent: boolean;
  /** New, Accepted, Rejected, Denied; "" before the request is made, or after a failure to make it. */
  status: string;
  confirmUrl: string;
  timedOut: boolean;
  /** The customer passed the approval on to its access managers. */
  escalated: boolean;
  systemUserId?: string;
  /** After acceptance, a change of rights goes to the customer as a change request (standard requests only). */
  changeRequestStatus?: string;
  changeRequestConfirmUrl?: string;
  /** Why the last `pulumi up` failed for this customer (the next one tries again). */
  error?: string;
}

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
    agent,
    status: s?.status ?? "",
    confirmUrl: fill(outs.confirmUrlTemplate, s?.requestId),
    timedOut: s?.timedOut === true,
    escalated: s?.escalated === true,
  };
  if (s?.systemUserId) out.systemUserId = s.systemUserId;
  if (!agent) {
    out.changeRequestStatus = s?.changeRequestStatus ?? "";
    out.changeRequestConfirmUrl =
      s?.changeRequestStatus && s.changeRequestStatus !== "NoChangeNeeded" ? fill(outs.changeRequestUrlTemplate, s.changeRequestId) : "";
  }
  if (s?.error) out.error = s.error;
  return out;
}

/** Registers the shards of every group; answers each request's output (request name → its shard's view of it). */
export function defineGroups(
  plan: StackPlan,
  systems: Map<string, System>,
  registered: (key: string, resource: pulumi.Resource) => void = () => {},
): Record<string, pulumi.Output<RequestOutput>> {
  const requests: Record<string, pulumi.Output<RequestOutput>> = {};
  for (const shard of planShards(plan)) {
    const system = systems.get(shard.group.system)!;
    const args = { system, ...shard.args } as RequestGroupArgs;
    const resource =
      shard.group.kind === "AgentSystemUserRequest"
        ? new AgentSystemUserRequestGroup(shard.name, args)
        : new SystemUserRequestGroup(shard.name, args);
    // What the program says about a request (stacks/manifest.ts) is said on the shard that holds it.
    registered(`${shard.group.kind}Group::${shard.name}`, resource);
    for (const m of shard.members) registered(`${m.request.kind}::${m.request.name}`, resource);
    // One output for the shard's view; each request's output is taken from it.
    const view = pulumi
      .all([resource.requests, resource.confirmUrlTemplate, resource.changeRequestUrlTemplate])
      .apply(([r, confirmUrlTemplate, changeRequestUrlTemplate]) => ({ requests: r, confirmUrlTemplate, changeRequestUrlTemplate }));
    for (const member of shard.members) requests[member.request.name] = view.apply((outs) => requestOutputOf(member, shard.group, outs));
  }
  // In the file's order, as people wrote their customers.
  return Object.fromEntries(plan.requests.filter((r) => requests[r.name]).map((r) => [r.name, requests[r.name]!]));
}
