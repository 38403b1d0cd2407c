import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { AltinnApi } from "../providers/altinn/api";
import { customerKey, listKey, parseCustomerKey, type CustomerFields, type CustomerState } from "../providers/altinn/request-group-model";
import { confirmUrlOf } from "../providers/altinn/request-group-plan";
import { confirmUrlFor, type LiveRequest, type ListedSystemUser, type RequestKind } from "../providers/altinn/request-model";
import { configureContext } from "../providers/core/context";
import { findProjectRoot, readStackConfigFile, stackConfigFor } from "./config";
import { formatProblem } from "./source";
import { groupKey, validateStackFile, type StackPlan } from "./validate";

/**
 * `npm run requests -- --stack <stack> [--csv | --json] [--live]`: where every customer's system user request stands
 * (stacks/README.md, "The lifecycle report"), what a vendor's customer-success team works from to remind customers.
 * Per group the counts by status (New, Accepted, Rejected, Denied, timed out, escalated); with `--csv` or `--json`
 * one line per customer: status, age, confirm URL, system user id, escalated. From the stack's state (`pulumi stack
 * export`, as of the last `up` or refresh), or with `--live` from Altinn's paged lists, which also shows the system
 * users and requests no group of the stack declares (made by customers themselves, or by another tool): reported,
 * never adopted or deleted.
 */

export interface ReportLine {
  /** `requests.<group>` or `agentRequests.<group>`; `unmanaged` for what no group declares (`--live`). */
  group: string;
  systemId: string;
  orgNo: string;
  name?: string;
  externalRef: string;
  /** New, Accepted, Rejected, Denied, Timedout; "" when no request was made yet (or it failed). */
  status: string;
  /** Days since Altinn created the request. */
  ageDays?: number;
  confirmUrl: string;
  systemUserId?: string;
  escalated: boolean;
  timedOut: boolean;
  /** Why the last `pulumi up` failed for this customer. */
  error?: string;
}

export interface ReportGroup {
  group: string;
  systemId: string;
  counts: Record<string, number>;
}

/** The counts a team reads: each status, and timed out and escalated beside them. */
export function countsOf(lines: ReportLine[]): Record<string, number> {
  const counts: Record<string, number> = { New: 0, Accepted: 0, Rejected: 0, Denied: 0, "timed out": 0, escalated: 0 };
  for (const l of lines) {
    const status = l.status || (l.error ? "failed" : "not requested");
    counts[status] = (counts[status] ?? 0) + 1;
    if (l.timedOut) counts["timed out"]!++;
    if (l.escalated) counts.escalated!++;
  }
  return counts;
}

export function groupsOf(lines: ReportLine[]): ReportGroup[] {
  const by = new Map<string, ReportLine[]>();
  for (const l of lines) {
    const k = `${l.group}\u0000${l.systemId}`;
    by.set(k, [...(by.get(k) ?? []), l]);
  }
  return [...by.values()].map((ls) => ({ group: ls[0]!.group, systemId: ls[0]!.systemId, counts: countsOf(ls) }));
}

function ageDays(created: string | undefined, now: number): number | undefined {
  const t = created ? Date.parse(created) : NaN;
  return Number.isFinite(t) ? Math.max(0, Math.floor((now - t) / 86_400_000)) : undefined;
}

interface StateResource {
  type: string;
  urn: string;
  outputs?: Record<string, unknown>;
}

