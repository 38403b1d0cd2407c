import { isPlainObject } from "../core/http";
import { ModelErrors, prop, type Bound } from "./http";
import type { AttributePair, PackageRef, Right, SystemRecord } from "./model";

// Model binding of Altinn's request bodies as ASP.NET Core does it (`RegisterSystemRequest`; `SystemRegisterController`; `CreateRequestSystemUser`; `CreateAgentRequestSystemUser`; `ChangeRequestSystemUserController`):
// property names case-insensitive, unknown properties ignored, wrong JSON types and missing C# `required`
// properties → 400 ValidationProblemDetails keyed by JSON path, an explicit null for a non-nullable list →
// 400 keyed by the property name (implicit [Required]). Strings are trimmed where Altinn's filter trims them.

class ObjectReader {
  constructor(
    readonly m: ModelErrors,
    readonly o: Record<string, unknown>,
    readonly path: string,
  ) {}

  private at(name: string): string {
    return `${this.path}.${name}`;
  }

  /** undefined: absent (or wrong type, recorded); null: JSON null. */
  string(name: string): string | null | undefined {
    const v = prop(this.o, name);
    if (v === undefined || v === null) return v as null | undefined;
    if (typeof v !== "string") {
      this.m.conversion(this.at(name), "System.String");
      return undefined;
    }
    return v;
  }

  bool(name: string): boolean | undefined {
    const v = prop(this.o, name);
    if (v === undefined) return undefined;
    if (typeof v !== "boolean") {
      this.m.conversion(this.at(name), "System.Boolean");
      return undefined;
    }
    return v;
  }

  array<T>(name: string, item: (v: unknown, path: string) => T | undefined): T[] | null | undefined {
    const v = prop(this.o, name);
    if (v === undefined || v === null) return v as null | undefined;
    if (!Array.isArray(v)) {
      this.m.conversion(this.at(name), "System.Collections.Generic.List");
      return undefined;
    }
    const out: T[] = [];
    v.forEach((entry, i) => {
      const parsed = item(entry, `${this.at(name)}[${i}]`);
      if (parsed !== undefined) out.push(parsed);
    });
    return out;
  }

  dict(name: string): Record<string, string> | null | undefined {
    const v = prop(this.o, name);
    if (v === undefined || v === null) return v as null | undefined;
    if (!isPlainObject(v)) {
      this.m.conversion(this.at(name), "System.Collections.Generic.Dictionary`2[System.String,System.String]");
      return undefined;
    }
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(v)) {
      if (typeof val !== "string") this.m.conversion(`${this.at(name)}.${k}`, "System.String");
      else out[k] = val;
    }
    return out;
  }

  object(name: string): ObjectReader | null | undefined {
    const v = prop(this.o, name);
    if (v === undefined || v === null) return v as null | undefined;
    if (!isPlainObject(v)) {
      this.m.conversion(this.at(name), "System.Object");
      return undefined;
    }
    return new ObjectReader(this.m, v, this.at(name));
  }
}

function rootReader(raw: unknown, m: ModelErrors, type: string): ObjectReader | undefined {
  if (!isPlainObject(raw)) {
    m.conversion("$", type);
    return undefined;
  }
  return new ObjectReader(m, raw, "$");
}

const trim = (s: string | null | undefined) => (typeof s === "string" ? s.trim() : s);

export function readString(m: ModelErrors, v: unknown, path: string): string | undefined {
  if (typeof v !== "string") {
    m.conversion(path, "System.String");
    return undefined;
  }
  return v;
}

export function readRight(m: ModelErrors, v: unknown, path: string): Right | undefined {
  if (!isPlainObject(v)) {
    m.conversion(path, "Altinn.Platform.Authentication.Core.Models.Right");
    return undefined;
  }
  const r = new ObjectReader(m, v, path);
  const action = r.string("action");
  const resource =
    r.array<AttributePair>("resource", (a, p) => {
      if (!isPlainObject(a)) {
        m.conversion(p, "Altinn.Platform.Authentication.Core.Models.AttributePair");
        return undefined;
      }
      const ar = new ObjectReader(m, a, p);
      const id = ar.string("id");
      const value = ar.string("value");
      return { id: id ?? "", value: value ?? "" };
    }) ?? [];
  return { ...(action != null ? { action } : {}), resource };
}

