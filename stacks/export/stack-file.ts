import { Document, isMap, isScalar, type Pair, type YAMLMap } from "yaml";
import { liveScopeName, scopeOutputs } from "../../providers/digdir/api-scope-model";
import type { PublicJwk } from "../../providers/digdir/client-keys-model";
import { fieldsOf, inputsOf, type ClientKind, type LiveClient } from "../../providers/digdir/client-model";
import type { AccessPackage, Right } from "../../providers/altinn/model";
import { namePattern } from "../schema";
import type { LiveOrganisation, LiveRequestItem, LiveSystemEntry } from "./live";

/**
 * The live organisation as a stack file: a plain object per section (what the validator and the program read),
 * a comment per object saying it was adopted and from where, and at the top what could not be exported. Pure:
 * the caller writes the text and the key files.
 */

export interface ExportedObject {
  section: "clients" | "apiScopes" | "systems" | "requests" | "agentRequests";
  name: string;
  /** Where it came from, for its comment. */
  origin: string;
}

export interface KeyFile {
  /** Relative to the stack file: `keys/<stack>-<client>.jwks.json`. */
  path: string;
  /** A JWKS of public keys: `{keys: [...]}`. */
  jwks: { keys: Record<string, unknown>[] };
}

/** One request (or system user) the export declares: its key, for recording in the state. */
export interface ExportedRequest {
  kind: "SystemUserRequest" | "AgentSystemUserRequest";
  systemId: string;
  partyOrgNo: string;
  externalRef: string;
  /** What the declaration asks for: for a system user without a request, what the state is to record as asked. */
  rights?: Right[];
  accessPackages: AccessPackage[];
  integrationTitle?: string;
  redirectUrl?: string;
  status: string;
}

export interface ExportResult {
  data: Record<string, unknown>;
  objects: ExportedObject[];
  keyFiles: KeyFile[];
  /** Lines for the header: what is not in the file, and why. */
  notExported: string[];
  /** Ids the export declares, per kind, for recording in the state (entry name → id). */
  ids: {
    clients: Map<string, { id: string; kind: ClientKind; keys: boolean }>;
    scopes: Map<string, string>;
    systems: Map<string, string>;
    requests: ExportedRequest[];
  };
}

export interface ExportOptions {
  stack: string;
  /** Entries to leave out (section → name → why): the validator's objections from an earlier pass. */
  leaveOut?: Map<string, string>;
}

const machineKinds: Record<string, ClientKind> = { maskinporten: "MaskinportenClient", krr: "KrrClient" };
const loginTypes = ["idporten", "api_klient", "ansattporten"];
const fixedForMachines = ["integrationType", "applicationType", "tokenEndpointAuthMethod", "grantTypes"];
const resourceAttribute = "urn:altinn:resource";
const packagePrefix = "urn:altinn:accesspackage:";

/** A name for the file: letters, digits, `.`, `_`, `-`, starting with a letter or digit, unique in its section. */
export function uniqueName(wanted: string, taken: Set<string>): string {
  let base = wanted
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/æ/g, "ae")
    .replace(/ø/g, "o")
    .replace(/å/g, "a")
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "")
    .replace(/-+$/, "")
    .slice(0, 60);
  if (!base) base = "object";
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
  taken.add(name);
  return name;
}