/** Every customer in an exported state: request groups (by shard), and per-customer request resources of older stacks. */
export function linesFromState(exported: string, plan: StackPlan | undefined, now = Date.now()): ReportLine[] {
  const resources = ((JSON.parse(exported) as { deployment?: { resources?: StateResource[] } }).deployment?.resources ?? []).filter((r) =>
    r.type.startsWith("pulumi-nodejs:dynamic/altinn:"),
  );
  const names = new Map<string, string | undefined>();
  const sections = new Map<string, string>();
  for (const g of plan?.requestGroups ?? []) sections.set(groupKey(g.kind, g.name), g.section);
  for (const r of plan?.requests ?? [])
    names.set(
      `${r.system}\u0000${r.customer.orgNo}\u0000${typeof r.args.externalRef === "string" ? r.args.externalRef : r.customer.orgNo}`,
      r.customer.name,
    );
  const lines: ReportLine[] = [];
  for (const r of resources) {
    const kind = r.type.split(":").pop()!;
    const name = r.urn.split("::").pop()!;
    const o = r.outputs ?? {};
    if (kind === "SystemUserRequestGroup" || kind === "AgentSystemUserRequestGroup") {
      const agent = kind === "AgentSystemUserRequestGroup";
      const group = name.replace(/\/\d+$/, "");
      const section =
        sections.get(groupKey(agent ? "AgentSystemUserRequest" : "SystemUserRequest", group)) ?? (agent ? "agentRequests" : "requests");
      const customers = (o.customers ?? {}) as Record<string, CustomerFields>;
      const requests = (o.requests ?? {}) as Record<string, CustomerState>;
      for (const key of new Set([...Object.keys(customers), ...Object.keys(requests)])) {
        const s = requests[key];
        const { partyOrgNo, externalRef } = parseCustomerKey(key);
        lines.push(
          line(
            `${section}.${group}`,
            String(o.systemId ?? ""),
            partyOrgNo,
            customers[key]?.name,
            externalRef,
            s,
            confirmUrlOf(String(o.confirmUrlTemplate ?? ""), s),
            now,
          ),
        );
      }
    } else if (kind === "SystemUserRequest" || kind === "AgentSystemUserRequest") {
      // A per-customer resource (before a migration to groups): `<system>/<orgNo>[/<externalRef>]`.
      const [system] = name.split("/");
      const orgNo = String(o.partyOrgNo ?? "");
      const externalRef = String(o.externalRef ?? orgNo);
      const s: CustomerState = {
        requestId: String(o.requestId ?? ""),
        status: String(o.status ?? ""),
        ...(o.systemUserId ? { systemUserId: String(o.systemUserId) } : {}),
        ...(o.created ? { created: String(o.created) } : {}),
        timedOut: o.timedOut === true,
        escalated: o.escalated === true,
      };
      lines.push(
        line(
          `${kind === "AgentSystemUserRequest" ? "agentRequests" : "requests"}.${system}`,
          String(o.systemId ?? ""),
          orgNo,
          names.get(`${system}\u0000${orgNo}\u0000${externalRef}`),
          externalRef,
          s,
          String(o.confirmUrl ?? ""),
          now,
        ),
      );
    }
  }
  return lines;
}

function line(
  group: string,
  systemId: string,
  orgNo: string,
  name: string | undefined,
  externalRef: string,
  s: CustomerState | undefined,
  confirmUrl: string,
  now: number,
): ReportLine {
  const out: ReportLine = {
    group,
    systemId,
    orgNo,
    externalRef,
    status: s?.status ?? "",
    confirmUrl: s?.status === "New" ? confirmUrl : "",
    escalated: s?.escalated === true,
    timedOut: s?.timedOut === true,
  };
  if (name !== undefined) out.name = name;
  const age = ageDays(s?.created, now);
  if (age !== undefined) out.ageDays = age;
  if (s?.systemUserId) out.systemUserId = s.systemUserId;
  if (s?.error) out.error = s.error;
  return out;
}

/** What Altinn lists for one system, per kind. */
export interface LiveLists {
  systemId: string;
  requests: { standard: LiveRequest[]; agent: LiveRequest[] };
  systemUsers: ListedSystemUser[];
}

/**
 * Every declared customer as Altinn's lists show it, and what the lists hold that no group of the stack declares
 * (`unmanaged`: system users customers created themselves, requests made elsewhere). A declared customer the request
 * list leaves out at a page boundary shows as not requested; `npm run requests` without `--live` has its recorded state.
 */
