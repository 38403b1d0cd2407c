import { containsUnknown, isPlainObject, isUnknown, type Failure } from "../core/check";
import { joinPath as join } from "../core/path";
import { orgNoProblem } from "../core/orgno";

/**
 * What the Altinn resources share: the right and access package shapes (altinn-api.md §2.2), their canonical
 * forms for sets, redirect URL normalisation (.NET `Uri`, §0 #10) and the small validators every `check` uses.
 * Pure: no I/O, no wire names beyond those the wire and the inputs share.
 */

/** Texts in the three languages Altinn requires: bokmål, nynorsk, English (§0 #5). */
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

/** A right as the request validation compares it: the attribute set, `action` ignored (§3.4). */
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
 * Does a request's redirect URL match an allowed one as Altinn matches them (§3.4): scheme, host, port and path,
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

/** Failures collected while walking the inputs; unknown values are skipped by every validator. */
export class Failures {
  readonly list: Failure[] = [];
  add(property: string, reason: string): void {
    this.list.push({ property, reason });
  }
}

/** Fields the object may not have, each named: a misspelling Altinn would silently ignore is caught here. */
export function unknownFields(f: Failures, obj: Record<string, unknown>, allowed: readonly string[], prefix: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) {
      const near = allowed.find(
        (a) =>
          a.toLowerCase() === k.toLowerCase() || a.toLowerCase().startsWith(k.toLowerCase()) || k.toLowerCase().startsWith(a.toLowerCase()),
      );
      f.add(join(prefix, k), `unknown field ${k}: remove it or check the spelling${near ? ` (did you mean ${near}?)` : ""}`);
    }
  }
}

/** A string input; undefined (with a failure) when it is not one. Unknown values pass through. */
export function checkString(
  f: Failures,
  v: unknown,
  property: string,
  opts: { required?: boolean; what?: string } = {},
): string | undefined {
  if (isUnknown(v)) return v as string;
  if (v === undefined || v === null) {
    if (opts.required) f.add(property, `required: ${opts.what ?? "a non-empty string"}`);
    return undefined;
  }
  if (typeof v !== "string") {
    f.add(property, `must be ${opts.what ?? "a string"}, got ${typeof v}`);
    return undefined;
  }
  if (!v.trim()) {
    f.add(property, `must not be empty${opts.what ? `: ${opts.what}` : ""}`);
    return undefined;
  }
  return v;
}

/**
 * An array input; each known item is handed to `item` with its own index, unknown items are kept as they are.
 * The answer stays aligned with the input (an item that failed is undefined), so later rules name the right index.
 */
export function checkArray<T>(
  f: Failures,
  v: unknown,
  property: string,
  item: (x: unknown, property: string) => T | undefined,
): Array<T | undefined> | undefined {
  if (isUnknown(v)) return v as unknown as T[];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) {
    f.add(property, "must be a list");
    return undefined;
  }
  return v.map((x, i) => (isUnknown(x) ? (x as T) : item(x, join(property, i))));
}

/** The items that passed, for use once there are no failures. An unknown array stays unknown. */
export function compact<T>(items: Array<T | undefined> | undefined): T[] | undefined {
  if (items === undefined || isUnknown(items)) return items as T[] | undefined;
  return items.filter((x): x is T => x !== undefined);
}

/** An organisation number: nine digits with a valid mod-11 check digit. */
export function checkOrgNo(f: Failures, v: unknown, property: string, what: string): string | undefined {
  if (isUnknown(v)) return v as string;
  if (v === undefined || v === null || v === "") {
    f.add(property, `required: ${what}, 9 digits`);
    return undefined;
  }
  const problem = orgNoProblem(v);
  if (problem) {
    f.add(property, `${what}: ${problem}`);
    return undefined;
  }
  return v as string;
}

