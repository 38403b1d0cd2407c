import { accessPackagePrefix, resourceAttributeId } from "../providers/altinn/model";
import { isPlainObject as isRecord } from "../providers/core/check";
import { digitsAsText as digits, keyPolicyFields } from "./schema";

/**
 * What a target stack file lacks or has different from a source one (dev → prod), for a pipeline to show before
 * a human applies it. Both files are compared as data, after the shorthands are expanded the same way, so that
 * `- 310000019` and `- orgNo: "310000019"` are the same. Values meant to differ per environment are left out:
 * the patterns both files list under `promotion.ignore`, and the built-in ones below.
 */

export interface Difference {
  /** `missing`: in the source, not the target; `extra`: only in the target; `changed`: in both, different. */
  kind: "missing" | "extra" | "changed";
  path: string;
  /** The source's value (missing, changed). */
  from?: unknown;
  /** The target's value (extra, changed). */
  to?: unknown;
  /** For lists compared as sets: the items the target lacks and the ones only it has. */
  lacks?: unknown[];
  adds?: unknown[];
}

/**
 * Never promoted: the ignore lists themselves. A client's public keys are not compared either (never reuse a key
 * across environments): `normalise` leaves them out, and keeps of `clients.*.keys` only the generated key's
 * settings (`generate`, `rotateAfterDays`, ...), which are meant to be the same everywhere. Documented in
 * stacks/README.md.
 */
export const builtInIgnore = ["promotion"];

/** What is left out without being listed, as the CLI says it. */
export const builtInLeftOut = [...builtInIgnore, "public keys (clients.*.keys; a generated key's settings are compared)"];

/** Path segments; list items with an identity (customers) are keyed by it, others by position. */
type Seg = string;

export function promotionDiff(source: unknown, target: unknown, ignore: readonly string[]): Difference[] {
  const patterns = [...new Set([...builtInIgnore, ...ignore])].map((p) => p.split("."));
  const out: Difference[] = [];
  compare(normalise(source), normalise(target), [], patterns, out);
  return out;
}

function ignored(path: Seg[], patterns: string[][]): boolean {
  return patterns.some((p) => p.length <= path.length && p.every((seg, i) => seg === "*" || seg === path[i]));
}

function compare(a: unknown, b: unknown, path: Seg[], patterns: string[][], out: Difference[]): void {
  if (ignored(path, patterns)) return;
  const at = path.join(".");
  if (isRecord(a) && isRecord(b)) {
    for (const k of Object.keys(a)) {
      if (!(k in b)) {
        if (!ignored([...path, k], patterns))
          out.push({ kind: "missing", path: [...path, k].join("."), from: prune(a[k], [...path, k], patterns) });
      } else compare(a[k], b[k], [...path, k], patterns, out);
    }
    for (const k of Object.keys(b))
      if (!(k in a) && !ignored([...path, k], patterns))
        out.push({ kind: "extra", path: [...path, k].join("."), to: prune(b[k], [...path, k], patterns) });
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const keyed = (xs: unknown[]) => xs.every((x) => isRecord(x) && typeof x.orgNo === "string");
    if (keyed(a) && keyed(b)) {
      // Customers: by organisation number and externalRef, so their order carries no meaning.
      const byKey = (xs: unknown[]) => Object.fromEntries(xs.map((x) => [customerKey(x as Record<string, unknown>), x]));
      compare(byKey(a), byKey(b), path, patterns, out);
      return;
    }
    // Other lists are sets (scopes, rights, packages, URLs): what the target lacks and what only it has.
    const show = (x: unknown) => JSON.stringify(x);
    const inB = new Set(b.map(show));
    const inA = new Set(a.map(show));
    const lacks = a.filter((x) => !inB.has(show(x)));
    const adds = b.filter((x) => !inA.has(show(x)));
    if (lacks.length || adds.length) out.push({ kind: "changed", path: at, from: a, to: b, lacks, adds });
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ kind: "changed", path: at, from: a, to: b });
}

/** A value shown whole (missing on one side) without the parts meant to differ: a new scope without its test consumers. */
function prune(v: unknown, path: Seg[], patterns: string[][]): unknown {
  if (!isRecord(v)) return v;
  return Object.fromEntries(
    Object.entries(v)
      .filter(([k]) => !ignored([...path, k], patterns))
      .map(([k, x]) => [k, prune(x, [...path, k], patterns)]),
  );
}

function customerKey(c: Record<string, unknown>): string {
  return typeof c.externalRef === "string" && c.externalRef !== c.orgNo ? `${c.orgNo as string}/${c.externalRef}` : (c.orgNo as string);
}

