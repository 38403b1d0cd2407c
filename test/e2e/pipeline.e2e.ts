import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { ALTINN, e2eSetUp, run, type E2e, type RunResult, type SimApi } from "./support";

/**
 * scripts/pipeline.sh, the steps both pipeline examples (examples/pipelines/) call, run as a pipeline would against
 * the simulator, in a copy of the project with a stack of 100 requests:
 *
 *   validate → plan on a fresh stack (a pull request) → apply that plan (the merge) → plan: no changes → one
 *   customer added: a Markdown plan of a few lines → apply → a plan made stale by a later edit is refused → a
 *   customer accepts → the daily refresh reads it → removing that customer warns in the plan that the system user
 *   stays → a protected system removed: the plan fails, naming it, nothing changed → the promotion gate →
 *   no committed file was rewritten along the way.
 */

const bin = inject("pulumiBin");

const ORG = "991825827";
const customers = ["310000019", "310000027", "310000035", "310000043"];

/** One system (protected) and `n` requests: four customers, each with several externalRefs. */
function stackFile(n: number, o: { withoutSystem?: boolean; leave?: string } = {}): string {
  const lines = ["organisation:", `  orgNo: "${ORG}"`, ""];
  if (o.withoutSystem) return `${lines.join("\n")}\n`;
  lines.push(
    "systems:",
    "  ci:",
    "    name: { nb: CI, nn: CI, en: CI }",
    "    description: { nb: Pipeline, nn: Pipeline, en: Pipeline }",
    "    rights: [ske-krav-og-betalinger]",
    "    protect: true",
    "",
    "requests:",
    "  ci:",
    "    rights: [ske-krav-og-betalinger]",
    "    customers:",
  );
  for (let i = 0; i < n; i++)
    if (`ci-${i}` !== o.leave) lines.push(`      - { orgNo: "${customers[i % customers.length]}", externalRef: ci-${i} }`);
  return `${lines.join("\n")}\n`;
}

