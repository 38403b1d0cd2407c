import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { findProjectRoot } from "./config";

/**
 * `npm run migrate-requests -- --stack <stack> [--dry-run]`: moves a stack whose state holds one `SystemUserRequest`
 * or `AgentSystemUserRequest` per customer (before request groups) to groups, deleting and posting nothing at Altinn
 * (stacks/README.md, "Migrating to request groups"). It drops those resources from the state (`pulumi stack export`,
 * edit, `pulumi stack import`: no provider is called, so no request is deleted) and marks the stack as migrated
 * (`requestGroups: true` in its outputs). The next `pulumi up` creates the groups, which read the system's lists and
 * adopt every request and system user Altinn has for their customers' keys, posting only for customers that have none.
 */

interface Resource {
  urn: string;
  type: string;
  id?: string;
  custom?: boolean;
  outputs?: Record<string, unknown>;
  dependencies?: string[];
  parent?: string;
  [k: string]: unknown;
}

interface Deployment {
  version: number;
  deployment: { resources?: Resource[]; [k: string]: unknown };
}

const perCustomer = /^pulumi-nodejs:dynamic\/altinn:(Agent)?SystemUserRequest$/;

/** The state without its per-customer request resources, marked as migrated; what was dropped, by URN. */
export function migrateDeployment(exported: Deployment): { deployment: Deployment; dropped: string[] } {
  const resources = exported.deployment.resources ?? [];
  const dropped = resources.filter((r) => perCustomer.test(r.type)).map((r) => r.urn);
  const gone = new Set(dropped);
  const kept = resources
    .filter((r) => !gone.has(r.urn))
    .map((r) => {
      const out: Resource = { ...r };
      // Nothing may depend on a dropped resource (the program never made anything depend on a request).
      if (r.dependencies?.some((d) => gone.has(d))) out.dependencies = r.dependencies.filter((d) => !gone.has(d));
      if (r.type === "pulumi:pulumi:Stack") out.outputs = { ...(r.outputs ?? {}), requestGroups: true };
      return out;
    });
  return { deployment: { ...exported, deployment: { ...exported.deployment, resources: kept } }, dropped };
}

const usage = "usage: npm run migrate-requests -- --stack <stack> [--dry-run]";

export function migrateMain(
  argv: string[],
  out: (l: string) => void = (l) => process.stdout.write(`${l}\n`),
  bin = process.env.PULUMI_BIN ?? "pulumi",
  cwd = process.cwd(),
): number {
  const i = argv.indexOf("--stack");
  const stack = i >= 0 ? argv[i + 1] : undefined;
  const dryRun = argv.includes("--dry-run");
  if (!stack || argv.some((a) => a.startsWith("--") && !["--stack", "--dry-run"].includes(a))) {
    out(usage);
    return 2;
  }
  const root = findProjectRoot(cwd) ?? cwd;
  const pulumi = (args: string[]): string => {
    const r = spawnSync(bin, [...args, "--stack", stack], { cwd: root, encoding: "utf8", maxBuffer: 1 << 30 });
    if (r.error) throw new Error(`cannot run ${bin} (${r.error.message}): put pulumi on PATH, e.g. eval "$(scripts/pulumi-cli.sh --env)"`);
    if (r.status !== 0) throw new Error(`pulumi ${args.join(" ")} failed: ${(r.stderr || r.stdout).trim()}`);
    return r.stdout;
  };
  const { deployment, dropped } = migrateDeployment(JSON.parse(pulumi(["stack", "export"])) as Deployment);
  out(
    `${dropped.length} per-customer request resource${dropped.length === 1 ? "" : "s"} ${dryRun ? "would be" : "are"} dropped from the state of ${stack} (nothing is deleted at Altinn):`,
  );
  for (const urn of dropped.slice(0, 20)) out(`  ${urn.split("::").slice(-2).join("::")}`);
  if (dropped.length > 20) out(`  ... and ${dropped.length - 20} more`);
  if (dryRun) return 0;
  const dir = mkdtempSync(path.join(tmpdir(), "digdir-migrate-"));
  try {
    const file = path.join(dir, "state.json");
    writeFileSync(file, JSON.stringify(deployment));
    pulumi(["stack", "import", "--file", file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  out("done: `pulumi preview` now plans the request groups as creates, which adopt the requests Altinn has; then `pulumi up`.");
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = migrateMain(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}
