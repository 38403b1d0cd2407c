import { z } from "zod";
import { containsUnknown, defined, isUnknown, type Failure } from "../core/check";
import { joinPath, pathString } from "../core/path";
import { nearest } from "../core/suggest";
import { orgNoProblem } from "../core/orgno";

/**
 * What the Altinn resources share: the right and access package shapes (altinn-authentication `Right.cs`,
 * `AccessPackage.cs`), their canonical forms for sets, redirect URL normalisation (.NET `Uri`) and the zod pieces
 * every `check` is built from.
 * Pure: no I/O, no wire names beyond those the wire and the inputs share.
 */

/** Texts in the three languages Altinn requires: bokmål, nynorsk, English (a database check: README "System"). */
export interface LocalizedText {
  nb: string;
  nn: string;
  en: string;
}

export const languages = ["nb", "nn", "en"] as const;

/** One attribute of a right: always `urn:altinn:resource` = a Resource Registry id (Altinn 3 apps: `app_<org>_<app>`). */
export interface ResourceAttribute {
  id: string;
  value: string;
}

export interface Right {
  /** Optional and unused by Altinn's validation; kept because it is part of the right's identity for duplicates. */
  action?: string;
  resource: ResourceAttribute[];
}

/**
 * An access package (tilgangspakke). `isAssignable` is a hint for offline checks only and never sent: whether a
 * package can be given to a standard system user is Access Management metadata that cannot be read offline.
 */
export interface AccessPackage {
  urn: string;
  isAssignable?: boolean;
}

export const resourceAttributeId = "urn:altinn:resource";
export const accessPackagePrefix = "urn:altinn:accesspackage:";

/**
 * The shorthands the stack file and the resource arguments share (stacks/README.md): a right given as its
 * Resource Registry id, `"ske-krav-og-betalinger"`, is `{resource: [{id: "urn:altinn:resource", value: ...}]}`;
 * anything else is left for `check` to judge.
 */
export function rightFrom<T>(item: string | T): T | Right {
  return typeof item === "string" && !isUnknown(item) ? { resource: [{ id: resourceAttributeId, value: item }] } : (item as T);
}

/** An access package given as its name, `"skattegrunnlag"`, or its urn is `{urn: "urn:altinn:accesspackage:skattegrunnlag"}`. */
export function accessPackageFrom<T>(item: string | T): T | AccessPackage {
  return typeof item === "string" && !isUnknown(item)
    ? { urn: item.startsWith("urn:") ? item : `${accessPackagePrefix}${item}` }
    : (item as T);
}

/**
 * Client packages (regnskapsfører, revisor, forretningsfører): delegable to agent system users, never assignable to
 * standard ones. A system with any of them must have `isVisible: false` (AUTH.VLD-00018). Other packages are
 * taken as assignable unless the input says `isAssignable: false`; the server has the last word.
 */
export const clientAccessPackages: readonly string[] = [
  "urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet",
  "urn:altinn:accesspackage:regnskapsforer-uten-signeringsrettighet",
  "urn:altinn:accesspackage:regnskapsforer-lonn",
  "urn:altinn:accesspackage:ansvarlig-revisor",
  "urn:altinn:accesspackage:revisormedarbeider",
  "urn:altinn:accesspackage:forretningsforer-eiendom",
];

/** false when the package is known (or declared) not to be assignable; true otherwise. */
export function isAssignable(pkg: AccessPackage): boolean {
  if (typeof pkg.isAssignable === "boolean") return pkg.isAssignable;
  return !clientAccessPackages.includes(pkg.urn);
}

/** A right's identity: action plus the attribute set (attribute order carries no meaning). */
export function rightKey(r: Right): string {
  const attrs = (r.resource ?? []).map((a) => JSON.stringify([a.id, a.value])).sort();
  return JSON.stringify([r.action ?? null, attrs]);
}