export function buildExport(org: LiveOrganisation, opts: ExportOptions): ExportResult {
  const leaveOut = opts.leaveOut ?? new Map<string, string>();
  const notExported: string[] = [];
  const objects: ExportedObject[] = [];
  const keyFiles: KeyFile[] = [];
  const ids: ExportResult["ids"] = { clients: new Map(), scopes: new Map(), systems: new Map(), requests: [] };
  const data: Record<string, unknown> = { organisation: { orgNo: org.orgNo } };
  const skipped = (section: string, name: string) => leaveOut.get(`${section}.${name}`);

  // -- clients
  const clients: Record<string, unknown> = {};
  const clientNames = new Set<string>();
  const nameOfClient = new Map<string, string>();
  for (const { client, keys } of org.clients) {
    const id = client.clientId;
    if (!id) continue;
    const label = `client ${id} (${client.name ?? "no name"})`;
    if (id === org.adminClientId) {
      notExported.push(`${label}: ${adminClientReason}`);
      continue;
    }
    if (client.active === false) {
      notExported.push(`${label}: deactivated at Digdir (inactive objects are not exported)`);
      continue;
    }
    const type = client.integrationType ?? "";
    const kind: ClientKind | undefined = machineKinds[type] ?? (loginTypes.includes(type) ? "IdportenClient" : undefined);
    if (!kind) {
      notExported.push(`${label}: ${unmodelledIntegrationType(type)}`);
      continue;
    }
    const name = uniqueName(client.name ?? id, clientNames);
    const why = skipped("clients", name);
    if (why) {
      notExported.push(`${label}: ${why}`);
      continue;
    }
    const entry = clientEntry(kind, name, client);
    const rsa = keys.filter((k) => k.kty === "RSA");
    if (rsa.length && rsa.length === keys.length) {
      const file = `keys/${opts.stack}-${name}.jwks.json`;
      keyFiles.push({ path: file, jwks: { keys: rsa.map(publicKey) } });
      entry.keys = [{ file }];
    } else if (keys.length) {
      notExported.push(`the keys of client ${id} (${name}): ${keysNotAllRsa}`);
    }
    clients[name] = entry;
    nameOfClient.set(id, name);
    ids.clients.set(name, { id, kind, keys: entry.keys !== undefined });
    objects.push({
      section: "clients",
      name,
      origin: exportedClientOrigin(id, entry.keys ? { count: rsa.length, file: (entry.keys as { file: string }[])[0]!.file } : undefined),
    });
  }
  if (Object.keys(clients).length) data.clients = clients;

  // -- API scopes
  const apiScopes: Record<string, unknown> = {};
  const scopeNames = new Set<string>();
  for (const { scope, consumers } of org.scopes) {
    const full = liveScopeName(scope);
    const name = uniqueName(full.replace(/[:/]/g, "-"), scopeNames);
    const why = skipped("apiScopes", name);
    if (why) {
      notExported.push(`scope ${full}: ${why}`);
      continue;
    }
    const fields = scopeOutputs({}, scope);
    const entry: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(fields))
      if (!["name", "active", "ownerOrgNo", "created", "lastUpdated"].includes(k) && v !== undefined && v !== "") entry[k] = v;
    if (consumers.length) entry.consumers = [...consumers].sort();
    apiScopes[name] = entry;
    ids.scopes.set(name, full);
    objects.push({
      section: "apiScopes",
      name,
      origin: `scope ${full}${consumers.length ? `, its ${consumers.length} grant${consumers.length > 1 ? "s" : ""}` : ""}`,
    });
  }
  if (Object.keys(apiScopes).length) data.apiScopes = apiScopes;

  // -- systems, and their requests
  const systems: Record<string, unknown> = {};
  const systemNames = new Set<string>();
  const requests: Record<string, unknown> = {};
  const agentRequests: Record<string, unknown> = {};
  const groupNames = { requests: new Set<string>(), agentRequests: new Set<string>() };
  for (const entry of org.systems) {
    const s = entry.system;
    const own = s.systemId.startsWith(`${org.orgNo}_`) ? s.systemId.slice(org.orgNo.length + 1) : undefined;
    const name =
      own && namePattern.test(own) && !systemNames.has(own) ? (systemNames.add(own), own) : uniqueName(own ?? s.systemId, systemNames);
    const why = skipped("systems", name);
    if (why) {
      notExported.push(`system ${s.systemId}: ${why} (its requests are not exported either)`);
      continue;
    }
    const sys: Record<string, unknown> = {};
    if (name !== own) sys.systemId = s.systemId;
    sys.name = s.name;
    sys.description = s.description;
    if (s.rights.length) sys.rights = s.rights.map(compactRight);
    if (s.accessPackages.length)
      sys.accessPackages = s.accessPackages.map((p) => (p.urn.startsWith(packagePrefix) ? p.urn.slice(packagePrefix.length) : p.urn));
    const inFile = s.clientIds.filter((c) => nameOfClient.has(c) && ids.clients.get(nameOfClient.get(c)!)?.kind === "MaskinportenClient");
    const elsewhere = s.clientIds.filter((c) => !inFile.includes(c));
    if (inFile.length) sys.clients = inFile.map((c) => nameOfClient.get(c));
    if (elsewhere.length) sys.clientIds = elsewhere;
    if (s.allowedRedirectUrls.length) sys.allowedRedirectUrls = s.allowedRedirectUrls;
    sys.isVisible = s.isVisible;
    systems[name] = sys;
    ids.systems.set(name, s.systemId);
    objects.push({ section: "systems", name, origin: `system ${s.systemId}` });
    requestGroups(entry, name, { requests, agentRequests }, groupNames, objects, ids.requests, notExported, skipped);
  }
  if (Object.keys(systems).length) data.systems = systems;
  if (Object.keys(requests).length) data.requests = requests;
  if (Object.keys(agentRequests).length) data.agentRequests = agentRequests;
  return { data, objects, keyFiles, notExported, ids };
}

