import { altinnProblem, VLD_PATHS, type VldError } from "./http";
import { isDelegableResourceType, sameAttributes, type AltinnState, type PackageRef, type Right, type SystemRecord } from "./model";
import type { SimReply } from "../core/http";

// The validation rules shared by the system register's POST, PUT and partial PUTs (`SystemRegisterController`)
// and by the request and change-request creates (`RequestSystemUserService.CreateRequest`, `RequestSystemUserService.CreateAgentRequest`, `ChangeRequestSystemUserController`).

const RESOURCE_ATTRIBUTE = "urn:altinn:resource";
const join = (ids: string[]) => [...new Set(ids)].join(" | ");

/** Rights of a system (`SystemRegisterController` create): VLD-00009, 00003, 00017, 00006, each listing the offending ids. */
export function validateSystemRights(state: AltinnState, rights: Right[]): VldError[] {
  const badAttribute: string[] = [];
  const notFound: string[] = [];
  const notDelegable: string[] = [];
  for (const right of rights) {
    for (const attr of right.resource) {
      if (attr.id !== RESOURCE_ATTRIBUTE) {
        badAttribute.push(attr.id);
        continue;
      }
      const resource = state.resource(attr.value);
      if (!resource) notFound.push(attr.value);
      else if (!isDelegableResourceType(resource.resourceType)) notDelegable.push(attr.value);
    }
  }
  const seen = new Set<string>();
  const duplicates: string[] = [];
  for (const right of rights) {
    const key = JSON.stringify([right.action ?? null, right.resource.map((a) => [a.id, a.value])]);
    if (seen.has(key)) duplicates.push(right.resource.map((a) => a.value).join(","));
    seen.add(key);
  }
  const errors: VldError[] = [];
  const path = [VLD_PATHS.rights];
  if (badAttribute.length)
    errors.push({ code: "AUTH.VLD-00009", paths: path, extensions: { "Invalid Resource Attribute Id : ": join(badAttribute) } });
  if (notFound.length) errors.push({ code: "AUTH.VLD-00003", paths: path, extensions: { "ResourceIds Not Found : ": join(notFound) } });
  if (notDelegable.length)
    errors.push({ code: "AUTH.VLD-00017", paths: path, extensions: { "ResourceIds Not Delegable : ": join(notDelegable) } });
  if (duplicates.length) errors.push({ code: "AUTH.VLD-00006", paths: path, extensions: { "Duplicate ResourceIds : ": join(duplicates) } });
  return errors;
}

/** Access packages of a system (`SystemRegisterController` create): one combined VLD-00008, then 00007 (duplicates), 00018 (visible + not assignable). */
export function validateSystemPackages(state: AltinnState, packages: PackageRef[], isVisible: boolean): VldError[] {
  const invalidFormat: string[] = [];
  const notFound: string[] = [];
  const notDelegable: string[] = [];
  const notAssignable: string[] = [];
  for (const p of packages) {
    if (p.urn.trim() === "" || p.urn.split(":").length < 4) {
      invalidFormat.push(p.urn);
      continue;
    }
    const meta = state.accessPackage(p.urn);
    if (!meta) {
      notFound.push(p.urn);
      continue;
    }
    if (!meta.delegable && !meta.assignable) notDelegable.push(p.urn);
    if (!meta.assignable) notAssignable.push(p.urn);
  }
  const seen = new Set<string>();
  const duplicates: string[] = [];
  for (const p of packages) {
    if (seen.has(p.urn)) duplicates.push(p.urn);
    seen.add(p.urn);
  }
  const errors: VldError[] = [];
  const path = [VLD_PATHS.accessPackages];
  if (invalidFormat.length || notFound.length || notDelegable.length) {
    const extensions: Record<string, string> = {};
    if (invalidFormat.length) extensions["AccessPackages Invalid Format : "] = join(invalidFormat);
    if (notFound.length) extensions["AccessPackages Not Found : "] = join(notFound);
    if (notDelegable.length) extensions["AccessPackages Not Delegable : "] = join(notDelegable);
    errors.push({ code: "AUTH.VLD-00008", paths: path, extensions });
  }
  if (duplicates.length)
    errors.push({ code: "AUTH.VLD-00007", paths: path, extensions: { "Duplicate AccessPackages : ": join(duplicates) } });
  if (isVisible && notAssignable.length)
    errors.push({ code: "AUTH.VLD-00018", paths: path, extensions: { "AccessPackages Not Assignable : ": join(notAssignable) } });
  return errors;
}

/** Client ids already attached to another non-deleted system → VLD-00004. */
export function validateClientIdsInUse(state: AltinnState, clientIds: string[], exceptSystemId?: string): VldError[] {
  const inUse = clientIds.filter((c) => state.systemWithClientId(c, exceptSystemId));
  return inUse.length
    ? [{ code: "AUTH.VLD-00004", paths: [VLD_PATHS.clientId], extensions: { "ClientIds Already In Use : ": join(inUse) } }]
    : [];
}

