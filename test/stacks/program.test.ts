import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, test } from "vitest";
import { AgentSystemUserRequest, System, SystemUserRequest, SystemUserRequestGroup } from "../../providers";
import { defineStack, runStack, type StackOutputs } from "../../stacks/program";
import { manifestFrom } from "../../stacks/manifest";
import type { EnvironmentName } from "../../providers/core/environments";
import { formatProblem, StackSource } from "../../stacks/source";
import { planShards } from "../../stacks/groups";
import { validateStack, validateStackFile, type StackPlan } from "../../stacks/validate";

/**
 * The program under the SDK's mocks, for each example stack: which resources it registers, under which names,
 * what each depends on, which are protected, and the outputs. The mocks stand in for the engine; the
 * providers' own behaviour is tested elsewhere (unit, contract and engine tests).
 */

const root = path.resolve(__dirname, "../..");

interface Registration {
  type: string;
  name: string;
  protect: boolean;
  /** `Type::name` of each resource this one depends on. */
  dependsOn: string[];
  inputs: Record<string, unknown>;
}

/** Statuses the mocked Altinn answers with: one customer has accepted, one rejected, the rest wait. */
const mockStatus: Record<string, string> = { "310000019": "Accepted", "310000027": "New", "310000035": "New", "310000043": "New" };

interface Run {
  registrations: Registration[];
  /** The outputs' values, once known. */
  outputs: Record<string, unknown>;
  /** The outputs as the program returned them (to ask an output whether it is secret). */
  raw: StackOutputs;
}

const short = (urn: string) => {
  const [, , type, name] = urn.split("::");
  return `${type!.split(":").pop()}::${name}`;
};

/** How many resources a plan declares: what the program must register. */
function resourceCount(plan: StackPlan): number {
  const consumers = plan.apiScopes.reduce((n, s) => n + s.consumers.length, 0);
  return (
    plan.clients.length +
    plan.clients.filter((c) => c.keySet).length +
    plan.apiScopes.length +
    consumers +
    plan.systems.length +
    planShards(plan).length
  );
}

/**
 * Runs a stack's program under mocks and waits for every output and every registration (a key set registers
 * only once its client's id is known, which may be after the stack's outputs are).
 */
async function runUnderMocks(stack: string, config: Record<string, string>, program: () => StackOutputs, expected: number): Promise<Run> {
  const registrations: Registration[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const state: Record<string, unknown> = { ...args.inputs };
        if (/Client$/.test(args.type)) state.clientId = `${args.name}-id`;
        if (/:ApiScope$/.test(args.type)) Object.assign(state, { name: `${args.inputs.prefix}:${args.inputs.subscope}`, active: true });
        if (/:ScopeAccess$/.test(args.type)) state.state = "APPROVED";
        if (/:IdportenClient$/.test(args.type) && /^client_secret_/.test(String(args.inputs.tokenEndpointAuthMethod)))
          state.clientSecret = `secret-of-${args.name}`;
        if (/:ClientKeys$/.test(args.type)) {
          // What the provider answers: a generated key (its private JWK, the mock's "d", a secret output) after the declared ones.
          const declared = ((args.inputs.keys ?? []) as { kid: string }[]).map((k) => k.kid);
          const generated = args.inputs.generate === true ? `${args.name}-generated-1` : undefined;
          const kids = [...declared, ...(generated ? [generated] : [])];
          Object.assign(state, {
            kids,
            currentKid: generated ?? declared.at(-1),
            expiresAt: Object.fromEntries(kids.map((k) => [k, "2027-01-01T00:00:00.000Z"])),
            nextStepAt: "2026-12-02T00:00:00.000Z",
            ...(generated && {
              currentPrivateJwk: JSON.stringify({ kty: "RSA", kid: generated, n: "n", e: "AQAB", d: `private-d-of-${args.name}` }),
            }),
          });
        }
        if (/RequestGroup$/.test(args.type)) {
          // What the provider answers: per customer its request's id and status; confirm pages from the templates.
          const requests: Record<string, Record<string, unknown>> = {};
          for (const key of Object.keys(args.inputs.customers as object)) {
            const orgNo = key.split("/")[0]!;
            requests[key] = { requestId: `${args.name}:${key}`, status: mockStatus[orgNo] ?? "New", created: "2026-12-01T00:00:00Z" };
            // One accepted customer is asked to approve changed rights.
            if (key === "310000019" && /:SystemUserRequestGroup$/.test(args.type))
              Object.assign(requests[key]!, { systemUserId: "su-1", changeRequestId: "c1", changeRequestStatus: "New" });
          }
          Object.assign(state, {
            requests,
            confirmUrlTemplate: `https://am.ui.tt02.altinn.no/accessmanagement/ui/systemuser/${/Agent/.test(args.type) ? "agentrequest" : "request"}?id={id}&DONTCHOOSEREPORTEE=true`,
            ...(/Agent/.test(args.type)
              ? {}
              : {
                  changeRequestUrlTemplate:
                    "https://am.ui.tt02.altinn.no/accessmanagement/ui/systemuser/changerequest?id={id}&DONTCHOOSEREPORTEE=true",
                }),
          });
        }
        // As the providers answer: a client's id is its client id, a scope's its name.
        return { id: /:ApiScope$/.test(args.type) ? (state.name as string) : `${args.name}-id`, state };
      },
      call: () => ({}),
    },
    "pulumi-digdir",
    stack,
    false,
  );
  pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [k, v])));
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: (req: RegisterRequest, cb: unknown) => unknown };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    registrations.push({
      type: req.getType(),
      name: req.getName(),
      protect: req.getProtect(),
      dependsOn: req.getDependenciesList().map(short),
      inputs: req.getObject().toJavaScript(),
    });
    return original(req, cb);
  };
  const outputs = program();
  const settled = await new Promise<Record<string, unknown>>((resolve) =>
    pulumi.output(outputs as unknown as Record<string, unknown>).apply((v) => resolve(v as Record<string, unknown>)),
  );
  for (let i = 0; registrations.length < expected && i < 200; i++) await new Promise((r) => setTimeout(r, 5));
  expect(registrations).toHaveLength(expected);
  return { registrations, outputs: settled, raw: outputs };
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getProtect(): boolean;
  getDependenciesList(): string[];
  getObject(): { toJavaScript(): Record<string, unknown> };
}

