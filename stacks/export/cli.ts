import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { configureContext } from "../../providers/core/context";
import { environmentSource, layered, type ConfigSource } from "../../providers/core/settings";
import { findProjectRoot, readStackConfigFile } from "../config";
import { formatProblem, StackSource } from "../source";
import { validateStack, validateStackFile, type ValidationResult } from "../validate";
import { readOrganisation, type LiveOrganisation } from "./live";
import { buildExport, renderStackFile, type ExportResult } from "./stack-file";
import { entriesFor, managedIds, pulumiCli, recordInState, type Pulumi } from "./state";
import { unmanagedObjects } from "./unmanaged";

/**
 * `npm run export -- --stack <stack> [--out <file>] [--no-state] [--force]`: reads the organisation with the
 * stack's credentials and writes a stack file that validates and, applied, changes nothing, with the public keys
 * as key files beside it; then records the objects in the stack's state (state.ts), so the first `pulumi up`
 * creates nothing. `--out` elsewhere than `stacks/<stack>.yaml`, or `--no-state`, only writes.
 * `npm run export -- --stack <stack> --unmanaged`: lists the live objects the stack does not manage or declare;
 * exit 0 when there are none, 2 when there are some. Exit 1 on any other failure.
 */

const usage =
  "usage: npm run export -- --stack <stack> [--out <file>] [--no-state] [--force]\n       npm run export -- --stack <stack> --unmanaged";

class UsageError extends Error {}

function args(argv: string[]): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) throw new UsageError(`unexpected argument ${a}`);
    const key = a.slice(2);
    if (["stack", "out"].includes(key)) {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      out[key] = v;
    } else if (["unmanaged", "no-state", "force"].includes(key)) out[key] = true;
    else throw new UsageError(`unknown option ${a}`);
  }
  if (typeof out.stack !== "string") throw new UsageError("--stack is required");
  return out;
}

/**
 * The stack's settings as the providers read them: its config (secrets decrypted by the CLI, when one can), then
 * Pulumi.<stack>.yaml's plain values, then the environment variables.
 */
function stackSettings(root: string, stack: string, pulumi: Pulumi): ConfigSource {
  const plain = readStackConfigFile(root, stack) ?? {};
  let full: Record<string, string> = {};
  try {
    const json = JSON.parse(pulumi.run(["config", "--json", "--show-secrets", "--stack", stack])) as Record<string, { value?: string }>;
    full = Object.fromEntries(Object.entries(json).flatMap(([k, v]) => (typeof v?.value === "string" ? [[k, v.value]] : [])));
  } catch {
    // No CLI or no stack yet: Pulumi.<stack>.yaml and the environment.
  }
  const fromConfig: ConfigSource = { get: (key) => full[key] ?? plain[key] };
  return layered(fromConfig, environmentSource);
}

