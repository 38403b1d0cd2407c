import type { z } from "zod";

/** A check failure as the engine shows it: the input property and the reason, with what to do. */
export interface Failure {
  property: string;
  reason: string;
}

/**
 * The value the engine sends for an output that is not known yet (during a preview, before the resource it
 * comes from exists): `@pulumi/pulumi/runtime/rpc`'s unknownValue. Check validates around it; diff treats it
 * as a change.
 */
export const unknownValue = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isUnknown(v: unknown): boolean {
  return v === unknownValue;
}

export function containsUnknown(v: unknown): boolean {
  if (isUnknown(v)) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (v && typeof v === "object") return Object.values(v).some(containsUnknown);
  return false;
}

/** Drops unknown values (keys or array items) so that the known rest can be validated. */
export function withoutUnknowns<T>(v: T): T {
  if (Array.isArray(v)) return v.filter((x) => !isUnknown(x)).map(withoutUnknowns) as T;
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (!isUnknown(x)) out[k] = withoutUnknowns(x);
    return out as T;
  }
  return v;
}

/** zod issues → failures named by their input path (`redirectUris[1]`). */
export function failuresFromZod(error: z.ZodError): Failure[] {
  return error.issues.map((issue) => {
    const property = issue.path.reduce<string>(
      (acc, seg) => (typeof seg === "number" ? `${acc}[${seg}]` : acc ? `${acc}.${String(seg)}` : String(seg)),
      "",
    );
    let reason = issue.message;
    if (issue.code === "unrecognized_keys") {
      return { property: property || (issue.keys[0] ?? ""), reason: `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")}: remove ${issue.keys.length > 1 ? "them" : "it"} or check the spelling` };
    }
    if (issue.code === "invalid_type" && issue.input === undefined) reason = `required: ${issue.message.replace(/, received undefined$/, "")}`;
    return { property, reason };
  });
}

/** Throws the failures as one error, for callers outside `check` (the stack loader reports them itself). */
export function failuresMessage(resource: string, failures: Failure[]): string {
  return `${resource}: ${failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`;
}

/** Is the value a set-like array equal to the other, ignoring order and duplicates? */
export function sameSet(a: readonly unknown[] | undefined, b: readonly unknown[] | undefined): boolean {
  const x = [...new Set((a ?? []).map((v) => JSON.stringify(v)))].sort();
  const y = [...new Set((b ?? []).map((v) => JSON.stringify(v)))].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Drops `undefined` members: the host cannot marshal them (pulumi-dynamic-providers.md §8.4). */
export function defined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