export function readPackage(m: ModelErrors, v: unknown, path: string): PackageRef | undefined {
  if (!isPlainObject(v)) {
    m.conversion(path, "Altinn.Platform.Authentication.Core.Models.AccessPackages.AccessPackage");
    return undefined;
  }
  const urn = new ObjectReader(m, v, path).string("urn");
  return { urn: urn ?? "" };
}

// --- system register (RegisterSystemRequest) ---

/** What a POST/PUT body binds to: the stored system's own fields, plus `vendor.ID` as sent. */
export type SystemInput = Pick<
  SystemRecord,
  "id" | "name" | "description" | "rights" | "accessPackages" | "clientId" | "isVisible" | "allowedRedirectUrls"
> & {
  /** vendor.ID as sent; undefined when vendor has no ID. */
  vendorId?: string;
  /** `rights: null` was sent: the service dereferences it (a 500, caught in `SystemRegisterController`). */
  rightsNull: boolean;
  /** `accessPackages: null` was sent: accepted and stored as NULL, which GET then leaves out (`SystemRegisterController`). */
  accessPackagesNull: boolean;
};

const SYSTEM_TYPE = "Altinn.Platform.Authentication.Core.Models.SystemRegisters.RegisterSystemRequest";

export function bindSystem(raw: unknown): Bound<SystemInput> {
  const m = new ModelErrors("registerSystemRequest");
  const r = rootReader(raw, m, SYSTEM_TYPE);
  if (!r) return { ok: false, reply: m.reply() };
  const id = r.string("id");
  const vendor = r.object("vendor");
  const name = r.dict("name");
  const description = r.dict("description");
  const missing = (["id", "vendor", "name", "description"] as const).filter((k) => prop(r.o, k) === undefined);
  if (missing.length > 0) m.missing(SYSTEM_TYPE, missing);
  // Explicit nulls of required reference properties and of the non-nullable lists: implicit [Required].
  for (const [key, pascal] of [
    ["id", "Id"],
    ["vendor", "Vendor"],
    ["name", "Name"],
    ["description", "Description"],
    ["clientId", "ClientId"],
    ["allowedRedirectUrls", "AllowedRedirectUrls"],
  ] as const) {
    if (prop(r.o, key) === null) m.required(pascal);
  }
  if (prop(r.o, "isVisible") === null) m.conversion("$.isVisible", "System.Boolean");
  const vendorId = vendor ? vendor.string("ID") : undefined;
  const rights = r.array("rights", (v, p) => readRight(m, v, p));
  const accessPackages = r.array("accessPackages", (v, p) => readPackage(m, v, p));
  const clientId = r.array("clientId", (v, p) => readString(m, v, p));
  const isVisible = r.bool("isVisible");
  const allowedRedirectUrls = r.array("allowedRedirectUrls", (v, p) => readString(m, v, p));
  if (m.any) return { ok: false, reply: m.reply() };
  return {
    ok: true,
    value: {
      id: trim(id) ?? "",
      ...(vendorId != null ? { vendorId: vendorId.trim() } : {}),
      name: name ?? {},
      description: description ?? {},
      rights: rights ?? [],
      accessPackages: accessPackages ?? [],
      rightsNull: prop(r.o, "rights") === null,
      accessPackagesNull: prop(r.o, "accessPackages") === null,
      clientId: (clientId ?? []).map((c) => c.trim()),
      isVisible: isVisible ?? true,
      allowedRedirectUrls: (allowedRedirectUrls ?? []).map((u) => u.trim()),
    },
  };
}

/** Body of PUT vendor/{id}/rights: a JSON array of Right. */
export function bindRightsList(raw: unknown): Bound<Right[]> {
  const m = new ModelErrors("rights");
  if (!Array.isArray(raw)) {
    m.conversion("$", "System.Collections.Generic.List`1[Altinn.Platform.Authentication.Core.Models.Right]");
    return { ok: false, reply: m.reply() };
  }
  const out: Right[] = [];
  raw.forEach((v, i) => {
    const r = readRight(m, v, `$[${i}]`);
    if (r) out.push(r);
  });
  return m.any ? { ok: false, reply: m.reply() } : { ok: true, value: out };
}