export async function main(
  argv: string[],
  out = (s: string) => process.stdout.write(s),
  err = (s: string) => process.stderr.write(s),
): Promise<number> {
  let a: Record<string, string | true>;
  try {
    a = args(argv);
  } catch (e) {
    err(`${(e as Error).message}\n${usage}\n`);
    return 1;
  }
  const stack = a.stack as string;
  const root = findProjectRoot(process.cwd()) ?? process.cwd();
  const pulumi = pulumiCli(root);
  const settings = stackSettings(root, stack, pulumi);
  const ctx = configureContext(settings);
  const adminClientId = ctx.settings.clientId ?? (ctx.settings.environment === "local" ? (await ctx.credential()).clientId : undefined);
  const stackFile = path.join(root, "stacks", `${stack}.yaml`);

  try {
    const org = await readOrganisation(ctx, adminClientId);

    if (a.unmanaged) {
      let managed = new Map<string, Set<string>>();
      let stateNote = "";
      try {
        managed = managedIds(pulumi, stack);
      } catch (e) {
        stateNote = `the stack's state could not be read (${(e as Error).message.split("\n")[0]}): judged by the stack file alone`;
      }
      const declared = existsSync(stackFile)
        ? validateStackFile(stackFile, { environment: ctx.settings.environment, displayName: `stacks/${stack}.yaml` })
        : undefined;
      const found = unmanagedObjects(org, managed, declared?.plan);
      if (stateNote) err(`note: ${stateNote}\n`);
      if (!found.length) {
        out(`nothing unmanaged: every live object of ${org.orgNo} is managed or declared by the stack ${stack}\n`);
        return 0;
      }
      out(
        `${found.length} live object${found.length > 1 ? "s" : ""} of ${org.orgNo} the stack ${stack} does not manage:\n${found.map((l) => `  ${l}\n`).join("")}`,
      );
      return 2;
    }

    const target = typeof a.out === "string" ? path.resolve(a.out) : stackFile;
    if (existsSync(target) && !a.force) {
      err(
        `${path.relative(process.cwd(), target)} exists: nothing was written. Export to another file with --out, or overwrite it with --force.\n`,
      );
      return 1;
    }
    const { text, result, validation } = exportFile(
      org,
      stack,
      ctx.settings.environment,
      path.dirname(target),
      path.relative(process.cwd(), target),
    );
    mkdirSync(path.dirname(target), { recursive: true });
    for (const k of result.keyFiles) {
      const file = path.join(path.dirname(target), k.path);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(k.jwks, null, 2)}\n`);
    }
    writeFileSync(target, text);
    out(
      `wrote ${path.relative(process.cwd(), target)}: ${result.objects.length} entries, ${result.keyFiles.length} key file${result.keyFiles.length === 1 ? "" : "s"}; ${result.notExported.length} note${result.notExported.length === 1 ? "" : "s"} at its top\n`,
    );
    if (validation.problems.length) {
      err(`${validation.problems.length} problem(s) remain in the exported file:\n${validation.problems.map(formatProblem).join("\n")}\n`);
      return 1;
    }
    if (a["no-state"] || target !== stackFile) {
      out(
        `not recorded in the stack's state${a["no-state"] ? " (--no-state)" : ` (the stack reads stacks/${stack}.yaml)`}: the first \`pulumi up\` takes the objects over by their keys\n`,
      );
      return 0;
    }
    try {
      const { recorded } = recordInState(pulumi, root, stack, entriesFor(validation.plan, result));
      out(
        `recorded ${recorded} resources in the state of ${stack}; next: npm run validate -- stacks/${stack}.yaml && pulumi preview --stack ${stack}\n`,
      );
      return 0;
    } catch (e) {
      err(
        `the file is written, but the objects were not recorded in the state of ${stack}: ${(e as Error).message}\n` +
          "Fix that and export again with --force, or keep the file: the first `pulumi up` then takes each object over by its key (shown as creates).\n",
      );
      return 1;
    }
  } catch (e) {
    err(`export failed: ${(e as Error).message}\n`);
    return 1;
  }
}

/**
 * Builds the file, validates it, and leaves out any object the validator objects to (saying why at the top), until
 * it validates: the file must apply as it is.
 */
export function exportFile(
  org: LiveOrganisation,
  stack: string,
  environment: "test" | "prod" | "local",
  dir: string,
  shown: string,
): { text: string; result: ExportResult; validation: ValidationResult } {
  const leaveOut = new Map<string, string>();
  for (let pass = 0; ; pass++) {
    const result = buildExport(org, { stack, leaveOut });
    const header = headerLines(org, stack, result);
    const text = renderStackFile(result, header);
    const keyFiles = new Map(result.keyFiles.map((k) => [path.join(dir, k.path), JSON.stringify(k.jwks)]));
    const validation = validateStack(new StackSource(shown, text), dir, {
      environment,
      configuredOrgNo: { value: org.orgNo, source: "the organisation exported" },
      readFile: (f) => keyFiles.get(f) ?? readFileSync(f, "utf8"),
    });
    const fresh = validation.problems.filter((p) => {
      const [section, name] = p.path.split(/[.[]/);
      if (!section || !name || leaveOut.has(`${section}.${name}`)) return false;
      leaveOut.set(`${section}.${name}`, `left out, since the stack file cannot declare it as it is: ${p.message}`);
      return true;
    });
    if (!fresh.length || pass >= 5) return { text, result, validation };
  }
}

function headerLines(org: LiveOrganisation, stack: string, result: ExportResult): string[] {
  return [
    `Exported from the live organisation ${org.orgNo} for the stack ${stack} (npm run export), ${new Date().toISOString().slice(0, 10)}.`,
    'Every object below exists already and is adopted, not created (stacks/README.md, "Adopting an organisation").',
    "",
    "Not exported:",
    "- private keys: Digdir holds only public keys; each client's registered public keys are in keys/, and a client",
    "  without a keys entry keeps its registered keys as they are;",
    "- client secrets: Digdir never shows them; a secret-based client keeps its secret (rotationTrigger gets a new one);",
    "- inactive objects (deactivated clients and scopes, deleted systems, requests answered no or lapsed);",
    "- what a system user holds: the vendor cannot read it, so one without a request is declared with its system's rights.",
    ...result.notExported.map((n) => `- ${n}`),
  ];
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: Error) => {
      process.stderr.write(`export failed: ${e.message}\n`);
      process.exit(1);
    },
  );
}
