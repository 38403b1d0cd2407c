import { packageName, rightName } from "./manifest";

/**
 * `pulumi preview --json` in, what will change in the domain's own words out: one sentence per object (per
 * customer for a resource that holds many), grouped by kind, risky steps marked. Pure: `npm run plan`
 * (stacks/cli.ts) runs the preview and prints this as text, Markdown (a pull-request comment) or JSON.
 *
 * Only chosen fields are ever printed (names, organisation numbers, scopes, rights, packages, key ids, numbers and
 * booleans); other changed fields are named, never shown, so no secret can reach a plan.
 */

export interface PreviewState {
  type?: string;
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

export interface PreviewStep {
  op: string;
  urn: string;
  oldState?: PreviewState;
  newState?: PreviewState;
  diffReasons?: string[];
  replaceReasons?: string[];
}

export interface PreviewJson {
  steps?: PreviewStep[];
  diagnostics?: { urn?: string; message: string; severity: string }[];
  changeSummary?: Record<string, number>;
}

export const groups = ["Clients", "Keys", "API scopes", "Grants", "Systems", "Requests to customers", "Other"] as const;
export type Group = (typeof groups)[number];

export const risks = {
  prodDelete: "deletes in prod",
  prodReplace: "replaces in prod",
  grant: "new grant to another organisation",
  rights: "new rights asked of a customer",
  keys: "key set replaced",
} as const;
export type Risk = (typeof risks)[keyof typeof risks];

export interface Change {
  group: Group;
  /** `Kind::name` of the resource. */
  resource: string;
  /** Pulumi's operation: create, update, delete, replace (a resource holding many customers: per customer). */
  op: string;
  sentence: string;
  risks: Risk[];
  /** The sentence for many like it, `{n}` standing for how many: how a long group is summarised. */
  summary: string;
}

export interface ReviewPlan {
  stack: string;
  environment: string;
  changes: Change[];
  /** The program's warnings (what a reviewer must know), each once. */
  warnings: string[];
  errors: string[];
  /** Resources Pulumi leaves as they are. */
  unchanged: number;
}

export interface PlanContext {
  stack: string;
  environment: string;
  /** The organisation's own number: its own grants are not grants to another organisation. */
  orgNo?: string;
}

/** Pulumi's marker for a value not known until apply. */
export const unknownValue = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const changeOps = new Set(["create", "update", "delete", "replace", "create-replacement", "delete-replaced", "import"]);

/** `urn:...::pulumi-nodejs:dynamic/altinn:System::smartcloud` → ["System", "smartcloud"]. */
export function kindAndName(urn: string): [string, string] {
  const parts = urn.split("::");
  const name = parts.slice(3).join("::");
  const type = parts[2] ?? "";
  return [type.split(":").pop() ?? type, name];
}

const clientKinds: Record<string, string> = {
  MaskinportenClient: "Maskinporten client",
  KrrClient: "KRR client",
  IdportenClient: "ID-porten client",
};
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== unknownValue ? v : undefined);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const added = (was: string[], is: string[]) => is.filter((x) => !was.includes(x));
const plusMinus = (was: string[], is: string[]) => [...added(was, is).map((x) => `+${x}`), ...added(is, was).map((x) => `−${x}`)];

/** What a request asks for, in words: its rights and access packages. */
function asked(inputs: Record<string, unknown> | undefined): string[] {
  return [...list(inputs?.rights).map(rightName), ...list(inputs?.accessPackages).map((p) => `package ${packageName(p)}`)];
}

/**
 * The fields an update changes, without their values unless they are numbers or booleans (a string may be long
 * or, in another resource, secret). `shown` lists fields described elsewhere in the sentence.
 */
function changedFields(oldIn: Record<string, unknown> = {}, newIn: Record<string, unknown> = {}, skip: string[] = []): string[] {
  const keys = [...new Set([...Object.keys(oldIn), ...Object.keys(newIn)])].filter((k) => k !== "__provider" && !skip.includes(k)).sort();
  const out: string[] = [];
  for (const k of keys) {
    const a = oldIn[k];
    const b = newIn[k];
    if (same(a, b)) continue;
    if (b === unknownValue) out.push(`${k} (known after apply)`);
    else if (
      (typeof a === "number" || typeof a === "boolean" || a === undefined) &&
      (typeof b === "number" || typeof b === "boolean") &&
      a !== undefined
    )
      out.push(`${k} ${a} → ${b}`);
    else out.push(k);
  }
  return out;
}

