import * as path from "node:path";
import { isPlainObject as isRecord } from "../../providers/core/check";
import { checkRequestInputs, type RequestKind } from "../../providers/altinn/request-model";
import { unknownValue, type Failure } from "../../providers/core/check";
import { readCustomersFile, type CsvColumn, type CsvCustomer } from "../csv";
import { customerSchema, requestGroupSchema, type CustomerDecl, type RequestGroupDecl } from "../schema";
import type { Path } from "../../providers/core/path";
import { didYouMean } from "../../providers/core/suggest";
import { guardUrl } from "./guardrails";
import { Origins } from "./origins";
import type { ValidationRun, SystemInfo } from "./run";
import { expandPackages, expandRights } from "./shorthands";
import { judgedArgs, type RequestGroupFields } from "./plan";

/**
 * `requests:` and `agentRequests:`: groups of system user requests, each for one system. Every customer is judged
 * as one request by request-model.ts; the plan holds the requests and their groups (stacks/groups.ts shards them).
 */

/** What a group or one of its customers may set for a request. */
const requestFields = ["integrationTitle", "rights", "accessPackages", "redirectUrl"] as const;

interface GroupContext {
  kind: RequestKind;
  group: string;
  groupAt: Path;
  decl: RequestGroupDecl;
  systemName: string;
  system: SystemInfo | undefined;
  systemAt: Path;
  /** The requests of this section so far, by key, and where each was declared. */
  seen: Map<string, Path | string>;
}

/** Where a request was declared: a customer entry in the YAML, or a row of a CSV file. */
interface CsvRow {
  file: string;
  row: CsvCustomer;
}

export function requestGroups(run: ValidationRun, sectionName: "requests" | "agentRequests", entries: Record<string, unknown>): void {
  const kind: RequestKind = sectionName === "agentRequests" ? "AgentSystemUserRequest" : "SystemUserRequest";
  const seen = new Map<string, Path | string>();
  for (const [group, raw] of Object.entries(entries)) {
    const base: Path = [sectionName, group];
    const decl = run.parse(requestGroupSchema, raw, base);
    if (!decl) continue;
    const systemName = decl.system ?? group;
    const systemAt: Path = decl.system !== undefined ? [...base, "system"] : base;
    const system = run.systems.get(systemName);
    // A `system:` that is not a name was reported already; it does not default to the group's name.
    const systemBroken = decl.system === undefined && isRecord(raw) && raw.system !== undefined;
    if (!system && !systemBroken) {
      const written = decl.system !== undefined;
      run.at(systemAt, noSuchSystem(systemName, written, didYouMean(systemName, run.systems.keys())), written ? "value" : "key");
    }
    const ctx: GroupContext = { kind, group, groupAt: base, decl, systemName, system, systemAt, seen };
    (decl.customers ?? []).forEach((raw, i) => {
      const at: Path = [...base, "customers", i];
      const c = run.parse(customerSchema, raw, at);
      if (c) request(run, ctx, c, at, isRecord(raw));
    });
    if (decl.customersFile !== undefined) customersFile(run, ctx, decl.customersFile);
    if (isRecord(raw) && raw.customers === undefined && raw.customersFile === undefined)
      run.at(base, "a group needs `customers:` (a list), `customersFile:` (a CSV file beside the stack file), or both", "key");
    const groupArgs: Record<string, unknown> = {};
    const scratch = new Origins(base);
    for (const field of requestFields) {
      const value = (decl as Record<string, unknown>)[field];
      if (value === undefined) continue;
      groupArgs[field] =
        field === "rights"
          ? expandRights(value, base, scratch, field)
          : field === "accessPackages"
            ? expandPackages(value, base, scratch, field)
            : value;
    }
    run.plan.requestGroups.push({
      section: sectionName,
      name: group,
      kind,
      system: systemName,
      args: judgedArgs<RequestGroupFields>(groupArgs),
      ...(decl.shards !== undefined && { shards: decl.shards }),
      ...(decl.concurrency !== undefined && { concurrency: decl.concurrency }),
      // A customer file is how a vendor brings thousands: one stack output entry each would be megabytes that every
      // run reads back, writes and prints (stacks/README.md, "Outputs").
      outputs: decl.outputs ?? (decl.customersFile !== undefined ? "counts" : "customers"),
    });
  }
}

/** A group's customers from its CSV file: each row judged as a customer entry, problems at the file's cells. */
function customersFile(run: ValidationRun, ctx: GroupContext, file: string): void {
  const shown = path.join(path.dirname(run.src.file), file);
  const { customers, problems } = readCustomersFile(path.resolve(run.dir, file), shown);
  run.problems.push(...problems);
  for (const row of customers) {
    const c = customerSchema.safeParse(row.decl);
    if (!c.success) continue; // the CSV reader gives text cells only: nothing zod could refuse
    request(run, ctx, c.data, [...ctx.groupAt, "customersFile"], true, { file: shown, row });
  }
}

