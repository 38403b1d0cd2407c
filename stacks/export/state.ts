import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { providerModule, runtimeSpecifiers } from "../../providers/core/shim";
import { checkClientKeysInputs } from "../../providers/digdir/client-keys-model";
import { planShards } from "../groups";
import type { StackPlan } from "../validate";
import type { ExportResult } from "./stack-file";

/**
 * Records the exported objects in the stack's state, so that the first `pulumi up` creates nothing.
 *
 * The engine's import (`pulumi import`, the `import` resource option) cannot serve dynamic providers: it reads the
 * object with no properties, so the provider host cannot tell which provider to load (pulumi/pulumi#16175). So the
 * export writes, through `pulumi stack import`, one entry per resource the program will register for the file
 * (same type and name, so the same URN): its id, and as inputs and outputs what the program declares with the
 * provider text the program stores. `pulumi refresh` then has each provider read its object, so the state holds
 * what the services hold, exactly as after a create and a refresh. The engine adds the default provider.
 */

export interface Pulumi {
  /** Runs the CLI; throws with its output on a non-zero exit. */
  run(args: string[], input?: string): string;
}

export function pulumiCli(root: string, bin = process.env.PULUMI_BIN ?? "pulumi"): Pulumi {
  return {
    run(args, input) {
      const r = spawnSync(bin, args, { cwd: root, encoding: "utf8", input, maxBuffer: 256 * 1024 * 1024 });
      if (r.error) throw new Error(`${bin} ${args[0]}: ${r.error.message} (install the Pulumi CLI, or set PULUMI_BIN)`);
      if (r.status !== 0)
        throw new Error(
          `\`pulumi ${args.join(" ")}\` exited ${r.status}:\n${(r.stderr || r.stdout).trim().split("\n").slice(-20).join("\n")}`,
        );
      return r.stdout;
    },
  };
}

interface StateResource {
  urn: string;
  custom: boolean;
  type: string;
  id?: string;
  parent?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  [other: string]: unknown;
}

interface Deployment {
  version: number;
  deployment: { manifest?: unknown; secrets_providers?: unknown; resources?: StateResource[]; [other: string]: unknown };
}