/** The stack file's data with its shorthands expanded, so both sides are written alike. */
export function normalise(data: unknown): unknown {
  if (!isRecord(data)) return data;
  const out: Record<string, unknown> = { ...data };
  if (isRecord(data.organisation))
    out.organisation = { ...data.organisation, ...(data.organisation.orgNo !== undefined && { orgNo: digits(data.organisation.orgNo) }) };
  if (isRecord(data.clients)) out.clients = mapValues(data.clients, (c) => (isRecord(c) ? withKeySettings(c) : c));
  if (isRecord(data.apiScopes)) {
    out.apiScopes = mapValues(data.apiScopes, (s) =>
      isRecord(s) && Array.isArray(s.consumers)
        ? {
            ...s,
            consumers: s.consumers.map((c) =>
              typeof c === "string" || typeof c === "number" ? { orgNo: digits(c) } : isRecord(c) ? { ...c, orgNo: digits(c.orgNo) } : c,
            ),
          }
        : s,
    );
  }
  if (isRecord(data.systems)) out.systems = mapValues(data.systems, (s) => (isRecord(s) ? withAltinnLists(s) : s));
  for (const section of ["requests", "agentRequests"]) {
    const groups = data[section];
    if (!isRecord(groups)) continue;
    out[section] = mapValues(groups, (g) => {
      if (!isRecord(g)) return g;
      const group = withAltinnLists(g);
      if (Array.isArray(g.customers)) {
        group.customers = g.customers.map((c) => {
          const obj =
            typeof c === "string" || typeof c === "number"
              ? { orgNo: digits(c) }
              : isRecord(c)
                ? { ...withAltinnLists(c), orgNo: digits(c.orgNo) }
                : c;
          return obj;
        });
      }
      return group;
    });
  }
  return out;
}

/**
 * A client's `keys` as compared: the generated key's settings (from the list or the map form), never a public key.
 * No settings: no `keys` at all, so a client that brings its own keys in one file and none in the other is alike.
 */
function withKeySettings(c: Record<string, unknown>): Record<string, unknown> {
  if (c.keys === undefined) return c;
  const { keys, ...rest } = c;
  const isSettings = (e: unknown): e is Record<string, unknown> => isRecord(e) && Object.keys(e).some((k) => keyPolicyFields.includes(k));
  const settings = Array.isArray(keys) ? keys.find(isSettings) : isSettings(keys) ? keys : undefined;
  return settings ? { ...rest, keys: settings } : rest;
}

function withAltinnLists(o: Record<string, unknown>): Record<string, unknown> {
  const out = { ...o };
  if (Array.isArray(o.rights)) out.rights = o.rights.map(shortRight);
  if (Array.isArray(o.accessPackages)) out.accessPackages = o.accessPackages.map(shortPackage);
  return out;
}

/** A right with one `urn:altinn:resource` attribute and no action is written as its resource id. */
function shortRight(r: unknown): unknown {
  if (!isRecord(r) || r.action !== undefined || !Array.isArray(r.resource) || r.resource.length !== 1) return r;
  const a = r.resource[0];
  return isRecord(a) && (a.id === undefined || a.id === resourceAttributeId) && typeof a.value === "string" && Object.keys(r).length === 1
    ? a.value
    : r;
}

function shortPackage(p: unknown): unknown {
  const urn = typeof p === "string" ? p : isRecord(p) && Object.keys(p).length === 1 && typeof p.urn === "string" ? p.urn : undefined;
  if (urn === undefined) return p;
  return urn.startsWith(accessPackagePrefix) ? urn.slice(accessPackagePrefix.length) : urn;
}

function mapValues(o: Record<string, unknown>, f: (v: unknown) => unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}

/** The differences as lines for people: `+` what the target lacks, `~` what differs, `-` what only it has. */
export function formatDifferences(diffs: Difference[], from: string, to: string): string[] {
  const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
  return diffs.map((d) => {
    if (d.kind === "missing") return `+ ${d.path}: in ${from}, not in ${to}: ${show(d.from)}`;
    if (d.kind === "extra") return `- ${d.path}: only in ${to}: ${show(d.to)}`;
    if (d.lacks || d.adds) {
      const parts = [
        d.lacks?.length ? `${to} lacks ${d.lacks.map(show).join(", ")}` : "",
        d.adds?.length ? `${to} also has ${d.adds.map(show).join(", ")}` : "",
      ].filter(Boolean);
      return `~ ${d.path}: ${parts.join("; ")}`;
    }
    return `~ ${d.path}: ${from} ${show(d.from)}, ${to} ${show(d.to)}`;
  });
}
