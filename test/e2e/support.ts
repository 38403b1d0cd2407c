import { startSimulator, type BootstrapCredentials } from "../../simulator";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { importJWK, SignJWT } from "jose";

// Helpers for the e2e tests: the real `pulumi` in a throw-away project, and the simulator seen through the same
// HTTP APIs the real services offer (plus its /_sim control API).

export const repo = path.resolve(__dirname, "../..");

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The command line, for messages. */
  command: string;
}

export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Resolve instead of rejecting on a non-zero exit. */
  allowFailure?: boolean;
  timeoutMs?: number;
  input?: string;
}

/**
 * Runs a command in its own process group, asynchronously (a simulator in this process must keep answering).
 * On a timeout the group is killed: only what this call started.
 */
export function run(cmd: string, args: string[], o: RunOptions): Promise<RunResult> {
  const command = [cmd, ...args].join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: o.cwd, env: o.env, stdio: ["pipe", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(o.input ?? "");
    const timer = setTimeout(() => {
      stderr += `\n[e2e] ${command}: timed out after ${o.timeoutMs} ms, killed\n`;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        /* already gone */
      }
    }, o.timeoutMs ?? 240_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const result = { code, stdout, stderr, command };
      if (code !== 0 && !o.allowFailure) reject(new Error(failureText(result)));
      else resolve(result);
    });
  });
}

export function failureText(r: RunResult): string {
  const tail = (s: string) => s.split("\n").slice(-60).join("\n");
  return `\`${r.command}\` exited ${r.code}\n--- stdout (tail) ---\n${tail(r.stdout)}\n--- stderr (tail) ---\n${tail(r.stderr)}`;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(process.env.TMPDIR ?? os.tmpdir(), prefix));
}

/**
 * The environment for `pulumi`: the CLI first on PATH, its own PULUMI_HOME and file backend, a passphrase, and
 * nothing inherited that would point it elsewhere (PULUMI_*, DIGDIR_*).
 */
export function pulumiEnv(bin: string, dir: string, passphrase: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("PULUMI_") && !k.startsWith("DIGDIR_")) env[k] = v;
  fs.mkdirSync(path.join(dir, "state"), { recursive: true });
  return {
    ...env,
    PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
    PULUMI_HOME: path.join(dir, "pulumi-home"),
    PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: passphrase,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    NO_COLOR: "1",
  };
}

/**
 * What `pulumi` needs of the project at `repo`, copied into `dest` (timestamps kept: the program compares dist/ with
 * providers/). The root is passed in: the e2e tests run from source and the benchmark from dist/.
 */
export function copyProjectFrom(repo: string, dest: string): void {
  fs.mkdirSync(dest, { recursive: true });
  for (const entry of [
    "providers",
    "stacks",
    "dist",
    "Pulumi.yaml",
    "Pulumi.local.yaml",
    "package.json",
    "tsconfig.json",
    "tsconfig.build.json",
  ]) {
    fs.cpSync(path.join(repo, entry), path.join(dest, entry), { recursive: true, preserveTimestamps: true });
  }
  fs.symlinkSync(path.join(repo, "node_modules"), path.join(dest, "node_modules"));
  // A salt in Pulumi.local.yaml (the demo's, or someone's own) belongs to another passphrase than the test's.
  const config = path.join(dest, "Pulumi.local.yaml");
  fs.writeFileSync(config, fs.readFileSync(config, "utf8").replace(/^encryptionsalt:.*\n?/m, ""));
}

/** This checkout's project, copied into `dest`. */
export function copyProject(dest: string): void {
  copyProjectFrom(repo, dest);
}

/** The temp dir of a test file removed when it is done, or kept and named with E2E_KEEP=1. */
export function removeUnlessKept(dir: string | undefined): void {
  if (!dir) return;
  if (process.env.E2E_KEEP !== "1") fs.rmSync(dir, { recursive: true, force: true });
  else console.log(`e2e: kept ${dir}`);
}

