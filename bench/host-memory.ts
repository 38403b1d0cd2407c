import { readFileSync } from "node:fs";
import { shardOf } from "../providers/altinn/request-group-model";
import { createSystem, type ProviderHost, providerTextOf, urnOf, withHost } from "../test/support/provider-host";
import { control, localConfig, startSim } from "../test/support/sim";

/**
 * The provider host's memory under the scale pass's request group, without the CLI (bench/README.md, "The scale
 * pass"): N customers (default 10,000) in 16 shards, through the SDK's own dynamic provider host over gRPC, with
 * the calls the engine makes in each phase of `npm run bench -- --scale` and a fresh host per phase, as each
 * Pulumi command starts its own. Prints each phase's peak RSS (VmHWM) of the host. It asserts nothing.
 *
 * `node dist/bench/host-memory.js [--n=10000] [--latency-ms=20] [--phases=up,refresh,...]` after the bench's build.
 */

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const N = Number(args.get("n") ?? 10_000);
const LATENCY_MS = Number(args.get("latency-ms") ?? 20);
const SHARDS = 16;
const PARALLEL = 16;
const G = "SystemUserRequestGroup";
const systemId = "991825827_scale";
const orgs = ["310000019", "310000027", "310000035", "310000043"];
const rights = [{ resource: [{ value: "ske-krav-og-betalinger" }] }];
const offer = { rights, accessPackages: [], allowedRedirectUrls: [] };

type Props = Record<string, unknown>;

function shardInputs(n: number, extra?: string): Props[] {
  const shards: Array<Record<string, Props>> = Array.from({ length: SHARDS }, () => ({}));
  const add = (org: string, ref: string, name: string) => (shards[shardOf(org, ref, SHARDS)]![`${org}/${ref}`] = { name });
  for (let i = 0; i < n; i++) add(orgs[i % 4]!, `scale-${i}`, `Kunde ${i} AS`);
  if (extra) add(orgs[0]!, extra, "Ny Kunde AS");
  return shards.map((customers) => ({ __provider: providerTextOf(G), systemId, systemOffer: offer, rights, concurrency: 16, customers }));
}

function vmHwmMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

/** The host's CPU seconds so far (utime + stime, proc(5) fields 14 and 15, 100 ticks a second). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function pool<T>(items: T[], c: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(c, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

interface Shard {
  urn: string;
  id: string;
  inputs: Props;
  outs: Props;
}

async function main(): Promise<void> {
  const sim = await startSim();
  const config = localConfig(sim);
  const phases = (args.get("phases") ?? "up,refresh,up-refresh,up-plain,up-added,destroy").split(",");
  let shards: Shard[] = [];
  const news = shardInputs(N);
  const withAdded = shardInputs(N, "scale-added");
  const host = <T>(name: string, fn: (h: ProviderHost) => Promise<T>): Promise<T> =>
    withHost(config, async (h) => {
      const t = performance.now();
      try {
        return await fn(h);
      } finally {
        const s = ((performance.now() - t) / 1000).toFixed(1).padStart(6);
        console.log(`  ${name.padEnd(26)} ${s} s, host CPU ${cpuSeconds(h.pid).toFixed(1)} s, host peak RSS ${vmHwmMiB(h.pid)} MiB`);
      }
    });
  try {
    await host("system", (h) => createSystem(h, "scale", systemId, rights));
    await control(sim, "POST", "/faults", { rules: [{ path: ".*", delayMs: LATENCY_MS }] });
    console.log(`host memory: ${N} customers in ${SHARDS} shards, ${LATENCY_MS} ms per request, ${PARALLEL} resources at a time`);
    const checkDiff = async (h: ProviderHost, all: Props[]) => {
      const changed: number[] = [];
      await pool(shards, PARALLEL, async (s, i) => {
        const c = await h.check(s.urn, s.inputs, all[i]!);
        if ((await h.diff(s.urn, s.id, s.outs, c.inputs)).changes === "some") {
          const u = await h.update(s.urn, s.id, s.outs, c.inputs);
          shards[i] = { ...s, inputs: c.inputs, outs: u.outs };
          changed.push(i);
        }
      });
      return changed;
    };
    const refresh = async (h: ProviderHost) =>
      pool(shards, PARALLEL, async (s, i) => {
        const r = await h.read(s.urn, s.id, s.outs, s.inputs);
        shards[i] = { ...s, outs: r.props };
      });
    for (const phase of phases) {
      if (phase === "up")
        await host("up (from nothing)", async (h) => {
          shards = new Array<Shard>(SHARDS);
          await pool(news, PARALLEL, async (props, i) => {
            const urn = urnOf(G, `scale/${i}`);
            const c = await h.check(urn, {}, props);
            const r = await h.create(urn, c.inputs);
            shards[i] = { urn, id: r.id, inputs: c.inputs, outs: r.outs };
          });
        });
      else if (phase === "refresh") await host("refresh", refresh);
      else if (phase === "up-refresh")
        await host("up --refresh", async (h) => {
          await refresh(h);
          await checkDiff(h, news);
        });
      else if (phase === "up-plain") await host("up, nothing changed", (h) => checkDiff(h, news));
      else if (phase === "up-added") await host("up, one customer added", (h) => checkDiff(h, withAdded));
      else if (phase === "destroy") await host("destroy", (h) => pool(shards, PARALLEL, (s) => h.delete(s.urn, s.id, s.outs)));
    }
  } finally {
    await sim.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