export function linesFromLive(plan: StackPlan, lists: LiveLists[], uiBase: string, now = Date.now()): ReportLine[] {
  const systemIdOf = new Map(plan.systems.map((s) => [s.name, String(s.args.systemId)]));
  const declared = new Set<string>();
  const lines: ReportLine[] = [];
  const sectionOf = new Map(plan.requestGroups.map((g) => [groupKey(g.kind, g.name), g.section]));
  for (const r of plan.requests) {
    const systemId = systemIdOf.get(r.system) ?? "";
    const l = lists.find((x) => x.systemId === systemId);
    const agent = r.kind === "AgentSystemUserRequest";
    const externalRef = typeof r.args.externalRef === "string" ? r.args.externalRef : r.customer.orgNo;
    const key = customerKey(r.customer.orgNo, externalRef);
    declared.add(`${systemId}\u0000${agent}\u0000${key}`);
    const request = (agent ? l?.requests.agent : l?.requests.standard)?.find((x) => listKey(x.partyOrgNo, x.externalRef) === key);
    const user = l?.systemUsers.find((u) => (u.userType === "agent") === agent && listKey(u.partyOrgNo, u.externalRef) === key);
    const s: CustomerState | undefined =
      request || user
        ? {
            requestId: request?.requestId ?? "",
            status: user ? "Accepted" : request!.status,
            ...(user && { systemUserId: user.systemUserId }),
            ...(request?.created && { created: request.created }),
            timedOut: request?.timedOut === true,
            escalated: request?.escalated === true,
          }
        : undefined;
    const section = sectionOf.get(groupKey(r.kind, r.group)) ?? (agent ? "agentRequests" : "requests");
    lines.push(
      line(
        `${section}.${r.group}`,
        systemId,
        r.customer.orgNo,
        r.customer.name,
        externalRef,
        s,
        request ? confirmUrlFor(r.kind, uiBase, request.requestId) : "",
        now,
      ),
    );
  }
  for (const l of lists) {
    for (const [agent, requests] of [
      [false, l.requests.standard],
      [true, l.requests.agent],
    ] as const) {
      for (const req of requests) {
        const key = listKey(req.partyOrgNo, req.externalRef);
        if (declared.has(`${l.systemId}\u0000${agent}\u0000${key}`)) continue;
        declared.add(`${l.systemId}\u0000${agent}\u0000${key}`);
        const user = l.systemUsers.find((u) => (u.userType === "agent") === agent && listKey(u.partyOrgNo, u.externalRef) === key);
        const kind: RequestKind = agent ? "AgentSystemUserRequest" : "SystemUserRequest";
        lines.push(
          line(
            "unmanaged",
            l.systemId,
            req.partyOrgNo,
            undefined,
            req.externalRef,
            {
              requestId: req.requestId,
              status: user ? "Accepted" : req.status,
              ...(user && { systemUserId: user.systemUserId }),
              ...(req.created && { created: req.created }),
              timedOut: req.timedOut,
              escalated: req.escalated,
            },
            confirmUrlFor(kind, uiBase, req.requestId),
            now,
          ),
        );
      }
    }
    for (const u of l.systemUsers) {
      const agent = u.userType === "agent";
      const key = listKey(u.partyOrgNo, u.externalRef);
      if (declared.has(`${l.systemId}\u0000${agent}\u0000${key}`)) continue;
      // A system user with no request behind it: most likely one the customer created in Altinn.
      lines.push(
        line(
          "unmanaged",
          l.systemId,
          u.partyOrgNo,
          undefined,
          u.externalRef,
          { requestId: "", status: "Accepted", systemUserId: u.systemUserId, ...(u.created && { created: u.created }) },
          "",
          now,
        ),
      );
    }
  }
  return lines;
}

const csvColumns = [
  "group",
  "systemId",
  "orgNo",
  "name",
  "externalRef",
  "status",
  "ageDays",
  "confirmUrl",
  "systemUserId",
  "escalated",
  "timedOut",
  "error",
] as const;

