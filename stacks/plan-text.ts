import { describeStep } from "./plan-steps";
import { groups, kindAndName, type Change, type PlanContext, type PreviewJson } from "./plan-words";

/**
 * `pulumi preview --json` in, what will change in the domain's own words out: one sentence per object (per
 * customer for a resource that holds many), grouped by kind, risky steps marked. Pure: `npm run plan`
 * (stacks/cli.ts) runs the preview and prints this as text, Markdown (a pull-request comment) or JSON.
 *
 * Only chosen fields are ever printed (names, organisation numbers, scopes, rights, packages, key ids, numbers and
 * booleans); other changed fields are named, never shown, so no secret can reach a plan. One step's sentences:
 * plan-steps.ts; the words they share: plan-words.ts.
 */

export { describeStep } from "./plan-steps";
export {
  groups,
  kindAndName,
  risks,
  unknownValue,
  type Change,
  type Group,
  type PlanContext,
  type PreviewJson,
  type PreviewState,
  type PreviewStep,
  type Risk,
} from "./plan-words";

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
