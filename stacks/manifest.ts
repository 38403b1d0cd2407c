import { createHash } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import * as pulumi from "@pulumi/pulumi";
import { accessPackagePrefix, resourceAttributeId } from "../providers/altinn/model";
import type { PlannedRequest, StackPlan } from "./validate";

/**
 * What the last `pulumi up` declared, kept as the non-secret stack output `manifest` and read back by the next
 * preview or up before anything is registered. The program alone cannot see what a run will delete or replace:
 * the stack file says what is wanted, not what was there. With the manifest it can say, in preview as in up, what
 * a reviewer must know (an id used up forever, a system user that stays, a change request sent, a key set
 * replaced, a grant to another organisation), and refuse to start a run that would delete a protected object
 * after deleting what depends on it (Pulumi deletes dependents first and checks `protect` only at the protected
 * resource's own step).
 */

export interface Manifest {
  version: 1;
  clients: Record<string, ManifestClient>;
  apiScopes: Record<string, ManifestScope>;
  systems: Record<string, ManifestSystem>;
  /** Request name (`<system>/<orgNo>[/<externalRef>]`) → what was asked and where it stood. */
  requests: Record<string, ManifestRequest>;
}

export interface ManifestClient {
  kind: string;
  protect?: true;
  /** The key set, when the client declares keys: the key ids the file brings, and whether a key is generated. */
  keys?: { kids: string[]; generate?: true };
}

export interface ManifestScope {
  /** `prefix:subscope`. */
  scope: string;
  protect?: true;
  /** Consumer orgNo → its grant's protection. */
  consumers: Record<string, { protect?: true }>;
}

export interface ManifestSystem {
  systemId: string;
  protect?: true;
}

export interface ManifestRequest {
  system: string;
  customer: string;
  agent?: true;
  /** Resource Registry ids (a right with other attributes as its JSON). */
  rights: string[];
  /** Access package names (without `urn:altinn:accesspackage:`). */
  accessPackages: string[];
  /** The request's status after that run (New, Accepted, ...); absent when not known. */
  status?: string;
  /**
   * A fingerprint of everything asked of the customer (`requestFingerprint`): a preview keeps the last run's
   * output of a customer whose fingerprint is the same (stacks/groups.ts).
   */
  asked?: string;
}

/**
 * What is asked of a customer (rights, packages, title, redirect URL, and its name, which the group records), as
 * 12 hex digits of SHA-256: equal when the request did not change since the run that wrote it.
 */
export function requestFingerprint(r: PlannedRequest): string {
  const content = [
    list(r.args.rights).map(rightName).sort(),
    list(r.args.accessPackages).map(packageName).sort(),
    r.args.integrationTitle ?? null,
    r.args.redirectUrl ?? null,
    r.customer.name ?? null,
  ];
  return createHash("sha256").update(JSON.stringify(content)).digest("hex").slice(0, 12);
}

/** A right as a reader names it: its resource id, or the whole right as JSON when it has more to it. */
export function rightName(right: unknown): string {
  const r = right as { resource?: { id?: string; value?: string }[]; action?: unknown } | null;
  if (typeof right === "string") return right;
  if (r && Array.isArray(r.resource) && r.resource.length === 1 && r.resource[0]!.id === resourceAttributeId && r.action === undefined)
    return String(r.resource[0]!.value);
  return JSON.stringify(right);
}

export function packageName(pkg: unknown): string {
  const urn = typeof pkg === "string" ? pkg : String((pkg as { urn?: string } | null)?.urn ?? JSON.stringify(pkg));
  return urn.startsWith(accessPackagePrefix) ? urn.slice(accessPackagePrefix.length) : urn;
}