/** Body of PUT vendor/{id}/accesspackages: a JSON array of {urn}. */
export function bindPackageList(raw: unknown): Bound<PackageRef[]> {
  const m = new ModelErrors("accessPackages");
  if (!Array.isArray(raw)) {
    m.conversion("$", "System.Collections.Generic.List`1[Altinn.Platform.Authentication.Core.Models.AccessPackages.AccessPackage]");
    return { ok: false, reply: m.reply() };
  }
  const out: PackageRef[] = [];
  raw.forEach((v, i) => {
    const p = readPackage(m, v, `$[${i}]`);
    if (p) out.push(p);
  });
  return m.any ? { ok: false, reply: m.reply() } : { ok: true, value: out };
}

// --- system user requests (CreateRequestSystemUser / CreateAgentRequestSystemUser) ---

export interface RequestInput {
  systemId: string;
  partyOrgNo: string;
  /** As sent (trimmed): undefined when absent or null. */
  externalRef?: string;
  integrationTitle?: string;
  /** null: absent or null (the lists are nullable on the request models). */
  rights: Right[] | null;
  accessPackages: PackageRef[] | null;
  redirectUrl?: string;
}

export function bindRequest(raw: unknown, agent: boolean): Bound<RequestInput> {
  const type = agent
    ? "Altinn.Platform.Authentication.Core.Models.SystemUsers.CreateAgentRequestSystemUser"
    : "Altinn.Platform.Authentication.Core.Models.SystemUsers.CreateRequestSystemUser";
  const m = new ModelErrors(agent ? "createAgentRequest" : "createRequest");
  const r = rootReader(raw, m, type);
  if (!r) return { ok: false, reply: m.reply() };
  const systemId = r.string("systemId");
  const partyOrgNo = r.string("partyOrgNo");
  const missing = (["systemId", "partyOrgNo"] as const).filter((k) => prop(r.o, k) === undefined);
  if (missing.length > 0) m.missing(type, missing);
  if (prop(r.o, "systemId") === null) m.required("SystemId");
  if (prop(r.o, "partyOrgNo") === null) m.required("PartyOrgNo");
  const externalRef = r.string("externalRef");
  const integrationTitle = r.string("integrationTitle");
  const redirectUrl = r.string("redirectUrl");
  const rights = agent ? null : r.array("rights", (v, p) => readRight(m, v, p));
  const accessPackages = r.array("accessPackages", (v, p) => readPackage(m, v, p));
  if (m.any) return { ok: false, reply: m.reply() };
  return {
    ok: true,
    value: {
      systemId: (systemId ?? "").trim(),
      partyOrgNo: (partyOrgNo ?? "").trim(),
      ...(externalRef != null ? { externalRef: externalRef.trim() } : {}),
      ...(integrationTitle != null ? { integrationTitle: integrationTitle.trim() } : {}),
      rights: rights ?? null,
      accessPackages: accessPackages ?? null,
      ...(redirectUrl != null ? { redirectUrl: redirectUrl.trim() } : {}),
    },
  };
}

// --- change requests (ChangeRequestSystemUser) ---

export interface ChangeRequestInput {
  requiredRights: Right[];
  unwantedRights: Right[];
  requiredAccessPackages: PackageRef[];
  unwantedAccessPackages: PackageRef[];
  redirectUrl?: string;
}

export function bindChangeRequest(raw: unknown): Bound<ChangeRequestInput> {
  const type = "Altinn.Platform.Authentication.Core.Models.SystemUsers.ChangeRequestSystemUser";
  const m = new ModelErrors("changeRequest");
  const r = rootReader(raw, m, type);
  if (!r) return { ok: false, reply: m.reply() };
  const requiredRights = r.array("requiredRights", (v, p) => readRight(m, v, p));
  const unwantedRights = r.array("unwantedRights", (v, p) => readRight(m, v, p));
  const requiredAccessPackages = r.array("requiredAccessPackages", (v, p) => readPackage(m, v, p));
  const unwantedAccessPackages = r.array("unwantedAccessPackages", (v, p) => readPackage(m, v, p));
  const redirectUrl = r.string("redirectUrl");
  if (m.any) return { ok: false, reply: m.reply() };
  return {
    ok: true,
    value: {
      requiredRights: requiredRights ?? [],
      unwantedRights: unwantedRights ?? [],
      requiredAccessPackages: requiredAccessPackages ?? [],
      unwantedAccessPackages: unwantedAccessPackages ?? [],
      ...(redirectUrl != null && redirectUrl.trim() !== "" ? { redirectUrl: redirectUrl.trim() } : {}),
    },
  };
}
