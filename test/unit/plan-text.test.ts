import { describe, expect, test } from "vitest";
import {
  describeStep,
  formatJson,
  formatMarkdown,
  formatText,
  reviewPlan,
  risks,
  unknownValue,
  type PreviewJson,
  type PreviewStep,
} from "../../stacks/plan-text";

/** `pulumi preview --json` steps in, the plan's sentences out: each kind of step, each risky mark, the formats. */

const ORG = "991825827";
const urn = (kind: string, name: string) => {
  const module = /System|Request/.test(kind) ? "altinn" : "digdir";
  return `urn:pulumi:prod::pulumi-digdir::pulumi-nodejs:dynamic/${module}:${kind}::${name}`;
};
const right = (id: string) => ({ resource: [{ id: "urn:altinn:resource", value: id }] });
const pkg = (name: string) => ({ urn: `urn:altinn:accesspackage:${name}` });
const provider = 'exports.handler=function(){return r.shim("X")}';

function step(
  op: string,
  kind: string,
  name: string,
  o: { was?: Record<string, unknown>; is?: Record<string, unknown>; out?: Record<string, unknown> } = {},
): PreviewStep {
  return {
    op,
    urn: urn(kind, name),
    ...(o.was && { oldState: { inputs: { __provider: provider, ...o.was }, outputs: { __provider: provider, ...o.was, ...o.out } } }),
    ...(o.is && { newState: { inputs: { __provider: provider, ...o.is } } }),
  };
}

const client = {
  name: "SmartCloud",
  scopes: ["altinn:authentication/systemuser.request.read"],
  accessTokenLifetime: 120,
  description: "SmartCloud",
};
const keys = (kids: string[], generate = false) => ({
  clientId: "c1",
  generate,
  keys: kids.map((kid) => ({ kty: "RSA", kid, n: "n", e: "AQAB" })),
  rotateAfterDays: 90,
});
const system = {
  systemId: `${ORG}_smartcloud`,
  rights: [right("ske-krav-og-betalinger")],
  accessPackages: [pkg("skattegrunnlag")],
  description: { nb: "x" },
};
const request = (rights: string[], packages: string[] = []) => ({
  partyOrgNo: "310000043",
  externalRef: "310000043",
  systemId: `${ORG}_smartcloud`,
  rights: rights.map(right),
  accessPackages: packages.map(pkg),
  systemOffer: { rights: [] },
});

type Row = [string, PreviewStep, string, string[]];

