import { isPlainObject as isRecord } from "../../providers/core/check";
import { promotionSchema, sections } from "../schema";
import { pathString } from "../../providers/core/path";
import type { ValidationRun } from "./run";
import { describe, unknownKey } from "./words";

/** What only the file as a whole can tell: its top-level sections, keys written twice, the promotion settings. */

/** The sections whose keys are names of objects (a repeated key there is a name declared twice). */
const namedSections = ["clients", "apiScopes", "systems", "requests", "agentRequests"];

export function topLevelKeys(run: ValidationRun, data: Record<string, unknown>): void {
  for (const key of Object.keys(data)) {
    if (!(sections as readonly string[]).includes(key)) run.at([key], unknownKey(key, sections, "section"), "key");
  }
}

export function repeatedKeys(run: ValidationRun): void {
  for (const r of run.src.repeated) {
    const parent = r.path.slice(0, -1);
    const named = parent.length === 1 && namedSections.includes(String(parent[0]));
    run.problems.push({
      file: run.src.file,
      ...r.position,
      path: pathString(r.path),
      message: repeatedKeyMessage(r.key, named ? String(parent[0]) : undefined, r.first.line),
    });
  }
}

function repeatedKeyMessage(key: string, section: string | undefined, firstLine: number): string {
  const what = section ? `the name \`${key}\` is declared twice under ${section}` : `the key \`${key}\` appears twice`;
  return `${what} (first at line ${firstLine}): ${section ? "names must be unique; rename or remove one" : "remove one (only the first is read)"}`;
}

/** A section of named objects: a map, or nothing. */
export function section(run: ValidationRun, data: Record<string, unknown>, name: string): Record<string, unknown> {
  const s = data[name];
  if (s === undefined || s === null) return {};
  if (!isRecord(s)) {
    const what = { clients: "clients", apiScopes: "API scopes", systems: "systems" }[name] ?? "request groups";
    run.at([name], `must be a map of named ${what} (name: {...}), not ${describe(s)}`);
    return {};
  }
  return s;
}

export function promotion(run: ValidationRun, raw: unknown): void {
  if (raw === undefined || raw === null) return;
  const decl = run.parse(promotionSchema, raw, ["promotion"]);
  if (decl) run.plan.promotionIgnore = decl.ignore;
}
