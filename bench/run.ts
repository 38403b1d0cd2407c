import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { configureContext } from "../providers/core/context";
import { provider as inProcessProvider } from "../providers/runtime";
import { ProviderHost, providerTextOf, urnOf } from "../test/support/provider-host";
import { type SimStats as Stats } from "../test/support/sim";
import { directObjects, enginePass, pulumiCli } from "./engine";
import { csvValidationPass, scalePass } from "./scale";

/**
 * `npm run bench`: N objects of each kind created, read, diffed unchanged and deleted through the SDK's provider
 * host over gRPC, and the same provider code making the same HTTP calls in-process (undici directly: no host,
 * no gRPC, no serialization), at the same concurrency, against one simulator process, in the same run.
 * The host's client is bench/hostclient, in Go like the engine's side of the protocol, built once into the cache
 * (`--client=node` uses the tests' Node.js gRPC client instead, which costs twice the host's own work per call).
 * Prints figures and ratios and writes bench/results.json; it asserts nothing (targets are printed beside).
 * Then, when scripts/pulumi-cli.sh --check finds a CLI, the engine pass (bench/engine.ts): the real `pulumi up`,
 * `refresh`, `preview --expect-no-changes` and `destroy` on a generated stack file, against the same objects made
 * in-process (results.json's `engine`). `--engine=off` skips it, `--engine=only` runs only it.
 */

type Props = Record<string, unknown>;

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const N = Number(args.get("n") ?? process.env.BENCH_N ?? 300);
const C = Number(args.get("concurrency") ?? 16);
/** A second pass with this delay on every simulated request, standing for the network between a pipeline and Digdir. */
const LATENCY_MS = Number(args.get("latency-ms") ?? 20);
/** The pass through the real Pulumi CLI (bench/engine.ts): on by default when one is ready; `--engine=off`, or `--engine=only` to skip the rest. */
const ENGINE = args.get("engine") ?? "on";
/** Who calls the host: `go` (bench/hostclient, as the engine; the default when Go is there) or `node` (test/support/provider-host.ts). */
const CLIENT = args.get("client") ?? "go";
/** Timed rounds per kind, path and latency; the median counts. */
const REPEAT = Number(args.get("repeat") ?? 3);
/** Objects per kind of the untimed first round through each path, so that neither is timed while its code is cold. */
const WARMUP = 32;
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
  const res = await fetch(`${url}/_sim${path}`, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} /_sim${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Runs `fn` over 0..n-1 with at most `c` in flight. */
async function pool(n: number, c: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(c, n) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
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
  setup?: (d: Driver, tag: string, n: number) => Promise<Props>;
  props: (i: number, tag: string, ctx: Props) => Props;
}

const plans: KindPlan[] = [
  { kind: "MaskinportenClient", props: (i, tag) => ({ name: `bench-${tag}-mp-${i}`, scopes: ["krr:global/kontaktinformasjon.read"] }) },
  { kind: "KrrClient", props: (i, tag) => ({ name: `bench-${tag}-krr-${i}` }) },
  {
    kind: "IdportenClient",
    props: (i, tag) => ({
      name: `bench-${tag}-web-${i}`,
      clientUri: "https://bench.example.no",
      redirectUris: ["https://bench.example.no/cb"],
    }),
  },
  {
    kind: "ClientKeys",
    setup: async (d, tag, n) => {
      const ids: string[] = [];
      await pool(n, C, async (i) => {
        const inputs = await d.check("MaskinportenClient", `keys-owner-${i}`, {
          name: `bench-${tag}-owner-${i}`,
          scopes: ["krr:global/kontaktinformasjon.read"],
        });
        ids[i] = (await d.create("MaskinportenClient", `keys-owner-${i}`, inputs)).id;
      });
      const { generateKeyPairSync, randomUUID } = await import("node:crypto");
      const jwk = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ format: "jwk" }) as { n: string; e: string };
      return { ids, jwk, kid: randomUUID() };
    },
    props: (i, _tag, ctx) => ({
      clientId: (ctx.ids as string[])[i],
      keys: [{ kty: "RSA", kid: ctx.kid, n: (ctx.jwk as { n: string }).n, e: (ctx.jwk as { e: string }).e }],
    }),
  },
  {
    kind: "System",
    props: (i, tag) => ({
      systemId: `991825827_bench_${tag}_${i}`,
      name: text(`Bench ${i}`),
      description: text("Benchmark"),
      rights,
      clientIds: [],
    }),
  },
  {
    kind: "SystemUserRequest",
    setup: async (d, tag) => {
      const inputs = await d.check("System", "req-system", {
        systemId: `991825827_bench_${tag}_req`,
        name: text("Bench"),
        description: text("Bench"),
        rights,
        clientIds: [],
      });
      return { systemId: (await d.create("System", "req-system", inputs)).id };
    },
    props: (i, tag, ctx) => ({
      systemId: ctx.systemId,
      partyOrgNo: customers[i % customers.length],
      externalRef: `bench-${tag}-${i}`,
      rights,
    }),
  },
  {
    kind: "AgentSystemUserRequest",
    setup: async (d, tag) => {
      const inputs = await d.check("System", "agent-system", {
        systemId: `991825827_bench_${tag}_agent`,
        name: text("Bench"),
        description: text("Bench"),
        accessPackages: [{ urn: agentPackage }],
        clientIds: [],
        isVisible: false,
      });
      return { systemId: (await d.create("System", "agent-system", inputs)).id };
    },
    props: (i, tag, ctx) => ({
      systemId: ctx.systemId,
      partyOrgNo: customers[i % customers.length],
      externalRef: `bench-${tag}-agent-${i}`,
      accessPackages: [{ urn: agentPackage }],
    }),
  },
  { kind: "ApiScope", props: (i, tag) => ({ prefix: "leverandor", subscope: `bench/${tag}/${i}`, description: `Benchmark scope ${i}` }) },
  {
    kind: "ScopeAccess",
    // One grant per (scope, customer): a quarter as many scopes as grants, each granted to the four customers.
    setup: async (d, tag, n) => {
      const scopes: string[] = [];
      await pool(Math.ceil(n / customers.length), C, async (i) => {
        const inputs = await d.check("ApiScope", `access-scope-${i}`, {
          prefix: "leverandor",
          subscope: `bench/${tag}/access/${i}`,
          description: "Benchmark",
        });
        scopes[i] = (await d.create("ApiScope", `access-scope-${i}`, inputs)).id;
      });
      return { scopes };
    },
    props: (i, _tag, ctx) => ({
      scope: (ctx.scopes as string[])[Math.floor(i / customers.length)],
      consumerOrgNo: customers[i % customers.length],
    }),
  },
];

