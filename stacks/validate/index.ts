import * as path from "node:path";
import { isPlainObject as isRecord } from "../../providers/core/check";
import { FileReadError, readTextFile } from "../files";
import { sections } from "../schema";
import { sortProblems, StackSource, type Problem } from "../source";
import { apiScopes, scopeReferences } from "./api-scopes";
import { clients } from "./clients";
import { promotion, repeatedKeys, section, topLevelKeys } from "./document";
import { guardPlannedUrls } from "./guardrails";
import { organisation } from "./organisation";
import { emptyPlan, type StackPlan } from "./plan";
import { requestGroups } from "./request-groups";
import { ValidationRun, type ValidateOptions } from "./run";
import { systems } from "./systems";
import { describe, readFailure } from "./words";

/**
 * A stack file in, every problem (positioned) and the resolved plan out. The plan is what the program
 * registers: one entry per resource, with its plain inputs and its references by name. Every offline rule of
 * the providers comes from their own check functions; the rules here are the ones only the whole file can
 * judge: names, references, repeated keys, the organisation, and the production guardrails. One module per
 * section of the file (stacks/README.md lists them).
 */

export type {
  KeyPolicyArgs,
  Plain,
  PlannedApiScope,
  PlannedClient,
  PlannedClientArgs,
  PlannedConsumer,
  PlannedKeySet,
  PlannedRequest,
  PlannedRequestGroup,
  PlannedSystem,
  StackPlan,
} from "./plan";
export { groupKey } from "./plan";
export { maxKeyFileBytes, type ValidateOptions } from "./run";
export { testOnlyUrl } from "./guardrails";

export interface ValidationResult {
  problems: Problem[];
  plan: StackPlan;
}

/** A stack file of 1 MB holds thousands of objects. */
export const maxStackFileBytes = 1024 * 1024;

/** Reads and validates a stack file; `displayName` is how problems name it (default: relative to the working directory). */
export function validateStackFile(file: string, opts: ValidateOptions & { displayName?: string }): ValidationResult {
  const shown = opts.displayName ?? (path.relative(process.cwd(), file) || file);
  let text: string;
  try {
    text = readTextFile(file, maxStackFileBytes);
  } catch (e) {
    const at = e instanceof FileReadError ? e.at : undefined;
    return {
      problems: [
        { file: shown, line: at?.line ?? 1, col: at?.col ?? 1, path: "", message: `cannot read the stack file: ${readFailure(e)}` },
      ],
      plan: emptyPlan(opts.environment),
    };
  }
  return validateStack(new StackSource(shown, text), path.dirname(path.resolve(file)), opts);
}

/** Validates a parsed stack file; `dir` is its folder, against which key files and CSV files are read. */
export function validateStack(src: StackSource, dir: string, opts: ValidateOptions): ValidationResult {
  const run = new ValidationRun(src, dir, opts);
  if (src.syntaxProblems.length) return { problems: sortProblems(src.syntaxProblems), plan: run.plan };
  const data = src.data();
  if (data === null || data === undefined) {
    run.at([], "the stack file is empty: it needs at least `organisation:` with the organisation's orgNo");
  } else if (!isRecord(data)) {
    run.at([], `must be a map of sections (${sections.join(", ")}), not ${describe(data)}`);
  } else {
    repeatedKeys(run);
    topLevelKeys(run, data);
    const orgNo = organisation(run, data.organisation);
    clients(run, section(run, data, "clients"));
    apiScopes(run, section(run, data, "apiScopes"));
    scopeReferences(run, orgNo);
    systems(run, section(run, data, "systems"), orgNo);
    requestGroups(run, "requests", section(run, data, "requests"));
    requestGroups(run, "agentRequests", section(run, data, "agentRequests"));
    promotion(run, data.promotion);
    guardPlannedUrls(run);
  }
  return { problems: sortProblems(run.problems), plan: run.plan };
}