const kind = (r: Registration) => `${r.type.split(":").pop()}::${r.name}`;

/** The stack's own program, and how many resources its file declares. */
function stackRun(stack: string, config: Record<string, string>): Promise<Run> {
  const { plan } = validateStackFile(path.join(root, "stacks", `${stack}.yaml`), {
    environment: config["digdir:environment"] as EnvironmentName,
  });
  const program = () => runStack({ stack, root, config: { get: (k) => config[`digdir:${k}`] }, warn: () => {} });
  return runUnderMocks(stack, config, program, resourceCount(plan));
}

describe("the dev stack under mocks", () => {
  let run: Run;
  beforeAll(async () => {
    run = await stackRun("dev", { "digdir:environment": "test", "digdir:orgNo": "991825827" });
  });

  test("registers one resource per declared object, named as in the file", () => {
    expect(run.registrations.map(kind).sort()).toEqual(
      [
        "MaskinportenClient::smartcloud",
        "ClientKeys::smartcloud",
        "MaskinportenClient::smartcloud-regnskap",
        "ClientKeys::smartcloud-regnskap",
        "KrrClient::smartcloud-krr",
        "IdportenClient::smartcloud-web",
        "ApiScope::regnskap",
        "ScopeAccess::regnskap/991825827",
        "ScopeAccess::regnskap/974761076",
        "System::smartcloud",
        "System::smartcloud-regnskap",
        // Requests in groups: each customer in the shard its orgNo and externalRef hash to (stacks/groups.ts).
        "SystemUserRequestGroup::smartcloud/01",
        "SystemUserRequestGroup::smartcloud/04",
        "SystemUserRequestGroup::smartcloud/10",
        "AgentSystemUserRequestGroup::smartcloud-regnskap/03",
      ].sort(),
    );
  });

  test("a key set depends on its client, a system on its clients, a request on its system", () => {
    const deps = (k: string) => run.registrations.find((r) => kind(r) === k)!.dependsOn;
    expect(deps("ClientKeys::smartcloud")).toEqual(["MaskinportenClient::smartcloud"]);
    expect(deps("ClientKeys::smartcloud-regnskap")).toEqual(["MaskinportenClient::smartcloud-regnskap"]);
    expect(deps("System::smartcloud")).toEqual(["MaskinportenClient::smartcloud"]);
    expect(deps("System::smartcloud-regnskap")).toEqual(["MaskinportenClient::smartcloud-regnskap"]);
    expect(deps("SystemUserRequestGroup::smartcloud/10")).toEqual(["System::smartcloud"]);
    expect(deps("AgentSystemUserRequestGroup::smartcloud-regnskap/03")).toEqual(["System::smartcloud-regnskap"]);
    expect(deps("MaskinportenClient::smartcloud")).toEqual([]);
  });

  test("a grant depends on its scope; a client that lists the scope on the scope and the organisation's own grant", () => {
    const deps = (k: string) => [...run.registrations.find((r) => kind(r) === k)!.dependsOn].sort();
    expect(deps("ApiScope::regnskap")).toEqual([]);
    expect(deps("ScopeAccess::regnskap/991825827")).toEqual(["ApiScope::regnskap"]);
    expect(deps("ScopeAccess::regnskap/974761076")).toEqual(["ApiScope::regnskap"]);
    // Digdir registers a scope on a client only once the client's organisation is granted it.
    expect(deps("MaskinportenClient::smartcloud-regnskap")).toEqual(["ApiScope::regnskap", "ScopeAccess::regnskap/991825827"]);
    expect(deps("MaskinportenClient::smartcloud")).toEqual([]);
  });

  test("a scope is registered with its declared fields, a grant with the scope's name and the consumer", () => {
    const inputs = (k: string) => run.registrations.find((r) => kind(r) === k)!.inputs;
    expect(inputs("ApiScope::regnskap")).toMatchObject({
      prefix: "smartcloud",
      subscope: "regnskap.read",
      description: "Les regnskapsdata i SmartCloud",
      visibility: "PRIVATE",
    });
    expect(inputs("ApiScope::regnskap")).not.toHaveProperty("consumers");
    expect(inputs("ScopeAccess::regnskap/974761076")).toMatchObject({ scope: "smartcloud:regnskap.read", consumerOrgNo: "974761076" });
    expect(inputs("MaskinportenClient::smartcloud-regnskap").scopes).toEqual([
      "altinn:authentication/systemuser.request.read",
      "smartcloud:regnskap.read",
    ]);
  });

  test("generated keys: the settings are the key set's inputs, and no public key is declared", () => {
    const inputs = run.registrations.find((r) => kind(r) === "ClientKeys::smartcloud-regnskap")!.inputs;
    expect(inputs).toMatchObject({
      clientId: "smartcloud-regnskap-id",
      keys: [],
      generate: true,
      rotateAfterDays: 90,
      overlapDays: 7,
      verifyToken: true,
    });
  });

  test("each key set's current kid, kids and expiry are outputs; a generated private key is a separate, secret output", async () => {
    expect(run.outputs.clientKeys).toEqual({
      smartcloud: {
        currentKid: "smartcloud-dev-2025-11",
        kids: ["smartcloud-dev-2025-11"],
        expiresAt: { "smartcloud-dev-2025-11": "2027-01-01T00:00:00.000Z" },
        nextStepAt: "2026-12-02T00:00:00.000Z",
      },
      "smartcloud-regnskap": {
        currentKid: "smartcloud-regnskap-generated-1",
        kids: ["smartcloud-regnskap-generated-1"],
        expiresAt: { "smartcloud-regnskap-generated-1": "2027-01-01T00:00:00.000Z" },
        nextStepAt: "2026-12-02T00:00:00.000Z",
      },
    });
    // Only clients with generate: true have a private key in the stack; a declared key's stays in its owner's vault.
    // Named after ClientKeys' output (currentPrivateJwk), and under the earlier name `privateKeys` too.
    expect(Object.keys(run.raw.currentPrivateJwks)).toEqual(["smartcloud-regnskap"]);
    expect(await pulumi.isSecret(run.raw.currentPrivateJwks["smartcloud-regnskap"]!)).toBe(true);
    expect(JSON.parse((run.outputs.currentPrivateJwks as Record<string, string>)["smartcloud-regnskap"]!)).toMatchObject({
      kid: "smartcloud-regnskap-generated-1",
      d: "private-d-of-smartcloud-regnskap",
    });
    expect(run.outputs.privateKeys).toEqual(run.outputs.currentPrivateJwks);
    expect(await pulumi.isSecret(run.raw.privateKeys["smartcloud-regnskap"]!)).toBe(true);
    // Nothing private in any other output.
    const { privateKeys: _, currentPrivateJwks: __, ...others } = run.outputs;
    expect(JSON.stringify(others)).not.toContain("private-d-of");
    for (const [name, output] of Object.entries(run.raw.clientKeys)) expect(await pulumi.isSecret(output.currentKid), name).toBe(false);
  });

  test("each scope's name and its consumers' grants are outputs", () => {
    expect(run.outputs.apiScopes).toEqual({
      regnskap: { scope: "smartcloud:regnskap.read", consumers: { "991825827": "APPROVED", "974761076": "APPROVED" } },
    });
  });

  test("nothing is protected in a test environment", () => {
    expect(run.registrations.filter((r) => r.protect).map(kind)).toEqual([]);
  });

  test("a system is registered with its client's id and its id from the organisation and its name", () => {
    const system = run.registrations.find((r) => kind(r) === "System::smartcloud")!.inputs;
    expect(system.systemId).toBe("991825827_smartcloud");
    expect(system.clientIds).toEqual(["smartcloud-id"]);
    expect(system.rights).toEqual([
      { resource: [{ id: "urn:altinn:resource", value: "ske-krav-og-betalinger" }] },
      { resource: [{ id: "urn:altinn:resource", value: "ske-innrapportering-boligselskap" }] },
    ]);
    expect(system.accessPackages).toEqual([{ urn: "urn:altinn:accesspackage:skattegrunnlag" }]);
  });

  test("a group's shard holds the group's fields and each customer's own; a customer's own rights replace the group's", () => {
    const inputs = (n: string) => run.registrations.find((r) => r.name === n)!.inputs;
    const groupRight = { resource: [{ id: "urn:altinn:resource", value: "ske-krav-og-betalinger" }] };
    expect(inputs("smartcloud/10")).toMatchObject({
      systemId: "991825827_smartcloud",
      rights: [groupRight],
      redirectUrl: "https://app.test.smartcloud.example/systemuser/receipt",
    });
    expect(inputs("smartcloud/10").customers).toEqual({ "310000019": { name: "Testbedrift Nord" } });
    expect(inputs("smartcloud/01").customers).toEqual({
      "310000027": {
        name: "Testbedrift Sør",
        rights: [groupRight, { resource: [{ id: "urn:altinn:resource", value: "ske-innrapportering-boligselskap" }] }],
      },
    });
    expect(inputs("smartcloud/04").customers).toEqual({
      "310000035/borettslag-35": {
        name: "Testborettslag",
        rights: [],
        accessPackages: [{ urn: "urn:altinn:accesspackage:skattegrunnlag" }],
      },
    });
    // What the System declares, for the provider's offline checks.
    expect(inputs("smartcloud/10").systemOffer).toMatchObject({
      rights: expect.any(Array),
      accessPackages: [{ urn: "urn:altinn:accesspackage:skattegrunnlag" }],
    });
  });

  test("client ids are outputs per client", () => {
    expect(run.outputs.clientIds).toEqual({
      smartcloud: "smartcloud-id",
      "smartcloud-regnskap": "smartcloud-regnskap-id",
      "smartcloud-krr": "smartcloud-krr-id",
      "smartcloud-web": "smartcloud-web-id",
    });
    expect(run.outputs.systemIds).toEqual({ smartcloud: "991825827_smartcloud", "smartcloud-regnskap": "991825827_smartcloud-regnskap" });
  });

  test("the customers who have not approved yet are listed per system, with the link to send each", () => {
    expect(run.outputs.awaitingApproval).toEqual({
      smartcloud: [
        {
          customer: "310000019",
          name: "Testbedrift Nord",
          externalRef: "310000019",
          changeRequest: true,
          confirmUrl: "https://am.ui.tt02.altinn.no/accessmanagement/ui/systemuser/changerequest?id=c1&DONTCHOOSEREPORTEE=true",
        },
        {
          customer: "310000027",
          name: "Testbedrift Sør",
          externalRef: "310000027",
          confirmUrl: expect.stringContaining("id=smartcloud%2F01%3A310000027&"),
        },
        {
          customer: "310000035",
          name: "Testborettslag",
          externalRef: "borettslag-35",
          confirmUrl: expect.stringContaining("/systemuser/request?"),
        },
      ],
      "smartcloud-regnskap": [
        {
          customer: "310000043",
          name: "Testregnskap AS",
          externalRef: "310000043",
          agent: true,
          confirmUrl: expect.stringContaining("/systemuser/agentrequest?id="),
        },
      ],
    });
    expect(run.outputs.requestsByStatus).toEqual({
      Accepted: ["smartcloud/310000019"],
      New: ["smartcloud/310000027", "smartcloud/310000035/borettslag-35", "smartcloud-regnskap/310000043"],
    });
    expect((run.outputs.requests as Record<string, unknown>)["smartcloud/310000019"]).toEqual({
      system: "smartcloud",
      customer: "310000019",
      name: "Testbedrift Nord",
      externalRef: "310000019",
      status: "Accepted",
      confirmUrl: expect.any(String),
      systemUserId: "su-1",
      changeRequestStatus: "New",
      changeRequestConfirmUrl: "https://am.ui.tt02.altinn.no/accessmanagement/ui/systemuser/changerequest?id=c1&DONTCHOOSEREPORTEE=true",
    });
  });

  test("a key file's public key is registered, never anything private", () => {
    const keys = run.registrations.find((r) => kind(r) === "ClientKeys::smartcloud")!.inputs.keys as Record<string, unknown>[];
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: "RSA", kid: "smartcloud-dev-2025-11", alg: "RS256", use: "sig" });
    expect(Object.keys(keys[0]!).sort()).toEqual(["alg", "e", "kid", "kty", "n", "use"]);
  });
});

