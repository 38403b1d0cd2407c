import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { TestProject } from "vitest/node";

/**
 * Before any e2e file: find (or build) the Pulumi CLI, and compile the providers and the program to dist/.
 *
 *  - a CLI on the PATH or in the cache of scripts/pulumi-cli.sh: used;
 *  - none, but `go` is there: scripts/pulumi-cli.sh builds one (about 5 minutes the first time, cached outside
 *    the repository in ~/.cache/pulumi-digdir);
 *  - neither: every e2e test is skipped with "SKIP: ..." saying what to install. E2E_REQUIRE_CLI=1 (set by
 *    .ci/run) makes that a failure instead. E2E_NO_BUILD=1 never builds (skips when no CLI is ready).
 */
declare module "vitest" {
  interface ProvidedContext {
    /** The directory holding `pulumi` (put first on PATH), or "" when skipped. */
    pulumiBin: string;
    /** Why the e2e tests are skipped, or "". */
    skipReason: string;
  }
}

const repo = path.resolve(__dirname, "../..");
const cliScript = path.join(repo, "scripts/pulumi-cli.sh");

function lastLine(s: string): string {
  return s.trim().split("\n").pop()?.trim() ?? "";
}

function hasCommand(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

function findCli(): { bin: string } | { skip: string } {
  const check = spawnSync(cliScript, ["--check"], { cwd: repo, encoding: "utf8" });
  if (check.status === 0 && lastLine(check.stdout)) return { bin: lastLine(check.stdout) };
  if (process.env.E2E_NO_BUILD === "1") return { skip: "no Pulumi CLI on the PATH or in the cache, and E2E_NO_BUILD=1" };
  if (!hasCommand("go")) {
    return {
      skip:
        "no Pulumi CLI on the PATH or in the cache, and no `go` to build one. Install the Pulumi CLI " +
        "(https://www.pulumi.com/docs/install/) or Go >= 1.25 (https://go.dev/dl/), then run `npm run test:e2e` again",
    };
  }
  process.stderr.write("test:e2e: no Pulumi CLI ready; building one with scripts/pulumi-cli.sh (about 5 minutes, once)\n");
  const build = spawnSync(cliScript, [], { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (build.status !== 0 || !lastLine(build.stdout))
    throw new Error(`scripts/pulumi-cli.sh could not build the Pulumi CLI (exit ${build.status}); see its messages above`);
  return { bin: lastLine(build.stdout) };
}

/**
 * The CLI built by scripts/pulumi-cli.sh runs the language host and the dynamic provider plugin beside its binary,
 * in a cache shared by every checkout on the machine (each `scripts/pulumi-cli.sh` run installs its own copies).
 * The tests run this checkout's: a private bin folder with the binary linked (not a symlink: the engine looks
 * beside the resolved executable) and this checkout's helpers copied. A CLI of another origin is used as it is.
 */
function privateBin(bin: string): { bin: string; remove: () => void } {
  const host = path.join(bin, "pulumi-language-nodejs");
  if (!fs.existsSync(host) || !fs.readFileSync(host, "utf8").startsWith("#!/usr/bin/env node")) return { bin, remove: () => {} };
  const dir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? os.tmpdir(), "pulumi-digdir-e2e-bin-"));
  try {
    fs.linkSync(path.join(bin, "pulumi"), path.join(dir, "pulumi"));
  } catch {
    fs.copyFileSync(path.join(bin, "pulumi"), path.join(dir, "pulumi"));
    fs.chmodSync(path.join(dir, "pulumi"), 0o755);
  }
  for (const [from, to] of [
    ["language-host.js", "pulumi-language-nodejs"],
    ["pulumi-resource-pulumi-nodejs", "pulumi-resource-pulumi-nodejs"],
  ]) {
    fs.copyFileSync(path.join(repo, "scripts/pulumi-cli", from), path.join(dir, to));
    fs.chmodSync(path.join(dir, to), 0o755);
  }
  return { bin: dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export default function setup(project: TestProject): (() => void) | void {
  const cli = findCli();
  if ("skip" in cli) {
    if (process.env.E2E_REQUIRE_CLI === "1") throw new Error(`test:e2e: E2E_REQUIRE_CLI=1 but ${cli.skip}`);
    process.stderr.write(`\nSKIP: test:e2e: ${cli.skip}\n\n`);
    project.provide("pulumiBin", "");
    project.provide("skipReason", cli.skip);
    return;
  }
  const own = privateBin(cli.bin);
  process.stderr.write(
    `test:e2e: Pulumi CLI from ${cli.bin}${own.bin === cli.bin ? "" : `, with this checkout's helpers in ${own.bin}`}\n`,
  );
  // The providers run from dist/ in the provider host; the program refuses a stale build.
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: repo, stdio: "inherit" });
  project.provide("pulumiBin", own.bin);
  project.provide("skipReason", "");
  return own.remove;
}