/** A right as the request validation compares it: the attribute set, `action` ignored (`RequestSystemUserService`). */
export function rightAttributesKey(r: Right): string {
  return JSON.stringify((r.resource ?? []).map((a) => JSON.stringify([a.id, a.value])).sort());
}

/** A right in readable form for messages: `ske-krav-og-betalinger` or `a + b` for several attributes. */
export function describeRight(r: Right): string {
  const values = (r.resource ?? []).map((a) => (a.id === resourceAttributeId ? a.value : `${a.id}=${a.value}`)).join(" + ");
  return r.action ? `${values} (action ${r.action})` : values;
}

/**
 * A redirect URL as Altinn stores it (.NET `Uri`): lower-case scheme and host, default port dropped, `/` for an
 * empty path. The WHATWG parser does the same, so both sides of a comparison go through it.
 */
export function normaliseRedirectUrl(url: string): string {
  try {
    return new URL(url.trim()).href;
  } catch {
    return url.trim();
  }
}

/**
 * Does a request's redirect URL match an allowed one as Altinn matches them (`RequestSystemUserService`): scheme, host,
 * port and path,
 * query and fragment ignored, no prefix matching. The path is compared without regard to case so that an offline
 * check never refuses what the server might accept.
 */
export function redirectUrlMatches(requested: string, allowed: string): boolean {
  try {
    const a = new URL(requested);
    const b = new URL(allowed);
    return a.protocol === b.protocol && a.host === b.host && a.pathname.toLowerCase() === b.pathname.toLowerCase();
  } catch {
    return false;
  }
}

// ---- input validation: the zod pieces every Altinn `check` is built from ------------------------------------------

/**
 * A field as every Altinn `check` judges it: a value not known yet (a preview) passes as it is, never judged; `null`
 * counts as left out (`nullIsAbsent`); a failure is reported and the field reads as absent, so that the other fields
 * and the rules across fields are still judged and one run names every problem. The failures keep `schema`'s own
 * messages.
 */
export function field<T extends z.ZodType>(schema: T, nullIsAbsent = true): T {
  // Optional going in, so that an absent field is still handed to `schema` (which says whether it is required).
  return z
    .any()
    .optional()
    .transform((v, ctx) => {
      if (isUnknown(v)) return v;
      const parsed = schema.safeParse(nullIsAbsent && v === null ? undefined : v);
      if (parsed.success) return parsed.data;
      for (const issue of parsed.error.issues) {
        // Kept as they are, except that no failure stops the judging of what surrounds it.
        const keys = issue.code === "unrecognized_keys" ? { code: issue.code, keys: issue.keys } : { code: "custom" as const };
        ctx.addIssue({ ...keys, message: issue.message, path: issue.path, continue: true });
      }
      return undefined;
    }) as unknown as T;
}

/** An item of a list: as `field`, except that `null` is judged (it is no item). */
export const item = <T extends z.ZodType>(schema: T): T => field(schema, false);

/** "unknown field x: remove it or check the spelling (did you mean y?)": a misspelling Altinn would silently ignore. */
export function unknownFieldReason(key: string, allowed: readonly string[]): string {
  const near = nearest(key, allowed);
  return `unknown field ${key}: remove it or check the spelling${near ? ` (did you mean ${near}?)` : ""}`;
}

/**
 * A strict object: every field it does not know is a failure of its own, named with the nearest known field
 * (`unknownKey` words it otherwise); `notObject` says what is expected when the value is not an object at all.
 * `unknownFields: "ignore"` drops them instead, for values judged elsewhere (a System's offer).
 */
export function strictObject<S extends z.ZodRawShape>(
  shape: S,
  opts: { notObject: (input: unknown) => string; unknownKey?: (key: string) => string; unknownFields?: "refuse" | "ignore" },
) {
  const names = Object.keys(shape);
  const unknownKey = opts.unknownKey ?? ((k: string) => unknownFieldReason(k, names));
  if (opts.unknownFields === "ignore") return z.object(shape, { error: (iss) => opts.notObject(iss.input) });
  return z.strictObject(shape, {
    // One line per unknown field, in the order of `keys`: `failuresFrom` makes each its own failure.
    error: (iss) => (iss.code === "unrecognized_keys" ? iss.keys.map(unknownKey).join("\n") : opts.notObject(iss.input)),
  });
}