/**
 * What a clone of the working tree has, copied to `dest`: tracked files plus new ones not ignored (so no dist/, no
 * state), with their modes; node_modules linked as `npm ci` would leave it.
 */
export function cloneWorkingTree(dest: string): void {
  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], { cwd: repo, encoding: "utf8" })
    .split("\0")
    .filter(Boolean);
  for (const f of files) {
    const from = path.join(repo, f);
    if (!fs.existsSync(from)) continue; // deleted in the working tree
    fs.mkdirSync(path.dirname(path.join(dest, f)), { recursive: true });
    fs.copyFileSync(from, path.join(dest, f));
    fs.chmodSync(path.join(dest, f), fs.statSync(from).mode);
  }
  fs.symlinkSync(path.join(repo, "node_modules"), path.join(dest, "node_modules"));
}

export type Simulator = Awaited<ReturnType<typeof startSimulator>>;

/** The set-up most e2e files share: a temp dir, `pulumi`'s environment, a simulator, and usually a project. */
export interface E2e {
  /** The temp dir: `project/`, `state/` (the file backend), `pulumi-home/`. */
  dir: string;
  /** The copy of the project (`dir/project`), when one was made. */
  proj: string;
  env: NodeJS.ProcessEnv;
  sim: Simulator;
  api: SimApi;
  /** `pulumi <args> --stack <stack>` in the project. */
  pulumi(args: string[], opts?: { allowFailure?: boolean; input?: string; timeoutMs?: number }): Promise<RunResult>;
  /** Stops the simulator and removes the temp dir (kept with E2E_KEEP=1). */
  close(): Promise<void>;
}

export interface E2eOptions {
  /** The directory holding `pulumi` (global-setup's `pulumiBin`). */
  bin: string;
  /** The temp dir is named `pulumi-digdir-<name>-…`. */
  name: string;
  passphrase: string;
  /** The stack `pulumi` runs on (default `local`). */
  stack?: string;
  /** Copy the project into `dir/project` (default true); with `scripts`, scripts/ too. */
  project?: boolean;
  scripts?: boolean;
  /** Added to `pulumi`'s environment. */
  env?: NodeJS.ProcessEnv;
  /**
   * Create the stack with the simulator's admin client as explicit config (`digdir:simulatorUrl`,
   * `digdir:clientId`, the private key as a secret): the path a real stack takes, and a secret the state must not
   * show. Default: when a project is copied.
   */
  initStack?: boolean;
}

export async function e2eSetUp(o: E2eOptions): Promise<E2e> {
  const dir = tempDir(`pulumi-digdir-${o.name}-`);
  const proj = path.join(dir, "project");
  const stack = o.stack ?? "local";
  let sim: Simulator | undefined;
  const close = async () => {
    await sim?.close();
    removeUnlessKept(dir);
  };
  try {
    if (o.project ?? true) {
      copyProject(proj);
      if (o.scripts) fs.cpSync(path.join(repo, "scripts"), path.join(proj, "scripts"), { recursive: true });
    }
    const env = { ...pulumiEnv(o.bin, dir, o.passphrase), ...o.env };
    sim = await startSimulator({ port: 0, log: () => {} });
    const api = await SimApi.connect(sim.url);
    const pulumi: E2e["pulumi"] = (args, opts = {}) => run("pulumi", [...args, "--stack", stack], { cwd: proj, env, ...opts });
    if (o.initStack ?? o.project ?? true) {
      await pulumi(["stack", "init"]);
      await pulumi(["config", "set", "digdir:simulatorUrl", sim.url]);
      await pulumi(["config", "set", "digdir:clientId", api.bootstrap.clientId]);
      await pulumi(["config", "set", "--secret", "digdir:privateKey"], { input: JSON.stringify(api.bootstrap.privateJwk) });
    }
    return { dir, proj, env, sim, api, pulumi, close };
  } catch (e) {
    await close();
    throw e;
  }
}