const join = (items: string[]) => items.join(", ");
const withParts = (head: string, parts: string[]) => (parts.length ? `${head}: ${parts.join("; ")}` : head);

interface StepContext extends PlanContext {
  prod: boolean;
}

/** The sentences of one step: one, or one per customer for a resource holding many customers. */
export function describeStep(step: PreviewStep, ctx: PlanContext): Change[] {
  const op = step.op === "create-replacement" ? "replace" : step.op;
  if (!changeOps.has(op) || step.op === "delete-replaced") return [];
  const [kind, name] = kindAndName(step.urn);
  if (kind === "Stack" || step.urn.includes("::pulumi:providers:")) return [];
  const c: StepContext = { ...ctx, prod: ctx.environment === "prod" };
  const oldIn = step.oldState?.inputs;
  const newIn = step.newState?.inputs;
  const oldOut = step.oldState?.outputs;
  const resource = `${kind}::${name}`;
  const makeFor =
    (stepOp: string) =>
    (group: Group, sentence: string, summary: string, extra: Risk[] = []): Change => {
      const r: Risk[] = [...extra];
      if (c.prod && stepOp === "delete") r.unshift(risks.prodDelete);
      if (c.prod && stepOp === "replace") r.unshift(risks.prodReplace);
      return { group, resource, op: stepOp, sentence, risks: [...new Set(r)], summary };
    };
  const make = makeFor(op);

  if (clientKinds[kind]) {
    const what = clientKinds[kind];
    const id = str(oldOut?.clientId);
    switch (op) {
      case "create":
        return [
          make("Clients", `creates ${what} ${name} (scopes: ${join(list(newIn?.scopes).map(String)) || "none"})`, `creates {n} clients`),
        ];
      case "delete":
        return [make("Clients", `deletes client ${name}${id ? ` (client id ${id})` : ""}: its tokens stop`, `deletes {n} clients`)];
      case "replace":
        return [
          make("Clients", withParts(`replaces client ${name} with a new client id`, changedFields(oldIn, newIn)), `replaces {n} clients`, [
            risks.keys,
          ]),
        ];
      default: {
        const scopes = plusMinus(list(oldIn?.scopes).map(String), list(newIn?.scopes).map(String));
        const parts = [...(scopes.length ? [`scopes ${join(scopes)}`] : []), ...changedFields(oldIn, newIn, ["scopes"])];
        return [make("Clients", withParts(`updates client ${name}`, parts), `updates {n} clients`)];
      }
    }
  }

  switch (kind) {
    case "ClientKeys": {
      const kidsOf = (i?: Record<string, unknown>) => list(i?.keys).map((k) => String((k as { kid?: unknown })?.kid));
      const describeSet = (i?: Record<string, unknown>) => [
        ...kidsOf(i).map((k) => `key ${k}`),
        ...(i?.generate === true ? ["a generated key"] : []),
      ];
      switch (op) {
        case "create":
          return [
            make("Keys", `registers the key set of client ${name} (${join(describeSet(newIn)) || "no keys"})`, `registers {n} key sets`),
          ];
        case "delete":
          return [make("Keys", `deletes every key of client ${name}`, `deletes every key of {n} clients`, [risks.keys])];
        case "replace":
          return [
            make(
              "Keys",
              `replaces the key set of client ${name} (${join(describeSet(newIn)) || "no keys"})`,
              `replaces the key sets of {n} clients`,
              [risks.keys],
            ),
          ];
        default: {
          const kids = plusMinus(kidsOf(oldIn), kidsOf(newIn));
          const generated =
            oldIn?.generate !== newIn?.generate ? [newIn?.generate === true ? "+a generated key" : "−the generated key"] : [];
          if (kids.length || generated.length) {
            const removes = kids.some((k) => k.startsWith("−")) || generated.some((g) => g.startsWith("−"));
            return [
              make(
                "Keys",
                `replaces the key set of client ${name} (${join([...kids, ...generated])})`,
                `replaces the key sets of {n} clients`,
                removes ? [risks.keys] : [],
              ),
            ];
          }
          const policy = changedFields(oldIn, newIn, ["keys", "generate", "clientId"]);
          if (policy.length)
            return [
              make("Keys", withParts(`updates the key settings of client ${name}`, policy), `updates the key settings of {n} clients`),
            ];
          return [
            make("Keys", `rotates or renews the keys of client ${name}, as they fall due`, `rotates or renews the keys of {n} clients`),
          ];
        }
      }
    }
    case "ApiScope": {
      const scope = str(oldOut?.name) ?? (newIn?.prefix && newIn?.subscope ? `${newIn.prefix}:${newIn.subscope}` : name);
      switch (op) {
        case "create":
          return [
            make(
              "API scopes",
              `creates API scope ${scope}${newIn?.visibility === "PRIVATE" ? " (private)" : ""}`,
              `creates {n} API scopes`,
            ),
          ];
        case "delete":
          return [make("API scopes", `deactivates API scope ${scope}: every consumer's clients lose it`, `deactivates {n} API scopes`)];
        case "replace":
          return [
            make(
              "API scopes",
              withParts(`replaces API scope ${scope} (deactivates it, creates another)`, changedFields(oldIn, newIn)),
              `replaces {n} API scopes`,
            ),
          ];
        default:
          return [make("API scopes", withParts(`updates API scope ${scope}`, changedFields(oldIn, newIn)), `updates {n} API scopes`)];
      }
    }
    case "ScopeAccess": {
      const scope = str(newIn?.scope) ?? str(oldIn?.scope) ?? name.split("/")[0]!;
      const consumer = str(newIn?.consumerOrgNo) ?? str(oldIn?.consumerOrgNo) ?? name.split("/").pop()!;
      const other = consumer !== ctx.orgNo ? [risks.grant] : [];
      switch (op) {
        case "create":
          return [make("Grants", `grants ${scope} to ${consumer}`, `grants {n} organisations access`, other)];
        case "delete":
          return [make("Grants", `revokes ${scope} from ${consumer}`, `revokes {n} grants`)];
        case "replace":
          return [make("Grants", `grants ${scope} to ${consumer} again (the grant is replaced)`, `replaces {n} grants`)];
        default:
          return [
            make("Grants", withParts(`updates the grant of ${scope} to ${consumer}`, changedFields(oldIn, newIn)), `updates {n} grants`),
          ];
      }
    }
    case "System": {
      const id = str(newIn?.systemId) ?? str(oldIn?.systemId) ?? name;
      const offer = (i?: Record<string, unknown>) => asked(i);
      switch (op) {
        case "create":
          return [
            make(
              "Systems",
              `registers system ${name} (${id})${offer(newIn).length ? ` offering ${join(offer(newIn))}` : ""}`,
              `registers {n} systems`,
            ),
          ];
        case "delete":
          return [make("Systems", `deletes system ${name} (${id}): the id is used up forever`, `deletes {n} systems`)];
        case "replace":
          return [
            make(
              "Systems",
              `replaces system ${name}: registers ${id}, deletes ${str(oldIn?.systemId) ?? "the old id"} (used up forever)`,
              `replaces {n} systems`,
            ),
          ];
        default: {
          const o = plusMinus(offer(oldIn), offer(newIn));
          const parts = [...(o.length ? [`offers ${join(o)}`] : []), ...changedFields(oldIn, newIn, ["rights", "accessPackages"])];
          return [make("Systems", withParts(`updates system ${name}`, parts), `updates {n} systems`)];
        }
      }
    }
    case "SystemUserRequest":
    case "AgentSystemUserRequest": {
      const [system = name] = name.split("/");
      return [
        requestChange(
          {
            agent: kind === "AgentSystemUserRequest",
            system,
            customer: str(newIn?.partyOrgNo) ?? str(oldIn?.partyOrgNo) ?? name.split("/")[1] ?? name,
            externalRef: str(newIn?.externalRef) ?? str(oldIn?.externalRef),
            op,
            was: oldIn,
            is: newIn,
            status: str(oldOut?.status),
          },
          make,
        ),
      ];
    }
  }

  // A resource that holds many customers (a request group): one sentence per customer whose request changes.
  const perCustomer = customerChanges(oldIn, newIn, oldOut, op);
  if (perCustomer) {
    const system = str(newIn?.system) ?? str(oldIn?.system) ?? str(newIn?.systemName) ?? name.split("/")[0]!;
    const agent = /agent/i.test(kind);
    // Each customer's own operation: adding one to a group is a create, whatever the group's step.
    return perCustomer.map((p) => requestChange({ ...p, agent, system }, makeFor(p.op)));
  }
  const verb = { create: "creates", delete: "deletes", replace: "replaces", update: "updates", import: "imports" }[op] ?? op;
  return [
    make(
      "Other",
      withParts(`${verb} ${kind} ${name}`, op === "update" ? changedFields(oldIn, newIn) : []),
      `${verb} {n} ${kind} resources`,
    ),
  ];
}