/** A packed manifest (`packManifest`) as its object; an earlier version's object as it is; anything else undefined. */
function unpacked(v: unknown): unknown {
  if (typeof v !== "string") return v;
  try {
    return JSON.parse(gunzipSync(Buffer.from(v, "base64")).toString("utf8"));
  } catch {
    return undefined;
  }
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const flag = (b: boolean): { protect?: true } => (b ? { protect: true } : {});

/** The manifest of a plan; `statuses` are the requests' status outputs once known (request name → status). */
export function manifestOf(plan: StackPlan, statuses: Record<string, string | undefined> = {}): Manifest {
  const m: Manifest = { version: 1, clients: {}, apiScopes: {}, systems: {}, requests: {} };
  for (const c of plan.clients) {
    m.clients[c.name] = {
      kind: c.kind,
      ...flag(c.protect),
      ...(c.keySet && {
        keys: { kids: c.keySet.keys.map((k) => String(k.kid)), ...(c.keySet.policy.generate === true && { generate: true as const }) },
      }),
    };
  }
  for (const s of plan.apiScopes) {
    m.apiScopes[s.name] = {
      scope: s.scope,
      ...flag(s.protect),
      consumers: Object.fromEntries(s.consumers.map((c) => [c.orgNo, flag(c.protect)])),
    };
  }
  for (const s of plan.systems) m.systems[s.name] = { systemId: String(s.args.systemId), ...flag(s.protect) };
  for (const r of plan.requests) {
    const status = statuses[r.name];
    m.requests[r.name] = {
      system: r.system,
      customer: r.customer.orgNo,
      ...(r.kind === "AgentSystemUserRequest" && { agent: true as const }),
      rights: list(r.args.rights).map(rightName),
      accessPackages: list(r.args.accessPackages).map(packageName),
      ...(status && { status }),
      asked: requestFingerprint(r),
    };
  }
  return m;
}

/**
 * The manifest as the stack output holds it: its JSON, gzipped, in base64. A stack of 10,000 customers has a manifest
 * of megabytes; as one string it costs one value where an object would cost one per field in every run's read and
 * write of the outputs, and a tenth of the bytes in the state.
 */
export function packManifest(m: Manifest): string {
  return gzipSync(JSON.stringify(m)).toString("base64");
}

/** The manifest in a stack's outputs, or undefined when there is none (a stack last deployed without one). */
export function manifestFrom(outputs: Record<string, unknown> | undefined): Manifest | undefined {
  const m = unpacked(outputs?.manifest) as Partial<Manifest> | undefined;
  if (!m || typeof m !== "object" || m.version !== 1) return undefined;
  return { version: 1, clients: m.clients ?? {}, apiScopes: m.apiScopes ?? {}, systems: m.systems ?? {}, requests: m.requests ?? {} };
}

/** `Kind::name`, as Pulumi's URNs end. */
export type ObjectKey = string;

export interface Consequences {
  /** Why the run must not start: each names the object and how to lift its protection in the stack file. */
  refusals: string[];
  /** What a reviewer must know, once per object: keyed by the resource it concerns, or "" for one no longer declared. */
  warnings: { object: ObjectKey | ""; message: string }[];
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

/**
 * What this run will do that a reviewer must know, and what it must refuse, from the last run's manifest and this
 * run's plan. `previous` undefined: nothing is known of the last run (a stack deployed before manifests), so nothing
 * is said about what is new either. `file` is how the stack file is named in messages.
 */
export function consequences(previous: Manifest | undefined, plan: StackPlan, file: string): Consequences {
  const out: Consequences = { refusals: [], warnings: [] };
  if (!previous) return out;
  const now = manifestOf(plan);
  const refuse = (what: string, change: string, path: string) =>
    out.refusals.push(
      `${what} is protected, and ${change}: Pulumi would delete what depends on it first and only then refuse, leaving the change half done. ` +
        `To do it on purpose: set ${path} in ${file} (declare the entry again if you removed it), run \`pulumi up\`, then make the change.`,
    );
  const warn = (object: ObjectKey | "", message: string) => out.warnings.push({ object, message });

  // Clients and their key sets.
  for (const [name, was] of Object.entries(previous.clients)) {
    const is = now.clients[name];
    if (!is) {
      if (was.protect)
        refuse(
          `client ${name}`,
          `${file} no longer declares it (removing it deletes the client and its keys)`,
          `\`protect: false\` on clients.${name}`,
        );
      else warn("", `client ${name} is deleted${was.keys ? ", and every key of its key set" : ""}: its client id gets no more tokens`);
      continue;
    }
    if (is.kind !== was.kind) {
      if (was.protect)
        refuse(
          `client ${name}`,
          `its type changed (${was.kind} → ${is.kind}), which replaces it with a new client id`,
          `\`protect: false\` on clients.${name}`,
        );
      else
        warn(
          `${is.kind}::${name}`,
          `client ${name} is replaced (${was.kind} → ${is.kind}): it gets a new client id, and its old id stops working`,
        );
    }
    if (was.keys && !is.keys) {
      if (was.protect)
        refuse(
          `the key set of client ${name}`,
          `${file} no longer declares its keys (removing \`keys\` deletes every key of the client)`,
          `\`protect: false\` on clients.${name}`,
        );
      else warn("", `every key of client ${name} is deleted (its \`keys\` were removed): tokens signed with them are refused from then on`);
    } else if (was.keys && is.keys) {
      const gone = was.keys.kids.filter((k) => !is.keys!.kids.includes(k));
      const generatedGone = was.keys.generate && !is.keys.generate;
      if (gone.length || generatedGone) {
        const what = [...gone.map((k) => `key ${k}`), ...(generatedGone ? ["the generated key"] : [])].join(", ");
        warn(
          `ClientKeys::${name}`,
          `the key set of client ${name} is replaced: ${what} ${gone.length + (generatedGone ? 1 : 0) > 1 ? "are" : "is"} removed from Digdir, and tokens signed with ${gone.length + (generatedGone ? 1 : 0) > 1 ? "them" : "it"} are refused from then on`,
        );
      }
    }
  }

  // API scopes and their grants.
  for (const [name, was] of Object.entries(previous.apiScopes)) {
    const is = now.apiScopes[name];
    if (!is) {
      if (was.protect)
        refuse(
          `API scope ${was.scope} (apiScopes.${name})`,
          `${file} no longer declares it (removing it deactivates the scope and revokes every grant)`,
          `\`protect: false\` on apiScopes.${name}`,
        );
      else
        for (const [orgNo, c] of Object.entries(was.consumers))
          if (c.protect)
            refuse(
              `the grant of ${was.scope} to ${orgNo}`,
              `${file} no longer declares its scope`,
              `\`protect: false\` on apiScopes.${name} and on its consumer entry \`{ orgNo: "${orgNo}", protect: false }\``,
            );
      continue;
    }
    if (is.scope !== was.scope && was.protect)
      refuse(
        `API scope ${was.scope} (apiScopes.${name})`,
        `its name changed to ${is.scope}, which deactivates it and creates another`,
        `\`protect: false\` on apiScopes.${name}`,
      );
    for (const [orgNo, c] of Object.entries(was.consumers)) {
      if (!is.consumers[orgNo] && c.protect)
        refuse(
          `the grant of ${was.scope} to ${orgNo}`,
          `${file} no longer lists ${orgNo} among the consumers`,
          `\`{ orgNo: "${orgNo}", protect: false }\` as its entry under apiScopes.${name}.consumers`,
        );
    }
  }
  for (const s of plan.apiScopes) {
    const was = previous.apiScopes[s.name];
    for (const c of s.consumers) {
      if (c.orgNo === plan.organisation.orgNo) continue;
      if (was && was.scope === s.scope && was.consumers[c.orgNo]) continue;
      warn(
        `ScopeAccess::${c.resourceName}`,
        `${s.scope} is granted to another organisation, ${c.orgNo}${c.name ? ` (${c.name})` : ""}: its clients can get tokens for the scope`,
      );
    }
  }

  // Systems.
  for (const [name, was] of Object.entries(previous.systems)) {
    const is = now.systems[name];
    if (!is) {
      if (was.protect)
        refuse(
          `system ${name} (${was.systemId})`,
          `${file} no longer declares it (removing it deletes its requests, then the system)`,
          `\`protect: false\` on systems.${name}`,
        );
      else warn("", `system ${name} is deleted: Altinn never releases a system id, so ${was.systemId} can never be registered again`);
    } else if (is.systemId !== was.systemId) {
      if (was.protect)
        refuse(
          `system ${name} (${was.systemId})`,
          `its systemId changed to ${is.systemId}, which deletes ${was.systemId} and registers a new system`,
          `\`protect: false\` on systems.${name}`,
        );
      else
        warn(
          `System::${name}`,
          `system ${name} is replaced by ${is.systemId}: ${was.systemId} is deleted, Altinn never releases it, and the system's customers are asked again`,
        );
    }
  }

  // Requests.
  for (const [name, was] of Object.entries(previous.requests)) {
    const is = now.requests[name];
    const kind = was.agent ? "AgentSystemUserRequest" : "SystemUserRequest";
    if (!is) {
      if (was.status === "Accepted")
        warn(
          "",
          `the request to ${was.customer} for ${was.system} is deleted, but ${was.customer}'s ${was.agent ? "agent " : ""}system user stays in Altinn: only the customer can delete it`,
        );
      continue;
    }
    if (was.status === "Accepted" && !was.agent && !(sameSet(was.rights, is.rights) && sameSet(was.accessPackages, is.accessPackages))) {
      const changes = [
        ...is.rights.filter((r) => !was.rights.includes(r)).map((r) => `+${r}`),
        ...was.rights.filter((r) => !is.rights.includes(r)).map((r) => `-${r}`),
        ...is.accessPackages.filter((p) => !was.accessPackages.includes(p)).map((p) => `+package ${p}`),
        ...was.accessPackages.filter((p) => !is.accessPackages.includes(p)).map((p) => `-package ${p}`),
      ];
      warn(
        `${kind}::${name}`,
        `${was.customer} is sent a change request for its system user of ${was.system} (${changes.join(", ")}): the system user keeps its rights until the customer accepts`,
      );
    }
  }
  return out;
}

/**
 * The stack's own outputs as the last update left them: the engine's built-in `pulumi:pulumi:readStackOutputs`
 * (what a StackReference reads, without registering one in the state). Undefined when they cannot be read.
 */
export async function readOwnOutputs(): Promise<{ outputs?: Record<string, unknown>; problem?: string }> {
  const name = `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
  try {
    const res = (await pulumi.runtime.invoke("pulumi:pulumi:readStackOutputs", { name })) as { outputs?: Record<string, unknown> };
    return { outputs: res?.outputs ?? {} };
  } catch (e) {
    return { problem: `the last deployment's outputs of ${name} could not be read (${(e as Error).message})` };
  }
}
