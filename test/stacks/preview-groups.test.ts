import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, test } from "vitest";
import { runStack } from "../../stacks/program";

/**
 * What a preview knows of a request group's customers (stacks/README.md, "Outputs"). In the preview of an update
 * the engine answers a shard's inputs as its outputs (the SDK's provider host has no preview of its own), so its
 * `requests` are unknown. The program keeps the last run's values for the customers whose request did not
 * change (the manifest's fingerprint), and leaves unknown only what the `up` decides. The mocks answer as the
 * engine does: in the up, the provider's outputs; in the preview, the shard's inputs.
 */

const customers = [
  '      - { orgNo: "310000019", name: Nord }',
  '      - { orgNo: "310000027", name: Sør }',
  '      - { orgNo: "310000035", name: Borettslag, externalRef: b-35 }',
];

function stackFile(lines: string[], groupLines: string[] = []): string {
  return [
    'organisation: { orgNo: "991825827" }',
    "systems:",
    "  smartcloud:",
    "    name: { nb: SmartCloud, nn: SmartCloud, en: SmartCloud }",
    "    description: { nb: S, nn: S, en: S }",
    "    rights: [ske-krav-og-betalinger]",
    "requests:",
    "  smartcloud:",
    "    rights: [ske-krav-og-betalinger]",
    // One shard: every customer shares the resource the changed one updates.
    "    shards: 1",
    ...groupLines,
    "    customers:",
    ...lines,
    "",
  ].join("\n");
}

const statusOf: Record<string, string> = { "310000019": "Accepted", "310000027": "New", "310000035/b-35": "New" };

async function run(
  root: string,
  preview: boolean,
  last: Record<string, unknown> | undefined,
): Promise<{ outputs: Record<string, unknown>; shards: number }> {
  let shards = 0;
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const state: Record<string, unknown> = { ...args.inputs };
        if (/RequestGroup$/.test(args.type)) {
          shards++;
          // The preview of an update: the inputs, nothing of what the provider answers.
          if (!preview)
            Object.assign(state, {
              requests: Object.fromEntries(
                Object.keys(args.inputs.customers as object).map((k) => [k, { requestId: `r-${k}`, status: statusOf[k] ?? "New" }]),
              ),
              confirmUrlTemplate: "https://am.example/request?id={id}",
              changeRequestUrlTemplate: "https://am.example/changerequest?id={id}",
            });
        }
        return { id: `${args.name}-id`, state };
      },
      call: () => ({}),
    },
    "pulumi-digdir",
    "pv",
    preview,
  );
  pulumi.runtime.setAllConfig({ "digdir:environment": "test", "digdir:orgNo": "991825827" });
  const config: Record<string, string> = { environment: "test", orgNo: "991825827" };
  const outputs = runStack({
    stack: "pv",
    root,
    config: { get: (k) => config[k] },
    skipBuildCheck: true,
    warn: () => {},
    ...(last && { last: { outputs: last } }),
  });
  return { outputs: (await settle(outputs)) as Record<string, unknown>, shards };
}

/**
 * The value of a stack output as the SDK serializes it for the engine (runtime/stack.js, `massage`): promises
 * awaited, each output's value or `pulumi.unknown` when it is not known (the SDK's own `isKnown`, which tests may read).
 */
async function settle(v: unknown): Promise<unknown> {
  if (v instanceof Promise) return settle(await v);
  if (pulumi.Output.isInstance(v)) {
    const o = v as unknown as { isKnown: Promise<boolean>; promise(withUnknowns: boolean): Promise<unknown> };
    return (await o.isKnown) ? settle(await o.promise(true)) : pulumi.unknown;
  }
  if (Array.isArray(v)) return Promise.all(v.map(settle));
  if (v !== null && typeof v === "object" && !pulumi.isUnknown(v))
    return Object.fromEntries(await Promise.all(Object.entries(v).map(async ([k, x]) => [k, await settle(x)])));
  return v;
}

