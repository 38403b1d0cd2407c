import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { copyProjectFrom, pulumiEnv, run, tempDir, type RunResult } from "../test/e2e/support";
import { type SimStats as Stats } from "../test/support/sim";

/**
 * The engine pass of `npm run bench`: the real Pulumi CLI (scripts/pulumi-cli.sh), as users run it, on a generated
 * stack file of N Maskinporten clients and N system user requests (one system, the 4 seed customers, distinct
 * externalRefs), in a temp copy of the project with its own PULUMI_HOME and file backend. Times `up`, `refresh`,
 * `preview --expect-no-changes` (its HTTP calls counted) and `destroy`, each `--parallel C`, and samples the peak
 * memory of the dynamic provider host the engine starts. The direct pass (the same objects, the same provider code
 * in-process) is bench/run.ts's, passed in.
 */

export type Props = Record<string, unknown>;

export interface EngineDeps {
  url: string;
  n: number;
  c: number;
  sim<T>(url: string, method: string, path: string, body?: unknown): Promise<T>;
  /** The same N objects through the provider code in-process: create, read, delete; its ms. */
  direct(): Promise<number>;
}

/** Compiled to dist/bench/engine.js. */
const repoRoot = path.resolve(__dirname, "../..");
const customers = ["310000019", "310000027", "310000035", "310000043"];

/** The bin dir of a ready CLI (scripts/pulumi-cli.sh --check exits 0), else undefined. */
export function pulumiCli(): string | undefined {
  const r = spawnSync(path.join(repoRoot, "scripts/pulumi-cli.sh"), ["--check"], { cwd: repoRoot, encoding: "utf8" });
  const bin = r.stdout?.trim().split("\n").pop()?.trim();
  return r.status === 0 && bin ? bin : undefined;
}

/** This checkout's project, copied into `dest` (`repoRoot` is found from dist/bench/ once compiled). */
export function copyProject(dest: string): void {
  copyProjectFrom(repoRoot, dest);
}

/** The generated stack file: N Maskinporten clients, one system, N requests (4 customers, distinct externalRefs). */
export function stackFile(n: number): string {
  const lines = ["organisation:", '  orgNo: "991825827"', ""];
  if (n === 0) return `${lines.join("\n")}\n`;
  lines.push("clients:");
  for (let i = 0; i < n; i++)
    lines.push(
      `  mp-${i}:`,
      "    type: maskinporten",
      `    name: bench-engine-mp-${i}`,
      "    scopes: [krr:global/kontaktinformasjon.read]",
    );
  lines.push(
    "",
    "systems:",
    "  bench:",
    "    name: { nb: Bench, nn: Bench, en: Bench }",
    "    description: { nb: Benchmark, nn: Benchmark, en: Benchmark }",
    "    rights: [ske-krav-og-betalinger]",
    "",
    "requests:",
    "  bench:",
    "    rights: [ske-krav-og-betalinger]",
    "    customers:",
  );
  for (let i = 0; i < n; i++) lines.push(`      - { orgNo: "${customers[i % customers.length]}", externalRef: bench-engine-${i} }`);
  return `${lines.join("\n")}\n`;
}

/**
 * The props the direct pass gives the same objects (what the program registers for the stack file above; the
 * system under another id, since Altinn never releases a deleted system's id).
 */
export const directObjects = {
  client: (i: number) => ({ name: `bench-engine-mp-${i}`, scopes: ["krr:global/kontaktinformasjon.read"] }),
  system: {
    systemId: "991825827_bench_direct",
    name: { nb: "Bench", nn: "Bench", en: "Bench" },
    description: { nb: "Benchmark", nn: "Benchmark", en: "Benchmark" },
    rights: [{ resource: [{ value: "ske-krav-og-betalinger" }] }],
    clientIds: [],
  },
  request: (i: number, systemId: string) => ({
    systemId,
    partyOrgNo: customers[i % customers.length],
    externalRef: `bench-engine-${i}`,
    rights: [{ resource: [{ value: "ske-krav-og-betalinger" }] }],
  }),
};

// ---------------------------------------------------------------- the provider host's memory