interface RequestFacts {
  agent: boolean;
  system: string;
  customer: string;
  externalRef?: string;
  op: string;
  was?: Record<string, unknown>;
  is?: Record<string, unknown>;
  /** Where the request stood at the last refresh. */
  status?: string;
}

function requestChange(f: RequestFacts, make: (group: Group, sentence: string, summary: string, extra?: Risk[]) => Change): Change {
  const who = f.externalRef && f.externalRef !== f.customer ? `${f.customer} (externalRef ${f.externalRef})` : f.customer;
  const user = f.agent ? "an agent system user" : "a system user";
  const g: Group = "Requests to customers";
  const now = asked(f.is);
  switch (f.op) {
    case "create":
      return make(
        g,
        `asks ${who} for ${user} for ${f.system}${now.length ? ` with ${join(now)}` : ""}`,
        `asks {n} customers for ${user} for ${f.system}`,
        [risks.rights],
      );
    case "delete":
      return make(
        g,
        `withdraws the request to ${who} for ${f.system}${f.status === "Accepted" ? " (accepted: the customer's system user stays)" : ""}`,
        `withdraws {n} requests for ${f.system}`,
      );
    case "replace":
      return make(
        g,
        `asks ${who} again for ${user} for ${f.system}${now.length ? ` with ${join(now)}` : ""} (a new request)`,
        `asks {n} customers again for ${f.system}`,
        [risks.rights],
      );
    default: {
      const diff = plusMinus(asked(f.was), now);
      const more = diff.some((d) => d.startsWith("+")) ? [risks.rights] : [];
      if (diff.length && f.status === "Accepted")
        return make(
          g,
          `sends ${who} a change request for ${f.system}: ${join(diff)}`,
          `sends {n} customers a change request for ${f.system}`,
          more,
        );
      if (diff.length) return make(g, `asks ${who} again for ${f.system}: ${join(diff)}`, `asks {n} customers again for ${f.system}`, more);
      return make(
        g,
        withParts(`updates the request to ${who} for ${f.system}`, changedFields(f.was, f.is, ["systemOffer", "systemId"])),
        `updates {n} requests for ${f.system}`,
      );
    }
  }
}