describe("the prod stack under mocks", () => {
  let run: Run;
  beforeAll(async () => {
    const config = { "digdir:environment": "prod", "digdir:orgNo": "991825827" };
    run = await stackRun("prod", config);
  });

  test("clients, their keys, scopes with their grants, and systems are protected from deletion unless an entry says otherwise", () => {
    const protectedOnes = run.registrations
      .filter((r) => r.protect)
      .map(kind)
      .sort();
    expect(protectedOnes).toEqual(
      [
        "ClientKeys::smartcloud",
        "ClientKeys::smartcloud-regnskap",
        "IdportenClient::smartcloud-web",
        "MaskinportenClient::smartcloud",
        "MaskinportenClient::smartcloud-regnskap",
        "ApiScope::regnskap",
        "ScopeAccess::regnskap/991825827",
        "System::smartcloud",
        "System::smartcloud-regnskap",
      ].sort(),
    );
    expect(run.registrations.find((r) => kind(r) === "KrrClient::smartcloud-krr")!.protect).toBe(false);
  });

  test("with no customers yet, no request is registered and none awaits approval", () => {
    expect(run.registrations.filter((r) => /Request(Group)?$/.test(r.type))).toEqual([]);
    expect(run.outputs.awaitingApproval).toEqual({});
  });
});