/** Duplicates inside the list (case-insensitive) → VLD-00011. */
export function validateClientIdDuplicates(clientIds: string[]): VldError[] {
  const seen = new Set<string>();
  const dup: string[] = [];
  for (const c of clientIds) {
    const k = c.toLowerCase();
    if (seen.has(k)) dup.push(c);
    seen.add(k);
  }
  return dup.length ? [{ code: "AUTH.VLD-00011", paths: [VLD_PATHS.clientId], extensions: { "Duplicate ClientIds : ": join(dup) } }] : [];
}

/** Parses an absolute URI; undefined when the string is not one. */
export function absoluteUrl(s: string): URL | undefined {
  try {
    return new URL(s);
  } catch {
    return undefined;
  }
}

/** Redirect URLs of a system on POST: absolute https → else VLD-00005. */
export function validateRedirectUrls(urls: string[]): VldError[] {
  const bad = urls.filter((u) => absoluteUrl(u)?.protocol !== "https:");
  return bad.length
    ? [{ code: "AUTH.VLD-00005", paths: [VLD_PATHS.redirectUrls], extensions: { "Invalid Redirect Urls : ": join(bad) } }]
    : [];
}

/** .NET `Uri` text of an absolute URL: lower-case scheme and host, `/` for an empty path, default port dropped. */
export function normaliseUrl(s: string): string {
  const u = absoluteUrl(s);
  return u ? u.href : s;
}

/** A language map has nb, nn and en (the database CHECK constraints). */
export function missingLanguages(texts: Record<string, string>): string[] {
  return ["nb", "nn", "en"].filter((k) => !Object.hasOwn(texts, k));
}

// --- requests and change requests ---

export type Check = { ok: true } | { ok: false; reply: SimReply };
const OK: Check = { ok: true };

/**
 * The redirect URL of a request against the system's allowed URLs (`RequestSystemUserService.CreateRequest`): no allowed URLs → AUTH-00026;
 * scheme + host + port + path must equal one allowed URL's (query and fragment ignored) → else AUTH-00021.
 * `notAbsolute` decides the answer for a string that is not an absolute URI (500 with quirks).
 */
export function checkRedirectUrl(system: SystemRecord, redirectUrl: string | undefined, notAbsolute: () => SimReply): Check {
  if (redirectUrl === undefined || redirectUrl === "") return OK;
  if (system.allowedRedirectUrls.length === 0) return { ok: false, reply: altinnProblem("AUTH-00026") };
  const wanted = absoluteUrl(redirectUrl);
  if (!wanted) return { ok: false, reply: notAbsolute() };
  const base = (u: URL) => `${u.protocol}//${u.host}${u.pathname}`;
  const match = system.allowedRedirectUrls.some((allowed) => {
    const a = absoluteUrl(allowed);
    return a !== undefined && base(a) === base(wanted);
  });
  return match ? OK : { ok: false, reply: altinnProblem("AUTH-00021") };
}

/** Requested rights ⊆ the system's rights, and no more of them than the system has (`RequestSystemUserService.CreateRequest`) → else AUTH-00001. */
export function checkRequestedRights(system: SystemRecord, rights: Right[]): Check {
  if (rights.length > system.rights.length) return { ok: false, reply: altinnProblem("AUTH-00001") };
  const ok = rights.every((r) => system.rights.some((s) => sameAttributes(r, s)));
  return ok ? OK : { ok: false, reply: altinnProblem("AUTH-00001") };
}

/**
 * Requested packages ⊆ the system's packages (AUTH-00063, NotFoundPackages) and each assignable (standard:
 * AUTH-00064) or delegable (agent: AUTH-00065), both with NotDelegablePackages.
 */
export function checkRequestedPackages(
  state: AltinnState,
  system: SystemRecord,
  packages: PackageRef[],
  kind: "standard" | "agent",
): Check {
  const notFound = packages.filter((p) => !system.accessPackages.some((s) => s.urn === p.urn)).map((p) => p.urn);
  if (notFound.length) return { ok: false, reply: altinnProblem("AUTH-00063", { NotFoundPackages: notFound.join(",") }) };
  const refused = packages
    .filter((p) => {
      const meta = state.accessPackage(p.urn);
      return kind === "standard" ? !meta?.assignable : !meta?.delegable;
    })
    .map((p) => p.urn);
  if (refused.length)
    return {
      ok: false,
      reply: altinnProblem(kind === "standard" ? "AUTH-00064" : "AUTH-00065", { NotDelegablePackages: refused.join(",") }),
    };
  return OK;
}