// [what, step, sentence, risks] for a prod stack.
const table: Row[] = [
  [
    "a client created",
    step("create", "MaskinportenClient", "smartcloud", { is: client }),
    "creates Maskinporten client smartcloud (scopes: altinn:authentication/systemuser.request.read)",
    [],
  ],
  [
    "a client's scopes and token lifetime changed",
    step("update", "MaskinportenClient", "smartcloud", {
      was: client,
      is: { ...client, scopes: ["krr:global/kontaktinformasjon.read"], accessTokenLifetime: 60 },
      out: { clientId: "c1" },
    }),
    "updates client smartcloud: scopes +krr:global/kontaktinformasjon.read, −altinn:authentication/systemuser.request.read; accessTokenLifetime 120 → 60",
    [],
  ],
  [
    "a client deleted",
    step("delete", "KrrClient", "smartcloud-krr", { was: client, out: { clientId: "c9" } }),
    "deletes client smartcloud-krr (client id c9): its tokens stop",
    [risks.prodDelete],
  ],
  [
    "a client replaced",
    step("replace", "IdportenClient", "login", {
      was: { ...client, integrationType: "idporten" },
      is: { ...client, integrationType: "ansattporten" },
    }),
    "replaces client login with a new client id: integrationType",
    [risks.prodReplace, risks.keys],
  ],
  [
    "a key set registered",
    step("create", "ClientKeys", "smartcloud", { is: keys(["k1"], true) }),
    "registers the key set of client smartcloud (key k1, a generated key)",
    [],
  ],
  [
    "a key replaced by another",
    step("update", "ClientKeys", "smartcloud", { was: keys(["k1"]), is: keys(["k2"]) }),
    "replaces the key set of client smartcloud (+k2, −k1)",
    [risks.keys],
  ],
  [
    "a key added",
    step("update", "ClientKeys", "smartcloud", { was: keys(["k1"]), is: keys(["k1", "k2"]) }),
    "replaces the key set of client smartcloud (+k2)",
    [],
  ],
  [
    "the key settings changed",
    step("update", "ClientKeys", "smartcloud", { was: keys(["k1"], true), is: { ...keys(["k1"], true), rotateAfterDays: 30 } }),
    "updates the key settings of client smartcloud: rotateAfterDays 90 → 30",
    [],
  ],
  [
    // The key ids the provider's check writes for such an edit (and a key set of declared keys' currentKid) are no setting.
    "the key settings changed, with the key ids the edit keeps",
    step("update", "ClientKeys", "smartcloud", {
      was: keys(["k1"], true),
      is: { ...keys(["k1"], true), rotateAfterDays: 30, kids: ["k1", "g1"], currentKid: "g1" },
    }),
    "updates the key settings of client smartcloud: rotateAfterDays 90 → 30",
    [],
  ],
  [
    "a renewal falling due, after an upgrade that writes currentKid",
    step("update", "ClientKeys", "smartcloud", { was: keys(["k1"]), is: { ...keys(["k1"]), kids: ["k1"], currentKid: "k1" } }),
    "rotates or renews the keys of client smartcloud, as they fall due",
    [],
  ],
  [
    "a rotation falling due",
    step("update", "ClientKeys", "smartcloud", { was: keys([], true), is: keys([], true) }),
    "rotates or renews the keys of client smartcloud, as they fall due",
    [],
  ],
  [
    "a key set deleted",
    step("delete", "ClientKeys", "smartcloud", { was: keys(["k1"]) }),
    "deletes every key of client smartcloud",
    [risks.prodDelete, risks.keys],
  ],
  [
    "a key set replaced",
    step("replace", "ClientKeys", "smartcloud", { was: keys(["k1"]), is: keys(["k1"]) }),
    "replaces the key set of client smartcloud (key k1)",
    [risks.prodReplace, risks.keys],
  ],
  [
    "a scope created",
    step("create", "ApiScope", "regnskap", { is: { prefix: "leverandor", subscope: "regnskap.read", visibility: "PRIVATE" } }),
    "creates API scope leverandor:regnskap.read (private)",
    [],
  ],
  [
    "a scope's description changed",
    step("update", "ApiScope", "regnskap", {
      was: { prefix: "leverandor", subscope: "regnskap.read", description: "a" },
      is: { prefix: "leverandor", subscope: "regnskap.read", description: "b" },
      out: { name: "leverandor:regnskap.read" },
    }),
    "updates API scope leverandor:regnskap.read: description",
    [],
  ],
  [
    "a scope removed",
    step("delete", "ApiScope", "regnskap", {
      was: { prefix: "leverandor", subscope: "regnskap.read" },
      out: { name: "leverandor:regnskap.read" },
    }),
    "deactivates API scope leverandor:regnskap.read: every consumer's clients lose it",
    [risks.prodDelete],
  ],
  [
    "a grant to another organisation",
    step("create", "ScopeAccess", "regnskap/974761076", { is: { scope: "leverandor:regnskap.read", consumerOrgNo: "974761076" } }),
    "grants leverandor:regnskap.read to 974761076",
    [risks.grant],
  ],
  [
    "the organisation's own grant",
    step("create", "ScopeAccess", `regnskap/${ORG}`, { is: { scope: unknownValue, consumerOrgNo: ORG } }),
    `grants regnskap to ${ORG}`,
    [],
  ],
  [
    "a grant revoked",
    step("delete", "ScopeAccess", "regnskap/974761076", { was: { scope: "leverandor:regnskap.read", consumerOrgNo: "974761076" } }),
    "revokes leverandor:regnskap.read from 974761076",
    [risks.prodDelete],
  ],
  [
    "a system registered",
    step("create", "System", "smartcloud", { is: system }),
    `registers system smartcloud (${ORG}_smartcloud) offering ske-krav-og-betalinger, package skattegrunnlag`,
    [],
  ],
  [
    "a system's rights and description changed",
    step("update", "System", "smartcloud", {
      was: system,
      is: { ...system, rights: [right("ske-krav-og-betalinger"), right("ske-innrapportering-boligselskap")], description: { nb: "y" } },
    }),
    "updates system smartcloud: offers +ske-innrapportering-boligselskap; description",
    [],
  ],
  [
    "a system deleted",
    step("delete", "System", "smartcloud", { was: system }),
    `deletes system smartcloud (${ORG}_smartcloud): the id is used up forever`,
    [risks.prodDelete],
  ],
  [
    "a system replaced",
    step("replace", "System", "smartcloud", { was: system, is: { ...system, systemId: `${ORG}_smartcloud2` } }),
    `replaces system smartcloud: registers ${ORG}_smartcloud2, deletes ${ORG}_smartcloud (used up forever)`,
    [risks.prodReplace],
  ],
  [
    "a customer asked",
    step("create", "SystemUserRequest", "smartcloud/310000043", { is: request(["ske-krav-og-betalinger"]) }),
    "asks 310000043 for a system user for smartcloud with ske-krav-og-betalinger",
    [risks.rights],
  ],
  [
    "an agent customer asked",
    step("create", "AgentSystemUserRequest", "smartcloud-regnskap/310000043", {
      is: request([], ["regnskapsforer-med-signeringsrettighet"]),
    }),
    "asks 310000043 for an agent system user for smartcloud-regnskap with package regnskapsforer-med-signeringsrettighet",
    [risks.rights],
  ],
  [
    "an accepted customer's rights widened: a change request",
    step("update", "SystemUserRequest", "smartcloud/310000043", {
      was: request(["ske-krav-og-betalinger"]),
      is: request(["ske-krav-og-betalinger", "ske-innrapportering-boligselskap"]),
      out: { status: "Accepted" },
    }),
    "sends 310000043 a change request for smartcloud: +ske-innrapportering-boligselskap",
    [risks.rights],
  ],
  [
    "an accepted customer's rights narrowed",
    step("update", "SystemUserRequest", "smartcloud/310000043", {
      was: request(["ske-krav-og-betalinger", "x"]),
      is: request(["ske-krav-og-betalinger"]),
      out: { status: "Accepted" },
    }),
    "sends 310000043 a change request for smartcloud: −x",
    [],
  ],
  [
    "a waiting customer asked again",
    step("update", "SystemUserRequest", "smartcloud/310000043", {
      was: request([]),
      is: request(["ske-krav-og-betalinger"]),
      out: { status: "New" },
    }),
    "asks 310000043 again for smartcloud: +ske-krav-og-betalinger",
    [risks.rights],
  ],
  [
    "an accepted request withdrawn",
    step("delete", "SystemUserRequest", "smartcloud/310000043/avd-bergen", {
      was: { ...request([]), externalRef: "avd-bergen" },
      out: { status: "Accepted" },
    }),
    "withdraws the request to 310000043 (externalRef avd-bergen) for smartcloud (accepted: the customer's system user stays)",
    [risks.prodDelete],
  ],
  ["a resource of another kind", step("create", "Widget", "w", { is: { a: 1 } }), "creates Widget w", []],
];