function csvCell(v: unknown): string {
  const s = v === undefined ? "" : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatReport(lines: ReportLine[], format: "text" | "csv" | "json"): string[] {
  if (format === "json") return lines.map((l) => JSON.stringify(l));
  if (format === "csv") return [csvColumns.join(","), ...lines.map((l) => csvColumns.map((c) => csvCell(l[c])).join(","))];
  const out: string[] = [];
  for (const g of groupsOf(lines)) {
    const total = Object.entries(g.counts)
      .filter(([k]) => k !== "timed out" && k !== "escalated")
      .reduce((n, [, v]) => n + v, 0);
    const parts = Object.entries(g.counts)
      .filter(([k, v]) => v > 0 || ["New", "Accepted", "Rejected", "Denied", "timed out", "escalated"].includes(k))
      .map(([k, v]) => `${k} ${v}`);
    out.push(`${g.group} (${g.systemId}): ${total} customer${total === 1 ? "" : "s"}: ${parts.join(", ")}`);
  }
  if (!out.length) out.push("no system user requests in this stack");
  const unmanaged = lines.filter((l) => l.group === "unmanaged").length;
  if (unmanaged)
    out.push(
      `${unmanaged} system user(s) or request(s) in Altinn that no group of this stack declares (created by customers themselves, or by another tool): listed with --csv or --json; never adopted or deleted`,
    );
  return out;
}

const usage = "usage: npm run requests -- --stack <stack> [--csv | --json] [--live] [--state <exported state file>]";

/** Runs the report; answers the exit code. `pulumi` must be on PATH (eval "$(scripts/pulumi-cli.sh --env)"), unless `--state` is given. */
export async function requestsMain(
  argv: string[],
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
  err: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  cwd = process.cwd(),
): Promise<number> {
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) {
      err(usage);
      return 2;
    }
    const [k, v] = a.slice(2).split("=", 2) as [string, string | undefined];
    if (v !== undefined) flags.set(k, v);
    else if ((k === "stack" || k === "state") && argv[i + 1] && !argv[i + 1]!.startsWith("--")) flags.set(k, argv[++i]!);
    else flags.set(k, true);
  }
  const unknown = [...flags.keys()].filter((k) => !["stack", "csv", "json", "live", "state"].includes(k));
  const stack = flags.get("stack");
  if (unknown.length || typeof stack !== "string" || (flags.has("csv") && flags.has("json"))) {
    err(unknown.length ? `unknown option --${unknown[0]}\n${usage}` : usage);
    return 2;
  }
  const format = flags.has("csv") ? "csv" : flags.has("json") ? "json" : "text";
  const root = findProjectRoot(cwd) ?? cwd;
  const file = path.join(root, "stacks", `${stack}.yaml`);
  if (!existsSync(file)) {
    err(`no stack file stacks/${stack}.yaml`);
    return 2;
  }
  const { environment, configuredOrgNo } = stackConfigFor(file);
  const { problems, plan } = validateStackFile(file, {
    environment,
    displayName: `stacks/${stack}.yaml`,
    ...(configuredOrgNo && { configuredOrgNo }),
  });
  if (problems.length) {
    err(`stacks/${stack}.yaml has ${problems.length} problem(s):\n${problems.map(formatProblem).join("\n")}`);
    return 1;
  }
  let lines: ReportLine[];
  if (flags.has("live")) {
    // The providers' own settings: the stack config (secrets through `pulumi config`), else the environment.
    const values: Record<string, string> = { ...(readStackConfigFile(root, stack) ?? {}) };
    if (!flags.has("state")) Object.assign(values, pulumiConfig(root, stack));
    const ctx = configureContext({ get: (k) => values[k] });
    const api = new AltinnApi(ctx);
    const systems = [
      ...new Set(plan.requestGroups.map((g) => String(plan.systems.find((s) => s.name === g.system)?.args.systemId ?? ""))),
    ].filter(Boolean);
    const lists: LiveLists[] = [];
    for (const systemId of systems) {
      const read = async (kind: RequestKind) =>
        api.listRequests(kind, systemId).catch((e: unknown) => (isUnknownSystem(e) ? [] : Promise.reject(e)));
      const [standard, agent, systemUsers] = await Promise.all([
        read("SystemUserRequest"),
        read("AgentSystemUserRequest"),
        api.listSystemUsers(systemId).catch((e: unknown) => (isUnknownSystem(e) ? [] : Promise.reject(e))),
      ]);
      lists.push({ systemId, requests: { standard, agent }, systemUsers });
    }
    lines = linesFromLive(plan, lists, ctx.settings.endpoints.altinnUiBase);
  } else {
    const stateFile = flags.get("state");
    const exported = typeof stateFile === "string" ? readFileSync(stateFile, "utf8") : pulumiExport(root, stack);
    lines = linesFromState(exported, plan);
  }
  for (const l of formatReport(lines, format)) out(l);
  return 0;
}

function isUnknownSystem(e: unknown): boolean {
  return !!e && typeof e === "object" && "status" in e && (e as { status?: number }).status === 404;
}

function pulumi(root: string, args: string[]): string {
  const r = spawnSync("pulumi", args, { cwd: root, encoding: "utf8", maxBuffer: 1 << 30 });
  if (r.error) throw new Error(`cannot run pulumi (${r.error.message}): put it on PATH, e.g. eval "$(scripts/pulumi-cli.sh --env)"`);
  if (r.status !== 0) throw new Error(`pulumi ${args.join(" ")} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

function pulumiExport(root: string, stack: string): string {
  return pulumi(root, ["stack", "export", "--stack", stack]);
}

/** The stack's config with secrets, for `--live` (the admin client's key). */
function pulumiConfig(root: string, stack: string): Record<string, string> {
  const json = JSON.parse(pulumi(root, ["config", "--json", "--show-secrets", "--stack", stack])) as Record<string, { value?: unknown }>;
  return Object.fromEntries(
    Object.entries(json)
      .filter(([, v]) => v.value !== undefined)
      .map(([k, v]) => [k, String(v.value)]),
  );
}

if (require.main === module) {
  requestsMain(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
