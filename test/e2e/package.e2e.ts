import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import {
  cloneWorkingTree,
  e2eSetUp,
  parseJson,
  repo,
  run,
  SAMARBEID,
  type E2e,
  type RunResult,
  type SimApi,
  type Simulator,
} from "./support";

/**
 * pulumi-digdir as a team uses it: packed from a fresh clone (no dist/: `prepare` builds it), installed into a new
 * TypeScript program of the team's own (once from the tarball, once by folder path, which npm links), and run
 * there with the real CLI against the simulator: preview, up, refresh; the program's folder is moved, refreshed
 * again from the new place (once through `--cwd` from another folder), and destroyed from there.
 */

const bin = inject("pulumiBin");
const skipReason = inject("skipReason");
const PEER_VERSION = (JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8")) as { devDependencies: Record<string, string> })
  .devDependencies["@pulumi/pulumi"]!;

function programSource(system: string): string {
  return `import * as pulumi from "@pulumi/pulumi";
import { KrrClient, MaskinportenClient, System, SystemUserRequest } from "pulumi-digdir";

const client = new MaskinportenClient("app", { name: "${system} app", scopes: ["altinn:authentication/systemuser.request.read"] });
const krr = new KrrClient("krr", { name: "${system} krr" });
// The stack file's shorthand for a right: its resource id.
const system = new System("app", {
  systemId: "991825827_${system}",
  name: { nb: "Team", nn: "Team", en: "Team" },
  description: { nb: "Teamets system", nn: "Teamet sitt system", en: "The team's system" },
  rights: ["ske-krav-og-betalinger"],
  clientIds: [client.clientId],
});
const request = new SystemUserRequest("app/310000019", { system, partyOrgNo: "310000019", rights: ["ske-krav-og-betalinger"] });

export const clientId = client.clientId;
export const krrClientId = krr.clientId;
export const confirmUrl: pulumi.Output<string> = request.confirmUrl;
`;
}

describe.skipIf(!bin)("pulumi-digdir in a team's own program", () => {
  let e2e: E2e;
  let dir: string;
  let clone: string;
  let tarball: string;
  let sim: Simulator;
  let api: SimApi;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    // No copy of the project and no stack here: the team's program, made below, has its own.
    e2e = await e2eSetUp({ bin, name: "package", passphrase: "package-e2e", project: false });
    ({ dir, env, sim, api } = e2e);
    for (const k of Object.keys(env)) if (k.startsWith("npm_")) delete env[k];
    clone = path.join(dir, "src", "pulumi-digdir");
    cloneWorkingTree(clone);
    expect(fs.existsSync(path.join(clone, "dist"))).toBe(false);
  }, 120_000);

  afterAll(() => e2e?.close());

  test("npm pack of a fresh clone builds the library and ships it with its types, and nothing else", async () => {
    const r = await run("npm", ["pack", "--json", "--pack-destination", dir], { cwd: clone, env, timeoutMs: 300_000 });
    const [packed] = JSON.parse(r.stdout.slice(r.stdout.indexOf("["))) as { filename: string; files: { path: string }[] }[];
    tarball = path.join(dir, packed!.filename);
    expect(fs.existsSync(tarball)).toBe(true);
    const shipped = packed!.files.map((f) => f.path);
    expect(shipped).toEqual(
      expect.arrayContaining([
        "package.json",
        "README.md",
        "dist/providers/index.js",
        "dist/providers/index.d.ts",
        "dist/providers/runtime.js",
      ]),
    );
    expect(shipped.filter((f) => !/^dist\/providers\/.+\.(js|d\.ts)$/.test(f)).sort()).toEqual(["README.md", "package.json"]);
  });

  async function program(
    name: string,
    dependency: string,
    system: string,
  ): Promise<{ dir: string; pulumi: (args: string[], cwd?: string) => Promise<RunResult> }> {
    const prog = path.join(dir, name);
    fs.mkdirSync(prog);
    fs.writeFileSync(
      path.join(prog, "package.json"),
      JSON.stringify(
        {
          name,
          private: true,
          main: "index.ts",
          dependencies: { "pulumi-digdir": dependency, "@pulumi/pulumi": PEER_VERSION },
          devDependencies: { typescript: "6.0.3", "@types/node": "^20.19.0" },
        },
        null,
        2,
      ),
    );
    fs.writeFileSync(path.join(prog, "Pulumi.yaml"), `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n`);
    fs.writeFileSync(
      path.join(prog, "tsconfig.json"),
      JSON.stringify(
        {
          compilerOptions: {
            strict: true,
            target: "ES2022",
            module: "node16",
            moduleResolution: "node16",
            types: ["node"],
            skipLibCheck: true,
          },
        },
        null,
        2,
      ),
    );
    fs.writeFileSync(path.join(prog, "index.ts"), programSource(system));
    await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], {
      cwd: prog,
      env,
      timeoutMs: 300_000,
    });
    const pulumi = (args: string[], cwd = prog) => run("pulumi", [...args, "--stack", "dev"], { cwd, env, timeoutMs: 300_000 });
    await pulumi(["stack", "init"]);
    await pulumi(["config", "set", "digdir:environment", "local"]);
    await pulumi(["config", "set", "digdir:simulatorUrl", sim.url]);
    return { dir: prog, pulumi };
  }

  /** Every `__provider` the state holds, in inputs and outputs. */
  async function providerTexts(pulumi: (args: string[]) => Promise<RunResult>): Promise<string[]> {
    const state = JSON.parse((await pulumi(["stack", "export"])).stdout) as {
      deployment: { resources?: { type: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }[] };
    };
    return (state.deployment.resources ?? [])
      .filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"))
      .flatMap((r) => [r.inputs?.__provider, r.outputs?.__provider] as string[]);
  }

  async function journey(name: string, dependency: (prog: string) => string, system: string): Promise<void> {
    const prog0 = path.join(dir, name);
    const { pulumi } = await program(name, dependency(prog0), system);

    const plan = parseJson(await pulumi(["preview", "--json"]));
    expect(plan.diagnostics?.filter((d) => d.severity === "error") ?? []).toEqual([]);
    expect(plan.changeSummary).toMatchObject({ create: 5 }); // the stack and its 4 resources

    await pulumi(["up", "--yes", "--skip-preview"]);
    const out = JSON.parse((await pulumi(["stack", "output", "--json"])).stdout) as {
      clientId: string;
      krrClientId: string;
      confirmUrl: string;
    };
    expect(out.clientId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.confirmUrl).toMatch(new RegExp(`^${sim.url}/am/`));
    const live = async () => ((await api.ok("GET", `${SAMARBEID}/clients`)) as { client_id: string }[]).map((c) => c.client_id);
    expect(await live()).toEqual(expect.arrayContaining([out.clientId, out.krrClientId]));
    // The state names the package, never a path to it: nothing in it depends on where the program or the package is.
    const texts = await providerTexts(pulumi);
    expect(texts).toHaveLength(8); // 4 resources, inputs and outputs
    for (const t of texts) {
      expect(t).toContain('["pulumi-digdir/runtime"]');
      expect(t).not.toMatch(/dist\/|\.\.\//);
    }

    await pulumi(["refresh", "--yes", "--skip-preview"]);
    await pulumi(["preview", "--expect-no-changes"]);

    // Move the program (its node_modules with it; a linked package stays where it is, the link relative as npm made it).
    const moved = path.join(dir, `${name}-moved`);
    fs.renameSync(prog0, moved);
    const fromMoved = (args: string[]) => pulumi(args, moved);
    await fromMoved(["refresh", "--yes", "--skip-preview"]);
    // From another folder, with --cwd: the engine gives the provider host the program's folder.
    await pulumi(["refresh", "--yes", "--skip-preview", "--cwd", moved], dir);
    await fromMoved(["preview", "--expect-no-changes"]);

    await fromMoved(["destroy", "--yes", "--skip-preview"]);
    expect(await live()).not.toEqual(expect.arrayContaining([out.clientId]));
    expect(await live()).not.toEqual(expect.arrayContaining([out.krrClientId]));
  }

  test("installed from the tarball: preview, up, refresh, moved, refresh from the new place and through --cwd, destroy", async () => {
    await journey("team-infra", () => `file:${tarball}`, "teamtarball");
  });

  test("installed by folder path (npm links it): the same journey", async () => {
    await journey("team-linked", (prog) => `file:${path.relative(prog, clone)}`, "teamlinked");
    // npm linked it, as `npm install <folder>` does: the program reaches the clone through a symlink.
    expect(fs.lstatSync(path.join(dir, "team-linked-moved", "node_modules", "pulumi-digdir")).isSymbolicLink()).toBe(true);
  });
});

if (!bin) test.skip(`SKIP: ${skipReason}`, () => {});
