import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { configureContext } from "../providers/core/context";
import { provider as inProcessProvider } from "../providers/runtime";
import { ProviderHost, providerTextOf, urnOf } from "../test/support/provider-host";
import { directObjects, enginePass, pulumiCli } from "./engine";

/**
 * `npm run bench`: N objects of each kind created, read, diffed unchanged and deleted through the SDK's provider
 * host over gRPC, and the same provider code making the same HTTP calls in-process (undici directly: no host,
 * no gRPC, no serialization), at the same concurrency, against one simulator process, in the same run.
 * Prints figures and ratios and writes bench/results.json; it asserts nothing (targets are printed beside).
 * Then, when scripts/pulumi-cli.sh --check finds a CLI, the engine pass (bench/engine.ts): the real `pulumi up`,
 * `refresh`, `preview --expect-no-changes` and `destroy` on a generated stack file, against the same objects made
 * in-process (results.json's `engine`). `--engine=off` skips it, `--engine=only` runs only it.
 */

type Props = Record<string, unknown>;
type Stats = { total: number; routes: Record<string, { count: number; statuses: Record<string, number> }> };

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const N = Number(args.get("n") ?? process.env.BENCH_N ?? 300);
const C = Number(args.get("concurrency") ?? 16);
/** A second pass with this delay on every simulated request, standing for the network between a pipeline and Digdir. */
const LATENCY_MS = Number(args.get("latency-ms") ?? 20);
/** The pass through the real Pulumi CLI (bench/engine.ts): on by default when one is ready; `--engine=off`, or `--engine=only` to skip the rest. */
const ENGINE = args.get("engine") ?? "on";
const customers = ["310000019", "310000027", "310000035", "310000043"];
const rights = [{ resource: [{ value: "ske-krav-og-betalinger" }] }];
const agentPackage = "urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet";
const text = (s: string) => ({ nb: s, nn: s, en: s });

interface Driver {
  check(kind: string, name: string, props: Props): Promise<Props>;
  create(kind: string, name: string, inputs: Props): Promise<{ id: string; outs: Props }>;
  read(kind: string, name: string, id: string, outs: Props): Promise<Props>;
  diff(kind: string, name: string, id: string, outs: Props, inputs: Props): Promise<string>;
  delete(kind: string, name: string, id: string, outs: Props): Promise<void>;
}

/** What to stop when the run fails half-way, so no simulator or host is left behind. */
const cleanups: Array<() => void> = [];

async function startSimProcess(): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, ["dist/simulator/cli.js", "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).once("line", resolve);
    proc.once("exit", (c) => reject(new Error(`simulator exited ${c}`)));
  });
  cleanups.push(() => proc.kill("SIGTERM"));
  return { url: line.replace("simulator listening on ", ""), proc };
}

