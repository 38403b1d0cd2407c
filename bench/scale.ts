import * as fs from "node:fs";
import * as path from "node:path";
import { validateStackFile } from "../stacks/validate";
import { pulumiEnv, run, tempDir, type RunResult } from "../test/e2e/support";
import { type SimStats as Stats } from "../test/support/sim";
import { copyProject, HostMemory, stateSize, type Props } from "./engine";

/**
 * The scale pass of `npm run bench -- --scale` (bench/README.md, "The scale pass"): one request group of N customers
 * (1,000 and 10,000 by default) from a CSV file, through the real Pulumi CLI against the simulator with 20 ms added
 * to every request, concurrency 16. It prints each phase's time and HTTP calls, the state's size and the provider
 * host's peak memory, each beside its target (issue "Vendor scale"); it asserts nothing.
 */

const seedCustomers = ["310000019", "310000027", "310000035", "310000043"];

export interface ScaleDeps {
  url: string;
  sim<T>(url: string, method: string, path: string, body?: unknown): Promise<T>;
}

/** The stack file and its CSV: one system, one group, N customers (the four seeded organisations, N externalRefs). */
export function scaleFiles(n: number, concurrency: number): { yaml: string; csv: string } {
  const yaml = [
    'organisation: { orgNo: "991825827" }',
    "systems:",
    // One system per size: Altinn (and the simulator) never release a deleted system's id.
    `  scale-${n}:`,
    "    name: { nb: Scale, nn: Scale, en: Scale }",
    "    description: { nb: Benchmark, nn: Benchmark, en: Benchmark }",
    "    rights: [ske-krav-og-betalinger]",
    "requests:",
    `  scale-${n}:`,
    "    rights: [ske-krav-og-betalinger]",
    `    concurrency: ${concurrency}`,
    "    customersFile: scale-customers.csv",
    "",
  ].join("\n");
  const rows = ["orgNo,name,externalRef,rights,accessPackages"];
  for (let i = 0; i < n; i++) rows.push(`${seedCustomers[i % 4]},Kunde ${i} AS,scale-${i},,`);
  return { yaml, csv: `${rows.join("\n")}\n` };
}

/** Token and metadata calls are the same few whatever N; the targets count the services' own calls. */
function serviceCalls(s: Stats): number {
  return Object.entries(s.routes)
    .filter(([k]) => !/token|well-known|jwk/i.test(k))
    .reduce((n, [, v]) => n + v.count, 0);
}

const verdict = (ok: boolean) => (ok ? "met" : "NOT met");