function clientEntry(kind: ClientKind, name: string, client: LiveClient): Record<string, unknown> {
  const type = kind === "MaskinportenClient" ? "maskinporten" : kind === "KrrClient" ? "krr" : "idporten";
  const live = inputsOf(kind, client);
  const entry: Record<string, unknown> = { type, clientId: client.clientId };
  for (const f of fieldsOf(kind)) {
    const v = live[f];
    if (v === undefined || v === null) continue;
    if (kind !== "IdportenClient" && fixedForMachines.includes(f)) continue;
    if (f === "name" && v === name) continue;
    if (f === "description" && v === live.name) continue;
    entry[f] = v;
  }
  if (entry.name === undefined && live.name !== name) entry.name = live.name ?? name;
  return entry;
}

/** The public members of a registered key; `exp` is left to Digdir, so a `pulumi up` renews it when it falls due. */
function publicKey(k: PublicJwk): Record<string, unknown> {
  return { kty: k.kty, kid: k.kid, n: k.n, e: k.e, alg: k.alg, use: k.use };
}

function compactRight(r: Right): unknown {
  const [only, ...rest] = r.resource;
  if (!rest.length && only && only.id === resourceAttribute && r.action === undefined) return only.value;
  return r;
}

/**
 * Request groups: one per system, kind and what is asked (rights and packages), its customers one line each;
 * a customer's integration title and redirect URL where they differ from the group's. A system user without a
 * request (created by the customer in Altinn, or its request deleted) is declared with the system's rights or
 * packages: the vendor cannot read what a system user holds. Requests rejected, denied or deleted are inactive
 * and left out. The stack file's request shape lives here alone.
 */
