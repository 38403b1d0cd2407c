import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { orgNoCheckDigit } from "../../providers/core/orgno";
import { ALTINN, e2eSetUp, failureText, run, SAMARBEID, type E2e, type RunResult, type SimApi, type Simulator } from "./support";

/**
 * A user's bad day through the real Pulumi CLI, against the simulator's fault injection (`/_sim/faults`): answers
 * lost after the server committed (a reset, a 500, an answer slower than the time-out), throttling (429 with
 * Retry-After, 503) on creates and on the token endpoint, and `kill -9` of `pulumi` while a client, a system and
 * one of many requests are in flight. After each: `up` again, then `pulumi preview --expect-no-changes`, and the
 * simulator holds exactly one object per declared one (no duplicate, no orphan, nothing lost).
 */

const bin = inject("pulumiBin");
const ORG = "991825827";
const SYSTEMS = `${ALTINN}/systemregister/vendor`;
const REQUESTS = `${ALTINN}/systemuser/request/vendor`;

/** `count` valid organisation numbers from 3200000xx on, for customers the simulator is told about. */
function customerOrgNos(count: number): string[] {
  const out: string[] = [];
  for (let n = 10; out.length < count; n++) {
    const first8 = `320000${String(n).padStart(2, "0")}`;
    const digit = orgNoCheckDigit(first8);
    if (digit !== undefined) out.push(`${first8}${digit}`);
  }
  return out;
}

const stackText = (o: { crashClient?: boolean; crashSystem?: boolean; customers: string[] }) => `organisation:
  orgNo: "${ORG}"

clients:
  faults:
    type: maskinporten
    name: Faults
    scopes: [altinn:authentication/systemuser.request.read]
  faults-login:
    type: idporten
    name: Faults login
    tokenEndpointAuthMethod: client_secret_basic
    redirectUris: [https://faults.example/callback]
    postLogoutRedirectUris: [https://faults.example/out]
${o.crashClient ? `  crash:\n    type: maskinporten\n    name: Crash\n    scopes: [altinn:authentication/systemuser.request.read]\n` : ""}
apiScopes:
  faults:
    prefix: leverandor
    subscope: faults.read
    description: Faults
    consumers: ["974761076"]

systems:
  faults:
    name: { nb: Faults, nn: Faults, en: Faults }
    description: { nb: Feil, nn: Feil, en: Faults }
    rights: [ske-krav-og-betalinger]
    clients: [faults]
${o.crashSystem ? `  crash:\n    name: { nb: Crash, nn: Crash, en: Crash }\n    description: { nb: Krasj, nn: Krasj, en: Crash }\n    rights: [ske-krav-og-betalinger]\n` : ""}
requests:
  faults:
    rights: [ske-krav-og-betalinger]
    customers: [${o.customers.map((c) => `"${c}"`).join(", ")}]
`;

