import { spawn, spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, test } from "vitest";

/**
 * The real Pulumi engine end to end (test/cli/cli-smoke.sh): login file://, stack init, config with a secret, up,
 * preview --expect-no-changes, refresh, an update, stack export without the secret in clear, destroy.
 *
 * Runs only when a Pulumi CLI is ready: one on the PATH, or one built by scripts/pulumi-cli.sh into its cache.
 * It never builds the CLI itself (that takes minutes); run scripts/pulumi-cli.sh once for that.
 * PULUMI_CLI_SMOKE=0 skips it even then.
 */
const repo = path.resolve(__dirname, "../..");

function cliStatus(): { ready: boolean; reason: string } {
  if (process.env.PULUMI_CLI_SMOKE === "0") return { ready: false, reason: "PULUMI_CLI_SMOKE=0" };
  const r = spawnSync(path.join(repo, "scripts/pulumi-cli.sh"), ["--check"], { cwd: repo, encoding: "utf8" });
  if (r.status === 0) return { ready: true, reason: r.stdout.trim().split("\n").pop() ?? "" };
  return { ready: false, reason: "no Pulumi CLI on the PATH or in the cache; run scripts/pulumi-cli.sh (needs go) to build one" };
}

const cli = cliStatus();

describe("the real Pulumi CLI with a dynamic provider (test/cli/cli-smoke.sh)", () => {
  if (!cli.ready) {
    console.warn(`test/cli/cli-smoke.test.ts skipped: ${cli.reason}`);
    test.skip(`skipped: ${cli.reason}`, () => {});
    return;
  }

  test(`login, stack init, up, preview, refresh, update, export, destroy (CLI in ${cli.reason})`, async () => {
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn("bash", [path.join(repo, "test/cli/cli-smoke.sh")], {
        cwd: repo,
        env: { ...process.env, PULUMI_CLI_SMOKE_NO_BUILD: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.on("data", (d: Buffer) => (output += d.toString()));
      child.stderr.on("data", (d: Buffer) => (output += d.toString()));
      child.on("close", (c) => resolve({ code: c, output }));
    });
    expect(output, output).not.toMatch(/^not ok/m);
    expect(code, output).toBe(0);
    expect(output).toMatch(/^# passed \d+ checks/m);
  }, 600_000);
});