/**
 * The customers of a resource that holds many (providers/altinn/request-group.ts: `customers` maps `"<orgNo>"` or
 * `"<orgNo>/<externalRef>"` to the customer's own fields, each replacing the group's), with what each is asked for.
 * A list of `{orgNo, externalRef, ...}` is read the same way.
 */
function customersOf(inputs: Record<string, unknown> | undefined): Map<string, Record<string, unknown>> | undefined {
  const v = inputs?.customers;
  const out = new Map<string, Record<string, unknown>>();
  const add = (key: string | undefined, c: unknown) => {
    const r = (c && typeof c === "object" ? c : {}) as Record<string, unknown>;
    const [keyOrgNo, keyRef] = key?.split("/") ?? [];
    const orgNo = str(r.orgNo) ?? str(r.partyOrgNo) ?? keyOrgNo;
    if (!orgNo) return;
    const externalRef = str(r.externalRef) ?? keyRef;
    out.set(key ?? `${orgNo}${externalRef && externalRef !== orgNo ? `/${externalRef}` : ""}`, {
      ...r,
      orgNo,
      ...(externalRef && { externalRef }),
      rights: r.rights ?? inputs?.rights,
      accessPackages: r.accessPackages ?? inputs?.accessPackages,
    });
  };
  if (Array.isArray(v)) v.forEach((c) => add(undefined, c));
  else if (v && typeof v === "object") for (const [k, c] of Object.entries(v)) add(k, c);
  else return undefined;
  return out;
}