describe("one vocabulary: the library's arguments take the stack file's shorthands", () => {
  test("rights as resource ids and packages as names register what the stack file registers", async () => {
    const text = [
      'organisation: { orgNo: "991825827" }',
      "systems:",
      "  smartcloud:",
      "    name: { nb: SmartCloud, nn: SmartCloud, en: SmartCloud }",
      "    description: { nb: Regnskap, nn: Rekneskap, en: Accounting }",
      "    rights: [ske-krav-og-betalinger]",
      "    accessPackages: [skattegrunnlag]",
      "requests:",
      "  smartcloud:",
      "    rights: [ske-krav-og-betalinger]",
      "    accessPackages: [urn:altinn:accesspackage:skattegrunnlag]",
      '    customers: ["310000019"]',
    ].join("\n");
    const { problems, plan } = validateStack(new StackSource("dev.yaml", text), root, { environment: "test" });
    expect(problems).toEqual([]);
    const fromFile = await runUnderMocks("file", {}, () => defineStack(plan), resourceCount(plan));
    const fromCode = await runUnderMocks(
      "code",
      {},
      () => {
        // What a team writes in its own program: type-checked against the library's argument types.
        const system = new System("smartcloud", {
          systemId: "991825827_smartcloud",
          name: { nb: "SmartCloud", nn: "SmartCloud", en: "SmartCloud" },
          description: { nb: "Regnskap", nn: "Rekneskap", en: "Accounting" },
          rights: ["ske-krav-og-betalinger"],
          accessPackages: [pulumi.output("skattegrunnlag")],
        });
        new SystemUserRequest("smartcloud/310000019", {
          system,
          partyOrgNo: "310000019",
          rights: ["ske-krav-og-betalinger"],
          accessPackages: ["urn:altinn:accesspackage:skattegrunnlag"],
        });
        new AgentSystemUserRequest("smartcloud/agent", {
          systemId: "991825827_smartcloud",
          partyOrgNo: "310000027",
          accessPackages: pulumi.output(["regnskapsforer-lonn"]),
        });
        new SystemUserRequestGroup("smartcloud/group", {
          system,
          rights: ["ske-krav-og-betalinger"],
          customers: { "310000027": {}, "310000035": { accessPackages: ["skattegrunnlag"] } },
        });
        return {} as StackOutputs;
      },
      4,
    );
    const group = fromCode.registrations.find((r) => kind(r) === "SystemUserRequestGroup::smartcloud/group")!.inputs;
    expect(group.rights).toEqual([{ resource: [{ id: "urn:altinn:resource", value: "ske-krav-og-betalinger" }] }]);
    expect(group.customers).toEqual({
      "310000027": {},
      "310000035": { accessPackages: [{ urn: "urn:altinn:accesspackage:skattegrunnlag" }] },
    });
    const fields = (run: Run, k: string) => {
      const { rights, accessPackages } = run.registrations.find((r) => kind(r) === k)!.inputs;
      return { rights, accessPackages };
    };
    const right = { resource: [{ id: "urn:altinn:resource", value: "ske-krav-og-betalinger" }] };
    const pkg = { urn: "urn:altinn:accesspackage:skattegrunnlag" };
    expect(fields(fromCode, "System::smartcloud")).toEqual({ rights: [right], accessPackages: [pkg] });
    expect(fields(fromCode, "System::smartcloud")).toEqual(fields(fromFile, "System::smartcloud"));
    expect(fields(fromCode, "SystemUserRequest::smartcloud/310000019")).toEqual({ rights: [right], accessPackages: [pkg] });
    // The stack file declares its requests as a request group: the group's rights and packages, in the same form.
    const fileGroup = fromFile.registrations.find((r) => r.type.endsWith(":SystemUserRequestGroup"))!.inputs;
    expect({ rights: fileGroup.rights, accessPackages: fileGroup.accessPackages }).toEqual(
      fields(fromCode, "SystemUserRequest::smartcloud/310000019"),
    );
    expect(fields(fromCode, "AgentSystemUserRequest::smartcloud/agent").accessPackages).toEqual([
      { urn: "urn:altinn:accesspackage:regnskapsforer-lonn" },
    ]);
  });
});