interface PhaseResult {
  ms: number;
  httpCalls: number;
  unchangedDiffHttpCalls: number;
  unchangedDiffChanges: number;
  tokenCalls: number;
}

/** What a phase needs of a path: N objects of one kind made (check, create), read, diffed unchanged (check, diff) and deleted, C at a time. */
interface Runner {
  createAll(kind: string, props: Props[]): Promise<void>;
  readAll(): Promise<void>;
  /** Check and diff each object against the props; how many reported changes. */
  diffAll(props: Props[]): Promise<number>;
  deleteAll(): Promise<void>;
}

/** A runner over a per-call driver (in-process, or the Node.js gRPC client). */
function poolRunner(d: Driver): Runner {
  let kind = "";
  let objects: Array<{ id: string; outs: Props }> = [];
  return {
    createAll: async (k, props) => {
      kind = k;
      objects = [];
      await pool(props.length, C, async (i) => {
        objects[i] = await d.create(kind, `o${i}`, await d.check(kind, `o${i}`, props[i]));
      });
    },
    readAll: () =>
      pool(objects.length, C, async (i) => {
        objects[i].outs = await d.read(kind, `o${i}`, objects[i].id, objects[i].outs);
      }),
    diffAll: async (props) => {
      let changes = 0;
      await pool(objects.length, C, async (i) => {
        if ((await d.diff(kind, `o${i}`, objects[i].id, objects[i].outs, await d.check(kind, `o${i}`, props[i]))) !== "none") changes++;
      });
      return changes;
    },
    deleteAll: () => pool(objects.length, C, (i) => d.delete(kind, `o${i}`, objects[i].id, objects[i].outs)),
  };
}

/**
 * bench/hostclient built into the cache (keyed by its sources), or why not. It is `go build` of a module whose
 * go.sum pins every dependency; the modules come from the Go module cache or GOPROXY.
 */
