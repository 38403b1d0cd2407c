import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { ConfigError, findProjectRoot, stackConfigFor, type StackConfig } from "./config";
import { inlineCustomerFiles } from "./csv";
import { formatJson, formatMarkdown, formatText, reviewPlan, type PreviewJson } from "./plan-text";
import { builtInIgnore, builtInLeftOut, formatDifferences, promotionDiff, type Difference } from "./promote";
import { formatProblem, StackSource } from "./source";
import { validateStackFile, type StackPlan, type ValidationResult } from "./validate";

/**
 * `npm run validate -- [stacks/<stack>.yaml ...] [--environment test|prod|local]`: every problem of each file,
 * offline, as `file:line:col path: message`; exit 1 when there is any.
 * `npm run promote -- <from> <to> [--json] [--exit-code]`: what the `to` stack lacks or has different from the
 * `from` stack, leaving out what is meant to differ per environment; exit 1 with `--exit-code` when anything does.
 * `npm run plan -- --stack <stack> [--markdown | --json] [--save-plan <file>] [--refresh]`: `pulumi preview` of the
 * stack in the domain's words (stacks/plan-text.ts); exit 0 no changes, 2 changes, 1 an error.
 * Usage errors exit 2 (`plan`: 1, as its 2 means changes).
 */

const usage = [
  "usage: npm run validate -- [stacks/<stack>.yaml ...] [--environment test|prod|local]",
  "       npm run promote -- <from stack> <to stack> [--json] [--exit-code]",
  "       npm run plan -- --stack <stack> [--markdown | --json] [--save-plan <file>] [--refresh]",
].join("\n");

class UsageError extends Error {}

interface Args {
  positional: string[];
  flags: Record<string, string | true>;
}

function parseArgs(argv: string[], valued: string[]): Args {
  const out: Args = { positional: [], flags: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) out.positional.push(a);
    else if (a.includes("=")) out.flags[a.slice(2, a.indexOf("="))] = a.slice(a.indexOf("=") + 1);
    else if (valued.includes(a.slice(2))) {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      out.flags[a.slice(2)] = v;
    } else out.flags[a.slice(2)] = true;
  }
  return out;
}

function stacksFolder(): string {
  const root = findProjectRoot(process.cwd()) ?? process.cwd();
  return path.join(root, "stacks");
}

/** A stack name (`dev`) or a file (`stacks/dev.yaml`). */
function stackFile(arg: string): string {
  if (/\.ya?ml$/.test(arg) || arg.includes("/")) return arg;
  return path.relative(process.cwd(), path.join(stacksFolder(), `${arg}.yaml`));
}

function validateOne(file: string, environment?: string): { config: StackConfig; result: ValidationResult } {
  const config = stackConfigFor(file, { environment });
  const result = validateStackFile(file, {
    displayName: file,
    environment: config.environment,
    ...(config.configuredOrgNo && { configuredOrgNo: config.configuredOrgNo }),
  });
  return { config, result };
}

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;

/** What a valid stack file declares, counted. */
function planSummary(plan: StackPlan): string {
  const consumers = plan.apiScopes.reduce((n, s) => n + s.consumers.length, 0);
  return (
    `${count(plan.clients.length, "client")}, ${count(plan.systems.length, "system")}, ${count(plan.requests.length, "request")}` +
    (plan.apiScopes.length ? `, ${count(plan.apiScopes.length, "API scope")} (${count(consumers, "consumer")})` : "")
  );
}

/** The last line of `npm run promote`. */
function differencesSummary(diffs: Difference[], from: string, to: string): string {
  if (!diffs.length) return `${to} has everything ${from} has`;
  const of = (k: string) => diffs.filter((d) => d.kind === k).length;
  return `${count(diffs.length, "difference")}: ${of("missing")} missing in ${to}, ${of("changed")} different, ${of("extra")} only in ${to}`;
}

export function validateCommand(argv: string[], out: (line: string) => void): number {
  const args = parseArgs(argv, ["environment"]);
  for (const f of Object.keys(args.flags)) if (f !== "environment") throw new UsageError(`unknown option --${f}`);
  const env = typeof args.flags.environment === "string" ? args.flags.environment : undefined;
  let files = args.positional.map(stackFile);
  if (!files.length) {
    const dir = stacksFolder();
    files = existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => /\.ya?ml$/.test(f))
          .sort()
          .map((f) => path.relative(process.cwd(), path.join(dir, f)))
      : [];
    if (!files.length) throw new UsageError(`no stack files in ${dir}`);
  }
  let failed = 0;
  for (const file of files) {
    const { config, result } = validateOne(file, env);
    for (const p of result.problems) out(formatProblem(p));
    const plan = result.plan;
    if (result.problems.length) {
      failed++;
      out(`${file}: ${count(result.problems.length, "problem")} (environment ${config.environment}, from ${config.environmentSource})`);
    } else {
      out(`${file}: valid for environment ${config.environment} (from ${config.environmentSource}): ${planSummary(plan)}`);
    }
  }
  return failed ? 1 : 0;
}