describe("each kind of step, in the domain's words, with its risky marks (prod)", () => {
  test.each(table)("%s", (_what, s, sentence, marks) => {
    const [change, ...more] = describeStep(s, { stack: "prod", environment: "prod", orgNo: ORG });
    expect(more).toEqual([]);
    expect(change!.sentence).toBe(sentence);
    expect(change!.risks).toEqual(marks);
  });

  test("outside prod, deletions and replacements are not marked; other risks are", () => {
    const ctx = { stack: "dev", environment: "test", orgNo: ORG };
    expect(describeStep(step("delete", "System", "smartcloud", { was: system }), ctx)[0]!.risks).toEqual([]);
    expect(describeStep(step("replace", "ClientKeys", "smartcloud", { was: keys(["k1"]), is: keys(["k1"]) }), ctx)[0]!.risks).toEqual([
      risks.keys,
    ]);
  });

  test("what stays the same, the stack and providers say nothing", () => {
    const ctx = { stack: "dev", environment: "test" };
    expect(describeStep(step("same", "System", "smartcloud", { was: system, is: system }), ctx)).toEqual([]);
    expect(describeStep({ op: "update", urn: "urn:pulumi:dev::pulumi-digdir::pulumi:pulumi:Stack::pulumi-digdir-dev" }, ctx)).toEqual([]);
    expect(describeStep({ op: "create", urn: "urn:pulumi:dev::pulumi-digdir::pulumi:providers:pulumi-nodejs::default" }, ctx)).toEqual([]);
  });
});