function goHostClient(): { bin?: string; why?: string } {
  const src = path.resolve(__dirname, "../../bench/hostclient");
  if (spawnSync("go", ["version"], { encoding: "utf8" }).status !== 0) return { why: "no `go` on the PATH" };
  const hash = createHash("sha256");
  for (const f of ["main.go", "go.mod", "go.sum"]) hash.update(readFileSync(path.join(src, f)));
  const cacheRoot =
    process.env.PULUMI_DIGDIR_CACHE ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(process.env.HOME ?? "/tmp", ".cache"), "pulumi-digdir");
  const bin = path.join(cacheRoot, `bench-hostclient-${hash.digest("hex").slice(0, 12)}`, "hostclient");
  if (existsSync(bin)) return { bin };
  console.log(`building bench/hostclient into ${path.dirname(bin)} (once)`);
  mkdirSync(path.dirname(bin), { recursive: true });
  const r = spawnSync("go", ["build", "-mod=readonly", "-o", `${bin}.tmp`, "."], {
    cwd: src,
    encoding: "utf8",
    env: { ...process.env, GOFLAGS: "" },
  });
  if (r.status !== 0)
    return { why: `go build in bench/hostclient failed: ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" | ")}` };
  renameSync(`${bin}.tmp`, bin);
  return { bin };
}

/** A runner that has bench/hostclient (Go, as the engine) make the gRPC calls; props get `__provider` as resources give it. */
async function goRunner(
  bin: string,
  hostPort: number,
  config: Record<string, string>,
  providers: Record<string, string>,
): Promise<Runner & { checks(urn: string, props: Props, m: number): Promise<number>; close(): void }> {
  const proc = spawn(bin, [], { stdio: ["pipe", "pipe", "inherit"] });
  cleanups.push(() => proc.kill());
  const answers: Array<(a: Props) => void> = [];
  createInterface({ input: proc.stdout! }).on("line", (l) => answers.shift()?.(JSON.parse(l) as Props));
  const send = async (job: Props): Promise<Props> => {
    const answer = await new Promise<Props>((resolve) => {
      answers.push(resolve);
      proc.stdin!.write(`${JSON.stringify(job)}\n`);
    });
    if (answer.error) throw new Error(`bench/hostclient ${job.job}: ${answer.error as string}`);
    return answer;
  };
  await send({ job: "connect", addr: `127.0.0.1:${hostPort}`, config });
  let kind = "";
  const bags = (props: Props[]) => props.map((p) => ({ __provider: providers[kind], ...p }));
  return {
    createAll: async (k, props) => {
      kind = k;
      await send({ job: "create", urns: props.map((_, i) => urnOf(kind, `o${i}`)), props: bags(props), concurrency: C });
    },
    readAll: async () => void (await send({ job: "read", concurrency: C })),
    diffAll: async (props) => (await send({ job: "diff", props: bags(props), concurrency: C })).changes as number,
    deleteAll: async () => void (await send({ job: "delete", concurrency: C })),
    /** `m` offline checks one after another; their total ms as the Go side timed them. */
    checks: async (urn: string, props: Props, m: number) =>
      (await send({ job: "checks", urns: [urn], props: [props], count: m })).ms as number,
    close: () => proc.stdin!.end(),
  };
}

/**
 * One kind through one path: `setup` (untimed) makes what the objects need through `d`; timed: check+create, then
 * read, of `n` objects; then a check+diff with nothing changed (untimed, its HTTP calls counted); timed: delete.
 */
async function phase(r: Runner, d: Driver, url: string, plan: KindPlan, tag: string, n = N): Promise<PhaseResult> {
  const ctx = plan.setup ? await plan.setup(d, tag, n) : {};
  const props = () => Array.from({ length: n }, (_, i) => plan.props(i, tag, ctx));
  await sim(url, "GET", "/stats?reset=true");
  const started = performance.now();
  await r.createAll(plan.kind, props());
  await r.readAll();
  let ms = performance.now() - started;
  // A plain `pulumi up` with nothing changed: check and diff per object, outside the timed part.
  const beforeDiff = await sim<Stats>(url, "GET", "/stats");
  const changes = await r.diffAll(props());
  const afterDiff = await sim<Stats>(url, "GET", "/stats");
  const deleting = performance.now();
  await r.deleteAll();
  ms += performance.now() - deleting;
  const stats = await sim<Stats>(url, "GET", "/stats");
  const tokens = Object.entries(stats.routes)
    .filter(([k]) => k.includes("/maskinporten/token"))
    .reduce((s, [, v]) => s + v.count, 0);
  return {
    ms,
    httpCalls: stats.total,
    unchangedDiffHttpCalls: afterDiff.total - beforeDiff.total,
    unchangedDiffChanges: changes,
    tokenCalls: tokens,
  };
}

function peakRssKiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : NaN;
}

/** `--scale` (or `--scale=1000,10000`): only the scale pass of request groups (bench/scale.ts). */
const SCALE = args.has("scale") ? (args.get("scale") || "1000,10000").split(",").map(Number) : undefined;

async function main(): Promise<void> {
  if (SCALE) return scaleMain(SCALE);
  const { url, proc } = await startSimProcess();
  const config = { "digdir:environment": "local", "digdir:simulatorUrl": url };
  configureContext({ get: (k) => config[k as keyof typeof config] });
  const results: Props =
    ENGINE === "only" ? { when: new Date().toISOString(), n: N, concurrency: C, node: process.version } : await hostPasses(url, config);
  results.engine = await engine(url);
  writeFileSync("bench/results.json", `${JSON.stringify(results, null, 2)}\n`);
  console.log("wrote bench/results.json");
  proc.kill("SIGTERM");
}

async function scaleMain(sizes: number[]): Promise<void> {
  const bin = pulumiCli();
  if (!bin) {
    console.log("scale pass: SKIPPED (no Pulumi CLI: scripts/pulumi-cli.sh); the CSV validation alone:");
    csvValidationPass(Math.max(...sizes));
    return;
  }
  const { url, proc } = await startSimProcess();
  try {
    const results = await scalePass(bin, sizes, { url, sim }, LATENCY_MS, C);
    writeFileSync(
      "bench/results-scale.json",
      `${JSON.stringify({ when: new Date().toISOString(), node: process.version, ...results }, null, 2)}\n`,
    );
    console.log("wrote bench/results-scale.json");
  } finally {
    proc.kill("SIGTERM");
  }
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
    const props = (i: number): [string, Props] =>
      i < N ? ["MaskinportenClient", directObjects.client(i)] : ["SystemUserRequest", directObjects.request(i - N, system.id)];
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
  // Not withHost: this host serves the whole pass, to the Go client by its port too, and a failed run closes it in cleanups.
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

  // Who calls the host: Go, as the engine does, unless asked otherwise or Go cannot build it.
  let client = "node";
  let viaHostRunner: Runner = poolRunner(viaHost);
  let goChecks: ((m: number) => Promise<number>) | undefined;
  let closeClient = () => {};
  if (CLIENT === "go") {
    const go = goHostClient();
    if (go.bin) {
      const r = await goRunner(go.bin, host.port, config, providers);
      closeClient = () => r.close();
      viaHostRunner = r;
      client = "go";
      goChecks = async (m) =>
        r.checks(urnOf("MaskinportenClient", "floor"), { __provider: providers.MaskinportenClient, ...floorInputs }, m);
    } else
      console.log(
        `the host's client: the Node.js one (test/support/provider-host.ts), since ${go.why}; the ratios below include its own cost per call, about twice the host's`,
      );
  }
  const clientName = client === "go" ? "bench/hostclient (Go, as the engine)" : "test/support/provider-host.ts (Node.js)";

  // The floor of the engine path: an offline check (no HTTP) through gRPC and the host, against the same call in-process.
  const floorInputs = { name: "floor", scopes: ["krr:global/kontaktinformasjon.read"] };
  const floor = async (d: Driver) => {
    const t = performance.now();
    for (let i = 0; i < 200; i++) await d.check("MaskinportenClient", "floor", floorInputs);
    return (performance.now() - t) / 200;
  };
  const floorHost = async () => (goChecks ? (await goChecks(200)) / 200 : floor(viaHost));
  await floorHost();
  const checkHostMs = await floorHost();
  await floor(direct);
  const checkDirectMs = await floor(direct);
  console.log(
    `one offline check, sequential, through ${clientName}: host ${checkHostMs.toFixed(3)} ms, in-process ${checkDirectMs.toFixed(3)} ms (the gRPC and host cost of one engine call)`,
  );

  // Untimed: a first round of every kind through both paths, so that neither path is timed while its code is cold.
  // Each path has its own token cache, so this round also shows the token requests of a whole run.
  const warmupTokens = { host: 0, direct: 0 };
  const runStarted = performance.now();
  for (const plan of plans) {
    warmupTokens.direct += (await phase(poolRunner(direct), direct, url, plan, "warm-d", WARMUP)).tokenCalls;
    warmupTokens.host += (await phase(viaHostRunner, viaHost, url, plan, "warm-h", WARMUP)).tokenCalls;
  }

  const rows: Array<Props> = [];
  for (const latency of [0, LATENCY_MS]) {
    await sim(url, "DELETE", "/faults");
    if (latency > 0) await sim(url, "POST", "/faults", { rules: [{ path: ".*", delayMs: latency }] });
    console.log(
      `\n${REPEAT > 1 ? `median of ${REPEAT} rounds per path, ` : ""}${latency ? `with ${latency} ms added to every request (a network between the pipeline and Digdir)` : "loopback, no added latency (the floor: the simulator answers faster than one gRPC call through the host)"}: N=${N} objects per kind, concurrency ${C}`,
    );
    console.log("  timed: check+create, read, delete of each object; then a check+diff with nothing changed, counting HTTP calls");
    console.log(
      "kind                      host ms  direct ms  ratio  HTTP/object  unchanged-diff HTTP  token calls (host/direct)  provider bytes",
    );
    for (const plan of plans) {
      // REPEAT rounds, the two paths taking turns; each path's median round counts (one slow round on a shared
      // 2-core machine moves a single measurement by 0.15 either way).
      const ds: PhaseResult[] = [];
      const hs: PhaseResult[] = [];
      for (let round = 0; round < REPEAT; round++) {
        const tag = `${latency}r${round}`;
        ds.push(await phase(poolRunner(direct), direct, url, plan, `d${tag}`));
        hs.push(await phase(viaHostRunner, viaHost, url, plan, `h${tag}`));
      }
      const [d, h] = [median(ds.map((x) => x.ms)), median(hs.map((x) => x.ms))];
      const sum = (xs: PhaseResult[], f: (x: PhaseResult) => number) => xs.reduce((n, x) => n + f(x), 0);
      const row = {
        latencyMs: latency,
        kind: plan.kind,
        hostMs: Math.round(h),
        directMs: Math.round(d),
        ratio: Number((h / d).toFixed(2)),
        hostRoundsMs: hs.map((x) => Math.round(x.ms)),
        directRoundsMs: ds.map((x) => Math.round(x.ms)),
        httpCallsPerObject: Number((sum(hs, (x) => x.httpCalls) / (N * REPEAT)).toFixed(2)),
        directHttpCallsPerObject: Number((sum(ds, (x) => x.httpCalls) / (N * REPEAT)).toFixed(2)),
        unchangedDiffHttpCalls: sum(hs, (x) => x.unchangedDiffHttpCalls),
        unchangedDiffChanges: sum(hs, (x) => x.unchangedDiffChanges),
        tokenCallsHost: sum(hs, (x) => x.tokenCalls),
        tokenCallsDirect: sum(ds, (x) => x.tokenCalls),
        providerTextOfBytes: Buffer.byteLength(providers[plan.kind]),
      };
      rows.push(row);
      console.log(
        `${plan.kind.padEnd(24)} ${String(row.hostMs).padStart(8)} ${String(row.directMs).padStart(10)} ${row.ratio.toFixed(2).padStart(6)} ${String(row.httpCallsPerObject).padStart(12)} ${String(row.unchangedDiffHttpCalls).padStart(20)} ${`${row.tokenCallsHost}/${row.tokenCallsDirect}`.padStart(26)} ${String(row.providerTextOfBytes).padStart(15)}`,
      );
      if (row.httpCallsPerObject !== row.directHttpCallsPerObject)
        console.log(
          `  note: the two paths made different HTTP calls (${row.httpCallsPerObject} vs ${row.directHttpCallsPerObject} per object)`,
        );
      if (row.unchangedDiffChanges) console.log(`  note: ${row.unchangedDiffChanges} objects reported changes on an unchanged diff`);
    }
  }
  await sim(url, "DELETE", "/faults");
  const hostPeakKiB = peakRssKiB(host.pid);
  const runSeconds = (performance.now() - runStarted) / 1000;
  const tokenCalls = {
    host: warmupTokens.host + rows.reduce((n, r) => n + (r.tokenCallsHost as number), 0),
    direct: warmupTokens.direct + rows.reduce((n, r) => n + (r.tokenCallsDirect as number), 0),
  };
  const ratioAt = (latency: number) => {
    const at = rows.filter((r) => r.latencyMs === latency);
    return Number((at.reduce((n, r) => n + (r.hostMs as number), 0) / at.reduce((n, r) => n + (r.directMs as number), 0)).toFixed(2));
  };
  const worstAt = (latency: number) => Math.max(...rows.filter((r) => r.latencyMs === latency).map((r) => r.ratio as number));
  const results = {
    when: new Date().toISOString(),
    n: N,
    concurrency: C,
    node: process.version,
    client,
    rows,
    overall: {
      ratioLoopback: ratioAt(0),
      worstKindRatioLoopback: worstAt(0),
      ratioWithLatency: ratioAt(LATENCY_MS),
      worstKindRatioWithLatency: worstAt(LATENCY_MS),
      latencyMs: LATENCY_MS,
      hostPeakRssMiB: Number((hostPeakKiB / 1024).toFixed(1)),
      maxSerializedProviderBytes: Math.max(...rows.map((r) => r.providerTextOfBytes as number)),
      unchangedDiffHttpCalls: rows.reduce((n, r) => n + (r.unchangedDiffHttpCalls as number), 0),
      /** Token requests of the whole run (warm-up included) by each path's own token cache. */
      tokenCalls,
      runSeconds: Math.round(runSeconds),
      offlineCheckMs: { host: Number(checkHostMs.toFixed(3)), direct: Number(checkDirectMs.toFixed(3)) },
    },
    targets: {
      ratio: 1.3,
      ratioJudgedAtLatencyMs: LATENCY_MS,
      providerTextOfBytes: 8192,
      unchangedDiffHttpCalls: 0,
      tokenCallsPerCredentialAndScopeSet: 1,
    },
  };
  const o = results.overall;
  const verdict = (ok: boolean) => (ok ? "met" : "NOT met");
  console.log(`\nthe host's client: ${clientName}`);
  console.log(
    `host/direct ratio with ${LATENCY_MS} ms per request: ${o.ratioWithLatency} over all kinds, ${o.worstKindRatioWithLatency} for the worst kind (target ≤ 1.3: ${verdict(o.worstKindRatioWithLatency <= 1.3)})`,
  );
  console.log(
    `host/direct ratio on loopback: ${o.ratioLoopback} over all kinds, ${o.worstKindRatioLoopback} for the worst kind (the floor, not judged: bench/README.md)`,
  );
  console.log(
    `host peak RSS ${o.hostPeakRssMiB} MiB; largest serialized provider ${o.maxSerializedProviderBytes} B (target ≤ 8192: ${verdict(o.maxSerializedProviderBytes <= 8192)}); HTTP calls for unchanged objects on diff: ${o.unchangedDiffHttpCalls} (target 0: ${verdict(o.unchangedDiffHttpCalls === 0)})`,
  );
  // Tokens live 120 s (Maskinporten's default, and the simulator's); the providers renew one when a quarter of its
  // life is left (providers/core/auth.ts). So a run of T seconds may ask at most ceil(T / 90) times per set.
  const sets = warmupTokens.host;
  const allowed = sets * Math.ceil(runSeconds / 90);
  console.log(
    `token requests in the whole run (${Math.round(runSeconds)} s): ${tokenCalls.host} through the host, ${tokenCalls.direct} in-process, each path with its own cache; ` +
      `${sets} in the first round, one per credential and scope set (Digdir's client and scope APIs, Altinn's system register, request read and request write); ` +
      `at most ${allowed} if each set is renewed every 90 s of its 120 s token (target one per set while valid: ${verdict(tokenCalls.host <= allowed)})`,
  );
  closeClient();
  host.close();
  return results;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
  for (const stop of cleanups) stop();
});