describe("a preview keeps the values of customers whose request does not change", () => {
  test("one customer renamed and one added in a shard: the others keep status and confirm URL", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "pulumi-digdir-pv-"));
    mkdirSync(path.join(root, "stacks"));
    writeFileSync(path.join(root, "stacks/pv.yaml"), stackFile(customers));
    const up = await run(root, false, undefined);
    expect(up.shards).toBe(1);
    const upRequests = up.outputs.requests as Record<string, Record<string, unknown>>;
    expect(upRequests["smartcloud/310000027"]).toMatchObject({ status: "New", confirmUrl: "https://am.example/request?id=r-310000027" });

    // The last run's outputs as the engine reads them back (plain JSON), then one customer renamed.
    const last = JSON.parse(JSON.stringify(up.outputs)) as Record<string, unknown>;
    writeFileSync(
      path.join(root, "stacks/pv.yaml"),
      stackFile([customers[0]!, '      - { orgNo: "310000027", name: Sør AS }', customers[2]!, '      - { orgNo: "310000043", name: Ny }']),
    );
    const pv = await run(root, true, last);
    const requests = pv.outputs.requests as Record<string, unknown>;
    // Unchanged: the last run's values, which the `up` leaves as they are.
    expect(requests["smartcloud/310000019"]).toEqual(upRequests["smartcloud/310000019"]);
    expect(requests["smartcloud/310000035/b-35"]).toEqual(upRequests["smartcloud/310000035/b-35"]);
    // Changed (renamed) and added: the `up` decides.
    expect(pulumi.isUnknown(requests["smartcloud/310000027"])).toBe(true);
    expect(pulumi.isUnknown(requests["smartcloud/310000043"])).toBe(true);
    // The summaries take the statuses the `up` decides: unknown, so that a saved plan holds (`pulumi up --plan`
    // holds the up to every value the preview knew); awaitingApproval per system.
    expect(pulumi.isUnknown(pv.outputs.requestsByStatus)).toBe(true);
    expect(pulumi.isUnknown(pv.outputs.manifest)).toBe(true);
    expect(pulumi.isUnknown((pv.outputs.awaitingApproval as Record<string, unknown>).smartcloud)).toBe(true);
  });

  test("a shard that does not change keeps every value, and the summaries too", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "pulumi-digdir-pv-"));
    mkdirSync(path.join(root, "stacks"));
    writeFileSync(path.join(root, "stacks/pv.yaml"), stackFile(customers));
    const up = await run(root, false, undefined);
    const last = JSON.parse(JSON.stringify(up.outputs)) as Record<string, unknown>;
    // The engine's answer for a shard with no change in a preview: its old outputs, as in an up.
    const pv = await run(root, false, last);
    expect(pv.outputs.requests).toEqual(up.outputs.requests);
    expect(pv.outputs.requestsByStatus).toEqual({
      Accepted: ["smartcloud/310000019"],
      New: ["smartcloud/310000027", "smartcloud/310000035/b-35"],
    });
    expect(pv.outputs.awaitingApproval).toEqual(up.outputs.awaitingApproval);
  });

  test("without a last run (a first preview), every customer of an updated shard is unknown", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "pulumi-digdir-pv-"));
    mkdirSync(path.join(root, "stacks"));
    writeFileSync(path.join(root, "stacks/pv.yaml"), stackFile(customers));
    const pv = await run(root, true, {});
    const requests = pv.outputs.requests as Record<string, unknown>;
    expect(Object.values(requests).every((r) => pulumi.isUnknown(r))).toBe(true);
    expect(pulumi.isUnknown(pv.outputs.requestsByStatus)).toBe(true);
  });
});