describe.skipIf(!bin)("the pipeline script, against the simulator", () => {
  let e2e: E2e;
  let proj: string;
  let env: NodeJS.ProcessEnv;
  let api: SimApi;
  /** The files a repository would have committed, as they were before the first step. */
  let committed: Record<string, string>;

  const pipeline = (args: string[]): Promise<RunResult> =>
    run("scripts/pipeline.sh", args, { cwd: proj, env, allowFailure: true, timeoutMs: 280_000 });
  const writeStack = (name: string, text: string) => fs.writeFileSync(path.join(proj, "stacks", `${name}.yaml`), text);
  const snapshot = (): Record<string, string> =>
    Object.fromEntries(
      [
        ...fs.readdirSync(proj).filter((f) => /^Pulumi\..*yaml$/.test(f)),
        ...fs
          .readdirSync(path.join(proj, "stacks"))
          .filter((f) => f.endsWith(".yaml"))
          .map((f) => `stacks/${f}`),
      ].map((f) => [f, fs.readFileSync(path.join(proj, f), "utf8")]),
    );
  const outputs = async (): Promise<Record<string, any>> =>
    JSON.parse((await run("pulumi", ["stack", "output", "--json", "--stack", "ci"], { cwd: proj, env })).stdout);
  /** How many of the customers' requests Altinn holds: each looked up by its externalRef (the lists are paged with Altinn's quirks). */
  const requestsAtAltinn = async (n = 110): Promise<number> => {
    let found = 0;
    for (let i = 0; i < n; i++) {
      const r = await api.call(
        "GET",
        `${ALTINN}/systemuser/request/vendor/byexternalref/${ORG}_ci/${customers[i % customers.length]}/ci-${i}`,
      );
      if (r.status === 200) found++;
    }
    return found;
  };
  const expectOk = (r: RunResult, code = 0) => {
    if (r.code !== code)
      throw new Error(
        `\`${r.command}\` exited ${r.code}, expected ${code}\n--- stdout ---\n${r.stdout.slice(-4000)}\n--- stderr ---\n${r.stderr.slice(-4000)}`,
      );
  };

  beforeAll(async () => {
    // The stacks are created by the pipeline's steps, not here.
    e2e = await e2eSetUp({
      bin,
      name: "pipeline",
      passphrase: "pipeline-passphrase",
      scripts: true,
      env: { DIGDIR_ENVIRONMENT: "local" },
      initStack: false,
    });
    ({ proj, env, api } = e2e);
    // The stack configs a repository commits: no secret, no salt.
    for (const s of ["ci", "ciprod"])
      fs.writeFileSync(
        path.join(proj, `Pulumi.${s}.yaml`),
        `config:\n  digdir:environment: local\n  digdir:simulatorUrl: ${e2e.sim.url}\n`,
      );
    writeStack("ci", stackFile(100));
    writeStack("ciprod", stackFile(3));
    committed = snapshot();
  }, 120_000);

  afterAll(async () => {
    await e2e?.close();
  });

  test("validate checks every stack file", async () => {
    const r = await pipeline(["validate"]);
    expectOk(r);
    expect(r.stdout).toContain("stacks/ci.yaml: valid for environment local");
    expect(r.stdout).toContain("1 system, 100 requests");
  });

  test("plan on a pull request: a fresh stack, summarised in Markdown, with Pulumi's plan saved; exit 2", async () => {
    const r = await pipeline(["plan", "ci", "out/pr-1"]);
    expectOk(r, 2);
    const md = fs.readFileSync(path.join(proj, "out/pr-1/plan.md"), "utf8");
    expect(md).toContain("**101 changes: 101 to create; 100 risky**");
    expect(md).toContain(`- registers system ci (${ORG}_ci) offering ske-krav-og-betalinger`);
    expect(md).toContain("- ⚠️ asks 100 customers for a system user for ci [new rights asked of a customer]");
    expect(md).toContain("<details><summary>all 100</summary>");
    expect(JSON.parse(fs.readFileSync(path.join(proj, "out/pr-1/plan.json"), "utf8")).changes).toHaveLength(101);
    expect(fs.existsSync(path.join(proj, "out/pr-1/pulumi-plan.json"))).toBe(true);
    // Nothing was created by the plan.
    expect((await api.call("GET", `${ALTINN}/systemregister/vendor/${ORG}_ci`)).status).toBe(404);
    expect(snapshot()).toEqual(committed);
  });

  test("apply on merge: exactly the approved plan", async () => {
    expectOk(await pipeline(["apply", "ci", "out/pr-1"]));
    expect((await outputs()).requestsByStatus.New).toHaveLength(100);
    expect(await requestsAtAltinn()).toBe(100);
    const again = await pipeline(["plan", "ci", "out/pr-2"]);
    expectOk(again, 0);
    expect(fs.readFileSync(path.join(proj, "out/pr-2/plan.md"), "utf8")).toContain("**no changes**");
  });

  test("one customer added to the 100-request stack: a Markdown plan of at most 40 lines, then applied", async () => {
    writeStack("ci", stackFile(101));
    const r = await pipeline(["plan", "ci", "out/pr-3"]);
    expectOk(r, 2);
    const md = fs.readFileSync(path.join(proj, "out/pr-3/plan.md"), "utf8").trimEnd().split("\n");
    expect(md.length).toBeLessThanOrEqual(40);
    expect(md).toContain(
      "- ⚠️ asks 310000019 (externalRef ci-100) for a system user for ci with ske-krav-og-betalinger [new rights asked of a customer]",
    );
    expectOk(await pipeline(["apply", "ci", "out/pr-3"]));
    expect(await requestsAtAltinn()).toBe(101);
  });

  test("a plan made stale by a later change is refused, and changes nothing", async () => {
    writeStack("ci", stackFile(102));
    expectOk(await pipeline(["plan", "ci", "out/pr-4"]), 2);
    writeStack("ci", stackFile(103));
    const r = await pipeline(["apply", "ci", "out/pr-4"]);
    expectOk(r, 1);
    expect(r.stderr).toContain("the approved plan is stale: nothing applied");
    expect(r.stderr).toMatch(
      /not approved: create \S+: asks 310000035 \(externalRef ci-102\) for a system user for ci with ske-krav-og-betalinger/,
    );
    expect(await requestsAtAltinn()).toBe(101);
    writeStack("ci", stackFile(101));
  });

  test("the daily refresh reads a customer's answer; removing that customer then warns in the plan that its system user stays", async () => {
    const id = new URL((await outputs()).requests["ci/310000027/ci-1"].confirmUrl).searchParams.get("id")!;
    await api.ok("POST", `/_sim/systemuser-requests/${id}/accept`);
    expectOk(await pipeline(["refresh", "ci"]));
    expect((await outputs()).requestsByStatus.Accepted).toEqual(["ci/310000027/ci-1"]);

    writeStack("ci", stackFile(101, { leave: "ci-1" }));
    expectOk(await pipeline(["plan", "ci", "out/pr-5"]), 2);
    const md = fs.readFileSync(path.join(proj, "out/pr-5/plan.md"), "utf8");
    expect(md).toContain("- withdraws the request to 310000027 (externalRef ci-1) for ci (accepted: the customer's system user stays)");
    expect(md).toContain(
      "**Warnings** (1)\n- the request to 310000027 for ci is deleted, but 310000027's system user stays in Altinn: only the customer can delete it",
    );
    writeStack("ci", stackFile(101));
  });

  test("a protected system removed from the file: the plan fails naming it and how to lift its protection; nothing changes", async () => {
    writeStack("ci", stackFile(0, { withoutSystem: true }));
    const r = await pipeline(["plan", "ci", "out/pr-6"]);
    expectOk(r, 1);
    expect(r.stderr).toContain("system ci (991825827_ci) is protected, and stacks/ci.yaml no longer declares it");
    expect(r.stderr).toContain("set `protect: false` on systems.ci in stacks/ci.yaml");
    expect(await requestsAtAltinn()).toBe(101);
    expect((await api.ok("GET", `${ALTINN}/systemregister/vendor/${ORG}_ci`)).id).toBe(`${ORG}_ci`);
    writeStack("ci", stackFile(101));
  });

  test("the promotion gate fails while the target lacks what the source has, and passes once it has it", async () => {
    const r = await pipeline(["promote-gate", "ci", "ciprod"]);
    expectOk(r, 1);
    expect(r.stdout).toContain("requests.ci.customers");
    writeStack("ciprod", fs.readFileSync(path.join(proj, "stacks/ci.yaml"), "utf8"));
    expectOk(await pipeline(["promote-gate", "ci", "ciprod"]));
    writeStack("ciprod", stackFile(3));
  });

  test("no committed file was rewritten by any step", () => {
    expect(snapshot()).toEqual({ ...committed, "stacks/ci.yaml": stackFile(101) });
  });
});
