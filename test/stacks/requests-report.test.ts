import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AltinnApi } from "../../providers/altinn/api";
import { requestGroupProvider } from "../../providers/altinn/request-group-provider";
import { configureContext } from "../../providers/core/context";
import { planShards } from "../../stacks/groups";
import { formatReport, linesFromLive, linesFromState, requestsMain } from "../../stacks/requests";
import { StackSource } from "../../stacks/source";
import { validateStack } from "../../stacks/validate";
import { control, startSim, type Simulator } from "../support/sim";

const stackYaml = [
  'organisation: { orgNo: "991825827" }',
  "systems:",
  "  report:",
  "    name: { nb: Report, nn: Report, en: Report }",
  "    description: { nb: d, nn: d, en: d }",
  "    rights: [ske-krav-og-betalinger]",
  "requests:",
  "  report:",
  "    rights: [ske-krav-og-betalinger]",
  "    customers:",
  '      - { orgNo: "310000019", name: Bakeriet AS }',
  '      - { orgNo: "310000027", name: "Snekkeriet, Nord" }',
  '      - { orgNo: "310000035", externalRef: avd-2 }',
  '      - { orgNo: "310000043" }',
].join("\n");

const plan = () => {
  const r = validateStack(new StackSource("stacks/local.yaml", stackYaml), tmpdir(), { environment: "local" });
  expect(r.problems).toEqual([]);
  return r.plan;
};

/** A state as `pulumi stack export` writes it: one group shard, and one per-customer request of an older stack. */
const now = Date.parse("2026-12-06T12:00:00Z");
const exported = JSON.stringify({
  deployment: {
    resources: [
      { type: "pulumi:pulumi:Stack", urn: "urn:pulumi:local::p::pulumi:pulumi:Stack::p-local" },
      {
        type: "pulumi-nodejs:dynamic/altinn:SystemUserRequestGroup",
        urn: "urn:pulumi:local::p::pulumi-nodejs:dynamic/altinn:SystemUserRequestGroup::report/03",
        outputs: {
          systemId: "991825827_report",
          confirmUrlTemplate: "https://am.example/request?id={id}&DONTCHOOSEREPORTEE=true",
          customers: { "310000019": { name: "Bakeriet AS" }, "310000027": { name: "Snekkeriet, Nord" }, "310000035/avd-2": {} },
          requests: {
            "310000019": { requestId: "r1", status: "Accepted", systemUserId: "su1", created: "2026-11-06T12:00:00Z" },
            "310000027": { requestId: "r2", status: "New", created: "2026-06-01T12:00:00Z", timedOut: true, escalated: true },
            "310000035/avd-2": { requestId: "", status: "", error: "Altinn answered 503" },
          },
        },
      },
      {
        type: "pulumi-nodejs:dynamic/altinn:SystemUserRequest",
        urn: "urn:pulumi:local::p::pulumi-nodejs:dynamic/altinn:SystemUserRequest::report/310000043",
        outputs: {
          systemId: "991825827_report",
          partyOrgNo: "310000043",
          externalRef: "310000043",
          requestId: "r4",
          status: "Rejected",
          confirmUrl: "https://am.example/request?id=r4",
          created: "2026-12-05T12:00:00Z",
          timedOut: false,
        },
      },
    ],
  },
});

describe("the lifecycle report from the state", () => {
  test("counts by status per group, and one line per customer as CSV or JSON", () => {
    const lines = linesFromState(exported, plan(), now);
    expect(formatReport(lines, "text")).toEqual([
      "requests.report (991825827_report): 4 customers: New 1, Accepted 1, Rejected 1, Denied 0, timed out 1, escalated 1, failed 1",
    ]);
    expect(formatReport(lines, "csv")).toEqual([
      "group,systemId,orgNo,name,externalRef,status,ageDays,confirmUrl,systemUserId,escalated,timedOut,error",
      "requests.report,991825827_report,310000019,Bakeriet AS,310000019,Accepted,30,,su1,false,false,",
      'requests.report,991825827_report,310000027,"Snekkeriet, Nord",310000027,New,188,https://am.example/request?id=r2&DONTCHOOSEREPORTEE=true,,true,true,',
      "requests.report,991825827_report,310000035,,avd-2,,,,,false,false,Altinn answered 503",
      "requests.report,991825827_report,310000043,,310000043,Rejected,1,,,false,false,",
    ]);
    const json = formatReport(lines, "json").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(json).toHaveLength(4);
    expect(json[1]).toEqual({
      group: "requests.report",
      systemId: "991825827_report",
      orgNo: "310000027",
      name: "Snekkeriet, Nord",
      externalRef: "310000027",
      status: "New",
      ageDays: 188,
      confirmUrl: "https://am.example/request?id=r2&DONTCHOOSEREPORTEE=true",
      escalated: true,
      timedOut: true,
    });
  });

  test("the command: --stack with a state file; usage mistakes exit 2", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "report-"));
    mkdirSync(path.join(root, "stacks"));
    writeFileSync(path.join(root, "Pulumi.yaml"), "name: p\nruntime: nodejs\n");
    writeFileSync(path.join(root, "Pulumi.local.yaml"), "config:\n  digdir:environment: local\n");
    writeFileSync(path.join(root, "stacks", "local.yaml"), stackYaml);
    writeFileSync(path.join(root, "state.json"), exported);
    const out: string[] = [];
    expect(
      await requestsMain(
        ["--stack", "local", "--json", "--state", path.join(root, "state.json")],
        (l) => out.push(l),
        () => {},
        root,
      ),
    ).toBe(0);
    expect(out).toHaveLength(4);
    const err: string[] = [];
    expect(
      await requestsMain(
        ["--stack", "local", "--csv", "--json"],
        () => {},
        (l) => err.push(l),
        root,
      ),
    ).toBe(2);
    expect(
      await requestsMain(
        ["--stack", "local", "--colour"],
        () => {},
        (l) => err.push(l),
        root,
      ),
    ).toBe(2);
    expect(err.join("\n")).toMatch(/unknown option --colour/);
  });
});