/** The project's name and the program's folder (the provider host's working directory), from Pulumi.yaml. */
export function projectOf(root: string): { name: string; programDir: string } {
  const doc = parse(readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { name: string; main?: string };
  const main = doc.main ?? ".";
  const programDir = /\.[cm]?[jt]s$/.test(main) ? path.dirname(path.join(root, main)) : path.join(root, main);
  return { name: doc.name, programDir };
}

/** What the stack manages already: resource type → ids (the Stack and providers left out). */
export function managedIds(pulumi: Pulumi, stack: string): Map<string, Set<string>> {
  const dep = JSON.parse(pulumi.run(["stack", "export", "--stack", stack])) as Deployment;
  const out = new Map<string, Set<string>>();
  for (const r of dep.deployment.resources ?? []) {
    if (!r.custom || !r.id || r.type.startsWith("pulumi:providers:")) continue;
    if (!out.has(r.type)) out.set(r.type, new Set());
    out.get(r.type)!.add(r.id);
  }
  return out;
}

export interface Entry {
  kind: string;
  module: "digdir" | "altinn";
  name: string;
  id: string;
  declared: Record<string, unknown>;
}

/** The resources the program registers for the exported file, with the ids the export read. */
export function entriesFor(plan: StackPlan, result: ExportResult): Entry[] {
  const entries: Entry[] = [];
  const clientIdOf = new Map<string, string>();
  for (const c of plan.clients) {
    const exported = result.ids.clients.get(c.name);
    if (!exported) continue;
    clientIdOf.set(c.name, exported.id);
    entries.push({ kind: c.kind, module: "digdir", name: c.name, id: exported.id, declared: { ...c.args } });
    if (c.keySet) {
      const { inputs } = checkClientKeysInputs({ ...c.keySet.policy, clientId: exported.id, keys: c.keySet.keys });
      entries.push({ kind: "ClientKeys", module: "digdir", name: c.name, id: exported.id, declared: { ...inputs } });
    }
  }
  for (const s of plan.apiScopes) {
    const scope = result.ids.scopes.get(s.name);
    if (!scope) continue;
    entries.push({ kind: "ApiScope", module: "digdir", name: s.name, id: scope, declared: { ...s.args } });
    for (const c of s.consumers)
      entries.push({
        kind: "ScopeAccess",
        module: "digdir",
        name: c.resourceName,
        id: `${scope}|${c.orgNo}`,
        declared: { scope, consumerOrgNo: c.orgNo },
      });
  }
  const systemIdOf = new Map<string, string>();
  for (const s of plan.systems) {
    const id = result.ids.systems.get(s.name);
    if (!id) continue;
    systemIdOf.set(s.name, id);
    const clientIds = [
      ...(Array.isArray(s.args.clientIds) ? (s.args.clientIds as string[]) : []),
      ...s.clients.map((n) => clientIdOf.get(n)!).filter(Boolean),
    ];
    entries.push({ kind: "System", module: "altinn", name: s.name, id, declared: { ...s.args, systemId: id, clientIds } });
  }
  // Requests in groups (stacks/groups.ts): one entry per shard, recording each customer Altinn has; the refresh
  // below reads their statuses from the system's lists, and a customer without a request is asked at the next up.
  for (const shard of planShards(plan)) {
    const systemId = systemIdOf.get(shard.group.system);
    if (!systemId) continue;
    const requests: Record<string, { requestId: string; status: string }> = {};
    for (const { request: r, key } of shard.members) {
      const externalRef = typeof r.args.externalRef === "string" ? r.args.externalRef : r.customer.orgNo;
      const live = result.ids.requests.find(
        (x) => x.kind === r.kind && x.systemId === systemId && x.partyOrgNo === r.customer.orgNo && x.externalRef === externalRef,
      );
      if (live) requests[key] = { requestId: "", status: live.status };
    }
    entries.push({
      kind: `${shard.group.kind}Group`,
      module: "altinn",
      name: shard.name,
      id: `${systemId}/${randomUUID()}`,
      declared: { ...shard.args, systemId, requests },
    });
  }
  return entries;
}

/**
 * Adds the entries to the stack's state and refreshes them. Refused when the stack manages resources already:
 * the exported file declares the whole organisation, and merging it with a stack in use is a review, not a command.
 */
export function recordInState(pulumi: Pulumi, root: string, stack: string, entries: Entry[]): { recorded: number } {
  const dep = JSON.parse(pulumi.run(["stack", "export", "--stack", stack])) as Deployment;
  const existing = (dep.deployment.resources ?? []).filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
  if (existing.length) {
    throw new Error(
      `the stack ${stack} manages ${existing.length} resource${existing.length > 1 ? "s" : ""} already, so the export recorded nothing in its state: ` +
        "adopt into a new stack (`pulumi stack init`), or merge the exported file into the stack's own by hand and let `pulumi up` take the objects over by their keys",
    );
  }
  const project = projectOf(root);
  const stackUrn = `urn:pulumi:${stack}::${project.name}::pulumi:pulumi:Stack::${project.name}-${stack}`;
  const resources: StateResource[] = [...(dep.deployment.resources ?? [])];
  if (!resources.some((r) => r.urn === stackUrn)) resources.unshift({ urn: stackUrn, custom: false, type: "pulumi:pulumi:Stack" });
  const runtime = runtimeSpecifiers(project.programDir);
  for (const e of entries) {
    const type = `pulumi-nodejs:dynamic/${e.module}:${e.kind}`;
    const __provider = providerModule(e.kind, runtime);
    const { status, requests: _requests, ...inputs } = e.declared;
    resources.push({
      urn: `urn:pulumi:${stack}::${project.name}::${type}::${e.name}`,
      custom: true,
      type,
      id: e.id,
      parent: stackUrn,
      inputs: { ...inputs, __provider },
      outputs: { ...e.declared, ...(status !== undefined && { status }), __provider },
    });
  }
  const dir = mkdtempSync(path.join(tmpdir(), "digdir-export-"));
  try {
    const file = path.join(dir, "state.json");
    writeFileSync(file, JSON.stringify({ ...dep, deployment: { ...dep.deployment, resources } }));
    pulumi.run(["stack", "import", "--stack", stack, "--file", file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  pulumi.run(["refresh", "--yes", "--skip-preview", "--stack", stack, "--non-interactive"]);
  return { recorded: entries.length };
}