describe("a resource that holds many customers (a request group)", () => {
  // As providers/altinn/request-group.ts declares it: the group's defaults, customers keyed "<orgNo>[/<externalRef>]".
  const group = (customers: Record<string, unknown>, rights = ["a"]) => ({
    systemId: `${ORG}_smartcloud`,
    rights: rights.map(right),
    customers,
  });

  test("one sentence per customer whose request changes, none for the others", () => {
    const was = group({ "310000019": {}, "310000027": {}, "310000035/bergen": {} });
    const is = group({ "310000019": { name: "Bakeriet AS" }, "310000027": { rights: [right("a"), right("b")] }, "310000043": {} });
    const s: PreviewStep = {
      op: "update",
      urn: urn("SystemUserRequestGroup", "smartcloud"),
      oldState: {
        inputs: was,
        outputs: { ...was, requests: { "310000027": { status: "Accepted" }, "310000035/bergen": { status: "Accepted" } } },
      },
      newState: { inputs: is },
    };
    expect(describeStep(s, { stack: "prod", environment: "prod", orgNo: ORG }).map((x) => [x.op, x.sentence, x.risks])).toEqual([
      ["update", "sends 310000027 a change request for smartcloud: +b", [risks.rights]],
      ["create", "asks 310000043 for a system user for smartcloud with a", [risks.rights]],
      [
        "delete",
        "withdraws the request to 310000035 (externalRef bergen) for smartcloud (accepted: the customer's system user stays)",
        [risks.prodDelete],
      ],
    ]);
  });

  test("the group's rights changed: a sentence for each customer without rights of its own", () => {
    const s: PreviewStep = {
      op: "update",
      urn: urn("AgentSystemUserRequestGroup", "smartcloud"),
      oldState: {
        inputs: group({ "310000019": {}, "310000027": { rights: [right("x")] } }),
        outputs: { requests: { "310000019": { status: "New" } } },
      },
      newState: { inputs: group({ "310000019": {}, "310000027": { rights: [right("x")] } }, ["a", "c"]) },
    };
    expect(describeStep(s, { stack: "dev", environment: "test" }).map((x) => x.sentence)).toEqual([
      "asks 310000019 again for smartcloud: +c",
    ]);
  });

  test("a new group: every customer asked, one sentence each", () => {
    const s: PreviewStep = {
      op: "create",
      urn: urn("SystemUserRequestGroup", "smartcloud"),
      newState: { inputs: group({ "310000019": {}, "310000027/avd": { rights: [] } }) },
    };
    expect(describeStep(s, { stack: "dev", environment: "test" }).map((x) => x.sentence)).toEqual([
      "asks 310000019 for a system user for smartcloud with a",
      "asks 310000027 (externalRef avd) for a system user for smartcloud",
    ]);
  });
});

/** A stack of `n` requests, one customer added: what `pulumi preview --json` says of it. */
function oneCustomerAdded(n: number): PreviewJson {
  return {
    steps: [
      step("create", "SystemUserRequest", "smartcloud/310000999", {
        is: { ...request(["ske-krav-og-betalinger"]), partyOrgNo: "310000999", externalRef: "310000999" },
      }),
    ],
    diagnostics: [],
    changeSummary: { create: 1, same: n + 8 },
  };
}

