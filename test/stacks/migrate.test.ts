import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, test } from "vitest";
import { migrateDeployment, migrateMain } from "../../stacks/migrate";
import { runStack } from "../../stacks/program";

const stackUrn = "urn:pulumi:dev::pulumi-digdir::pulumi:pulumi:Stack::pulumi-digdir-dev";
const urn = (type: string, name: string) => `urn:pulumi:dev::pulumi-digdir::pulumi-nodejs:dynamic/altinn:${type}::${name}`;

/** A state as the per-customer version left it: a system and three requests, one of them an agent request. */
const before = {
  version: 3,
  deployment: {
    manifest: { time: "2026-12-01T00:00:00Z" },
    resources: [
      { urn: stackUrn, type: "pulumi:pulumi:Stack", custom: false, outputs: { requests: { "smartcloud/310000019": { status: "New" } } } },
      {
        urn: urn("System", "smartcloud"),
        type: "pulumi-nodejs:dynamic/altinn:System",
        custom: true,
        id: "991825827_smartcloud",
        parent: stackUrn,
      },
      {
        urn: urn("SystemUserRequest", "smartcloud/310000019"),
        type: "pulumi-nodejs:dynamic/altinn:SystemUserRequest",
        custom: true,
        id: "991825827_smartcloud/310000019/310000019",
        parent: stackUrn,
        dependencies: [urn("System", "smartcloud")],
      },
      {
        urn: urn("SystemUserRequest", "smartcloud/310000027"),
        type: "pulumi-nodejs:dynamic/altinn:SystemUserRequest",
        custom: true,
        id: "991825827_smartcloud/310000027/310000027",
        parent: stackUrn,
      },
      {
        urn: urn("AgentSystemUserRequest", "regnskap/310000043"),
        type: "pulumi-nodejs:dynamic/altinn:AgentSystemUserRequest",
        custom: true,
        id: "991825827_regnskap/310000043/310000043",
        parent: stackUrn,
      },
    ],
  },
};

describe("migrating a stack to request groups", () => {
  test("drops every per-customer request from the state, keeps the rest, and marks the stack", () => {
    const { deployment, dropped } = migrateDeployment(structuredClone(before));
    expect(dropped).toEqual([
      urn("SystemUserRequest", "smartcloud/310000019"),
      urn("SystemUserRequest", "smartcloud/310000027"),
      urn("AgentSystemUserRequest", "regnskap/310000043"),
    ]);
    expect(deployment.deployment.resources!.map((r) => r.urn)).toEqual([stackUrn, urn("System", "smartcloud")]);
    expect(deployment.deployment.resources![0]!.outputs).toMatchObject({ requestGroups: true });
    expect(deployment.deployment.manifest).toEqual(before.deployment.manifest);
  });

  test("the command: export, drop, import through the pulumi CLI; --dry-run imports nothing", () => {
    const root = mkdtempSync(path.join(tmpdir(), "migrate-"));
    writeFileSync(path.join(root, "Pulumi.yaml"), "name: pulumi-digdir\nruntime: nodejs\n");
    writeFileSync(path.join(root, "exported.json"), JSON.stringify(before));
    // A stand-in for the CLI that records its calls: `stack export` answers the state, `stack import` keeps the file.
    const fake = path.join(root, "pulumi");
    writeFileSync(
      fake,
      `#!/bin/sh\necho "$@" >> "${root}/calls"\ncase "$1 $2" in\n  "stack export") cat "${root}/exported.json" ;;\n  "stack import") cp "$4" "${root}/imported.json" ;;\nesac\n`,
    );
    chmodSync(fake, 0o755);
    const out: string[] = [];
    expect(migrateMain(["--stack", "dev", "--dry-run"], (l) => out.push(l), fake, root)).toBe(0);
    expect(out[0]).toBe("3 per-customer request resources would be dropped from the state of dev (nothing is deleted at Altinn):");
    expect(readFileSync(path.join(root, "calls"), "utf8").trim().split("\n")).toEqual(["stack export --stack dev"]);
    expect(migrateMain(["--stack", "dev"], (l) => out.push(l), fake, root)).toBe(0);
    const imported = JSON.parse(readFileSync(path.join(root, "imported.json"), "utf8")) as typeof before;
    expect(imported.deployment.resources.map((r) => r.type)).toEqual(["pulumi:pulumi:Stack", "pulumi-nodejs:dynamic/altinn:System"]);
    expect(migrateMain(["--colour"], (l) => out.push(l), fake, root)).toBe(2);
  });

  test("the program refuses to run on an unmigrated stack, which would delete every request; a migrated one runs", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "migrate-program-"));
    mkdirSync(path.join(root, "stacks"));
    writeFileSync(path.join(root, "stacks", "dev.yaml"), ['organisation: { orgNo: "991825827" }'].join("\n"));
    const run = (outputs: Record<string, unknown>) => () =>
      runStack({ stack: "dev", root, config: { get: () => undefined }, skipBuildCheck: true, warn: () => {}, last: { outputs } });
    await pulumi.runtime.setMocks(
      { newResource: (a) => ({ id: a.name, state: a.inputs }), call: () => ({}) },
      "pulumi-digdir",
      "dev",
      false,
    );
    expect(run({ requests: { "smartcloud/310000019": { status: "New" } }, manifest: {} })).toThrow(
      /npm run migrate-requests -- --stack dev/,
    );
    expect(run({ requests: { "smartcloud/310000019": { status: "New" } }, requestGroups: true })).not.toThrow();
    expect(run({})).not.toThrow();
  });
});