describe("the demo's simulator state (.sim-state/)", () => {
  test("is compared with the address only for the demo's stack: a second local stack on its own simulator gets no warning", async () => {
    const project = mkdtempSync(path.join(tmpdir(), "stack-"));
    mkdirSync(path.join(project, "stacks"));
    mkdirSync(path.join(project, ".sim-state"));
    writeFileSync(path.join(project, ".sim-state", "bootstrap.json"), JSON.stringify({ url: "http://127.0.0.1:8089" }));
    const file = ['organisation: { orgNo: "991825827" }', "clients:", "  krr:", "    type: krr"].join("\n");
    const warnings: Record<string, string[]> = {};
    for (const stack of ["local", "second"]) {
      writeFileSync(path.join(project, "stacks", `${stack}.yaml`), file);
      warnings[stack] = [];
      const config: Record<string, string> = { environment: "local", simulatorUrl: "http://127.0.0.1:8090" };
      await runUnderMocks(
        stack,
        {},
        () =>
          runStack({
            stack,
            root: project,
            config: { get: (k) => config[k] },
            skipBuildCheck: true,
            warn: (m) => warnings[stack]!.push(m),
          }),
        1,
      );
    }
    expect(warnings.second).toEqual([]);
    expect(warnings.local).toEqual([
      expect.stringContaining(
        "the simulator in .sim-state listened at http://127.0.0.1:8089, but digdir:simulatorUrl is http://127.0.0.1:8090",
      ),
    ]);
  });
});

