import { orgNoProblem } from "../../providers/core/orgno";
import { organisationSchema } from "../schema";
import type { ValidationRun } from "./run";

/** `organisation:`: the organisation's number, which must agree with the stack's `digdir:orgNo` when that is set. */
export function organisation(run: ValidationRun, raw: unknown): string | undefined {
  if (raw === undefined) {
    run.at([], 'required: `organisation:` with the organisation\'s number, e.g. organisation: {orgNo: "991825827"}');
    return undefined;
  }
  const org = run.parse(organisationSchema, raw, ["organisation"]);
  if (!org) return undefined;
  const problem = orgNoProblem(org.orgNo);
  if (problem) {
    run.at(["organisation", "orgNo"], problem);
    return undefined;
  }
  const configured = run.opts.configuredOrgNo;
  if (configured && configured.value !== org.orgNo) run.at(["organisation", "orgNo"], orgNoDisagrees(org.orgNo, configured));
  run.plan.organisation = { orgNo: org.orgNo, ...(org.name !== undefined && { name: org.name }) };
  return org.orgNo;
}

function orgNoDisagrees(declared: string, configured: { value: string; source: string }): string {
  return `is ${declared}, but ${configured.source} sets digdir:orgNo ${configured.value}: the providers act for digdir:orgNo, so the two must agree; correct one of them`;
}
