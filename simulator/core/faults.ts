import { z } from "zod";

// Fault injection (POST /_sim/faults). A rule matches a method and a regular expression on the request path
// (without query string) and does one thing:
//   status          answer this status without running the handler (optional retryAfter seconds, optional JSON body)
//   reset           destroy the connection without answering
//   commitThenFail  run the handler (its effects stay), then answer this status instead, or "reset" the connection
//   delayMs         wait this long first; alone it delays a normal answer, combined it delays the fault
// `times` limits how often a rule fires (default: until DELETE /_sim/faults). Rules are tried in the order
// they were added; the first one that matches and has firings left applies. Control routes (/_sim) are never
// faulted.

export const FaultRuleInput = z
  .object({
    method: z.string().min(1).optional(),
    path: z.string().min(1).refine(isValidRegex, { message: "must be a valid regular expression" }),
    status: z.number().int().min(100).max(599).optional(),
    retryAfter: z.number().int().min(0).optional(),
    body: z.unknown().optional(),
    delayMs: z.number().int().min(0).max(120_000).optional(),
    reset: z.literal(true).optional(),
    commitThenFail: z.union([z.number().int().min(100).max(599), z.literal("reset")]).optional(),
    times: z.number().int().min(1).optional(),
  })
  .strict()
  .superRefine((rule, ctx) => {
    const actions = [rule.status !== undefined, rule.reset === true, rule.commitThenFail !== undefined].filter(Boolean).length;
    if (actions > 1) ctx.addIssue({ code: "custom", message: "give at most one of status, reset, commitThenFail" });
    if (actions === 0 && rule.delayMs === undefined)
      ctx.addIssue({ code: "custom", message: "give one of status, reset, commitThenFail, or delayMs" });
    if (rule.retryAfter !== undefined && rule.status === undefined)
      ctx.addIssue({ code: "custom", message: "retryAfter goes with status" });
    if (rule.body !== undefined && rule.status === undefined && typeof rule.commitThenFail !== "number")
      ctx.addIssue({ code: "custom", message: "body goes with status or a commitThenFail status" });
  });

export type FaultRuleInput = z.infer<typeof FaultRuleInput>;

export interface FaultRule extends FaultRuleInput {
  id: number;
  /** How many more times the rule fires; undefined = unlimited. */
  remaining?: number;
  fired: number;
}

export class FaultInjector {
  private rules: FaultRule[] = [];
  private nextId = 1;

  add(inputs: FaultRuleInput[]): FaultRule[] {
    for (const input of inputs) {
      this.rules.push({ ...input, id: this.nextId++, remaining: input.times, fired: 0 });
    }
    return this.list();
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** The rule that applies to this request, counting the firing; undefined when none does. */
  take(method: string, path: string): FaultRule | undefined {
    for (const rule of this.rules) {
      if (rule.remaining === 0) continue;
      if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (!new RegExp(rule.path).test(path)) continue;
      if (rule.remaining !== undefined) rule.remaining--;
      rule.fired++;
      return { ...rule };
    }
    return undefined;
  }
}

function isValidRegex(s: string): boolean {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}

export function faultBody(rule: FaultRule, status: number): unknown {
  return rule.body !== undefined ? rule.body : { error: "simulated_fault", status, rule: rule.id };
}