describe("an ID-porten client's secret", () => {
  test("rotationTrigger is accepted from the stack file, and the secret is a secret output of its own", async () => {
    const text = [
      'organisation: { orgNo: "991825827" }',
      "clients:",
      "  web:",
      "    type: idporten",
      "    clientUri: https://app.example.no",
      "    redirectUris: [https://app.example.no/cb]",
      "    tokenEndpointAuthMethod: client_secret_basic",
      '    rotationTrigger: "2026-12"',
      "  spa:",
      "    type: idporten",
      "    applicationType: browser",
      "    clientUri: https://spa.example.no",
      "    redirectUris: [https://spa.example.no/cb]",
    ].join("\n");
    const { problems, plan } = validateStack(new StackSource("dev.yaml", text), root, { environment: "test" });
    expect(problems).toEqual([]);
    const run = await runUnderMocks("secrets", {}, () => defineStack(plan), resourceCount(plan));
    expect(run.registrations.find((r) => kind(r) === "IdportenClient::web")!.inputs).toMatchObject({
      rotationTrigger: "2026-12",
      tokenEndpointAuthMethod: "client_secret_basic",
    });
    // Only a secret-based client has one; a browser client (no secret) is not listed.
    expect(Object.keys(run.raw.clientSecrets)).toEqual(["web"]);
    expect(await pulumi.isSecret(run.raw.clientSecrets.web!)).toBe(true);
    expect(run.outputs.clientSecrets).toEqual({ web: "secret-of-web" });
    const { clientSecrets: _, ...others } = run.outputs;
    expect(JSON.stringify(others)).not.toContain("secret-of-");
  });

  test("rotationTrigger where there is no secret is refused at its line: a Maskinporten client, an ID-porten client with keys", () => {
    const text = [
      'organisation: { orgNo: "991825827" }',
      "clients:",
      "  mp:",
      "    type: maskinporten",
      "    scopes: [krr:global/kontaktinformasjon.read]",
      "    rotationTrigger: x",
      "  web:",
      "    type: idporten",
      "    clientUri: https://app.example.no",
      "    redirectUris: [https://app.example.no/cb]",
      "    rotationTrigger: x",
    ].join("\n");
    const { problems } = validateStack(new StackSource("dev.yaml", text), root, { environment: "test" });
    expect(problems.map(formatProblem)).toEqual([
      expect.stringMatching(/^dev\.yaml:6:\d+ clients\.mp\.rotationTrigger: unknown field rotationTrigger/),
      expect.stringMatching(
        /^dev\.yaml:11:\d+ clients\.web\.rotationTrigger: rotates the client secret, and a private_key_jwt client has none/,
      ),
    ]);
  });
});

