import type { z } from "zod";
import { parsePath, pathString } from "./path";

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

/** A mapping (not an array, not null): what JSON and YAML objects become. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

export function containsUnknown(v: unknown): boolean {
  if (isUnknown(v)) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (v && typeof v === "object") return Object.values(v).some(containsUnknown);
  return false;
}

/** Is the value at `property`, or anything on the way to it or inside it, not known yet? */
export function unknownAt(inputs: unknown, property: string): boolean {
  let v: unknown = inputs;
  for (const seg of parsePath(property)) {
    if (isUnknown(v)) return true;
    if (v === null || typeof v !== "object") return false;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return containsUnknown(v);
}

/**
 * Validates inputs that may hold values not known yet (a preview): they are validated as they are, and every
 * failure that concerns an unknown value is dropped, so the known rest is still judged and failures keep the
 * user's own indices. `data` is undefined when only unknown values failed: there is nothing to complete yet.
 */
export function parseAroundUnknowns<T>(schema: z.ZodType<T>, inputs: Record<string, unknown>): { data?: T; failures: Failure[] } {
  const parsed = schema.safeParse(inputs);
  if (parsed.success) return { data: parsed.data, failures: [] };
  return { failures: knownFailures(failuresFromZod(parsed.error), inputs) };
}

/** Failures that do not concern a value that is still unknown. */
export function knownFailures(failures: Failure[], inputs: unknown): Failure[] {
  return failures.filter((f) => !unknownAt(inputs, f.property));
}

/** zod's type names as a stack file's author reads them. */
const typeNames: Record<string, string> = {
  array: "a list",
  object: "a mapping",
  string: "a string",
  number: "a number",
  boolean: "true or false",
  null: "null",
};

/** zod issues → failures named by their input path (`redirectUris[1]`). */
export function failuresFromZod(error: z.ZodError): Failure[] {
  return error.issues.map((issue) => {
    const property = pathString(issue.path);
    let reason = issue.message;
    if (issue.code === "unrecognized_keys") {
      return {
        property: property || (issue.keys[0] ?? ""),
        reason: `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")}: remove ${issue.keys.length > 1 ? "them" : "it"} or check the spelling`,
      };
    }
    // Only zod's own wording is rewritten: `.int("...")` also reports invalid_type (expected "int"), with our message.
    if (issue.code === "invalid_type" && (issue.expected in typeNames || /received undefined$/.test(issue.message))) {
      // zod 4 keeps the received type only in its message (the input itself only with reportInput).
      const received = /received (\w+)$/.exec(issue.message)?.[1];
      const expected = typeNames[issue.expected] ?? issue.expected;
      reason =
        received === "undefined"
          ? `required: expected ${expected}`
          : `expected ${expected}${received ? `, got ${typeNames[received] ?? received}` : ""}`;
    }
    return { property, reason };
  });
}

/** Is the value a set-like array equal to the other, ignoring order and duplicates? */
export function sameSet(a: readonly unknown[] | undefined, b: readonly unknown[] | undefined): boolean {
  const x = [...new Set((a ?? []).map((v) => JSON.stringify(v)))].sort();
  const y = [...new Set((b ?? []).map((v) => JSON.stringify(v)))].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Drops `undefined` members: the host cannot marshal them (the SDK's dynamic provider host). */
export function defined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Text the services would store and show to people (names, descriptions, URIs, ids): refused when it holds
 * what no such text should: a NUL or other control character, a line break (these are one line; `multiline`
 * properties may hold `\n` and tabs), U+FFFD (what is left where text that was not UTF-8 was read), a lone
 * surrogate (not Unicode at all), or more characters than `maxLength`. Neither Digdir nor Altinn publishes a
 * bound on these lengths; ours (1,000 characters on one line, 10,000 with line breaks) are far above any real
 * name and far below a value that should never be sent.
 */
export function textFailures(
  value: unknown,
  opts: { multiline?: readonly string[]; skip?: readonly string[] } = {},
  prefix = "",
): Failure[] {
  const out: Failure[] = [];
  const visit = (v: unknown, property: string, top: string) => {
    if (typeof v === "string") {
      if (isUnknown(v)) return;
      const reason = textProblem(v, opts.multiline?.includes(top) ?? false);
      if (reason) out.push({ property, reason });
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => visit(item, `${property}[${i}]`, top));
    } else if (v && typeof v === "object") {
      for (const [k, item] of Object.entries(v))
        if (!k.startsWith("__") && !(opts.skip ?? []).includes(k)) visit(item, property ? `${property}.${k}` : k, top || k);
    }
  };
  visit(value, prefix, "");
  return out;
}

export const maxLineLength = 1000;
export const maxTextLength = 10_000;

function textProblem(s: string, multiline: boolean): string | undefined {
  const max = multiline ? maxTextLength : maxLineLength;
  if (s.length > max) return `is ${s.length} characters long; at most ${max} are accepted${multiline ? "" : " on one line"}: shorten it`;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const at = `at character ${i + 1}`;
    if (c === 0) return `holds a NUL character (${at}): remove it`;
    if (c === 0x0a || c === 0x0d) {
      if (multiline && c === 0x0a) continue;
      return `holds a line break (${at}): ${multiline ? "use \\n, not \\r" : "it must be one line"}`;
    }
    if (c === 0x09 && multiline) continue;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
      return `holds the control character U+${c.toString(16).toUpperCase().padStart(4, "0")} (${at}): remove it`;
    if (c === 0xfffd) return `holds U+FFFD (${at}), the character left where text that was not UTF-8 was read: write it again as UTF-8`;
    if (c >= 0xd800 && c <= 0xdfff) {
      const pair = c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff;
      if (!pair) return `is not valid Unicode (a lone surrogate ${at})`;
      i++;
    }
  }
  return undefined;
}