function requestGroups(
  entry: LiveSystemEntry,
  system: string,
  out: { requests: Record<string, unknown>; agentRequests: Record<string, unknown> },
  groupNames: { requests: Set<string>; agentRequests: Set<string> },
  objects: ExportedObject[],
  declared: ExportedRequest[],
  notExported: string[],
  skipped: (section: string, name: string) => string | undefined,
): void {
  const s = entry.system;
  const defaultTitle = s.name.nb;
  interface Item {
    kind: "standard" | "agent";
    orgNo: string;
    externalRef: string;
    rights: Right[];
    accessPackages: AccessPackage[];
    integrationTitle?: string;
    redirectUrl?: string;
    status: string;
    origin: string;
  }
  const items: Item[] = [];
  const keyOf = (kind: string, orgNo: string, ref: string) => `${kind}|${orgNo}|${ref}`;
  const seen = new Set<string>();
  const inactive: string[] = [];
  for (const { kind, request: r } of entry.requests as LiveRequestItem[]) {
    const ref = r.externalRef || r.partyOrgNo;
    if (seen.has(keyOf(kind, r.partyOrgNo, ref))) continue;
    if (!["New", "Accepted"].includes(r.status)) {
      inactive.push(`${r.partyOrgNo} (${r.status})`);
      continue;
    }
    seen.add(keyOf(kind, r.partyOrgNo, ref));
    items.push({
      kind,
      orgNo: r.partyOrgNo,
      externalRef: ref,
      rights: kind === "agent" ? [] : r.rights,
      accessPackages: r.accessPackages.map((p) => ({ urn: p.urn })),
      ...(r.integrationTitle && { integrationTitle: r.integrationTitle }),
      ...(r.redirectUrl && { redirectUrl: r.redirectUrl }),
      status: r.status,
      origin: `request ${r.requestId} (${r.status})`,
    });
  }
  for (const u of entry.systemUsers) {
    const kind = u.userType === "agent" ? "agent" : "standard";
    const orgNo = u.partyOrgNo;
    if (!orgNo) continue;
    const ref = u.externalRef || orgNo;
    if (seen.has(keyOf(kind, orgNo, ref))) continue;
    seen.add(keyOf(kind, orgNo, ref));
    items.push({
      kind,
      orgNo,
      externalRef: ref,
      rights: kind === "agent" ? [] : s.rights,
      accessPackages: kind === "agent" ? s.accessPackages : s.rights.length ? [] : s.accessPackages,
      status: "Accepted",
      origin: systemUserWithoutRequest(u.systemUserId, kind === "agent"),
    });
  }
  if (inactive.length)
    notExported.push(`requests for system ${s.systemId} that were answered no or lapsed (inactive): ${inactive.join(", ")}`);
  if (entry.systemUsersUnavailable)
    notExported.push(`system users of ${s.systemId} without a request: the list could not be read (${entry.systemUsersUnavailable})`);

  const groups = new Map<string, Item[]>();
  for (const it of items) {
    const sig = JSON.stringify([it.kind, it.rights.map((r) => JSON.stringify(r)).sort(), it.accessPackages.map((p) => p.urn).sort()]);
    groups.set(sig, [...(groups.get(sig) ?? []), it]);
  }
  for (const members of groups.values()) {
    const kind = members[0]!.kind;
    const section = kind === "agent" ? "agentRequests" : "requests";
    const name = uniqueName(system, groupNames[section]);
    const why = skipped(section, name);
    if (why) {
      notExported.push(`${section}.${name} (for system ${s.systemId}): ${why}`);
      continue;
    }
    const first = members[0]!;
    const group: Record<string, unknown> = {};
    if (name !== system) group.system = system;
    if (kind === "standard" && first.rights.length) group.rights = first.rights.map(compactRight);
    if (first.accessPackages.length)
      group.accessPackages = first.accessPackages.map((p) => (p.urn.startsWith(packagePrefix) ? p.urn.slice(packagePrefix.length) : p.urn));
    const titles = members.map((m) => m.integrationTitle ?? defaultTitle);
    const groupTitle = mostCommon(titles);
    if (groupTitle !== defaultTitle) group.integrationTitle = groupTitle;
    const groupRedirect = mostCommon(members.map((m) => m.redirectUrl ?? ""));
    if (groupRedirect) group.redirectUrl = groupRedirect;
    group.customers = members.map((m) => {
      const c: Record<string, unknown> = { orgNo: m.orgNo };
      if (m.externalRef !== m.orgNo) c.externalRef = m.externalRef;
      if ((m.integrationTitle ?? defaultTitle) !== groupTitle) c.integrationTitle = m.integrationTitle ?? defaultTitle;
      if ((m.redirectUrl ?? "") !== groupRedirect && m.redirectUrl) c.redirectUrl = m.redirectUrl;
      return Object.keys(c).length === 1 ? m.orgNo : c;
    });
    out[section][name] = group;
    objects.push({ section, name, origin: members.map((m) => `${m.orgNo}: ${m.origin}`).join("; ") });
    for (const m of members) {
      declared.push({
        kind: kind === "agent" ? "AgentSystemUserRequest" : "SystemUserRequest",
        systemId: s.systemId,
        partyOrgNo: m.orgNo,
        externalRef: m.externalRef,
        ...(kind === "standard" && { rights: m.rights }),
        accessPackages: m.accessPackages,
        ...(m.integrationTitle && { integrationTitle: m.integrationTitle }),
        ...(m.redirectUrl && { redirectUrl: m.redirectUrl }),
        status: m.status,
      });
    }
  }
}

function mostCommon(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "";
}

/** The stack file's text: the header, then the sections, each object with its comment. */
export function renderStackFile(result: ExportResult, header: string[]): string {
  const doc = new Document(result.data);
  doc.commentBefore = header.map((l) => ` ${l}`.trimEnd()).join("\n");
  for (const o of result.objects) {
    const section = doc.get(o.section, true);
    if (!isMap(section)) continue;
    const pair = (section as YAMLMap).items.find((p: Pair) => isScalar(p.key) && p.key.value === o.name);
    if (pair && isScalar(pair.key)) pair.key.commentBefore = ` adopted: ${o.origin}`;
  }
  return doc.toString({ lineWidth: 0 });
}

const adminClientReason = "the admin client this export ran with; managing it from the stack would manage the stack's own access";

function unmodelledIntegrationType(type: string): string {
  return `integration type ${type || "(none)"} is not one the stack file models (maskinporten, krr, idporten, api_klient, ansattporten)`;
}

const keysNotAllRsa = "not all RSA, which is what the stack file declares; the client keeps its registered keys as they are";

function exportedClientOrigin(id: string, keys: { count: number; file: string } | undefined): string {
  return `client ${id}${keys ? `, its ${keys.count} public key${keys.count > 1 ? "s" : ""} in ${keys.file}` : ""}`;
}

function systemUserWithoutRequest(systemUserId: string, agent: boolean): string {
  return `system user ${systemUserId}, which has no request (created by the customer in Altinn, or its request deleted): the vendor cannot read what it holds, so it is declared with the system's ${agent ? "packages" : "rights"}`;
}