// ---------------------------------------------------------------- `pulumi ... --json`

export interface Step {
  op: string;
  urn: string;
  oldState?: { id?: string; outputs?: Record<string, unknown>; inputs?: Record<string, unknown> };
  newState?: { id?: string; outputs?: Record<string, unknown>; inputs?: Record<string, unknown> };
  diffReasons?: string[];
  detailedDiff?: Record<string, { kind: string }> | null;
}

export interface EngineJson {
  steps: Step[];
  changeSummary: Record<string, number>;
  diagnostics?: { message: string; severity: string }[];
}

export function parseJson<T = EngineJson>(r: RunResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`\`${r.command}\` did not print JSON\n${failureText(r)}`);
  }
}

/** `urn:pulumi:local::pulumi-digdir::pulumi-nodejs:dynamic/digdir:KrrClient::smartcloud-krr` → `KrrClient::smartcloud-krr`. */
export function shortUrn(urn: string): string {
  const [, type = "", name = ""] = urn.match(/::([^:]+(?::[^:]+)*)::([^:]+)$/) ?? [];
  return `${type.split(":").pop()}::${name}`;
}

/** Each resource's operations in a plan, e.g. {"KrrClient::smartcloud-krr": ["update"]}; the stack itself left out. */
export function opsByResource(plan: EngineJson): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of plan.steps) {
    if (s.urn.includes("::pulumi:pulumi:Stack::")) continue;
    (out[shortUrn(s.urn)] ??= []).push(s.op);
  }
  return out;
}

// ---------------------------------------------------------------- the simulator's APIs

/** The simulator's bootstrap credentials (`GET /_sim/bootstrap`, simulator/README.md), as the simulator itself types them. */
export type Bootstrap = BootstrapCredentials;

export interface Reply {
  status: number;
  body: any;
  text: string;
}

/** The simulator as the vendor's admin client sees it (a Maskinporten token from the bootstrap credentials). */
export class SimApi {
  private token?: { value: string; until: number };

  constructor(
    readonly url: string,
    readonly bootstrap: Bootstrap,
  ) {}

  static async connect(url: string): Promise<SimApi> {
    const res = await fetch(`${url}/_sim/bootstrap`);
    if (!res.ok) throw new Error(`GET ${url}/_sim/bootstrap: ${res.status}`);
    return new SimApi(url, (await res.json()) as Bootstrap);
  }

  private async accessToken(): Promise<string> {
    if (this.token && this.token.until > Date.now()) return this.token.value;
    const b = this.bootstrap;
    const now = (await this.call("GET", "/_sim/clock")).body.epochSeconds as number;
    const assertion = await new SignJWT({ scope: b.scopes.join(" "), jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: "RS256", kid: b.kid })
      .setIssuer(b.clientId)
      .setAudience(b.issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(await importJWK(b.privateJwk, "RS256"));
    const res = await fetch(b.tokenEndpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion }).toString(),
    });
    const body = (await res.json()) as { access_token?: string; expires_in?: number };
    if (!res.ok || !body.access_token) throw new Error(`admin token: ${res.status} ${JSON.stringify(body)}`);
    this.token = { value: body.access_token, until: Date.now() + 30_000 };
    return body.access_token;
  }

  /** A call with the admin token (not for /_sim, which needs none). */
  async call(method: string, p: string, json?: unknown): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (!p.startsWith("/_sim")) headers.authorization = `Bearer ${await this.accessToken()}`;
    if (json !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${this.url}${p}`, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.status, body, text };
  }

  /** The call must answer 2xx; its body. */
  async ok(method: string, p: string, json?: unknown): Promise<any> {
    const r = await this.call(method, p, json);
    if (r.status < 200 || r.status > 299) throw new Error(`${method} ${p}: ${r.status} ${r.text}`);
    return r.body;
  }
}

export const SAMARBEID = "/samarbeid/api/v1";
export const ALTINN = "/altinn/authentication/api/v1";