describe("protecting scopes and grants in production", () => {
  const stack = (scopes: string) => ['organisation: { orgNo: "991825827" }', "apiScopes:", scopes].join("\n");

  test("a grant follows its scope unless the consumer says otherwise; `protect:` overrides the default", async () => {
    const text = stack(
      [
        "  kept:",
        "    prefix: smartcloud",
        "    subscope: kept.read",
        "    description: Protected, as every scope in production",
        '    consumers: ["974761076", { orgNo: "991825827", name: Leaving AS, protect: false }]',
        "  retired:",
        "    prefix: smartcloud",
        "    subscope: retired.read",
        "    description: Being removed on purpose",
        "    protect: false",
        '    consumers: ["974761076"]',
      ].join("\n"),
    );
    const { problems, plan } = validateStack(new StackSource("prod.yaml", text), root, { environment: "prod" });
    expect(problems).toEqual([]);
    const run = await runUnderMocks("scopes", {}, () => defineStack(plan), resourceCount(plan));
    expect(Object.fromEntries(run.registrations.map((r) => [kind(r), r.protect]))).toEqual({
      "ApiScope::kept": true,
      "ScopeAccess::kept/974761076": true,
      "ScopeAccess::kept/991825827": false,
      "ApiScope::retired": false,
      "ScopeAccess::retired/974761076": false,
    });
    expect(run.outputs.apiScopes).toEqual({
      kept: { scope: "smartcloud:kept.read", consumers: { "974761076": "APPROVED", "991825827": "APPROVED" } },
      retired: { scope: "smartcloud:retired.read", consumers: { "974761076": "APPROVED" } },
    });
  });
});

describe("the local stack under mocks", () => {
  test("runs against the simulator's organisations, with a PEM key registered under its declared kid", async () => {
    const config = { "digdir:environment": "local", "digdir:simulatorUrl": "http://127.0.0.1:8089" };
    const run = await stackRun("local", config);
    expect(run.outputs.environment).toBe("local");
    expect(
      run.registrations
        .filter((r) => /RequestGroup$/.test(r.type))
        .map(kind)
        .sort(),
    ).toEqual([
      "AgentSystemUserRequestGroup::smartcloud-regnskap/03",
      "SystemUserRequestGroup::smartcloud/01",
      "SystemUserRequestGroup::smartcloud/07",
      "SystemUserRequestGroup::smartcloud/10",
    ]);
    const keys = run.registrations.find((r) => kind(r) === "ClientKeys::smartcloud")!.inputs.keys as Record<string, unknown>[];
    expect(keys[0]).toMatchObject({ kty: "RSA", kid: "smartcloud-local-1" });
    // The simulator's seed gives 991825827 the prefix leverandor and knows both consumers.
    expect(
      run.registrations.filter((r) => /Scope/.test(r.type)).map((r) => ({ what: kind(r), inputs: r.inputs, dependsOn: r.dependsOn })),
    ).toMatchObject([
      {
        what: "ApiScope::regnskap",
        inputs: { prefix: "leverandor", subscope: "regnskap.read", description: "Les regnskapsdata i SmartCloud" },
        dependsOn: [],
      },
      {
        what: "ScopeAccess::regnskap/991825827",
        inputs: { scope: "leverandor:regnskap.read", consumerOrgNo: "991825827" },
        dependsOn: ["ApiScope::regnskap"],
      },
      {
        what: "ScopeAccess::regnskap/974761076",
        inputs: { scope: "leverandor:regnskap.read", consumerOrgNo: "974761076" },
        dependsOn: ["ApiScope::regnskap"],
      },
    ]);
    expect(run.registrations.find((r) => kind(r) === "ClientKeys::smartcloud-regnskap")!.inputs).toMatchObject({
      generate: true,
      rotateAfterDays: 90,
      overlapDays: 7,
      verifyToken: true,
    });
    expect(Object.keys(run.outputs.privateKeys as object)).toEqual(["smartcloud-regnskap"]);
    // The YAML anchor shares the system's name with the agent system.
    expect(run.registrations.find((r) => kind(r) === "System::smartcloud-regnskap")!.inputs.name).toEqual({
      nb: "SmartCloud",
      nn: "SmartCloud",
      en: "SmartCloud",
    });
  });
});

describe("the quick start under mocks", () => {
  test("declares a client, a system with that client, and the customers' requests in groups", async () => {
    const file = path.join(root, "stacks/examples/quickstart.yaml");
    const { problems, plan } = validateStackFile(file, { environment: "test" });
    expect(problems).toEqual([]);
    const run = await runUnderMocks("quickstart", {}, () => defineStack(plan), resourceCount(plan));
    expect(run.registrations.map((r) => ({ what: kind(r), dependsOn: r.dependsOn }))).toEqual([
      { what: "MaskinportenClient::smartcloud", dependsOn: [] },
      { what: "System::smartcloud", dependsOn: ["MaskinportenClient::smartcloud"] },
      { what: "SystemUserRequestGroup::smartcloud/01", dependsOn: ["System::smartcloud"] },
      { what: "SystemUserRequestGroup::smartcloud/10", dependsOn: ["System::smartcloud"] },
    ]);
    expect(run.registrations[0]!.inputs).toMatchObject({ name: "smartcloud", scopes: ["altinn:authentication/systemuser.request.read"] });
  });
});