/**
 * zod's issues as failures named by their input path (core/path.ts), each unknown field its own failure
 * (`rights[0].actoin`); the messages are the schemas' own. `name` writes a path otherwise (a group's
 * `customers["310000019"]`).
 */
export function failuresFrom(error: z.ZodError, name: (path: PropertyKey[]) => string = pathString): Failure[] {
  return error.issues.flatMap((issue) => {
    if (issue.code !== "unrecognized_keys") return [{ property: name(issue.path), reason: issue.message }];
    const reasons = issue.message.split("\n");
    return issue.keys.map((k, n) => ({ property: joinPath(name(issue.path), k), reason: reasons[n] ?? "" }));
  });
}

/** A string; `what` says what is expected. Required unless the caller adds `.optional()`. */
export function text(what?: string) {
  return z
    .string({
      error: (iss) =>
        iss.input === undefined ? `required: ${what ?? "a non-empty string"}` : `must be ${what ?? "a string"}, got ${typeof iss.input}`,
    })
    .refine((s) => s.trim() !== "", { message: `must not be empty${what ? `: ${what}` : ""}`, abort: true });
}

/** An organisation number: nine digits with a valid mod-11 check digit (`core/orgno.ts`). */
export function orgNo(what: string) {
  return z.unknown().transform((v, ctx) => {
    const problem = v === undefined || v === "" ? `required: ${what}, 9 digits` : orgNoProblem(v) && `${what}: ${orgNoProblem(v)}`;
    if (problem) ctx.addIssue(problem);
    return v as string;
  });
}

/** An absolute URL with one of the given schemes, without spaces at its ends. */
export function url(schemes: readonly string[]) {
  return text("an absolute https URL").superRefine((s, ctx) => {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      return ctx.addIssue(`"${s}" is not an absolute URL: write it with https://`);
    }
    if (!schemes.includes(u.protocol.replace(/:$/, "")))
      return ctx.addIssue(`"${s}" must use https:// (Altinn refuses other schemes: AUTH.VLD-00005)`);
    if (s !== s.trim()) ctx.addIssue(`"${s}" has leading or trailing spaces: remove them`);
  });
}

/**
 * A list whose items must differ by `key`: an item equal to an earlier one is refused, naming both positions
 * (`the same right as rights[0] (ske-krav-og-betalinger): remove the duplicate`). Failed and unknown items are
 * skipped; the answer leaves out failed items.
 */
export function distinctList<T>(
  of: z.ZodType<T>,
  property: string,
  key: (x: T) => string,
  what: string,
  show: (x: T) => string,
): z.ZodType<T[]> {
  return z
    .array(item(of), { error: "must be a list" })
    .superRefine((items, ctx) => {
      const seen = new Map<string, number>();
      items.forEach((x, i) => {
        if (x === undefined || containsUnknown(x)) return;
        const k = key(x);
        const first = seen.get(k);
        if (first === undefined) seen.set(k, i);
        else ctx.addIssue({ code: "custom", message: `${what} ${property}[${first}] (${show(x)}): remove the duplicate`, path: [i] });
      });
    })
    .transform((items) => items.filter((x) => x !== undefined)) as unknown as z.ZodType<T[]>;
}

const attributeShape = `{id: "${resourceAttributeId}", value: "<resource id>"}`;

function attributeIdProblem(id: string): string {
  return `must be "${resourceAttributeId}" (Altinn refuses other attribute ids: AUTH.VLD-00009), got "${id}"`;
}