async function sim<T>(url: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${url}/_sim${path}`, { method, headers: body ? { "content-type": "application/json" } : {}, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} /_sim${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Runs `fn` over 0..n-1 with at most `c` in flight. */
async function pool(n: number, c: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(c, n) }, async () => {
    while (next < n) await fn(next++);
  }));
}

function hostDriver(host: ProviderHost, providers: Record<string, string>): Driver {
  return {
    check: async (kind, name, props) => {
      const r = await host.check(urnOf(kind, name), {}, { __provider: providers[kind], ...props });
      if (r.failures.length) throw new Error(`${kind} ${name}: ${JSON.stringify(r.failures)}`);
      return r.inputs;
    },
    create: (kind, name, inputs) => host.create(urnOf(kind, name), inputs),
    read: async (kind, name, id, outs) => (await host.read(urnOf(kind, name), id, outs)).props,
    diff: async (kind, name, id, outs, inputs) => (await host.diff(urnOf(kind, name), id, outs, inputs)).changes,
    delete: (kind, name, id, outs) => host.delete(urnOf(kind, name), id, outs),
  };
}

function directDriver(): Driver {
  const p = (kind: string) => inProcessProvider(kind);
  return {
    check: async (kind, _name, props) => {
      const r = await p(kind).check!({}, props);
      if (r.failures?.length) throw new Error(`${kind}: ${JSON.stringify(r.failures)}`);
      return r.inputs as Props;
    },
    create: async (kind, _name, inputs) => {
      const r = await p(kind).create(inputs);
      return { id: r.id, outs: (r.outs ?? {}) as Props };
    },
    read: async (kind, _name, id, outs) => ((await p(kind).read!(id, outs)).props ?? {}) as Props,
    diff: async (kind, _name, id, outs, inputs) => ((await p(kind).diff!(id, outs, inputs)).changes ? "some" : "none"),
    delete: async (kind, _name, id, outs) => p(kind).delete!(id, outs),
  };
}

interface KindPlan {
  kind: string;
  /** Objects the kind's objects need, made before the timed part. */
  setup?: (d: Driver, tag: string) => Promise<Props>;
  props: (i: number, tag: string, ctx: Props) => Props;
}

const plans: KindPlan[] = [
  { kind: "MaskinportenClient", props: (i, tag) => ({ name: `bench-${tag}-mp-${i}`, scopes: ["krr:global/kontaktinformasjon.read"] }) },
  { kind: "KrrClient", props: (i, tag) => ({ name: `bench-${tag}-krr-${i}` }) },
  { kind: "IdportenClient", props: (i, tag) => ({ name: `bench-${tag}-web-${i}`, clientUri: "https://bench.example.no", redirectUris: ["https://bench.example.no/cb"] }) },
  {
    kind: "ClientKeys",
    setup: async (d, tag) => {
      const ids: string[] = [];
      await pool(N, C, async (i) => {
        const inputs = await d.check("MaskinportenClient", `keys-owner-${i}`, { name: `bench-${tag}-owner-${i}`, scopes: ["krr:global/kontaktinformasjon.read"] });
        ids[i] = (await d.create("MaskinportenClient", `keys-owner-${i}`, inputs)).id;
      });
      const { generateKeyPairSync, randomUUID } = await import("node:crypto");
      const jwk = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ format: "jwk" }) as { n: string; e: string };
      return { ids, jwk, kid: randomUUID() };
    },
    props: (i, _tag, ctx) => ({ clientId: (ctx.ids as string[])[i], keys: [{ kty: "RSA", kid: ctx.kid, n: (ctx.jwk as { n: string }).n, e: (ctx.jwk as { e: string }).e }] }),
  },
  { kind: "System", props: (i, tag) => ({ systemId: `991825827_bench_${tag}_${i}`, name: text(`Bench ${i}`), description: text("Benchmark"), rights, clientIds: [] }) },
  {
    kind: "SystemUserRequest",
    setup: async (d, tag) => {
      const inputs = await d.check("System", "req-system", { systemId: `991825827_bench_${tag}_req`, name: text("Bench"), description: text("Bench"), rights, clientIds: [] });
      return { systemId: (await d.create("System", "req-system", inputs)).id };
    },
    props: (i, tag, ctx) => ({ systemId: ctx.systemId, partyOrgNo: customers[i % customers.length], externalRef: `bench-${tag}-${i}`, rights }),
  },
  {
    kind: "AgentSystemUserRequest",
    setup: async (d, tag) => {
      const inputs = await d.check("System", "agent-system", { systemId: `991825827_bench_${tag}_agent`, name: text("Bench"), description: text("Bench"), accessPackages: [{ urn: agentPackage }], clientIds: [], isVisible: false });
      return { systemId: (await d.create("System", "agent-system", inputs)).id };
    },
    props: (i, tag, ctx) => ({ systemId: ctx.systemId, partyOrgNo: customers[i % customers.length], externalRef: `bench-${tag}-agent-${i}`, accessPackages: [{ urn: agentPackage }] }),
  },
  { kind: "ApiScope", props: (i, tag) => ({ prefix: "leverandor", subscope: `bench/${tag}/${i}`, description: `Benchmark scope ${i}` }) },
  {
    kind: "ScopeAccess",
    // One grant per (scope, customer): a quarter as many scopes as grants, each granted to the four customers.
    setup: async (d, tag) => {
      const scopes: string[] = [];
      await pool(Math.ceil(N / customers.length), C, async (i) => {
        const inputs = await d.check("ApiScope", `access-scope-${i}`, { prefix: "leverandor", subscope: `bench/${tag}/access/${i}`, description: "Benchmark" });
        scopes[i] = (await d.create("ApiScope", `access-scope-${i}`, inputs)).id;
      });
      return { scopes };
    },
    props: (i, _tag, ctx) => ({ scope: (ctx.scopes as string[])[Math.floor(i / customers.length)], consumerOrgNo: customers[i % customers.length] }),
  },
];

interface PhaseResult {
  ms: number;
  httpCalls: number;
  unchangedDiffHttpCalls: number;
  unchangedDiffChanges: number;
  tokenCalls: number;
}

async function phase(d: Driver, url: string, plan: KindPlan, tag: string): Promise<PhaseResult> {
  const ctx = plan.setup ? await plan.setup(d, tag) : {};
  const objects: Array<{ id: string; outs: Props; inputs: Props }> = [];
  await sim(url, "GET", "/stats?reset=true");
  const started = performance.now();
  await pool(N, C, async (i) => {
    const inputs = await d.check(plan.kind, `o${i}`, plan.props(i, tag, ctx));
    objects[i] = { ...(await d.create(plan.kind, `o${i}`, inputs)), inputs };
  });
  await pool(N, C, async (i) => {
    objects[i].outs = await d.read(plan.kind, `o${i}`, objects[i].id, objects[i].outs);
  });
  // A plain `pulumi up` with nothing changed: check and diff per object, outside the timed part.
  let ms = performance.now() - started;
  const beforeDiff = await sim<Stats>(url, "GET", "/stats");
  let changes = 0;
  await pool(N, C, async (i) => {
    const inputs = await d.check(plan.kind, `o${i}`, plan.props(i, tag, ctx));
    if ((await d.diff(plan.kind, `o${i}`, objects[i].id, objects[i].outs, inputs)) !== "none") changes++;
  });
  const afterDiff = await sim<Stats>(url, "GET", "/stats");
  const deleting = performance.now();
  await pool(N, C, async (i) => d.delete(plan.kind, `o${i}`, objects[i].id, objects[i].outs));
  ms += performance.now() - deleting;
  const stats = await sim<Stats>(url, "GET", "/stats");
  const tokens = Object.entries(stats.routes).filter(([k]) => k.includes("/maskinporten/token")).reduce((n, [, v]) => n + v.count, 0);
  return { ms, httpCalls: stats.total, unchangedDiffHttpCalls: afterDiff.total - beforeDiff.total, unchangedDiffChanges: changes, tokenCalls: tokens };
}

function peakRssKiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : NaN;
}

async function main(): Promise<void> {
  const { url, proc } = await startSimProcess();
  const config = { "digdir:environment": "local", "digdir:simulatorUrl": url };
  configureContext({ get: (k) => config[k as keyof typeof config] });
  const results: Props = ENGINE === "only" ? { when: new Date().toISOString(), n: N, concurrency: C, node: process.version } : await hostPasses(url, config);
  results.engine = await engine(url);
  writeFileSync("bench/results.json", `${JSON.stringify(results, null, 2)}\n`);
  console.log("wrote bench/results.json");
  proc.kill("SIGTERM");
}

/** The engine pass, or why it was skipped. */
async function engine(url: string): Promise<Props> {
  if (ENGINE === "off") return { skipped: "--engine=off" };
  const bin = pulumiCli();
  if (!bin) {
    console.log("\nengine pass: SKIPPED (no Pulumi CLI: scripts/pulumi-cli.sh)");
    return { skipped: "no Pulumi CLI: scripts/pulumi-cli.sh" };
  }
  console.log(`\nengine pass: the real Pulumi CLI (${bin}), loopback, N=${N} MaskinportenClients + N SystemUserRequests, --parallel ${C}`);
  await sim(url, "DELETE", "/faults");
  const d = directDriver();
  // The same objects through the provider code in-process: the System, then create, read, delete of all 2N at concurrency C.
  const direct = async (): Promise<number> => {
    const t = performance.now();
    const system = await d.create("System", "bench", await d.check("System", "bench", directObjects.system));
    const objects: Array<{ kind: string; id: string; outs: Props }> = [];
    const props = (i: number): [string, Props] => (i < N ? ["MaskinportenClient", directObjects.client(i)] : ["SystemUserRequest", directObjects.request(i - N, system.id)]);
    await pool(2 * N, C, async (i) => {
      const [kind, p] = props(i);
      objects[i] = { kind, ...(await d.create(kind, `o${i}`, await d.check(kind, `o${i}`, p))) };
    });
    await pool(2 * N, C, async (i) => {
      objects[i].outs = await d.read(objects[i].kind, `o${i}`, objects[i].id, objects[i].outs);
    });
    await pool(2 * N, C, async (i) => d.delete(objects[i].kind, `o${i}`, objects[i].id, objects[i].outs));
    await d.delete("System", "bench", system.id, system.outs);
    return performance.now() - t;
  };
  return enginePass(bin, { url, n: N, c: C, sim, direct });
}

/** The host and direct passes of every kind, on loopback and with added latency. */
async function hostPasses(url: string, config: Record<string, string>): Promise<Props> {
  const host = await ProviderHost.start();
  cleanups.push(() => host.close());
  await host.configure(config);
  const providers: Record<string, string> = {};
  for (const p of plans) providers[p.kind] = providerTextOf(p.kind);
  providers.MaskinportenClient ??= providerTextOf("MaskinportenClient");
  providers.System ??= providerTextOf("System");
  providers.ApiScope ??= providerTextOf("ApiScope");
  const viaHost = hostDriver(host, providers);
  const direct = directDriver();

  // The floor of the engine path: an offline check (no HTTP) through gRPC and the host, against the same call in-process.
  const floorInputs = { name: "floor", scopes: ["krr:global/kontaktinformasjon.read"] };
  const floor = async (d: Driver) => {
    const t = performance.now();
    for (let i = 0; i < 200; i++) await d.check("MaskinportenClient", "floor", floorInputs);
    return (performance.now() - t) / 200;
  };
  await floor(viaHost);
  const checkHostMs = await floor(viaHost);
  const checkDirectMs = await floor(direct);
  console.log(`one offline check, sequential: host ${checkHostMs.toFixed(3)} ms, in-process ${checkDirectMs.toFixed(3)} ms (the gRPC and host cost per engine call)`);

  const rows: Array<Props> = [];
  for (const latency of [0, LATENCY_MS]) {
    await sim(url, "DELETE", "/faults");
    if (latency > 0) await sim(url, "POST", "/faults", { rules: [{ path: ".*", delayMs: latency }] });
    console.log(`\n${latency ? `with ${latency} ms added to every request (a network between the pipeline and Digdir)` : "loopback, no added latency"}: N=${N} objects per kind, concurrency ${C}`);
    console.log("  timed: check+create, read, delete of each object; then a check+diff with nothing changed, counting HTTP calls");
    console.log("kind                      host ms  direct ms  ratio  HTTP/object  unchanged-diff HTTP  token calls (host/direct)  provider bytes");
    for (const plan of plans) {
      const tag = `${latency}`;
      const d = await phase(direct, url, plan, `d${tag}`);
      const h = await phase(viaHost, url, plan, `h${tag}`);
      const row = {
        latencyMs: latency,
        kind: plan.kind,
        hostMs: Math.round(h.ms),
        directMs: Math.round(d.ms),
        ratio: Number((h.ms / d.ms).toFixed(2)),
        httpCallsPerObject: Number((h.httpCalls / N).toFixed(2)),
        directHttpCallsPerObject: Number((d.httpCalls / N).toFixed(2)),
        unchangedDiffHttpCalls: h.unchangedDiffHttpCalls,
        unchangedDiffChanges: h.unchangedDiffChanges,
        tokenCallsHost: h.tokenCalls,
        tokenCallsDirect: d.tokenCalls,
        providerTextOfBytes: Buffer.byteLength(providers[plan.kind]),
      };
      rows.push(row);
      console.log(
        `${plan.kind.padEnd(24)} ${String(row.hostMs).padStart(8)} ${String(row.directMs).padStart(10)} ${row.ratio.toFixed(2).padStart(6)} ${String(row.httpCallsPerObject).padStart(12)} ${String(row.unchangedDiffHttpCalls).padStart(20)} ${`${row.tokenCallsHost}/${row.tokenCallsDirect}`.padStart(26)} ${String(row.providerTextOfBytes).padStart(15)}`,
      );
      if (row.httpCallsPerObject !== row.directHttpCallsPerObject) console.log(`  note: the two paths made different HTTP calls (${row.httpCallsPerObject} vs ${row.directHttpCallsPerObject} per object)`);
    }
  }
  await sim(url, "DELETE", "/faults");
  const hostPeakKiB = peakRssKiB(host.pid);
  const ratioAt = (latency: number) => {
    const at = rows.filter((r) => r.latencyMs === latency);
    return Number((at.reduce((n, r) => n + (r.hostMs as number), 0) / at.reduce((n, r) => n + (r.directMs as number), 0)).toFixed(2));
  };
  const results = {
    when: new Date().toISOString(),
    n: N,
    concurrency: C,
    node: process.version,
    rows,
    overall: {
      ratioLoopback: ratioAt(0),
      ratioWithLatency: ratioAt(LATENCY_MS),
      latencyMs: LATENCY_MS,
      hostPeakRssMiB: Number((hostPeakKiB / 1024).toFixed(1)),
      maxSerializedProviderBytes: Math.max(...rows.map((r) => r.providerTextOfBytes as number)),
      unchangedDiffHttpCalls: rows.reduce((n, r) => n + (r.unchangedDiffHttpCalls as number), 0),
      offlineCheckMs: { host: Number(checkHostMs.toFixed(3)), direct: Number(checkDirectMs.toFixed(3)) },
    },
    targets: { ratio: 1.3, providerTextOfBytes: 8192, unchangedDiffHttpCalls: 0, tokenCallsPerCredentialAndScopeSet: 1 },
  };
  console.log(`\nhost/direct ratio: ${results.overall.ratioLoopback} on loopback, ${results.overall.ratioWithLatency} with ${LATENCY_MS} ms per request (target ≤ 1.3); host peak RSS ${results.overall.hostPeakRssMiB} MiB; largest serialized provider ${results.overall.maxSerializedProviderBytes} B (target ≤ 8192); HTTP calls for unchanged objects on diff: ${results.overall.unchangedDiffHttpCalls} (target 0)`);
  console.log("token calls count one per credential and scope set: Digdir admin scopes 1; Altinn routes 1 per route scope (system register, request read, request write)");
  host.close();
  return results;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
  for (const stop of cleanups) stop();
});