describe("a broken stack file", () => {
  test("stops the program before any resource is registered, listing every problem at its line", async () => {
    const registered: string[] = [];
    await pulumi.runtime.setMocks(
      { newResource: (a) => (registered.push(a.name), { id: a.name, state: a.inputs }), call: () => ({}) },
      "pulumi-digdir",
      "broken",
      false,
    );
    const project = mkdtempSync(path.join(tmpdir(), "stack-"));
    mkdirSync(path.join(project, "stacks"));
    writeFileSync(
      path.join(project, "stacks", "broken.yaml"),
      [
        "organisation:",
        '  orgNo: "991825827"',
        "clients:",
        "  mp:",
        "    type: maskinporten",
        "    scope: [a:b]",
        "  krr:",
        "    type: krr",
      ].join("\n"),
    );
    let error: Error | undefined;
    try {
      runStack({ stack: "broken", root: project, config: { get: () => undefined }, skipBuildCheck: true });
    } catch (e) {
      error = e as Error;
    }
    expect(error).toBeInstanceOf(pulumi.RunError);
    expect(error!.message).toBe(
      [
        "stacks/broken.yaml has 2 problems; nothing was changed:",
        "stacks/broken.yaml:4:3 clients.mp.scopes: required: expected a list",
        "stacks/broken.yaml:6:5 clients.mp.scope: unknown key `scope`: did you mean `scopes`?",
      ].join("\n"),
    );
    expect(registered).toEqual([]);
  });

  test("a stack without a stack file is refused with what to do", () => {
    expect(() => runStack({ stack: "staging", root, config: { get: () => undefined }, skipBuildCheck: true })).toThrow(
      "the stack staging has no stack file stacks/staging.yaml: write one (see stacks/README.md, or copy stacks/examples/quickstart.yaml), or select another stack",
    );
  });
});

describe("the last run's manifest", () => {
  const project = (extra: string[] = []): string => {
    const dir = mkdtempSync(path.join(tmpdir(), "stack-"));
    mkdirSync(path.join(dir, "stacks"));
    writeFileSync(
      path.join(dir, "stacks", "prod.yaml"),
      ['organisation: { orgNo: "991825827" }', "clients:", "  mp:", "    type: maskinporten", "    scopes: [a:b]", ...extra].join("\n"),
    );
    return dir;
  };

  test("a protected system the file no longer declares stops the program before any resource is registered", async () => {
    const registered: string[] = [];
    await pulumi.runtime.setMocks(
      { newResource: (a) => (registered.push(a.name), { id: a.name, state: a.inputs }), call: () => ({}) },
      "pulumi-digdir",
      "prod",
      false,
    );
    const manifest = {
      version: 1,
      clients: { mp: { kind: "MaskinportenClient", protect: true } },
      apiScopes: {},
      systems: { smartcloud: { systemId: "991825827_smartcloud", protect: true } },
      requests: {},
    };
    expect(() =>
      runStack({
        stack: "prod",
        root: project(),
        config: { get: (k) => (k === "environment" ? "prod" : undefined) },
        skipBuildCheck: true,
        last: { outputs: { manifest } },
      }),
    ).toThrow(
      /^a protected object would be deleted or replaced; nothing was changed:\n {2}- system smartcloud \(991825827_smartcloud\) is protected, and stacks\/prod.yaml no longer declares it/,
    );
    expect(registered).toEqual([]);
  });

  test("a warning about a declared object is given once, on its resource; one about a removed object on the stack", async () => {
    await pulumi.runtime.setMocks(
      { newResource: (a) => ({ id: a.name, state: { ...a.inputs, clientId: "id" } }), call: () => ({}) },
      "pulumi-digdir",
      "prod",
      false,
    );
    const manifest = { version: 1, clients: {}, apiScopes: {}, systems: { gone: { systemId: "991825827_gone" } }, requests: {} };
    const warned: [string, string | undefined][] = [];
    const out = runStack({
      stack: "prod",
      root: project([
        "apiScopes:",
        "  s:",
        "    prefix: smartcloud",
        "    subscope: s.read",
        "    description: S",
        '    consumers: ["974761076"]',
      ]),
      config: { get: () => undefined },
      skipBuildCheck: true,
      last: { outputs: { manifest } },
      warn: (m, r) => warned.push([m, r ? (r as unknown as { __name?: string }).__name : undefined]),
    });
    expect(warned).toEqual([
      ["system gone is deleted: Altinn never releases a system id, so 991825827_gone can never be registered again", undefined],
      ["smartcloud:s.read is granted to another organisation, 974761076: its clients can get tokens for the scope", "s/974761076"],
    ]);
    const written = await new Promise((resolve) => out.manifest.apply(resolve));
    // Packed as one string (stacks/manifest.ts, packManifest), read back as the object it was.
    expect(typeof written).toBe("string");
    expect(manifestFrom({ manifest: written })).toEqual({
      version: 1,
      clients: { mp: { kind: "MaskinportenClient" } },
      apiScopes: { s: { scope: "smartcloud:s.read", consumers: { "974761076": {} } } },
      systems: {},
      requests: {},
    });
    expect(await (out.manifest as unknown as { isSecret: Promise<boolean> }).isSecret).toBe(true);
  });
});