function customerChanges(
  oldIn: Record<string, unknown> | undefined,
  newIn: Record<string, unknown> | undefined,
  oldOut: Record<string, unknown> | undefined,
  op: string,
): Omit<RequestFacts, "agent" | "system">[] | undefined {
  if (!oldIn?.customers && !newIn?.customers) return undefined;
  const was = op === "create" ? new Map<string, Record<string, unknown>>() : customersOf(oldIn);
  const is = op === "delete" ? new Map<string, Record<string, unknown>>() : customersOf(newIn);
  if (!was || !is) return undefined;
  // Where each stood at the last refresh: the group's `requests` output (or a `status` beside each customer).
  const states = (oldOut?.requests && typeof oldOut.requests === "object" ? oldOut.requests : {}) as Record<string, { status?: unknown }>;
  const statusOf = (key: string, c: Record<string, unknown>) => str(states[key]?.status) ?? str(c.status);
  const comparable = (c: Record<string, unknown>) => ({ ...c, status: undefined, name: undefined });
  const out: Omit<RequestFacts, "agent" | "system">[] = [];
  for (const [key, c] of is) {
    const before = was.get(key);
    const base = { customer: String(c.orgNo), externalRef: str(c.externalRef), is: c };
    if (!before) out.push({ ...base, op: "create" });
    else if (!same(comparable(before), comparable(c))) out.push({ ...base, op: "update", was: before, status: statusOf(key, before) });
  }
  for (const [key, c] of was)
    if (!is.has(key))
      out.push({ customer: String(c.orgNo), externalRef: str(c.externalRef), op: "delete", was: c, status: statusOf(key, c) });
  return out;
}

/** The whole preview in sentences. */
export function reviewPlan(preview: PreviewJson, ctx: PlanContext): ReviewPlan {
  const changes = (preview.steps ?? []).flatMap((s) => describeStep(s, ctx));
  const seen = new Set<string>();
  const warnings: string[] = [];
  const errors: string[] = [];
  for (const d of preview.diagnostics ?? []) {
    const [kind, name] = d.urn ? kindAndName(d.urn) : ["", ""];
    const where = d.urn && kind !== "Stack" ? `${kind} ${name}: ` : "";
    // The engine's JSON repeats the severity at the start of the message.
    const text = `${where}${d.message.trim().replace(/^(warning|error|info): /, "")}`;
    if (d.severity === "error") errors.push(text);
    else if (d.severity === "warning" && !seen.has(text)) {
      seen.add(text);
      warnings.push(text);
    }
  }
  // `--json` lists no step for what stays the same; its summary counts them, the stack itself included.
  const unchanged = Math.max(0, (preview.changeSummary?.same ?? 0) - 1);
  return { stack: ctx.stack, environment: ctx.environment, changes, warnings, errors, unchanged };
}

const opWords: Record<string, string> = {
  create: "to create",
  update: "to update",
  replace: "to replace",
  delete: "to delete",
  import: "to import",
};

function countLine(plan: ReviewPlan): string {
  const n = plan.changes.length;
  if (!n) return "no changes";
  const byOp = new Map<string, number>();
  for (const c of plan.changes) byOp.set(c.op, (byOp.get(c.op) ?? 0) + 1);
  const risky = plan.changes.filter((c) => c.risks.length).length;
  return `${n} change${n === 1 ? "" : "s"}: ${[...byOp].map(([op, k]) => `${k} ${opWords[op] ?? op}`).join(", ")}${risky ? `; ${risky} risky` : ""}`;
}

