import { packageName, rightName } from "./manifest";

/**
 * The words of a plan (stacks/plan-text.ts): the steps of `pulumi preview --json` as read, the groups and risk
 * marks of its sentences, and the small helpers that name what changed. Only chosen fields are ever printed
 * (names, organisation numbers, scopes, rights, packages, key ids, numbers and booleans); other changed fields are
 * named, never shown, so no secret can reach a plan.
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

export interface PlanContext {
  stack: string;
  environment: string;
  /** The organisation's own number: its own grants are not grants to another organisation. */
  orgNo?: string;
}

/** Pulumi's marker for a value not known until apply. */
export const unknownValue = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export const changeOps = new Set(["create", "update", "delete", "replace", "create-replacement", "delete-replaced", "import"]);

/** `urn:...::pulumi-nodejs:dynamic/altinn:System::smartcloud` → ["System", "smartcloud"]. */
export function kindAndName(urn: string): [string, string] {
  const parts = urn.split("::");
  const name = parts.slice(3).join("::");
  const type = parts[2] ?? "";
  return [type.split(":").pop() ?? type, name];
}

export const clientKinds: Record<string, string> = {
  MaskinportenClient: "Maskinporten client",
  KrrClient: "KRR client",
  IdportenClient: "ID-porten client",
};
export const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const str = (v: unknown): string | undefined => (typeof v === "string" && v !== unknownValue ? v : undefined);
export const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
export const added = (was: string[], is: string[]) => is.filter((x) => !was.includes(x));
export const plusMinus = (was: string[], is: string[]) => [...added(was, is).map((x) => `+${x}`), ...added(is, was).map((x) => `−${x}`)];

/** What a request asks for, in words: its rights and access packages. */
export function asked(inputs: Record<string, unknown> | undefined): string[] {
  return [...list(inputs?.rights).map(rightName), ...list(inputs?.accessPackages).map((p) => `package ${packageName(p)}`)];
}

/**
 * The fields an update changes, without their values unless they are numbers or booleans (a string may be long
 * or, in another resource, secret). `shown` lists fields described elsewhere in the sentence.
 */
export function changedFields(oldIn: Record<string, unknown> = {}, newIn: Record<string, unknown> = {}, skip: string[] = []): string[] {
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

export const join = (items: string[]) => items.join(", ");
export const withParts = (head: string, parts: string[]) => (parts.length ? `${head}: ${parts.join("; ")}` : head);