describe("the formats", () => {
  test("a one-customer change in a 100-request stack is a few lines of Markdown", () => {
    const md = formatMarkdown(reviewPlan(oneCustomerAdded(100), { stack: "prod", environment: "prod", orgNo: ORG }));
    expect(md).toEqual([
      "### Plan for stack `prod` (prod)",
      "",
      "**1 change: 1 to create; 1 risky**, 107 unchanged",
      "",
      "**Requests to customers** (1)",
      "- ⚠️ asks 310000999 for a system user for smartcloud with ske-krav-og-betalinger [new rights asked of a customer]",
    ]);
    expect(md.length).toBeLessThanOrEqual(40);
  });

  test("many changes of one kind are summarised, their sentences folded in <details>; warnings once each", () => {
    const steps = Array.from({ length: 100 }, (_, i) =>
      step("create", "SystemUserRequest", `smartcloud/3100${String(i).padStart(5, "0")}`, {
        is: { ...request(["r"]), partyOrgNo: `3100${String(i).padStart(5, "0")}` },
      }),
    );
    steps.push(
      step("create", "ScopeAccess", "regnskap/974761076", { is: { scope: "leverandor:regnskap.read", consumerOrgNo: "974761076" } }),
    );
    const w = {
      urn: urn("ScopeAccess", "regnskap/974761076"),
      message: "leverandor:regnskap.read is granted to another organisation, 974761076",
      severity: "warning",
    };
    const plan = reviewPlan(
      { steps, diagnostics: [w, w, { message: "debug", severity: "info" }], changeSummary: { create: 101, same: 5 } },
      { stack: "prod", environment: "prod", orgNo: ORG },
    );
    const md = formatMarkdown(plan);
    const head = md.slice(0, md.indexOf("<details><summary>all 100</summary>"));
    expect(head).toEqual([
      "### Plan for stack `prod` (prod)",
      "",
      "**101 changes: 101 to create; 101 risky**, 4 unchanged",
      "",
      "**Grants** (1)",
      "- ⚠️ grants leverandor:regnskap.read to 974761076 [new grant to another organisation]",
      "",
      "**Requests to customers** (100)",
      "- ⚠️ asks 100 customers for a system user for smartcloud [new rights asked of a customer]",
    ]);
    expect(md.filter((l) => l.startsWith("- ⚠️ asks 3100"))).toHaveLength(100);
    expect(md.slice(-3)).toEqual([
      "",
      "**Warnings** (1)",
      "- ScopeAccess regnskap/974761076: leverandor:regnskap.read is granted to another organisation, 974761076",
    ]);
  });

  test("text for a terminal, JSON for machines; no changes says so", () => {
    const none = reviewPlan({ steps: [], changeSummary: { same: 3 } }, { stack: "dev", environment: "test" });
    expect(formatText(none)).toEqual(["plan for stack dev (environment test): no changes, 2 unchanged"]);
    const plan = reviewPlan(oneCustomerAdded(1), { stack: "dev", environment: "test" });
    expect(formatText(plan)).toEqual([
      "plan for stack dev (environment test): 1 change: 1 to create; 1 risky, 8 unchanged",
      "",
      "Requests to customers (1)",
      "  ! asks 310000999 for a system user for smartcloud with ske-krav-og-betalinger [new rights asked of a customer]",
    ]);
    expect(JSON.parse(formatJson(plan)).changes).toEqual([
      {
        group: "Requests to customers",
        resource: "SystemUserRequest::smartcloud/310000999",
        op: "create",
        sentence: "asks 310000999 for a system user for smartcloud with ske-krav-og-betalinger",
        risks: [risks.rights],
        summary: "asks {n} customers for a system user for smartcloud",
      },
    ]);
  });

  test("errors of the preview are the plan's errors", () => {
    const plan = reviewPlan(
      {
        steps: [],
        diagnostics: [
          {
            urn: "urn:pulumi:dev::pulumi-digdir::pulumi:pulumi:Stack::pulumi-digdir-dev",
            message: "error: a protected object would be deleted\n  - system x",
            severity: "error",
          },
        ],
      },
      { stack: "dev", environment: "test" },
    );
    expect(plan.errors).toEqual(["a protected object would be deleted\n  - system x"]);
    expect(formatMarkdown(plan)).toContain("- a protected object would be deleted - system x");
  });

  test("no secret reaches a plan: changed secret-bearing fields are named, never shown", () => {
    const secret = "PRIVATE-d-value-never-shown";
    const s1 = step("update", "IdportenClient", "login", {
      was: { ...client, rotationTrigger: "a", clientSecret: "old-secret-value" },
      is: { ...client, rotationTrigger: "b", clientSecret: secret },
    });
    const s2 = step("update", "ClientKeys", "gen", {
      was: { ...keys([], true), currentPrivateJwk: '{"d":"x"}' },
      is: { ...keys([], true), currentPrivateJwk: `{"d":"${secret}"}` },
    });
    const plan = reviewPlan({ steps: [s1, s2], diagnostics: [] }, { stack: "prod", environment: "prod", orgNo: ORG });
    const all = [...formatText(plan), ...formatMarkdown(plan), formatJson(plan)].join("\n");
    expect(all).toContain("updates client login: clientSecret; rotationTrigger");
    expect(all).not.toContain(secret);
    expect(all).not.toContain("old-secret-value");
  });
});