describe("a group with `outputs: counts` is counted in `requestCounts`, and listed nowhere else", () => {
  const counted = { customers: 3, byStatus: { Accepted: 1, New: 2 }, awaitingApproval: 2, timedOut: 0, escalated: 0, failed: 0 };

  test("`outputs: counts`: no customer of the group in requests, awaitingApproval or requestsByStatus", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "pulumi-digdir-pv-"));
    mkdirSync(path.join(root, "stacks"));
    writeFileSync(path.join(root, "stacks/pv.yaml"), stackFile(customers, ["    outputs: counts"]));
    const up = await run(root, false, undefined);
    expect(up.outputs.requests).toEqual({});
    expect(up.outputs.awaitingApproval).toEqual({});
    expect(up.outputs.requestsByStatus).toEqual({});
    expect(up.outputs.requestCounts).toEqual({ "requests.smartcloud": counted });
  });

  test("a group listed in the file is counted too, besides its entries", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "pulumi-digdir-pv-"));
    mkdirSync(path.join(root, "stacks"));
    writeFileSync(path.join(root, "stacks/pv.yaml"), stackFile(customers));
    const up = await run(root, false, undefined);
    expect(Object.keys(up.outputs.requests as object)).toHaveLength(3);
    expect(up.outputs.requestCounts).toEqual({ "requests.smartcloud": counted });
  });

  test("customers from a file are counted by default; `outputs: customers` lists them", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "pulumi-digdir-pv-"));
    mkdirSync(path.join(root, "stacks"));
    writeFileSync(path.join(root, "stacks/more.csv"), "orgNo,name,externalRef,rights,accessPackages\n310000043,Ny,,,\n");
    writeFileSync(path.join(root, "stacks/pv.yaml"), stackFile(customers, ["    customersFile: more.csv"]));
    const byDefault = await run(root, false, undefined);
    expect(byDefault.outputs.requests).toEqual({});
    expect(byDefault.outputs.requestCounts).toEqual({
      "requests.smartcloud": { ...counted, customers: 4, byStatus: { Accepted: 1, New: 3 }, awaitingApproval: 3 },
    });
    writeFileSync(path.join(root, "stacks/pv.yaml"), stackFile(customers, ["    customersFile: more.csv", "    outputs: customers"]));
    const listed = await run(root, false, undefined);
    expect(Object.keys(listed.outputs.requests as object)).toEqual([
      "smartcloud/310000019",
      "smartcloud/310000027",
      "smartcloud/310000035/b-35",
      "smartcloud/310000043",
    ]);
  });

  test("a change in a counted group leaves the listed groups' summaries known", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "pulumi-digdir-pv-"));
    mkdirSync(path.join(root, "stacks"));
    const bulk = (orgNos: string[]) => [
      "  bulk:",
      "    system: smartcloud",
      "    rights: [ske-krav-og-betalinger]",
      "    shards: 1",
      "    outputs: counts",
      "    customers:",
      ...orgNos.map((o) => `      - { orgNo: "${o}", externalRef: bulk-${o} }`),
    ];
    writeFileSync(path.join(root, "stacks/pv.yaml"), stackFile(customers) + bulk(["310000043"]).join("\n") + "\n");
    const up = await run(root, false, undefined);
    const last = JSON.parse(JSON.stringify(up.outputs)) as Record<string, unknown>;
    writeFileSync(path.join(root, "stacks/pv.yaml"), stackFile(customers) + bulk(["310000043", "310000051"]).join("\n") + "\n");
    const pv = await run(root, true, last);
    const counts = pv.outputs.requestCounts as Record<string, unknown>;
    expect(pulumi.isUnknown(counts["requests.bulk"])).toBe(true);
    expect(counts["requests.smartcloud"]).toEqual(counted);
    expect(pv.outputs.requestsByStatus).toEqual({
      Accepted: ["smartcloud/310000019"],
      New: ["smartcloud/310000027", "smartcloud/310000035/b-35"],
    });
  });

  test("in a preview that changes a customer of the group, its counts are unknown (the up decides them)", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "pulumi-digdir-pv-"));
    mkdirSync(path.join(root, "stacks"));
    writeFileSync(path.join(root, "stacks/pv.yaml"), stackFile(customers, ["    outputs: counts"]));
    const up = await run(root, false, undefined);
    const last = JSON.parse(JSON.stringify(up.outputs)) as Record<string, unknown>;
    writeFileSync(
      path.join(root, "stacks/pv.yaml"),
      stackFile([...customers, '      - { orgNo: "310000043", name: Ny }'], ["    outputs: counts"]),
    );
    const pv = await run(root, true, last);
    expect(pulumi.isUnknown((pv.outputs.requestCounts as Record<string, unknown>)["requests.smartcloud"])).toBe(true);
    expect(pv.outputs.requests).toEqual({});
  });
});
