import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, test } from "vitest";
import { staleBuildMessage, staleBuildReason } from "../../stacks/build-check";
import { simulatorMismatch } from "../../stacks/program";

const root = path.resolve(__dirname, "../..");

/** A project with one provider source, compiled or not. */
function project(opts: { compiled: boolean; sourceNewer?: boolean; buildInfoHash?: "same" | "other" }): { dir: string; src: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "build-check-"));
  mkdirSync(path.join(dir, "providers"));
  const src = path.join(dir, "providers", "runtime.ts");
  const text = "export const kinds = [];\n";
  writeFileSync(src, text);
  writeFileSync(path.join(dir, "tsconfig.build.json"), JSON.stringify({ compilerOptions: { tsBuildInfoFile: "dist/.tsbuildinfo-build" } }));
  if (opts.compiled) {
    mkdirSync(path.join(dir, "dist", "providers"), { recursive: true });
    writeFileSync(path.join(dir, "dist", "providers", "runtime.js"), "exports.kinds = [];\n");
    const version = opts.buildInfoHash === "other" ? "0".repeat(64) : createHash("sha256").update(text).digest("hex");
    writeFileSync(
      path.join(dir, "dist", ".tsbuildinfo-build"),
      JSON.stringify({ fileNames: ["../providers/runtime.ts"], fileInfos: [{ version }] }),
    );
  }
  const past = new Date(Date.now() - 60_000);
  const future = new Date(Date.now() + 60_000);
  if (opts.sourceNewer) utimesSync(src, future, future);
  else utimesSync(src, past, past);
  return { dir, src };
}

describe("the program's check of the compiled providers", () => {
  test("the project's own build is current (the test set-up has just built it)", () => {
    expect(staleBuildReason(root)).toBeUndefined();
  });

  test("a project never built is refused, telling the user to run npm run build", () => {
    const { dir } = project({ compiled: false });
    const reason = staleBuildReason(dir);
    expect(reason).toBe("dist/providers/runtime.js does not exist");
    expect(staleBuildMessage(reason!)).toBe(
      "pulumi-digdir: the compiled program and providers are out of date (dist/providers/runtime.js does not exist). Pulumi runs dist/, not the TypeScript sources: run `npm run build`, then run the pulumi command again.",
    );
  });

  test("a source changed after the build is refused", () => {
    const { dir } = project({ compiled: true, sourceNewer: true, buildInfoHash: "other" });
    expect(staleBuildReason(dir)).toBe("providers/runtime.ts changed after the last build");
  });

  test("contents are compared, not times: a source newer than its output but unchanged (a git checkout, a touch) is accepted", () => {
    // An incremental build does not rewrite an output whose source is unchanged, so the time alone would
    // ask for a build that never helps.
    const { dir } = project({ compiled: true, sourceNewer: true, buildInfoHash: "same" });
    expect(staleBuildReason(dir)).toBeUndefined();
  });

  test("contents are compared, not times: a source older than its output but not what was compiled is refused", () => {
    const { dir } = project({ compiled: true, buildInfoHash: "other" });
    expect(staleBuildReason(dir)).toBe("providers/runtime.ts changed after the last build");
  });

  test("an output whose source is gone (a module moved into a folder) is refused: Node would load it first", () => {
    const { dir } = project({ compiled: true, buildInfoHash: "same" });
    writeFileSync(path.join(dir, "dist", "providers", "validate.js"), "exports.old = true;\n");
    expect(staleBuildReason(dir)).toBe(
      "dist/providers/validate.js is left from an older build (its source is gone): remove dist/ first (rm -rf dist)",
    );
  });

  test("a build without its build info is refused, saying so", () => {
    const { dir } = project({ compiled: true, buildInfoHash: "same" });
    rmSync(path.join(dir, "dist", ".tsbuildinfo-build"));
    expect(staleBuildReason(dir)).toBe("dist/ has no build info of `npm run build` (dist/.tsbuildinfo-build)");
  });

  test("a real git checkout of an unchanged file, in a copy of this repository's providers built by tsc", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "build-check-git-"));
    cpSync(path.join(root, "providers"), path.join(dir, "providers"), { recursive: true });
    cpSync(path.join(root, "tsconfig.json"), path.join(dir, "tsconfig.json"));
    writeFileSync(
      path.join(dir, "tsconfig.build.json"),
      JSON.stringify({
        extends: "./tsconfig.json",
        compilerOptions: {
          noEmit: false,
          incremental: true,
          tsBuildInfoFile: "dist/.tsbuildinfo-build",
          rootDir: ".",
          types: ["node"],
          typeRoots: [path.join(root, "node_modules/@types")],
        },
        include: ["providers"],
      }),
    );
    symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"));
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.email=t@example.no", "-c", "user.name=t", ...args], { cwd: dir, stdio: "pipe" });
    git("init", "-q");
    git("add", "providers");
    git("commit", "-qm", "providers");
    execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: dir, stdio: "pipe" });
    expect(staleBuildReason(dir)).toBeUndefined();
    // Later than the build: `git checkout` rewrites the file with the committed (same) content and a new time.
    const file = path.join(dir, "providers", "index.ts");
    utimesSync(path.join(dir, "dist", "providers", "index.js"), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    writeFileSync(file, "// edited\n");
    git("checkout", "--", "providers/index.ts");
    expect(statSync(file).mtimeMs).toBeGreaterThan(statSync(path.join(dir, "dist", "providers", "index.js")).mtimeMs);
    expect(staleBuildReason(dir)).toBeUndefined();
    writeFileSync(file, readFileSync(file, "utf8") + "// a real change\n");
    expect(staleBuildReason(dir)).toBe("providers/index.ts changed after the last build");
  }, 120_000);
});

describe("the local stack's simulator", () => {
  test("a simulator state that names another address than digdir:simulatorUrl is pointed out", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "sim-state-"));
    mkdirSync(path.join(dir, ".sim-state"));
    writeFileSync(path.join(dir, ".sim-state", "bootstrap.json"), JSON.stringify({ url: "http://127.0.0.1:41234" }));
    expect(simulatorMismatch(dir, "http://127.0.0.1:41234/")).toBeUndefined();
    expect(simulatorMismatch(dir, "http://127.0.0.1:8089")).toBe(
      "the simulator in .sim-state listened at http://127.0.0.1:41234, but digdir:simulatorUrl is http://127.0.0.1:8089: start it with `npm run sim -- --port 41234 --state .sim-state`, or `pulumi config set digdir:simulatorUrl http://127.0.0.1:41234`",
    );
    expect(simulatorMismatch(mkdtempSync(path.join(tmpdir(), "no-sim-")), "http://127.0.0.1:8089")).toBeUndefined();
  });
});