/** The 1-minute load average: the machine is shared, and the figures mean little without it. */
export function loadAverage(): number {
  return Number(fs.readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
}

/**
 * CPU seconds (user and system) of this process's finished children and what they waited for: the CLI, its
 * language host, the program and the provider hosts of a phase, not the simulator (still running). On a shared
 * machine the wall time depends on the load; this does much less.
 */
function childrenCpuSeconds(): number {
  const fields = fs.readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ");
  // Fields 16 and 17 of proc(5) (cutime, cstime), in clock ticks (100 a second on Linux).
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** The file backend's checkpoint of the stack `local` (PULUMI_BACKEND_URL=file://<dir>/state). */
function checkpointFile(dir: string): string {
  const stacks = path.join(dir, "state", ".pulumi", "stacks");
  const project = fs.readdirSync(stacks).find((p) => fs.existsSync(path.join(stacks, p, "local.json")));
  return path.join(stacks, project ?? "", "local.json");
}

/** Validation of N CSV lines, offline: the stack layer's whole check (stacks/validate/, the providers' checks). */
export function csvValidationPass(n: number): Props {
  const dir = tempDir("pulumi-digdir-csv-");
  try {
    const { yaml, csv } = scaleFiles(n, 16);
    fs.writeFileSync(path.join(dir, "scale.yaml"), yaml);
    fs.writeFileSync(path.join(dir, "scale-customers.csv"), csv);
    validateStackFile(path.join(dir, "scale.yaml"), { environment: "local" }); // warm-up: the first call compiles the schemas
    const times: number[] = [];
    let problems = 0;
    for (let round = 0; round < 3; round++) {
      const t = performance.now();
      problems = validateStackFile(path.join(dir, "scale.yaml"), { environment: "local" }).problems.length;
      times.push(performance.now() - t);
    }
    const ms = times.sort((a, b) => a - b)[1]!;
    console.log(
      `  CSV validation, ${n} lines: ${Math.round(ms)} ms (median of 3), ${problems} problems (target ≤ 2000 ms: ${verdict(ms <= 2000 && problems === 0)})`,
    );
    return { lines: n, ms: Math.round(ms), problems, targetMs: 2000 };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function scalePass(bin: string, sizes: number[], d: ScaleDeps, latencyMs: number, concurrency: number): Promise<Props> {
  const out: Props = { latencyMs, concurrency, sizes: {} as Props, csvValidation: csvValidationPass(Math.max(...sizes)) };
  for (const n of sizes) (out.sizes as Props)[n] = await oneSize(bin, n, d, latencyMs, concurrency);
  const per = (n: number) => ((out.sizes as Record<number, Props>)[n]!.perCustomerUpMs as number) ?? NaN;
  if (sizes.length > 1) {
    const small = Math.min(...sizes);
    const large = Math.max(...sizes);
    const ratio = per(large) / per(small);
    out.linearity = { small, large, ratio: Number(ratio.toFixed(2)), target: 1.3 };
    console.log(
      `  linearity: up per customer at ${large} is ${ratio.toFixed(2)} × that at ${small} (target ≤ 1.3: ${verdict(ratio <= 1.3)})`,
    );
  }
  return out;
}

async function oneSize(bin: string, n: number, d: ScaleDeps, latencyMs: number, concurrency: number): Promise<Props> {
  const { url, sim } = d;
  const dir = tempDir("pulumi-digdir-scale-");
  const proj = path.join(dir, "project");
  copyProject(proj);
  const env = pulumiEnv(bin, dir, "bench-passphrase");
  const pulumi = (args: string[]): Promise<RunResult> =>
    run("pulumi", [...args, "--stack", "local"], { cwd: proj, env, timeoutMs: 3_600_000 });
  const memory = new HostMemory(new Set(HostMemory.hosts()));
  const par = ["--parallel", "16", "--skip-preview"];
  const phases: Props = {};
  const timed = async (name: string, args: string[], target?: { ms?: number; calls?: number }): Promise<Props> => {
    await sim(url, "GET", "/stats?reset=true");
    const cpu0 = childrenCpuSeconds();
    const t = performance.now();
    await pulumi(args);
    const ms = performance.now() - t;
    const cpu = Number((childrenCpuSeconds() - cpu0).toFixed(1));
    const stats = await sim<Stats>(url, "GET", "/stats");
    const calls = serviceCalls(stats);
    const judged = [
      target?.ms !== undefined ? `time target ≤ ${target.ms / 1000} s: ${verdict(ms <= target.ms)}` : "",
      target?.calls !== undefined ? `calls target ≤ ${target.calls}: ${verdict(calls <= target.calls)}` : "",
    ].filter(Boolean);
    const load = loadAverage();
    console.log(
      `  ${name.padEnd(34)} ${(ms / 1000).toFixed(1).padStart(6)} s (CPU ${cpu} s), ${String(calls).padStart(6)} HTTP calls (${stats.total} with tokens), load ${load}${judged.length ? `  [${judged.join("; ")}]` : ""}`,
    );
    const result = {
      ms: Math.round(ms),
      cpuSeconds: cpu,
      httpCalls: calls,
      httpCallsWithTokens: stats.total,
      loadAverage1m: load,
      ...(target && { target }),
    };
    phases[name] = result;
    return result;
  };
  try {
    console.log(
      `\nscale pass: ${n} customers in one group from a CSV file (counted in the stack outputs, the default for a customersFile), ${latencyMs} ms per request, concurrency ${concurrency}, real CLI (--parallel 16 --skip-preview)`,
    );
    await pulumi(["stack", "init"]);
    await pulumi(["config", "set", "digdir:simulatorUrl", url]);
    const { yaml, csv } = scaleFiles(n, concurrency);
    fs.writeFileSync(path.join(proj, "stacks/local.yaml"), yaml);
    fs.writeFileSync(path.join(proj, "stacks/scale-customers.csv"), csv);
    await sim(url, "DELETE", "/faults");
    await sim(url, "POST", "/faults", { rules: [{ path: ".*", delayMs: latencyMs }] });
    memory.start();
    const refreshTarget = Math.floor((2 * n) / 50) + 10;
    const up = await timed("up (from nothing)", ["up", "--yes", ...par], { ms: 60_000 });
    const state = stateSize((await pulumi(["stack", "export"])).stdout);
    // What the engine writes after each step: the file backend's checkpoint (compact JSON), judged; `pulumi stack
    // export` prints the same state indented, about twice as many bytes.
    const stored = fs.statSync(checkpointFile(dir)).size;
    const perCustomerBytes = Math.round(stored / n);
    const exportedPerCustomer = Math.round(state.bytes / n);
    await timed("refresh", ["refresh", "--yes", ...par], { calls: refreshTarget });
    await timed("up --refresh, nothing changed", ["up", "--refresh", "--yes", ...par], { ms: 15_000, calls: refreshTarget });
    await timed("up, nothing changed", ["up", "--yes", ...par], { calls: 0 });
    fs.appendFileSync(path.join(proj, "stacks/scale-customers.csv"), `310000019,Ny Kunde AS,scale-added,,\n`);
    await timed("up, one customer added", ["up", "--yes", ...par], { ms: 10_000 });
    await timed("destroy", ["destroy", "--yes", ...par]);
    memory.sample();
    memory.stop();
    console.log(
      `  state after up: checkpoint ${stored} B for ${n} customers, ${perCustomerBytes} B per customer (target ≤ 1024: ${verdict(perCustomerBytes <= 1024)}); ` +
        `\`pulumi stack export\` (indented) ${state.bytes} B, ${exportedPerCustomer} B per customer; ${state.resources} resources`,
    );
    console.log(`  provider host peak RSS: ${memory.maxMiB} MiB (target ≤ 500 MiB at 10,000: ${verdict(memory.maxMiB <= 500)})`);
    return {
      n,
      phases,
      perCustomerUpMs: Number(((up.ms as number) / n).toFixed(2)),
      state: { ...state, checkpointBytes: stored },
      stateBytesPerCustomer: perCustomerBytes,
      exportBytesPerCustomer: exportedPerCustomer,
      hostPeakRssMiB: memory.maxMiB,
    };
  } finally {
    memory.stop();
    await sim(url, "DELETE", "/faults").catch(() => undefined);
    if (process.env.BENCH_KEEP === "1") console.log(`  kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}