describe("the lifecycle report --live: Altinn's paged lists", () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(() => sim?.close());

  test("each declared customer as Altinn lists it, and what no group declares as unmanaged", async () => {
    const ctx = configureContext({ get: (k) => ({ "digdir:environment": "local", "digdir:simulatorUrl": sim.url })[k] });
    const api = new AltinnApi(ctx);
    const p = plan();
    await api.createSystem({
      systemId: "991825827_report",
      vendorOrgNo: "991825827",
      name: { nb: "R", nn: "R", en: "R" },
      description: { nb: "d", nn: "d", en: "d" },
      rights: [{ resource: [{ id: "urn:altinn:resource", value: "ske-krav-og-betalinger" }] }],
      accessPackages: [],
      clientIds: [],
      allowedRedirectUrls: [],
      isVisible: true,
    });
    await control(sim, "POST", "/altinn/config", { pageSize: 2 });
    // The stack's group made three of its four customers' requests (the fourth never got one).
    const shards = planShards(p);
    const provider = requestGroupProvider("SystemUserRequestGroup");
    const made: Record<string, { requestId: string }> = {};
    for (const shard of shards) {
      const customers = Object.fromEntries(
        Object.entries(shard.args.customers as Record<string, unknown>).filter(([k]) => k !== "310000043"),
      );
      if (!Object.keys(customers).length) continue;
      const created = await provider.create!({ ...shard.args, systemId: "991825827_report", customers });
      Object.assign(made, created.outs.requests);
    }
    await control(sim, "POST", `/systemuser-requests/${made["310000019"]!.requestId}/accept`);
    // A customer created a system user itself, and a request was made by another tool.
    await control(sim, "POST", "/systemusers", { systemId: "991825827_report", partyOrgNo: "310000043", externalRef: "self-made" });
    await api.createRequest("SystemUserRequest", {
      systemId: "991825827_report",
      partyOrgNo: "310000027",
      externalRef: "other-tool",
      rights: [{ resource: [{ id: "urn:altinn:resource", value: "ske-krav-og-betalinger" }] }],
      accessPackages: [],
    });

    await control(sim, "POST", "/config", { quirks: false });
    const [standard, agent, systemUsers] = await Promise.all([
      api.listRequests("SystemUserRequest", "991825827_report"),
      api.listRequests("AgentSystemUserRequest", "991825827_report"),
      api.listSystemUsers("991825827_report"),
    ]);
    const lines = linesFromLive(
      p,
      [{ systemId: "991825827_report", requests: { standard, agent }, systemUsers }],
      ctx.settings.endpoints.altinnUiBase,
    );
    const shown = lines.map(
      (l) => `${l.group} ${l.orgNo}/${l.externalRef} ${l.status || "-"}${l.systemUserId ? " su" : ""}${l.confirmUrl ? " url" : ""}`,
    );
    expect(shown).toEqual([
      "requests.report 310000019/310000019 Accepted su",
      "requests.report 310000027/310000027 New url",
      "requests.report 310000035/avd-2 New url",
      "requests.report 310000043/310000043 -",
      "unmanaged 310000027/other-tool New url",
      "unmanaged 310000043/self-made Accepted su",
    ]);
    expect(formatReport(lines, "text")).toEqual([
      "requests.report (991825827_report): 4 customers: New 2, Accepted 1, Rejected 0, Denied 0, timed out 0, escalated 0, not requested 1",
      "unmanaged (991825827_report): 2 customers: New 1, Accepted 1, Rejected 0, Denied 0, timed out 0, escalated 0",
      "2 system user(s) or request(s) in Altinn that no group of this stack declares (created by customers themselves, or by another tool): listed with --csv or --json; never adopted or deleted",
    ]);
  });
});