describe.skipIf(!bin)("lost answers, throttling and killed runs through the real Pulumi CLI", () => {
  let e2e: E2e;
  let dir: string;
  let proj: string;
  let env: NodeJS.ProcessEnv;
  let sim: Simulator;
  let api: SimApi;
  const customers = customerOrgNos(12);
  /** Processes the killed runs started (each should end by itself): any left are ended in afterAll. */
  const started: number[] = [];

  const pulumi: E2e["pulumi"] = (args, opts) => e2e.pulumi(args, opts);
  const writeStack = (o: Parameters<typeof stackText>[0]) => fs.writeFileSync(path.join(proj, "stacks/local.yaml"), stackText(o));
  const faults = (rules: unknown[]) => api.ok("POST", "/_sim/faults", { rules });
  const clearFaults = () => api.ok("DELETE", "/_sim/faults");

  /** Client names → how many clients carry each, active ones. */
  const clientCounts = async (): Promise<Record<string, number>> => {
    const counts: Record<string, number> = {};
    for (const c of (await api.ok("GET", `${SAMARBEID}/clients`)) as { client_name: string }[])
      counts[c.client_name] = (counts[c.client_name] ?? 0) + 1;
    return counts;
  };
  const requestParties = async (systemId: string): Promise<string[]> => {
    const parties: string[] = [];
    for (let url: string | undefined = `${REQUESTS}/bysystem/${systemId}`; url;) {
      const page = (await api.ok("GET", url)) as { links?: { next?: string }; data: { partyOrgNo: string; status: string }[] };
      parties.push(...page.data.map((r) => r.partyOrgNo));
      url = page.links?.next?.slice(sim.url.length);
    }
    return parties.sort();
  };
  const converged = async () => {
    const preview = await pulumi(["preview", "--expect-no-changes", "--non-interactive"], { allowFailure: true });
    expect(preview.code, failureText(preview)).toBe(0);
  };

  /**
   * `pulumi up` killed with SIGKILL (pulumi alone, as an OOM kill or a cancelled job does, not its process group)
   * once the fault rule has fired, i.e. with that request in flight. Answers every process it had started: the
   * language host, the program it runs, the provider hosts.
   */
  const upKilledWhileInFlight = async (index = 0): Promise<number[]> => {
    const child = spawn("pulumi", ["up", "--yes", "--non-interactive", "--stack", "local"], {
      cwd: proj,
      env,
      stdio: "ignore",
      detached: true,
    });
    try {
      for (const end = Date.now() + 180_000; ;) {
        const { rules } = (await api.ok("GET", "/_sim/faults")) as { rules: { fired: number }[] };
        if (rules[index]!.fired > 0) break;
        if (Date.now() > end || child.exitCode !== null) throw new Error(`the fault never fired (pulumi exited ${child.exitCode})`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const below = descendants(child.pid!);
      started.push(...below);
      expect(below.filter((pid) => /dynamic-provider/.test(cmdline(pid))).length).toBeGreaterThan(0);
      expect(below.filter((pid) => /pulumi-language-nodejs/.test(cmdline(pid))).length).toBe(1);
      process.kill(child.pid!, "SIGKILL");
      return below;
    } finally {
      await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once("exit", r)));
    }
  };
  /**
   * What the user does after a killed run (README, "When a run fails or is killed"): `scripts/pipeline.sh recover`
   * (repairs what the kill cut in the file backend, removes the lock, names what was in flight), then `pulumi up`.
   */
  const upAfterKill = async (): Promise<RunResult> => {
    const recover = await run("scripts/pipeline.sh", ["recover", "local"], { cwd: proj, env, allowFailure: true });
    expect(recover.code, failureText(recover)).toBe(0);
    expect(recover.stderr).toMatch(/pipeline: the killed run was \w+ |pipeline: the state records nothing in flight/);
    const cut = recover.stderr.match(/^file-backend: removed .*$/gm);
    if (cut) console.log(`faults e2e: the kill cut the file backend; scripts/pipeline.sh recover said:\n${cut.join("\n")}`);
    return pulumi(["up", "--yes", "--non-interactive"], { allowFailure: true });
  };
  const gone = async (pids: number[], ms: number) => {
    for (const end = Date.now() + ms; Date.now() < end && pids.some(running);) await new Promise((r) => setTimeout(r, 200));
    return pids.filter(running);
  };

  beforeAll(async () => {
    e2e = await e2eSetUp({ bin, name: "faults", passphrase: "e2e-passphrase", scripts: true });
    ({ dir, proj, env, sim, api } = e2e);
    for (const orgNo of customers) await api.ok("POST", "/_sim/orgs", { orgNo, name: `Kunde ${orgNo}` });
    writeStack({ customers: customers.slice(0, 2) });
    // An answer slower than 3 s counts as lost (the default is 30 s; the delay fault below waits 4).
    await pulumi(["config", "set", "digdir:httpTimeoutSeconds", "3"]);
  }, 180_000);

  afterAll(async () => {
    for (const pid of started) if (running(pid)) process.kill(pid, "SIGKILL");
    await e2e?.close();
  });

  test("answers lost after commit, throttling and a token outage: one up succeeds, and makes each object once", async () => {
    await faults([
      { method: "POST", path: `^${SAMARBEID}/clients$`, commitThenFail: "reset", times: 1 },
      { method: "POST", path: `^${SAMARBEID}/clients$`, status: 429, retryAfter: 1, times: 1 },
      { method: "POST", path: `^${SAMARBEID}/clients$`, delayMs: 4000, times: 1 },
      { method: "POST", path: `^${SAMARBEID}/scopes$`, commitThenFail: 500, times: 1 },
      { method: "POST", path: `^${SYSTEMS}$`, commitThenFail: "reset", times: 1 },
      { method: "POST", path: `^${REQUESTS}$`, status: 503, times: 1 },
      { method: "POST", path: "^/maskinporten/token$", status: 503, times: 1 },
    ]);
    const up = await pulumi(["up", "--yes", "--non-interactive"], { allowFailure: true });
    expect(up.code, failureText(up)).toBe(0);
    const { rules } = (await api.ok("GET", "/_sim/faults")) as { rules: { fired: number }[] };
    expect(rules.map((r) => r.fired)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    await clearFaults();
    // The slow POST arrives after its retry made the client: it is refused as a duplicate id.
    await new Promise((r) => setTimeout(r, 2000));
    expect(await clientCounts()).toMatchObject({ Faults: 1, "Faults login": 1 });
    expect(`${up.stdout}\n${up.stderr}`).toMatch(/pulumi-digdir: .*(adopted it|taken over)/);
    expect((await api.ok("GET", `${SYSTEMS}/${ORG}_faults`)).id).toBe(`${ORG}_faults`);
    expect(await requestParties(`${ORG}_faults`)).toEqual(customers.slice(0, 2).sort());
    await converged();
  });

  test("pulumi killed while a client is being created: what it started exits, the next up adopts the client and converges", async () => {
    writeStack({ crashClient: true, customers: customers.slice(0, 2) });
    await faults([{ method: "POST", path: `^${SAMARBEID}/clients$`, delayMs: 2500, times: 1 }]);
    const left = await upKilledWhileInFlight();
    expect(await gone(left, 20_000), processes(left)).toEqual([]);
    await new Promise((r) => setTimeout(r, 3000)); // the POST commits after pulumi died
    await clearFaults();
    expect((await clientCounts()).Crash).toBe(1);
    const up = await upAfterKill();
    expect(up.code, failureText(up)).toBe(0);
    expect(`${up.stdout}\n${up.stderr}`).toMatch(
      /MaskinportenClient crash: client [0-9a-f-]{36} already existed under this resource's chosen id .*adopted it/,
    );
    expect((await clientCounts()).Crash).toBe(1);
    await converged();
  });

  test("pulumi killed while a system is being created: the next up takes it over by its id and converges", async () => {
    writeStack({ crashClient: true, crashSystem: true, customers: customers.slice(0, 2) });
    await faults([{ method: "POST", path: `^${SYSTEMS}$`, delayMs: 2500, times: 1 }]);
    const left = await upKilledWhileInFlight();
    expect(await gone(left, 20_000), processes(left)).toEqual([]);
    await new Promise((r) => setTimeout(r, 3000));
    await clearFaults();
    expect((await api.ok("GET", `${SYSTEMS}/${ORG}_crash`)).id).toBe(`${ORG}_crash`);
    const up = await upAfterKill();
    expect(up.code, failureText(up)).toBe(0);
    expect(`${up.stdout}\n${up.stderr}`).toMatch(new RegExp(`System ${ORG}_crash: it existed already .*taken over`));
    await converged();
  });

  test("a kill that cut the file backend's write: pulumi refuses with 'failed to load checkpoint: EOF' until scripts/pipeline.sh recover", async () => {
    // What a kill between fileblob's two writes leaves (scripts/file-backend.js): the state's metadata sidecar
    // truncated, the state itself whole. Made here on purpose, so that this case is tested on every run; the kills
    // in these tests hit it only now and then.
    const stacks = path.join(dir, "state", ".pulumi", "stacks", "pulumi-digdir");
    fs.writeFileSync(path.join(stacks, "local.json.attrs"), "");
    const broken = await pulumi(["preview", "--non-interactive"], { allowFailure: true });
    expect(broken.code).not.toBe(0);
    expect(broken.stderr).toContain("failed to load checkpoint: EOF");
    expect(JSON.parse(fs.readFileSync(path.join(stacks, "local.json"), "utf8")).checkpoint.latest.resources.length).toBeGreaterThan(10);
    // A lock naming a `pulumi` that still runs on this machine (a process named so, standing in for a run that
    // goes on): recover refuses and changes nothing.
    const other = spawn("bash", ["-c", "exec -a pulumi sleep 120"], { stdio: "ignore" });
    const locks = path.join(dir, "state", ".pulumi", "locks", "organization", "pulumi-digdir", "local");
    fs.mkdirSync(locks, { recursive: true });
    const lock = { pid: other.pid, username: os.userInfo().username, hostname: os.hostname(), timestamp: new Date().toISOString() };
    fs.writeFileSync(path.join(locks, "e2e-other-run.json"), JSON.stringify(lock));
    try {
      await new Promise((r) => setTimeout(r, 300)); // exec done
      const refused = await run("scripts/pipeline.sh", ["recover", "local"], { cwd: proj, env, allowFailure: true });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`locked by pulumi (pid ${other.pid}) still running on this machine`);
      expect(fs.readFileSync(path.join(stacks, "local.json.attrs"), "utf8")).toBe("");
    } finally {
      other.kill("SIGKILL");
      await new Promise((r) => (other.exitCode !== null || other.signalCode !== null ? r(undefined) : other.once("exit", r)));
    }
    const recover = await run("scripts/pipeline.sh", ["recover", "local"], { cwd: proj, env, allowFailure: true });
    expect(recover.code, failureText(recover)).toBe(0);
    expect(recover.stderr).toContain("file-backend: removed .pulumi/stacks/pulumi-digdir/local.json.attrs (empty");
    expect(recover.stderr).toContain("pipeline: the state records nothing in flight");
    expect(fs.readdirSync(locks)).toEqual([]); // the stale lock: removed by recover's `pulumi cancel`
    await converged();
  });

  test("pulumi killed midway through many requests: the next up finds the ones made by their keys, makes the rest once", async () => {
    writeStack({ crashClient: true, crashSystem: true, customers });
    // The 5th new request is held in flight while the others go on; pulumi dies then.
    await faults([
      { method: "POST", path: `^${REQUESTS}$`, delayMs: 0, times: 4 },
      { method: "POST", path: `^${REQUESTS}$`, delayMs: 2500, times: 1 },
    ]);
    const left = await upKilledWhileInFlight(1);
    expect(await gone(left, 20_000), processes(left)).toEqual([]);
    await new Promise((r) => setTimeout(r, 3000));
    await clearFaults();
    const up = await upAfterKill();
    expect(up.code, failureText(up)).toBe(0);
    // One request per customer at Altinn: none made twice, none missing.
    expect(await requestParties(`${ORG}_faults`)).toEqual([...customers].sort());
    await converged();
  });
});

/** The processes still running among `pids`, with their command lines, for a failure message. */
function processes(pids: number[]): string {
  return pids
    .filter(running)
    .map((pid) => `${pid} ${cmdline(pid).slice(0, 200)}`)
    .join("\n");
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

/** Every process below `root`, from /proc. */
function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      /* gone */
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const [child, parent] of parents)
      if (parent === pid) {
        out.push(child);
        walk(child);
      }
  };
  walk(root);
  return out;
}

/** Running: exists and not a zombie. */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}
