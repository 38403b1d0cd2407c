import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import YAML from "yaml";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { cloneWorkingTree, failureText, removeUnlessKept, repo, run, tempDir, type RunResult } from "./support";

/**
 * `npm run demo` (scripts/demo.sh) as a new user runs it: in a copy of the working tree holding only what a clone
 * has (no dist/, no .pulumi-state/, no .sim-state/; node_modules as `npm ci` leaves it), with its own PULUMI_HOME.
 * Every run takes a free port with `--port` (Pulumi.local.yaml says 8089 and stays as it is), so a simulator on
 * 8089 does not get in the way.
 */

const bin = inject("pulumiBin");
const skipReason = inject("skipReason");

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.on("connect", () => (s.destroy(), resolve(true)));
    s.on("error", () => resolve(false));
  });
}

/** The client ids the demo printed: "  <name>  <uuid>" lines under "Digdir clients". */
function printedClientIds(stdout: string): Record<string, string> {
  const section = stdout.split("Digdir clients (client ids):\n")[1]?.split("Altinn systems")[0] ?? "";
  return Object.fromEntries([...section.matchAll(/^\s+(\S+)\s+([0-9a-f-]{36})$/gm)].map((m) => [m[1]!, m[2]!]));
}

describe.skipIf(!bin)("npm run demo, from a fresh clone", () => {
  let dir: string;
  let clone: string;
  let port: number;
  let env: NodeJS.ProcessEnv;
  let localConfig: string;
  let firstIds: Record<string, string>;
  /** From the clone's stacks/local.yaml: its clients, and how many customers are asked. */
  let clientNames: string[];
  let customerCount: number;

  const demo = (args: string[], o: { env?: NodeJS.ProcessEnv; allowFailure?: boolean } = {}): Promise<RunResult> =>
    run("npm", ["run", "--silent", "demo", "--", "--port", String(port), ...args], {
      cwd: clone,
      env: o.env ?? env,
      allowFailure: o.allowFailure,
      timeoutMs: 600_000,
    });

  beforeAll(async () => {
    dir = tempDir("pulumi-digdir-demo-");
    clone = path.join(dir, "clone");
    cloneWorkingTree(clone);
    expect(fs.existsSync(path.join(clone, "dist"))).toBe(false);

    port = await freePort();
    localConfig = fs.readFileSync(path.join(clone, "Pulumi.local.yaml"), "utf8");
    expect(localConfig).toContain("digdir:simulatorUrl: http://127.0.0.1:8089");

    const stack = YAML.parse(fs.readFileSync(path.join(clone, "stacks/local.yaml"), "utf8")) as {
      clients?: Record<string, unknown>;
      requests?: Record<string, { customers: unknown[] }>;
      agentRequests?: Record<string, { customers: unknown[] }>;
    };
    clientNames = Object.keys(stack.clients ?? {}).sort();
    customerCount = [...Object.values(stack.requests ?? {}), ...Object.values(stack.agentRequests ?? {})].reduce(
      (n, g) => n + g.customers.length,
      0,
    );
    expect(clientNames.length).toBeGreaterThan(0);
    expect(customerCount).toBeGreaterThan(0);

    env = {};
    for (const [k, v] of Object.entries(process.env))
      if (!k.startsWith("PULUMI_") && !k.startsWith("DIGDIR_") && !k.startsWith("npm_")) env[k] = v;
    env.PULUMI_HOME = path.join(dir, "pulumi-home");
    env.NO_COLOR = "1";
  }, 60_000);

  afterAll(() => removeUnlessKept(dir));

  test("--ci: builds, starts the simulator, up, prints client ids and confirm URLs, preview shows no changes, stops", async () => {
    const r = await demo(["--ci"]);
    expect(r.stdout).toContain(`simulator listening on http://127.0.0.1:${port}`);
    firstIds = printedClientIds(r.stdout);
    expect(Object.keys(firstIds).sort(), r.stdout).toEqual(clientNames);
    const urls = [...r.stdout.matchAll(/^\s+(http:\/\/\S+)$/gm)].map((m) => m[1]!);
    expect(urls).toHaveLength(customerCount);
    for (const u of urls)
      expect(u).toMatch(
        new RegExp(`^http://127\\.0\\.0\\.1:${port}/am/accessmanagement/ui/systemuser/(request|agentrequest)\\?id=${UUID.source}&`),
      );
    // The last pulumi command was `preview --expect-no-changes`, and it passed (the demo exited 0).
    const preview = r.stdout.split("6/6 pulumi preview --expect-no-changes")[1] ?? "";
    expect(preview).toMatch(/Resources:\s+\d+ unchanged/);
    expect(preview).not.toMatch(/to (create|update|delete|replace)/);
    expect(r.stdout).toContain("Next steps:");

    expect(await portOpen(port), "the simulator stopped").toBe(false);
    expect(fs.existsSync(path.join(clone, ".sim-state/state.json"))).toBe(true);
    expect(fs.existsSync(path.join(clone, ".pulumi-state/.pulumi/stacks/pulumi-digdir/local.json"))).toBe(true);
    // The backend URL's metadata=skip: no metadata sidecar that a kill could cut (scripts/file-backend.js).
    expect(fs.readdirSync(path.join(clone, ".pulumi-state"), { recursive: true }).filter((f) => String(f).endsWith(".attrs"))).toEqual([]);
    // Nothing the user would commit changed: Pulumi.local.yaml is as it was, the state dirs are git-ignored.
    expect(fs.readFileSync(path.join(clone, "Pulumi.local.yaml"), "utf8")).toBe(localConfig);
    for (const p of [".pulumi-state/x", ".sim-state/x"]) execFileSync("git", ["check-ignore", "-q", p], { cwd: repo });
  });

  test("run again (the foreground mode): the same clients, the confirm page served until Ctrl-C", async () => {
    // DEMO_PORT: the same as --port, from the environment.
    const child = spawn("npm", ["run", "--silent", "demo"], {
      cwd: clone,
      env: { ...env, DEMO_PORT: String(port) },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on("close", (code, signal) => resolve({ code, signal })),
    );
    try {
      const deadline = Date.now() + 240_000;
      while (!stdout.includes("Press Ctrl-C to stop it.") && child.exitCode === null && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 200));
      expect(stdout, failureText({ code: child.exitCode, stdout, stderr, command: "npm run demo" })).toContain("Press Ctrl-C to stop it.");
      expect(printedClientIds(stdout)).toEqual(firstIds);
      const url = stdout.match(/^\s+(http:\/\/\S+request\?id=\S+)$/m)![1]!;
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<form|<button/i);
    } finally {
      // Ctrl-C in a terminal: SIGINT to the whole foreground process group.
      if (child.exitCode === null) process.kill(-child.pid!, "SIGINT");
    }
    const { code, signal } = await exited;
    // npm itself dies of the SIGINT, as on any Ctrl-C of `npm run`; the script handles it and exits 0.
    expect(code === 0 || code === 130 || signal === "SIGINT", `${code} ${signal}\n${stdout}${stderr}`).toBe(true);
    // The script's exit trap stops the simulator, which writes its state (npm may be gone before that ends).
    for (let i = 0; i < 50 && (await portOpen(port)); i++) await new Promise((r) => setTimeout(r, 200));
    expect(await portOpen(port), "the simulator stopped").toBe(false);
    expect(stdout).toContain("demo: stopping the simulator (its state stays in .sim-state/)");
    expect(fs.existsSync(path.join(clone, ".sim-state/state.json"))).toBe(true);
  });

  test("after the simulator forgot everything (.sim-state removed), the demo creates it all again", async () => {
    fs.rmSync(path.join(clone, ".sim-state"), { recursive: true });
    const r = await demo(["--ci"]);
    const ids = printedClientIds(r.stdout);
    expect(Object.keys(ids).sort()).toEqual(Object.keys(firstIds).sort());
    // Made again under the same ids: a client's id is derived from its resource before the POST (providers/digdir/README.md).
    for (const name of Object.keys(ids)) expect(ids[name]).toBe(firstIds[name]);
    expect(r.stdout.split("4/6 pulumi up")[1]?.split("5/6")[0]).toMatch(/Resources:\s+\+ \d+ created/);
    expect(r.stdout.split("6/6 pulumi preview --expect-no-changes")[1]).toMatch(/Resources:\s+\d+ unchanged/);
  });

  test("a taken port: a clear message, nothing started", async () => {
    const blocker = net.createServer().listen(port, "127.0.0.1");
    await new Promise((r) => blocker.once("listening", r));
    try {
      const r = await demo(["--ci"], { allowFailure: true });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`port ${port} is in use`);
      expect(r.stderr).toContain("npm run demo -- --port <port>");
      // Said before anything else: no CLI step, no build.
      expect(r.stdout).not.toMatch(/1\/6|2\/6|dist\/ is up to date/);
    } finally {
      blocker.close();
    }
  });

  test("after `pulumi destroy`: the demo says the system id is used up and changes nothing; --fresh starts over", async () => {
    // Destroy as a user would, with the demo's simulator and environment (scripts/demo.sh --env).
    const sim = spawn(process.execPath, ["dist/simulator/cli.js", "--port", String(port), "--state", ".sim-state"], {
      cwd: clone,
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        sim.stdout.on("data", (d: Buffer) => d.toString().includes("simulator listening") && resolve());
        sim.once("exit", (code) => reject(new Error(`the simulator exited ${code}`)));
      });
      const destroy = `eval "$(scripts/demo.sh --env)" && pulumi destroy --yes --skip-preview --stack local --config-file .pulumi-state/Pulumi.local.yaml`;
      await run("bash", ["-c", destroy], { cwd: clone, env, timeoutMs: 300_000 });
    } finally {
      sim.kill("SIGTERM");
      await new Promise((r) => sim.once("exit", r));
    }
    const resources = async () => {
      const r = await run("bash", ["-c", `eval "$(scripts/demo.sh --env)" && pulumi stack export --stack local`], { cwd: clone, env });
      return (JSON.parse(r.stdout).deployment.resources ?? []).filter((x: { type: string }) => x.type.startsWith("pulumi-nodejs:dynamic/"))
        .length as number;
    };
    expect(await resources()).toBe(0);

    const refused = await demo(["--ci"], { allowFailure: true });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(
      /the simulator's state \(\.sim-state\/\) holds the system ids? \d{9}_[^\s,]+(, \d{9}_[^\s,]+)*, deleted earlier/,
    );
    expect(refused.stderr).toContain("npm run demo -- --fresh");
    expect(await resources(), "nothing half-created").toBe(0);

    const fresh = await demo(["--ci", "--fresh"]);
    expect(fresh.stdout).toContain("starting over (--fresh)");
    expect(fresh.stdout.split("4/6 pulumi up")[1]?.split("5/6")[0]).toMatch(/Resources:\s+\+ \d+ created/);
    expect(fresh.stdout.split("6/6 pulumi preview --expect-no-changes")[1]).toMatch(/Resources:\s+\d+ unchanged/);
    expect(fs.readFileSync(path.join(clone, "Pulumi.local.yaml"), "utf8")).toBe(localConfig);
  });

  test("no Pulumi CLI and no Go: says plainly what to install", async () => {
    const dirs = (process.env.PATH ?? "").split(path.delimiter);
    const hasTool = (d: string) => ["go", "pulumi"].some((t) => fs.existsSync(path.join(d, t)));
    const nodeDir = path.dirname(process.execPath);
    if (hasTool(nodeDir)) return console.warn(`skipped: node's directory ${nodeDir} also holds go or pulumi`);
    const r = await demo(["--ci"], {
      allowFailure: true,
      env: { ...env, PATH: dirs.filter((d) => d && !hasTool(d)).join(path.delimiter), PULUMI_DIGDIR_CACHE: path.join(dir, "empty-cache") },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("demo: no Pulumi CLI could be found or built");
    expect(r.stderr).toContain("https://www.pulumi.com/docs/install/");
    expect(r.stderr).toMatch(/Go >= 1\.25/);
    expect(r.stderr).toMatch(/builds pulumi v\d+\.\d+\.\d+ from source/);
  });
});

if (!bin) test.skip(`SKIP: ${skipReason}`, () => {});