export function promoteCommand(argv: string[], out: (line: string) => void): number {
  const args = parseArgs(argv, []);
  for (const f of Object.keys(args.flags)) if (f !== "json" && f !== "exit-code") throw new UsageError(`unknown option --${f}`);
  if (args.positional.length !== 2) throw new UsageError("promote needs two stacks: the one to promote from and the one to promote to");
  const [fromFile, toFile] = args.positional.map(stackFile) as [string, string];
  const sides = [validateOne(fromFile), validateOne(toFile)];
  const problems = sides.flatMap((s) => s.result.problems);
  if (problems.length) {
    for (const p of problems) out(formatProblem(p));
    out(`not compared: correct the problems above first (npm run validate)`);
    return 1;
  }
  const [from, to] = sides.map((s) => s.config.stack) as [string, string];
  const ignore = [...new Set([...sides[0]!.result.plan.promotionIgnore, ...sides[1]!.result.plan.promotionIgnore])];
  // A group's customersFile is read into its customers: both environments' customers are compared, not file names.
  const data = [fromFile, toFile].map((f) =>
    inlineCustomerFiles(new StackSource(f, readFileSync(f, "utf8")).data(), path.dirname(path.resolve(f))),
  );
  const diffs = promotionDiff(data[0], data[1], ignore);
  if (args.flags.json) {
    out(JSON.stringify({ from: fromFile, to: toFile, ignored: [...builtInIgnore, ...ignore], differences: diffs }, null, 2));
  } else {
    out(`promotion ${fromFile} → ${toFile}`);
    out(`left out as meant to differ: ${[...builtInLeftOut, ...ignore].join(", ")}`);
    for (const line of formatDifferences(diffs, from, to)) out(line);
    out(differencesSummary(diffs, from, to));
  }
  return args.flags["exit-code"] && diffs.length ? 1 : 0;
}

/**
 * Runs `pulumi preview --json` (the `pulumi` on the PATH, with the caller's backend and secrets settings) and
 * prints what it will change. The stack file is validated first: a broken file is reported as `npm run validate`
 * does, without starting the engine.
 */
export function planCommand(argv: string[], out: (line: string) => void, err: (line: string) => void = out): number {
  const args = parseArgs(argv, ["stack", "save-plan"]);
  for (const f of Object.keys(args.flags))
    if (!["stack", "markdown", "json", "save-plan", "refresh"].includes(f)) throw new UsageError(`unknown option --${f}`);
  const stack = args.flags.stack;
  if (typeof stack !== "string" || args.positional.length) throw new UsageError("plan needs the stack: npm run plan -- --stack <stack>");
  if (args.flags.markdown && args.flags.json) throw new UsageError("--markdown or --json, not both");
  const { config, result } = validateOne(stackFile(stack));
  if (result.problems.length) {
    for (const p of result.problems) err(formatProblem(p));
    err(`no plan: correct the problems above first (npm run validate)`);
    return 1;
  }
  const pulumiArgs = [
    "preview",
    "--json",
    "--stack",
    stack,
    ...(typeof args.flags["save-plan"] === "string" ? ["--save-plan", args.flags["save-plan"]] : []),
    ...(args.flags.refresh ? ["--refresh"] : []),
  ];
  const run = spawnSync("pulumi", pulumiArgs, {
    encoding: "utf8",
    maxBuffer: 1 << 30,
    cwd: findProjectRoot(process.cwd()) ?? process.cwd(),
  });
  if (run.error) {
    err(`could not run pulumi (${run.error.message}): put the Pulumi CLI on the PATH (eval "$(scripts/pulumi-cli.sh --env)")`);
    return 1;
  }
  let preview: PreviewJson;
  try {
    preview = JSON.parse(run.stdout) as PreviewJson;
  } catch {
    err(`pulumi ${pulumiArgs.join(" ")} exited ${run.status} without a plan:`);
    for (const line of `${run.stderr}\n${run.stdout}`.trim().split("\n").slice(-30)) err(`  ${line}`);
    return 1;
  }
  const plan = reviewPlan(preview, { stack, environment: config.environment, orgNo: result.plan.organisation.orgNo });
  if (run.status !== 0 && !plan.errors.length)
    plan.errors.push(`pulumi preview exited ${run.status}: ${run.stderr.trim().split("\n").slice(-5).join(" ") || "no message"}`);
  const lines = args.flags.json ? [formatJson(plan)] : args.flags.markdown ? formatMarkdown(plan) : formatText(plan);
  for (const line of lines) out(line);
  return plan.errors.length ? 1 : plan.changes.length ? 2 : 0;
}

export function main(argv: string[]): number {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    const [command, ...rest] = argv;
    if (command === "validate") return validateCommand(rest, out);
    if (command === "promote") return promoteCommand(rest, out);
    if (command === "plan") {
      try {
        return planCommand(rest, out, (line) => process.stderr.write(`${line}\n`));
      } catch (e) {
        // 2 means "changes" for plan: a usage error is an error.
        if (e instanceof UsageError || e instanceof ConfigError) {
          process.stderr.write(`${e.message}\n${usage}\n`);
          return 1;
        }
        throw e;
      }
    }
    throw new UsageError(command ? `unknown command ${command}` : "which command?");
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n${usage}\n`);
      return 2;
    }
    throw e;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