/** Samples VmHWM of every `dynamic-provider` node process below this one (not in `exclude`) every 200 ms. */
export class HostMemory {
  /** pid → its last VmHWM in KiB (VmHWM only grows, so the last sample before exit is the peak). */
  readonly peaks = new Map<number, number>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly exclude: Set<number>) {}

  static hosts(): number[] {
    const ppid = new Map<number, number>();
    const hosts: number[] = [];
    for (const e of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(e)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${e}/stat`, "utf8");
        ppid.set(Number(e), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
        if (fs.readFileSync(`/proc/${e}/cmdline`, "utf8").includes("@pulumi/pulumi/cmd/dynamic-provider")) hosts.push(Number(e));
      } catch {
        /* gone */
      }
    }
    const below = (pid: number): boolean => {
      for (let p = ppid.get(pid), hops = 0; p !== undefined && p > 1 && hops < 64; p = ppid.get(p), hops++)
        if (p === process.pid) return true;
      return false;
    };
    return hosts.filter(below);
  }

  sample(): void {
    for (const pid of HostMemory.hosts()) {
      if (this.exclude.has(pid)) continue;
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
        if (m) this.peaks.set(pid, Number(m[1]));
      } catch {
        /* exited between the scan and the read */
      }
    }
  }

  start(): void {
    this.timer = setInterval(() => this.sample(), 200);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  get maxMiB(): number {
    return Number((Math.max(0, ...this.peaks.values()) / 1024).toFixed(1));
  }
}

// ---------------------------------------------------------------- the state's size

/** The size of an exported state, and per resource type (short name) its bytes per object and the share of `__provider`, as the backend writes it (indented JSON). */
export function stateSize(exported: string): {
  bytes: number;
  resources: number;
  perObjectBytes: Record<string, number>;
  providerBytesPerObject: Record<string, number>;
} {
  const resources = (JSON.parse(exported) as { deployment: { resources: Array<{ type: string; inputs?: Props; outputs?: Props }> } })
    .deployment.resources;
  const sums = new Map<string, { n: number; bytes: number; provider: number }>();
  for (const r of resources) {
    if (!r.type.startsWith("pulumi-nodejs:dynamic/")) continue;
    const kind = r.type.split(":").pop()!;
    const sum = sums.get(kind) ?? { n: 0, bytes: 0, provider: 0 };
    sum.n++;
    sum.bytes += Buffer.byteLength(JSON.stringify(r, null, 4));
    for (const bag of [r.inputs, r.outputs])
      if (typeof bag?.__provider === "string") sum.provider += Buffer.byteLength(JSON.stringify(bag.__provider));
    sums.set(kind, sum);
  }
  const per = (f: (s: { n: number; bytes: number; provider: number }) => number) =>
    Object.fromEntries([...sums].map(([k, s]) => [k, Math.round(f(s) / s.n)]));
  return {
    bytes: Buffer.byteLength(exported),
    resources: resources.length,
    perObjectBytes: per((s) => s.bytes),
    providerBytesPerObject: per((s) => s.provider),
  };
}

// ---------------------------------------------------------------- the pass

const routes = (s: Stats): Record<string, number> => Object.fromEntries(Object.entries(s.routes).map(([k, v]) => [k, v.count]));

export async function enginePass(bin: string, d: EngineDeps): Promise<Props> {
  const { url, n, c, sim } = d;
  const dir = tempDir("pulumi-digdir-bench-");
  const proj = path.join(dir, "project");
  copyProject(proj);
  const env = pulumiEnv(bin, dir, "bench-passphrase");
  // BENCH_SKIP_CHECKPOINTS=1: the engine writes the state once at the end instead of after every step, to see how
  // much of `up` and `destroy` the per-step state writes take (never for real stacks: a crash loses the state).
  if (process.env.BENCH_SKIP_CHECKPOINTS === "1") env.PULUMI_SKIP_CHECKPOINTS = "true";
  const pulumi = (args: string[]): Promise<RunResult> =>
    run("pulumi", [...args, "--stack", "local"], { cwd: proj, env, timeoutMs: 3_600_000 });
  const timed = async (args: string[]): Promise<{ ms: number; stats: Stats; out: RunResult }> => {
    await sim(url, "GET", "/stats?reset=true");
    const t = performance.now();
    const out = await pulumi(args);
    const ms = performance.now() - t;
    return { ms, stats: await sim<Stats>(url, "GET", "/stats"), out };
  };
  const par = ["--parallel", String(c)];
  const memory = new HostMemory(new Set(HostMemory.hosts()));
  try {
    await pulumi(["stack", "init"]);
    await pulumi(["config", "set", "digdir:simulatorUrl", url]);
    const file = path.join(proj, "stacks/local.yaml");

    // The engine's fixed costs: the same commands on a stack file with no object (plugin start, program run, snapshot).
    fs.writeFileSync(file, stackFile(0));
    // Untimed warm-up: the first command pays for cold caches (ts-node's compile of the program, the CLI's plugin scan).
    await pulumi(["preview"]);
    const empty = {
      up: (await timed(["up", "--yes", ...par])).ms,
      refresh: (await timed(["refresh", "--yes", ...par])).ms,
      destroy: (await timed(["destroy", "--yes", ...par])).ms,
    };
    const fixedMs = empty.up + empty.refresh + empty.destroy;
    console.log(
      `  fixed costs, 0 objects: up ${Math.round(empty.up)} ms, refresh ${Math.round(empty.refresh)} ms, destroy ${Math.round(empty.destroy)} ms`,
    );

    fs.writeFileSync(file, stackFile(n));
    memory.start();
    const up = await timed(["up", "--yes", ...par]);
    console.log(`  up:      ${Math.round(up.ms)} ms, ${up.stats.total} HTTP calls`);
    const state = stateSize((await pulumi(["stack", "export"])).stdout);
    console.log(
      `  state after up: ${state.bytes} B for ${state.resources} resources; per object ${JSON.stringify(state.perObjectBytes)} B, of which __provider ${JSON.stringify(state.providerBytesPerObject)} B`,
    );
    const refresh = await timed(["refresh", "--yes", ...par]);
    console.log(`  refresh: ${Math.round(refresh.ms)} ms, ${refresh.stats.total} HTTP calls`);
    const preview = await timed(["preview", "--expect-no-changes", ...par]);
    const previewRoutes = routes(preview.stats);
    const nonTokenPreviewCalls = Object.entries(previewRoutes)
      .filter(([k]) => !/token|well-known|_sim/.test(k))
      .reduce((s, [, v]) => s + v, 0);
    console.log(
      `  preview --expect-no-changes: ${Math.round(preview.ms)} ms, ${preview.stats.total} HTTP calls (${nonTokenPreviewCalls} besides token/metadata) ${JSON.stringify(previewRoutes)}`,
    );
    const destroy = await timed(["destroy", "--yes", ...par]);
    console.log(`  destroy: ${Math.round(destroy.ms)} ms, ${destroy.stats.total} HTTP calls`);
    memory.sample();
    memory.stop();

    await sim(url, "GET", "/stats?reset=true");
    const directMs = await d.direct();
    const directStats = await sim<Stats>(url, "GET", "/stats");
    console.log(`  direct (in-process, concurrency ${c}): ${Math.round(directMs)} ms, ${directStats.total} HTTP calls`);

    const engineMs = up.ms + refresh.ms + destroy.ms;
    const objects = 2 * n;
    const perObjectMs = engineMs - fixedMs;
    const result = {
      note:
        "The real Pulumi CLI (scripts/pulumi-cli.sh) as users run it: `pulumi up --yes`, `refresh --yes`, `destroy --yes`, each --parallel C " +
        "(so each also runs its own preview first), on a generated stack file of N MaskinportenClients and N SystemUserRequests (one System, " +
        "4 customers, distinct externalRefs), file backend, in a temp copy of the project. engineMs = up + refresh + destroy and INCLUDES the engine's " +
        "fixed costs (CLI start, language host, ts-node program run, plugin start, snapshot writes); fixedMs is the same three commands on a stack " +
        "file with 0 objects, and perObject* subtracts it. directMs: the same objects (and the System) created, read and deleted by the same provider " +
        "code in-process at the same concurrency. hostPeakRssMiB: the highest VmHWM of the engine's dynamic provider host(s), sampled every 200 ms.",
      n,
      objects,
      concurrency: c,
      engineMs: Math.round(engineMs),
      phasesMs: {
        up: Math.round(up.ms),
        refresh: Math.round(refresh.ms),
        destroy: Math.round(destroy.ms),
        previewNoChanges: Math.round(preview.ms),
      },
      fixedMs: Math.round(fixedMs),
      fixedPhasesMs: { up: Math.round(empty.up), refresh: Math.round(empty.refresh), destroy: Math.round(empty.destroy) },
      directMs: Math.round(directMs),
      ratio: Number((engineMs / directMs).toFixed(2)),
      ratioWithoutFixedCosts: Number((perObjectMs / directMs).toFixed(2)),
      perObjectMs: { engine: Number((perObjectMs / objects).toFixed(2)), direct: Number((directMs / objects).toFixed(2)) },
      httpCallsPerObject: {
        engine: Number(((up.stats.total + refresh.stats.total + destroy.stats.total) / objects).toFixed(2)),
        up: Number((up.stats.total / objects).toFixed(2)),
        refresh: Number((refresh.stats.total / objects).toFixed(2)),
        destroy: Number((destroy.stats.total / objects).toFixed(2)),
        direct: Number((directStats.total / objects).toFixed(2)),
      },
      /** Each phase's HTTP calls by route (`refresh --yes` reads every object in its own preview and again in the refresh). */
      routesByPhase: { up: routes(up.stats), refresh: routes(refresh.stats), destroy: routes(destroy.stats), direct: routes(directStats) },
      previewNoChanges: { httpCalls: preview.stats.total, httpCallsBesidesTokenAndMetadata: nonTokenPreviewCalls, routes: previewRoutes },
      hostPeakRssMiB: memory.maxMiB,
      hostProcessesSeen: memory.peaks.size,
      /** `pulumi stack export` after `up`: what every checkpoint rewrites. */
      state,
    };
    console.log(
      `engine/direct ratio: ${result.ratio} (engine ${result.engineMs} ms, direct ${result.directMs} ms, target ≤ 1.3); without the engine's fixed costs (${result.fixedMs} ms): ${result.ratioWithoutFixedCosts}, ` +
        `per object ${result.perObjectMs.engine} ms vs ${result.perObjectMs.direct} ms; HTTP calls per object: engine ${result.httpCallsPerObject.engine}, direct ${result.httpCallsPerObject.direct}; ` +
        `provider host peak RSS ${result.hostPeakRssMiB} MiB (${result.hostProcessesSeen} host process(es) seen)`,
    );
    return result;
  } finally {
    memory.stop();
    if (process.env.BENCH_KEEP === "1") console.log(`  kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}