const mark = (c: Change, md: boolean) => (c.risks.length ? `${md ? "⚠️ " : "! "}${c.sentence} [${c.risks.join(", ")}]` : c.sentence);

/** Lines of one group: every sentence when few, else one summary per kind of sentence and the sentences folded. */
function groupLines(changes: Change[], md: boolean, fold: number): { shown: string[]; folded: string[] } {
  if (changes.length <= fold) return { shown: changes.map((c) => mark(c, md)), folded: [] };
  const bySummary = new Map<string, Change[]>();
  for (const c of changes) bySummary.set(c.summary, [...(bySummary.get(c.summary) ?? []), c]);
  const shown = [...bySummary].map(([summary, cs]) => {
    if (cs.length === 1) return mark(cs[0]!, md);
    const riskyHere = [...new Set(cs.flatMap((c) => c.risks))];
    const text = summary.replace("{n}", String(cs.length));
    return riskyHere.length ? `${md ? "⚠️ " : "! "}${text} [${riskyHere.join(", ")}]` : text;
  });
  return { shown, folded: changes.map((c) => mark(c, md)) };
}

export interface FormatOptions {
  /** A group with more sentences than this is summarised, its sentences folded (Markdown) or left out (text). */
  fold?: number;
}

/** For a terminal. */
export function formatText(plan: ReviewPlan, opts: FormatOptions = {}): string[] {
  const out = [
    `plan for stack ${plan.stack} (environment ${plan.environment}): ${countLine(plan)}${plan.unchanged ? `, ${plan.unchanged} unchanged` : ""}`,
  ];
  for (const e of plan.errors) out.push(`error: ${e}`);
  for (const g of groups) {
    const cs = plan.changes.filter((c) => c.group === g);
    if (!cs.length) continue;
    out.push("", `${g} (${cs.length})`);
    for (const l of groupLines(cs, false, opts.fold ?? Infinity).shown) out.push(`  ${l}`);
  }
  if (plan.warnings.length) {
    out.push("", `Warnings (${plan.warnings.length})`);
    for (const w of plan.warnings) out.push(`  ${w}`);
  }
  return out;
}

/** A pull-request comment: short for a small change in a big stack, long lists folded in <details>. */
export function formatMarkdown(plan: ReviewPlan, opts: FormatOptions = {}): string[] {
  const fold = opts.fold ?? 5;
  const out = [
    `### Plan for stack \`${plan.stack}\` (${plan.environment})`,
    "",
    `**${countLine(plan)}**${plan.unchanged ? `, ${plan.unchanged} unchanged` : ""}`,
  ];
  if (plan.errors.length) {
    out.push("", "**Errors**");
    for (const e of plan.errors) out.push(`- ${oneLine(e)}`);
  }
  for (const g of groups) {
    const cs = plan.changes.filter((c) => c.group === g);
    if (!cs.length) continue;
    const { shown, folded } = groupLines(cs, true, fold);
    out.push("", `**${g}** (${cs.length})`);
    for (const l of shown) out.push(`- ${l}`);
    if (folded.length) out.push(`<details><summary>all ${folded.length}</summary>`, "", ...folded.map((l) => `- ${l}`), "", "</details>");
  }
  if (plan.warnings.length) {
    out.push("", `**Warnings** (${plan.warnings.length})`);
    if (plan.warnings.length <= fold) for (const w of plan.warnings) out.push(`- ${oneLine(w)}`);
    else
      out.push(
        `<details><summary>${plan.warnings.length} warnings</summary>`,
        "",
        ...plan.warnings.map((w) => `- ${oneLine(w)}`),
        "",
        "</details>",
      );
  }
  return out;
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, " ");

/** For machines: the plan as data. */
export function formatJson(plan: ReviewPlan): string {
  return JSON.stringify(plan, null, 2);
}
