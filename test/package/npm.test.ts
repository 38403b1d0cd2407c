import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, test } from "vitest";

// The package as npm sees it: what `npm pack` ships, what a consumer's npm resolves, and npm's own errors in this
// project (its .npmrc). Installing the packed tarball into a program and running it with the real CLI:
// test/e2e/package.e2e.ts.

const repo = resolve(__dirname, "..", "..");
const pkg = JSON.parse(readFileSync(resolve(repo, "package.json"), "utf8")) as Record<string, any>;

function npm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.toLowerCase().startsWith("npm_config_")) delete env[k];
  const r = spawnSync("npm", args, { cwd: repo, env, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("package.json, for publishing", () => {
  test("is publishable, names its repository and Node versions, and exports the library and the runtime the shim loads", () => {
    expect(pkg.private).toBeUndefined();
    expect(pkg.repository?.url).toMatch(/^git\+https:\/\/.+\.git$/);
    expect(pkg.keywords).toEqual(expect.arrayContaining(["pulumi", "maskinporten", "altinn"]));
    expect(pkg.engines.node).toBe(">=20.19");
    expect(pkg.exports["."]).toEqual({ types: "./dist/providers/index.d.ts", default: "./dist/providers/index.js" });
    expect(pkg.exports["./runtime"]).toBe("./dist/providers/runtime.js");
  });

  test("takes @pulumi/pulumi from the program (a peer), and pins the version our tests run for itself", () => {
    expect(pkg.dependencies["@pulumi/pulumi"]).toBeUndefined();
    expect(pkg.peerDependencies["@pulumi/pulumi"]).toBe(`^${pkg.devDependencies["@pulumi/pulumi"]}`);
    const installed = JSON.parse(readFileSync(resolve(repo, "node_modules/@pulumi/pulumi/package.json"), "utf8")) as { version: string };
    expect(installed.version).toBe(pkg.devDependencies["@pulumi/pulumi"]);
  });

  test("builds on pack and on a git install (prepare)", () => {
    expect(pkg.scripts.prepare).toBe("tsc -p tsconfig.build.json");
  });

  test("npm pack ships the compiled library and its types only", () => {
    const r = npm(["pack", "--dry-run", "--json", "--ignore-scripts"]);
    expect(r.status, r.stderr).toBe(0);
    const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path).sort();
    expect(files).toContain("dist/providers/index.js");
    expect(files).toContain("dist/providers/index.d.ts");
    expect(files).toContain("dist/providers/runtime.js");
    const other = files.filter((f) => !/^dist\/providers\/.+\.(js|d\.ts)$/.test(f));
    expect(other).toEqual(["README.md", "package.json"]);
  });
});

describe("npm in this project (.npmrc)", () => {
  test("says what went wrong: a mistyped script name is reported, not a silent exit 1", () => {
    const r = npm(["run", "buidl"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('Missing script: "buidl"');
  });

  test("keeps the script banner off stdout (npm run sim prints its ready line first)", () => {
    const r = npm(["run", "typecheck", "--", "--version"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^Version \d+\.\d+/);
    expect(r.stderr).toContain("> pulumi-digdir@");
  });
});