/** Rights: each `{action?, resource: [{id, value}]}`; `id` defaults to urn:altinn:resource and must be that. */
export function checkRights(f: Failures, v: unknown, property: string): Right[] | undefined {
  const rights = checkArray<Right>(f, v, property, (x, p) => {
    if (!isPlainObject(x)) {
      f.add(p, 'must be a right: {resource: [{id: "urn:altinn:resource", value: "<resource id>"}]}');
      return undefined;
    }
    unknownFields(f, x, ["action", "resource"], p);
    const action = x.action === undefined ? undefined : checkString(f, x.action, join(p, "action"));
    const rp = join(p, "resource");
    if (isUnknown(x.resource)) return { ...(action !== undefined && { action }), resource: x.resource as unknown as ResourceAttribute[] };
    if (!Array.isArray(x.resource) || x.resource.length === 0) {
      f.add(rp, 'needs at least one attribute {id: "urn:altinn:resource", value: "<resource id>"}');
      return undefined;
    }
    const resource = checkArray<ResourceAttribute>(f, x.resource, rp, (a, ap) => {
      if (!isPlainObject(a)) {
        f.add(ap, 'must be {id: "urn:altinn:resource", value: "<resource id>"}');
        return undefined;
      }
      unknownFields(f, a, ["id", "value"], ap);
      const id = a.id === undefined ? resourceAttributeId : checkString(f, a.id, join(ap, "id"));
      if (typeof id === "string" && !isUnknown(id) && id !== resourceAttributeId) {
        f.add(join(ap, "id"), `must be "${resourceAttributeId}" (Altinn refuses other attribute ids: AUTH.VLD-00009), got "${id}"`);
      }
      const value = checkString(f, a.value, join(ap, "value"), {
        required: true,
        what: "the Resource Registry id, e.g. ske-krav-og-betalinger",
      });
      if (typeof value === "string" && !isUnknown(value) && /\s/.test(value))
        f.add(join(ap, "value"), `must be a resource id without spaces, got "${value}"`);
      return id === undefined || value === undefined ? undefined : { id, value };
    });
    if (!resource || resource.includes(undefined)) return undefined;
    return { ...(action !== undefined && { action }), resource: resource as ResourceAttribute[] };
  });
  duplicates(f, rights, property, rightKey, () => "the same right as", describeRight);
  return compact(rights);
}

/** Access packages: `{urn}` each, plus the `isAssignable` hint where `withHint`. */
export function checkAccessPackages(f: Failures, v: unknown, property: string, withHint: boolean): AccessPackage[] | undefined {
  const packages = checkArray<AccessPackage>(f, v, property, (x, p) => {
    if (typeof x === "string") {
      f.add(p, `must be an object {urn: "${x}"}, as Altinn writes access packages`);
      return undefined;
    }
    if (!isPlainObject(x)) {
      f.add(p, `must be {urn: "${accessPackagePrefix}<name>"}`);
      return undefined;
    }
    unknownFields(f, x, withHint ? ["urn", "isAssignable"] : ["urn"], p);
    const urn = checkString(f, x.urn, join(p, "urn"), { required: true, what: `an access package URN, ${accessPackagePrefix}<name>` });
    if (typeof urn === "string" && !isUnknown(urn) && !new RegExp(`^${accessPackagePrefix}[^\\s:]+$`).test(urn)) {
      f.add(join(p, "urn"), `must be ${accessPackagePrefix}<name> (e.g. ${accessPackagePrefix}skattegrunnlag), got "${urn}"`);
      return undefined;
    }
    if (withHint && x.isAssignable !== undefined && !isUnknown(x.isAssignable) && typeof x.isAssignable !== "boolean") {
      f.add(join(p, "isAssignable"), "must be true or false");
    }
    if (urn === undefined) return undefined;
    return { urn, ...(withHint && typeof x.isAssignable === "boolean" && { isAssignable: x.isAssignable }) };
  });
  duplicates(
    f,
    packages,
    property,
    (p) => p.urn,
    () => "the same package as",
    (p) => p.urn,
  );
  return compact(packages);
}

/** An absolute URL with one of the given schemes. */
export function checkUrl(f: Failures, v: unknown, property: string, schemes: readonly string[]): string | undefined {
  const s = checkString(f, v, property, { required: true, what: "an absolute https URL" });
  if (s === undefined || isUnknown(s)) return s;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    f.add(property, `"${s}" is not an absolute URL: write it with https://`);
    return undefined;
  }
  if (!schemes.includes(u.protocol.replace(/:$/, ""))) {
    f.add(property, `"${s}" must use https:// (Altinn refuses other schemes: AUTH.VLD-00005)`);
    return undefined;
  }
  if (s !== s.trim()) {
    f.add(property, `"${s}" has leading or trailing spaces: remove them`);
    return undefined;
  }
  return s;
}

/** Refuses items whose key equals an earlier item's, naming both positions. Unknown and failed items are skipped. */
export function duplicates<T>(
  f: Failures,
  items: Array<T | undefined> | undefined,
  property: string,
  key: (x: T) => string,
  what: (x: T) => string,
  show: (x: T) => string,
): void {
  if (!items || isUnknown(items)) return;
  const seen = new Map<string, number>();
  items.forEach((x, i) => {
    if (x === undefined || containsUnknown(x)) return;
    const k = key(x);
    const first = seen.get(k);
    if (first === undefined) seen.set(k, i);
    else f.add(join(property, i), `${what(x)} ${property}[${first}] (${show(x)}): remove the duplicate`);
  });
}
