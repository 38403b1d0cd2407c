import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import type { EnvironmentName } from "../../providers/core/environments";
import { orgNoCheckDigit } from "../../providers/core/orgno";
import { main, validateCommand } from "../../stacks/cli";
import { ConfigError, stackConfigFor } from "../../stacks/config";
import { formatProblem, StackSource } from "../../stacks/source";
import { nearest } from "../../providers/core/suggest";
import { validateStack, validateStackFile } from "../../stacks/validate";

const root = path.resolve(__dirname, "../..");
const fixtures = path.join(__dirname, "fixtures");
/** 2026-01-01: key expiry rules are judged against a fixed time. */
const now = 1767225600;

/**
 * The catalogue of broken stack files: each fixture ends with the exact problems expected (`# expect:` lines),
 * and may say which environment it is validated for (`# environment: prod`) and what the stack's config sets
 * (`# digdir:orgNo: ...`).
 */
describe("the catalogue of broken stack files", () => {
  // keys.yaml names a private key file that must be refused; it is made here, never committed (.gitignore).
  beforeAll(() => {
    const pem = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    writeFileSync(path.join(fixtures, "keys", "private.pem"), pem);
    // key-files.yaml names a named pipe, which must be refused without opening it (opening one waits for a writer).
    rmSync(path.join(fixtures, "keys", "pipe.jwk.json"), { force: true });
    execFileSync("mkfifo", [path.join(fixtures, "keys", "pipe.jwk.json")]);
  });

  const files = readdirSync(fixtures)
    .filter((f) => f.endsWith(".yaml"))
    .sort();

  test("has a fixture for every kind of mistake the issue names", () => {
    for (const name of [
      "wrong-types",
      "unknown-keys",
      "duplicate-names",
      "dangling-references",
      "orgno",
      "seed-002",
      "api-scopes",
      "scope-references",
      "generated-keys",
      "yaml-aliases",
      "yaml-alias-bomb",
      "yaml-alias-loop",
      "key-files",
      "invalid-utf8",
      "control-characters",
    ])
      expect(files).toContain(`${name}.yaml`);
  });

  test.each(files)("%s is refused with exactly its expected problems", (file) => {
    const text = readFileSync(path.join(fixtures, file), "utf8");
    const expected = [...text.matchAll(/^# expect: (.*)$/gm)].map((m) => m[1]);
    expect(expected.length).toBeGreaterThan(0);
    const environment = (/^# environment: (\w+)$/m.exec(text)?.[1] ?? "test") as EnvironmentName;
    const orgNo = /^# digdir:orgNo: (\d+)$/m.exec(text)?.[1];
    const { problems } = validateStackFile(path.join(fixtures, file), {
      environment,
      displayName: file,
      now,
      ...(orgNo && { configuredOrgNo: { value: orgNo, source: "Pulumi.organisation.yaml" } }),
    });
    expect(problems.map(formatProblem)).toEqual(expected);
  });
});

describe("the example stacks", () => {
  test.each(["dev", "prod", "local", "examples/quickstart"])("stacks/%s.yaml is valid for its stack's environment", (stack) => {
    const file = path.join(root, "stacks", `${stack}.yaml`);
    const config = stackConfigFor(file);
    const { problems } = validateStackFile(file, {
      environment: config.environment,
      ...(config.orgNo && { configuredOrgNo: { value: config.orgNo, source: "config" } }),
    });
    expect(problems.map(formatProblem)).toEqual([]);
  });

  test("each stack's environment comes from its Pulumi.<stack>.yaml", () => {
    expect(stackConfigFor(path.join(root, "stacks/dev.yaml"), {}, {})).toMatchObject({
      stack: "dev",
      environment: "test",
      orgNo: "991825827",
    });
    expect(stackConfigFor(path.join(root, "stacks/prod.yaml"), {}, {})).toMatchObject({
      stack: "prod",
      environment: "prod",
      environmentSource: "Pulumi.prod.yaml (digdir:environment)",
    });
    expect(stackConfigFor(path.join(root, "stacks/local.yaml"), {}, {})).toMatchObject({
      environment: "local",
      simulatorUrl: "http://127.0.0.1:8089",
    });
    expect(stackConfigFor(path.join(root, "stacks/examples/quickstart.yaml"), {}, {})).toMatchObject({
      environment: "test",
      environmentSource: "the default (no Pulumi.quickstart.yaml)",
    });
    expect(stackConfigFor(path.join(root, "stacks/dev.yaml"), { environment: "prod" }, {})).toMatchObject({
      environment: "prod",
      environmentSource: "--environment",
    });
  });

  test("an unreadable DIGDIR_*_FILE is a configuration error naming the variable: the CLI says it and exits 2, no stack trace", () => {
    const missing = path.join(tmpdir(), "pulumi-digdir-no-such-environment-file");
    expect(() => stackConfigFor(path.join(root, "stacks/examples/quickstart.yaml"), {}, { DIGDIR_ENVIRONMENT_FILE: missing })).toThrow(
      ConfigError,
    );
    const saved = process.env.DIGDIR_ENVIRONMENT_FILE;
    const written: string[] = [];
    const write = process.stderr.write;
    process.env.DIGDIR_ENVIRONMENT_FILE = missing;
    process.stderr.write = ((chunk: string) => written.push(String(chunk)) > 0) as typeof process.stderr.write;
    try {
      expect(main(["validate", path.join(root, "stacks/examples/quickstart.yaml")])).toBe(2);
    } finally {
      process.stderr.write = write;
      if (saved === undefined) delete process.env.DIGDIR_ENVIRONMENT_FILE;
      else process.env.DIGDIR_ENVIRONMENT_FILE = saved;
    }
    expect(written.join("")).toContain(`DIGDIR_ENVIRONMENT_FILE`);
    expect(written.join("")).toContain(missing);
    expect(written.join("")).not.toMatch(/\n\s+at /);
  });

  test("the dev stack, validated for production, is refused for its localhost redirect URI", () => {
    const { problems } = validateStackFile(path.join(root, "stacks/dev.yaml"), { environment: "prod", displayName: "stacks/dev.yaml" });
    expect(problems.map(formatProblem)).toEqual([
      'stacks/dev.yaml:47:9 clients.smartcloud-web.redirectUris[1]: production needs https://: "http://localhost:3000/callback"',
    ]);
  });
});

describe("a broken copy of the dev stack", () => {
  const dev = readFileSync(path.join(root, "stacks/dev.yaml"), "utf8");
  const broken = dev
    .replace("    clients: [smartcloud]\n", "    clients: [smartclod]\n")
    .replace('{ orgNo: "310000019", name: Testbedrift Nord }', '{ orgNo: "310000018", name: Testbedrift Nord }')
    .replace("    isVisible: false", "    isVisible: no")
    .replace('{ orgNo: "974761076", name: Testpartner AS }', '{ orgNo: "974761077", name: Testpartner AS }')
    .replace("rotateAfterDays: 90, overlapDays: 7,", "rotateAfterDays: 90, overlapDays: 90,");

  test("fails with a file:line:col message for each mistake", () => {
    const { problems } = validateStack(new StackSource("stacks/dev.yaml", broken), path.join(root, "stacks"), { environment: "test" });
    expect(problems.map(formatProblem)).toEqual([
      "stacks/dev.yaml:33:63 clients.smartcloud-regnskap.keys.overlapDays: must be shorter than rotateAfterDays (90): the previous key must be gone before the next rotation",
      'stacks/dev.yaml:60:18 apiScopes.regnskap.consumers[1].orgNo: the consumer\'s organisation number: "974761077" is not a valid organisation number: the check digit (mod 11) should be 6 (974761076); check for a typing error',
      "stacks/dev.yaml:77:15 systems.smartcloud.clients[0]: no client `smartclod` under `clients`: did you mean `smartcloud`?",
      // YAML 1.2 reads `no` as text; the System check then also says which value it needs.
      "stacks/dev.yaml:94:16 systems.smartcloud-regnskap.isVisible: must be true or false",
      "stacks/dev.yaml:94:16 systems.smartcloud-regnskap.isVisible: must be false: accessPackages[0] (urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet) is a client package, not assignable, and Altinn refuses a visible system with one (AUTH.VLD-00018). Systems for agent system users are invisible: set isVisible: false",
      'stacks/dev.yaml:102:18 requests.smartcloud.customers[0].orgNo: the customer\'s organisation number: "310000018" is not a valid organisation number: the check digit (mod 11) should be 9 (310000019); check for a typing error',
    ]);
  });
});

describe("npm run validate", () => {
  const run = (args: string[]) => {
    const lines: string[] = [];
    const cwd = process.cwd();
    process.chdir(root);
    try {
      return { code: validateCommand(args, (l) => lines.push(l)), lines };
    } finally {
      process.chdir(cwd);
    }
  };

  test("passes the dev stack and says what it checked", () => {
    expect(run(["stacks/dev.yaml"])).toEqual({
      code: 0,
      lines: [
        "stacks/dev.yaml: valid for environment test (from Pulumi.dev.yaml (digdir:environment)): 4 clients, 2 systems, 4 requests, 1 API scope (2 consumers)",
      ],
    });
  });

  test("without arguments checks every stack file", () => {
    const { code, lines } = run([]);
    expect(code).toBe(0);
    expect(lines.map((l) => l.split(":")[0])).toEqual(["stacks/dev.yaml", "stacks/local.yaml", "stacks/prod.yaml"]);
  });

  test("exits non-zero on a broken file, printing each problem", () => {
    const { code, lines } = run(["test/stacks/fixtures/orgno.yaml"]);
    expect(code).toBe(1);
    expect(lines[0]).toBe(
      'test/stacks/fixtures/orgno.yaml:3:10 organisation.orgNo: "991825828" is not a valid organisation number: the check digit (mod 11) should be 7 (991825827); check for a typing error',
    );
    expect(lines.at(-1)).toBe("test/stacks/fixtures/orgno.yaml: 5 problems (environment test, from the default (no Pulumi.orgno.yaml))");
  });

  test("takes the environment from a flag, for a file without a stack config", () => {
    expect(run(["stacks/examples/quickstart.yaml", "--environment", "prod"])).toEqual({
      code: 0,
      lines: ["stacks/examples/quickstart.yaml: valid for environment prod (from --environment): 1 client, 1 system, 2 requests"],
    });
  });

  test("a usage mistake exits 2", () => {
    expect(main(["validate", "--env", "prod"])).toBe(2);
    expect(main(["check"])).toBe(2);
  });
});

describe("a vendor with hundreds of customers", () => {
  const orgNos = Array.from({ length: 600 }, (_, i) => `3${String(i).padStart(7, "0")}`)
    .map((first8) => (orgNoCheckDigit(first8) === undefined ? undefined : `${first8}${orgNoCheckDigit(first8)}`))
    .filter((o): o is string => !!o)
    .slice(0, 500);
  const stack = (groupRedirect: string) =>
    [
      'organisation: { orgNo: "991825827" }',
      "systems:",
      "  smartcloud:",
      "    name: { nb: Sky, nn: Sky, en: Cloud }",
      "    description: { nb: Sky, nn: Sky, en: Cloud }",
      "    rights: [ske-krav-og-betalinger, ske-innrapportering-boligselskap]",
      "    allowedRedirectUrls: [https://smartcloud.example/receipt]",
      "requests:",
      "  smartcloud:",
      "    rights: [ske-krav-og-betalinger]",
      `    redirectUrl: ${groupRedirect}`,
      "    customers:",
      ...orgNos.map((o, i) => (i % 50 === 0 ? `      - { orgNo: "${o}", rights: [ske-innrapportering-boligselskap] }` : `      - "${o}"`)),
    ].join("\n");

  test("declares one request per customer, each overridable", () => {
    const { problems, plan } = validateStack(new StackSource("vendor.yaml", stack("https://smartcloud.example/receipt")), root, {
      environment: "test",
    });
    expect(problems).toEqual([]);
    expect(plan.requests).toHaveLength(500);
    expect(plan.requests[0]).toMatchObject({
      name: `smartcloud/${orgNos[0]}`,
      args: { rights: [{ resource: [{ value: "ske-innrapportering-boligselskap" }] }] },
    });
    expect(plan.requests[1]).toMatchObject({
      name: `smartcloud/${orgNos[1]}`,
      args: { rights: [{ resource: [{ value: "ske-krav-og-betalinger" }] }] },
    });
  });

  test("a mistake in a value the customers share is reported once, at the group", () => {
    const { problems } = validateStack(new StackSource("vendor.yaml", stack("https://smartcloud.example/other")), root, {
      environment: "test",
    });
    expect(problems.map(formatProblem)).toEqual([
      "vendor.yaml:11:18 requests.smartcloud.redirectUrl: https://smartcloud.example/other is not one of the system's allowedRedirectUrls (https://smartcloud.example/receipt); scheme, host and path must match, the query is ignored (Altinn: AUTH-00021)",
    ]);
  });
});

describe("shared settings", () => {
  test("request groups can share settings with a YAML anchor and merge key, each overriding what differs", () => {
    const text = [
      'organisation: { orgNo: "991825827" }',
      "systems:",
      "  smartcloud:",
      "    name: { nb: Sky, nn: Sky, en: Cloud }",
      "    description: { nb: Sky, nn: Sky, en: Cloud }",
      "    rights: [ske-krav-og-betalinger, ske-innrapportering-boligselskap]",
      "requests:",
      "  basic: &basic",
      "    system: smartcloud",
      "    rights: [ske-krav-og-betalinger]",
      '    customers: ["310000019"]',
      "  premium:",
      "    <<: *basic",
      "    rights: [ske-krav-og-betalinger, ske-innrapportering-boligselskap]",
      '    customers: ["310000027"]',
    ].join("\n");
    const { problems, plan } = validateStack(new StackSource("shared.yaml", text), root, { environment: "test" });
    expect(problems).toEqual([]);
    expect(plan.requests.map((r) => [r.name, r.group, (r.args.rights as unknown[]).length])).toEqual([
      ["smartcloud/310000019", "basic", 1],
      ["smartcloud/310000027", "premium", 2],
    ]);
  });
});

describe("the nearest valid name", () => {
  test.each([
    ["redirectUri", "redirectUris"],
    ["allowedredirecturls", "allowedRedirectUrls"],
    ["externalReference", "externalRef"],
    ["id", "systemId"],
    ["scope", "scopes"],
    ["cleintIds", "clientIds"],
  ])("%s → %s", (word, expected) => {
    expect(nearest(word, ["redirectUris", "allowedRedirectUrls", "externalRef", "systemId", "scopes", "clientIds"])).toBe(expected);
  });

  test("nothing near is suggested as nothing", () => {
    expect(nearest("vendor", ["redirectUris", "systemId", "scopes"])).toBeUndefined();
  });
});

describe("agent and standard requests share Altinn's key", () => {
  const text = (agentRef: string) =>
    [
      'organisation: { orgNo: "991825827" }',
      "systems:",
      "  smartcloud:",
      "    name: { nb: Sky, nn: Sky, en: Cloud }",
      "    description: { nb: Sky, nn: Sky, en: Cloud }",
      "    rights: [ske-krav-og-betalinger]",
      "    accessPackages: [{ urn: urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet, isAssignable: false }]",
      "    isVisible: false",
      "requests:",
      "  smartcloud:",
      "    rights: [ske-krav-og-betalinger]",
      '    customers: ["310000019"]',
      "agentRequests:",
      "  smartcloud:",
      "    accessPackages: [urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet]",
      `    customers: [{ orgNo: "310000019"${agentRef} }]`,
    ].join("\n");

  test("the same customer and externalRef under requests and agentRequests of one system fails, naming both lines", () => {
    const { problems } = validateStack(new StackSource("both.yaml", text("")), root, { environment: "test" });
    expect(problems.map(formatProblem)).toEqual([
      expect.stringMatching(
        /^both\.yaml:16:\d+ .*customer 310000019 \(externalRef 310000019\) of system `smartcloud` is requested both under `requests` and `agentRequests` \(also at line 12\).*own externalRef$/,
      ),
    ]);
  });

  test("with its own externalRef the agent request is fine", () => {
    const { problems, plan } = validateStack(new StackSource("both.yaml", text(', externalRef: "byra"')), root, { environment: "test" });
    expect(problems).toEqual([]);
    expect(plan.requests.map((r) => r.kind)).toEqual(["SystemUserRequest", "AgentSystemUserRequest"]);
  });
});