/** One customer's request: its inputs (the customer's own values replacing the group's), checked, keyed, planned. */
function request(run: ValidationRun, ctx: GroupContext, customer: CustomerDecl, at: Path, objectForm: boolean, csv?: CsvRow): void {
  const { kind, systemName, system } = ctx;
  const origins = new Origins(at)
    .map("systemId", ctx.systemAt, false)
    .map("systemOffer", ctx.systemAt, false)
    .map("partyOrgNo", objectForm ? [...at, "orgNo"] : at, false);
  const args = requestArgs(ctx, customer, at, origins);

  const { failures } = checkRequestInputs(
    kind,
    { ...args, systemId: system?.systemId ?? unknownValue, ...(system?.offer && { systemOffer: system.offer }) },
    {},
  );
  reportRequestFailures(run, failures, origins, csv);
  guardUrl(run, typeof args.redirectUrl === "string" ? args.redirectUrl : undefined, origins.resolve("redirectUrl"));

  const orgNoValid = !failures.some((f) => f.property === "partyOrgNo");
  const externalRef = typeof customer.externalRef === "string" ? customer.externalRef : customer.orgNo;
  const key = `${systemName}\u0000${customer.orgNo}\u0000${externalRef}`;
  const here = csv ? `${csv.file}:${csv.row.line}` : at;
  const where = (p: Path | string) => (typeof p === "string" ? p : `line ${run.lineOf(p)}`);
  const first = ctx.seen.get(key);
  if (first && orgNoValid) {
    reportAtRequest(run, at, csv, requestedTwice(customer.orgNo, externalRef, systemName, where(first)));
    return;
  }
  ctx.seen.set(key, here);
  // Altinn keys agent and standard requests together: an agent request is refused while a standard request holds
  // the key (Altinn/altinn-authentication, `RequestSystemUserService.CreateAgentRequest` → `ValidateExternalRequestId`),
  // so both in one stack cannot work.
  const other = run.requestKeys.get(key);
  if (other && other.kind !== kind && orgNoValid) {
    reportAtRequest(run, at, csv, agentAndStandard(customer.orgNo, externalRef, systemName, where(other.at)));
    return;
  }
  if (!other) run.requestKeys.set(key, { at: here, kind });
  run.plan.requests.push({
    name: `${systemName}/${customer.orgNo}${customer.externalRef !== undefined ? `/${String(customer.externalRef)}` : ""}`,
    kind,
    system: systemName,
    group: ctx.group,
    customer: { orgNo: customer.orgNo, ...(customer.name !== undefined && { name: customer.name }) },
    args,
    own: ["externalRef", ...requestFields].filter((k) => (customer as Record<string, unknown>)[k] !== undefined),
  });
}

/** A request's inputs: a customer's own value replaces the group's (lists are not merged: what is written is what is asked for). */
function requestArgs(ctx: GroupContext, customer: CustomerDecl, at: Path, origins: Origins): Record<string, unknown> {
  const args: Record<string, unknown> = { partyOrgNo: customer.orgNo };
  if (customer.externalRef !== undefined) {
    args.externalRef = customer.externalRef;
    origins.map("externalRef", [...at, "externalRef"]);
  }
  for (const field of requestFields) {
    const own = (customer as Record<string, unknown>)[field];
    const value = own !== undefined ? own : (ctx.decl as Record<string, unknown>)[field];
    // Agent requests take no rights: passed only when written, for the request check to say so.
    if (ctx.kind === "AgentSystemUserRequest" && field === "rights" && value === undefined) continue;
    const where: Path = own !== undefined ? [...at, field] : [...ctx.groupAt, field];
    if (field === "rights") args.rights = expandRights(value ?? [], where, origins, "rights");
    else if (field === "accessPackages") args.accessPackages = expandPackages(value ?? [], where, origins, "accessPackages");
    else {
      origins.map(field, where);
      if (value !== undefined) args[field] = value;
    }
  }
  return args;
}

/** A CSV row's own cells: its problems at the cell; the group's fields (and the system) stay in the YAML. */
function reportRequestFailures(run: ValidationRun, failures: Failure[], origins: Origins, csv: CsvRow | undefined): void {
  for (const f of failures) {
    const field = /^[a-zA-Z]+/.exec(f.property)?.[0];
    const column: CsvColumn | undefined = field === "partyOrgNo" ? "orgNo" : (field as CsvColumn | undefined);
    const cell = csv && column ? csv.row.cells[column] : undefined;
    if (cell && csv) run.atFile(csv.file, cell.line, cell.col, `${f.property === "partyOrgNo" ? "orgNo" : f.property}: ${f.reason}`);
    else run.at(origins.resolve(f.property), f.reason);
  }
}

/** A problem with the request as a whole: at the customer entry, or at the start of its CSV row. */
function reportAtRequest(run: ValidationRun, at: Path, csv: CsvRow | undefined, message: string): void {
  if (csv) run.atFile(csv.file, csv.row.line, 1, message);
  else run.at(at, message);
}

function noSuchSystem(systemName: string, written: boolean, hint: string): string {
  return written
    ? `no system \`${systemName}\` under \`systems\`${hint || ": declare it there"}`
    : `no system \`${systemName}\` under \`systems\` (a group's system defaults to the group's name): set \`system:\`${hint ? `, or rename the group${hint}` : " to one of the systems"}`;
}

function requestedTwice(orgNo: string, externalRef: string, system: string, where: string): string {
  return `customer ${orgNo} (externalRef ${externalRef}) of system \`${system}\` is also requested at ${where}: Altinn keeps one request per system, customer and externalRef; remove one, or give each its own externalRef`;
}

function agentAndStandard(orgNo: string, externalRef: string, system: string, where: string): string {
  return (
    `customer ${orgNo} (externalRef ${externalRef}) of system \`${system}\` is requested both under \`requests\` and \`agentRequests\` (also at ${where}): ` +
    "Altinn keys agent and standard requests together and refuses the agent request while the standard one exists; give one of them its own externalRef"
  );
}