/** One right: `{action?, resource: [{id, value}]}`; `id` defaults to urn:altinn:resource and must be that. */
function rightSchema(unknownFields: "refuse" | "ignore"): z.ZodType<Right> {
  const attribute = strictObject(
    {
      id: field(
        text()
          .superRefine((id, ctx) => {
            if (id !== resourceAttributeId) ctx.addIssue(attributeIdProblem(id));
          })
          .default(resourceAttributeId),
      ),
      value: field(
        text("the Resource Registry id, e.g. ske-krav-og-betalinger").superRefine((value, ctx) => {
          if (/\s/.test(value)) ctx.addIssue(`must be a resource id without spaces, got "${value}"`);
        }),
      ),
    },
    { notObject: () => `must be ${attributeShape}`, unknownFields },
  );
  const noAttribute = `needs at least one attribute ${attributeShape}`;
  return strictObject(
    { action: field(text().optional()), resource: field(z.array(item(attribute), { error: noAttribute }).min(1, noAttribute)) },
    { notObject: () => `must be a right: {resource: [${attributeShape}]}`, unknownFields },
  ).transform((r) => defined(r) as Right);
}

export const right = rightSchema("refuse");
/** A right as a System's outputs give it, judged by the System's own check: fields it does not know are left out. */
export const offeredRight = rightSchema("ignore");

/**
 * The schema `make` builds for `key`, built once: zod compiles a schema on its first parse, which costs far more
 * than the parse, and a group checks every customer's request with the same schemas.
 */
export function once<A extends unknown[], T>(make: (...args: A) => T): (...args: A) => T {
  const made = new Map<string, T>();
  return (...args: A) => {
    const key = JSON.stringify(args);
    let schema = made.get(key);
    if (schema === undefined) made.set(key, (schema = make(...args)));
    return schema;
  };
}

/** Rights, each once (`property` names the list in the duplicate's message). */
export const rights = once((property: string): z.ZodType<Right[]> =>
  distinctList(right, property, rightKey, "the same right as", describeRight),
);

/**
 * One access package, `{urn}`, with the `isAssignable` hint where `withHint` (a System's packages); `unknownFields`
 * as `strictObject` takes it.
 */
export const accessPackage = once((withHint: boolean, unknownFields: "refuse" | "ignore" = "refuse"): z.ZodType<AccessPackage> => {
  const urn = field(
    text(`an access package URN, ${accessPackagePrefix}<name>`).superRefine((u, ctx) => {
      if (!new RegExp(`^${accessPackagePrefix}[^\\s:]+$`).test(u))
        ctx.addIssue(`must be ${accessPackagePrefix}<name> (e.g. ${accessPackagePrefix}skattegrunnlag), got "${u}"`);
    }),
  );
  const notObject = (input: unknown) =>
    typeof input === "string"
      ? `must be an object {urn: "${input}"}, as Altinn writes access packages`
      : `must be {urn: "${accessPackagePrefix}<name>"}`;
  const isAssignable = field(z.boolean({ error: "must be true or false" }).optional());
  const schema = withHint
    ? strictObject({ urn, isAssignable }, { notObject, unknownFields })
    : strictObject({ urn }, { notObject, unknownFields });
  return schema.transform((p) => defined(p as Record<string, unknown>) as unknown as AccessPackage);
});

/** Access packages, each once. */
export const accessPackages = once((property: string, withHint: boolean): z.ZodType<AccessPackage[]> =>
  distinctList(
    accessPackage(withHint),
    property,
    (p) => p.urn,
    "the same package as",
    (p) => p.urn,
  ),
);

/**
 * The items of a list that pass `of`, for values judged elsewhere (a System's offer, as its own check judged it):
 * unknown items are kept, a value that is not a list is undefined.
 */
export function passingItems<T>(of: z.ZodType<T>, v: unknown): T[] | undefined {
  if (isUnknown(v)) return v as unknown as T[];
  if (!Array.isArray(v)) return undefined;
  return v.flatMap((x) => {
    if (isUnknown(x)) return [x as T];
    const parsed = of.safeParse(x);
    return parsed.success ? [parsed.data] : [];
  });
}
