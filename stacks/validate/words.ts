import { isPlainObject as isRecord } from "../../providers/core/check";
import { FileReadError } from "../files";
import { nearest } from "../../providers/core/suggest";

/** How the validator's messages name values and keys, in the stack file's words. */

export function unknownKey(key: string, allowed: readonly string[], what = "key"): string {
  const near = nearest(key, allowed);
  return near
    ? `unknown ${what} \`${key}\`: did you mean \`${near}\`?`
    : `unknown ${what} \`${key}\`: expected one of ${allowed.join(", ")}`;
}

export function describe(v: unknown): string {
  if (v === null) return "an empty value";
  if (Array.isArray(v)) return "a list";
  if (isRecord(v)) return "a map";
  if (typeof v === "string") return `the text "${v}"`;
  return `${typeof v === "number" ? "the number" : typeof v === "boolean" ? "the value" : typeof v} ${String(v)}`;
}

/** zod's messages, in the stack file's words, where a schema gives none of its own. */
export function defaultMessage(issue: { code: string; expected?: string; input?: unknown; origin?: string }): string | undefined {
  if (issue.code === "invalid_type") {
    const expected =
      { string: "text", number: "a number", boolean: "true or false", object: "a map", array: "a list" }[issue.expected ?? ""] ??
      issue.expected;
    return issue.input === undefined ? `must be ${expected}` : `must be ${expected}, not ${describe(issue.input)}`;
  }
  if (issue.code === "too_small" && issue.origin === "string") return "must not be empty";
  return undefined;
}

export function valueAt(data: unknown, p: readonly (string | number)[]): unknown {
  let v = data;
  for (const seg of p) {
    if (Array.isArray(v) && typeof seg === "number") v = v[seg];
    else if (isRecord(v)) v = v[String(seg)];
    else return undefined;
  }
  return v;
}

/** Why a file could not be read, in a few words. */
export function readFailure(e: unknown): string {
  return e instanceof FileReadError ? e.message : (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message;
}
