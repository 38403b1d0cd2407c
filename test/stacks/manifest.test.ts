import * as path from "node:path";
import { describe, expect, test } from "vitest";
import { consequences, manifestFrom, manifestOf, type Manifest } from "../../stacks/manifest";
import { StackSource } from "../../stacks/source";
import { validateStack, type StackPlan } from "../../stacks/validate";

/**
 * What a run deletes, replaces or changes, told from the last run's manifest and this run's stack file: the
 * warnings a reviewer reads in the preview, and the refusals that stop a run before a protected object is
 * deleted after its dependents.
 */

const root = path.resolve(__dirname, "../..");
const KEY_N =
  "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

function plan(yaml: string, environment: "test" | "prod" = "test"): StackPlan {
  const { problems, plan } = validateStack(new StackSource("stacks/dev.yaml", yaml), root, { environment });
  expect(problems).toEqual([]);
  return plan;
}

const base = (
  o: {
    protect?: boolean;
    customers?: string;
    consumers?: string;
    kid?: string;
    extraSystem?: boolean;
    systemId?: string;
    rights?: string;
  } = {},
) => `
organisation: { orgNo: "991825827" }
clients:
  smartcloud:
    type: maskinporten
    scopes: [altinn:authentication/systemuser.request.read]
    keys: [{ kty: RSA, kid: ${o.kid ?? "k1"}, n: ${KEY_N}, e: AQAB }]
    ${o.protect ? "protect: true" : ""}
apiScopes:
  regnskap:
    prefix: leverandor
    subscope: regnskap.read
    description: Les regnskapsdata
    consumers: ${o.consumers ?? `["991825827"]`}
    ${o.protect ? "protect: true" : ""}
systems:
  smartcloud:
    ${o.systemId ? `systemId: ${o.systemId}` : ""}
    name: { nb: S, nn: S, en: S }
    description: { nb: S, nn: S, en: S }
    rights: [ske-krav-og-betalinger, ske-innrapportering-boligselskap]
    clients: [smartcloud]
    ${o.protect ? "protect: true" : ""}
${
  o.extraSystem === false
    ? ""
    : `requests:
  smartcloud:
    rights: [${o.rights ?? "ske-krav-og-betalinger"}]
    customers: ${o.customers ?? `["310000019", "310000027"]`}`
}
`;

/** The manifest the last run left, with the statuses its requests had. */
const lastRun = (yaml: string, statuses: Record<string, string> = {}): Manifest => manifestOf(plan(yaml), statuses);
const messages = (c: ReturnType<typeof consequences>) => c.warnings.map((w) => `${w.object || "(stack)"}: ${w.message}`);

describe("what a run does that a reviewer must know", () => {
  test("nothing changed: nothing to say", () => {
    const c = consequences(lastRun(base(), { "smartcloud/310000019": "Accepted" }), plan(base()), "stacks/dev.yaml");
    expect(c).toEqual({ refusals: [], warnings: [] });
  });

  test("a removed accepted request: the customer's system user stays; a removed request still New: nothing to warn of", () => {
    const c = consequences(
      lastRun(base(), { "smartcloud/310000019": "Accepted", "smartcloud/310000027": "New" }),
      plan(base({ customers: "[]" })),
      "stacks/dev.yaml",
    );
    expect(messages(c)).toEqual([
      "(stack): the request to 310000019 for smartcloud is deleted, but 310000019's system user stays in Altinn: only the customer can delete it",
    ]);
  });

  test("changed rights of an accepted request send the customer a change request, said on that request", () => {
    const c = consequences(
      lastRun(base(), { "smartcloud/310000019": "Accepted", "smartcloud/310000027": "New" }),
      plan(base({ rights: "ske-krav-og-betalinger, ske-innrapportering-boligselskap" })),
      "stacks/dev.yaml",
    );
    expect(messages(c)).toEqual([
      "SystemUserRequest::smartcloud/310000019: 310000019 is sent a change request for its system user of smartcloud (+ske-innrapportering-boligselskap): the system user keeps its rights until the customer accepts",
    ]);
  });

  test("a removed system: its id is used up forever", () => {
    const c = consequences(lastRun(base()), plan(base({ extraSystem: false }).replace(/systems:[\s\S]*$/, "")), "stacks/dev.yaml");
    expect(messages(c)).toContain(
      "(stack): system smartcloud is deleted: Altinn never releases a system id, so 991825827_smartcloud can never be registered again",
    );
  });

  test("a changed system id: the old one is used up, said on the system", () => {
    const c = consequences(lastRun(base()), plan(base({ systemId: "991825827_smartcloud2" })), "stacks/dev.yaml");
    expect(messages(c)).toContain(
      "System::smartcloud: system smartcloud is replaced by 991825827_smartcloud2: 991825827_smartcloud is deleted, Altinn never releases it, and the system's customers are asked again",
    );
  });

  test("a key id no longer declared: the key set is replaced, said on the key set", () => {
    const c = consequences(lastRun(base()), plan(base({ kid: "k2" })), "stacks/dev.yaml");
    expect(messages(c)).toEqual([
      "ClientKeys::smartcloud: the key set of client smartcloud is replaced: key k1 is removed from Digdir, and tokens signed with it are refused from then on",
    ]);
  });

  test("a new consumer that is another organisation is a grant to warn of; the organisation's own grant is not", () => {
    const c = consequences(
      lastRun(base({ consumers: "[]" })),
      plan(base({ consumers: `["991825827", { orgNo: "974761076", name: Partner AS }]` })),
      "stacks/dev.yaml",
    );
    expect(messages(c)).toEqual([
      "ScopeAccess::regnskap/974761076: leverandor:regnskap.read is granted to another organisation, 974761076 (Partner AS): its clients can get tokens for the scope",
    ]);
  });

  test("a stack deployed before manifests: nothing is known, nothing is said or refused", () => {
    expect(manifestFrom({ clientIds: {} })).toBeUndefined();
    expect(consequences(undefined, plan(base({ consumers: `["974761076"]` })), "stacks/dev.yaml")).toEqual({ refusals: [], warnings: [] });
  });

  test("the manifest read back from the outputs is the one written", () => {
    const m = lastRun(base({ protect: true }), { "smartcloud/310000019": "Accepted" });
    expect(manifestFrom(JSON.parse(JSON.stringify({ manifest: m })))).toEqual(m);
    expect(m.requests["smartcloud/310000019"]).toEqual({
      system: "smartcloud",
      customer: "310000019",
      rights: ["ske-krav-og-betalinger"],
      accessPackages: [],
      status: "Accepted",
      asked: expect.stringMatching(/^[0-9a-f]{12}$/),
    });
    expect(m.systems.smartcloud).toEqual({ systemId: "991825827_smartcloud", protect: true });
  });
});

describe("protection holds before anything changes", () => {
  test("a protected system removed from the file is refused, naming it and how to lift its protection", () => {
    const c = consequences(
      lastRun(base({ protect: true })),
      plan(base({ protect: true, extraSystem: false }).replace(/systems:[\s\S]*$/, "")),
      "stacks/prod.yaml",
    );
    expect(c.refusals).toEqual([
      "system smartcloud (991825827_smartcloud) is protected, and stacks/prod.yaml no longer declares it (removing it deletes its requests, then the system): Pulumi would delete what depends on it first and only then refuse, leaving the change half done. To do it on purpose: set `protect: false` on systems.smartcloud in stacks/prod.yaml (declare the entry again if you removed it), run `pulumi up`, then make the change.",
    ]);
  });

  test("with protect: false declared first, the next run may remove it", () => {
    const lifted = lastRun(
      base({ protect: true }).replace(
        /(rights: \[ske-krav-og-betalinger, ske-innrapportering-boligselskap\]\n\s+clients: \[smartcloud\]\n\s+)protect: true/,
        "$1protect: false",
      ),
    );
    expect(lifted.systems.smartcloud!.protect).toBeUndefined();
    const c = consequences(lifted, plan(base({ protect: true, extraSystem: false }).replace(/systems:[\s\S]*$/, "")), "stacks/prod.yaml");
    expect(c.refusals).toEqual([]);
  });

  test("a protected client, its key set, its scope and a protected grant: each refused with its own way out", () => {
    const was = lastRun(base({ protect: true, consumers: `["991825827", "974761076"]` }));
    const keysRemoved = base({ protect: true, consumers: `["991825827", "974761076"]` }).replace(/\n\s+keys: .*/, "");
    expect(consequences(was, plan(keysRemoved), "stacks/prod.yaml").refusals).toEqual([
      expect.stringMatching(
        /^the key set of client smartcloud is protected, and stacks\/prod.yaml no longer declares its keys .* set `protect: false` on clients.smartcloud in stacks\/prod.yaml/,
      ),
    ]);
    const grantRemoved = base({ protect: true, consumers: `["991825827"]` });
    expect(consequences(was, plan(grantRemoved), "stacks/prod.yaml").refusals).toEqual([
      expect.stringMatching(
        /^the grant of leverandor:regnskap.read to 974761076 is protected, .* set `\{ orgNo: "974761076", protect: false \}` as its entry under apiScopes.regnskap.consumers/,
      ),
    ]);
    const m = structuredClone(was);
    m.clients.smartcloud!.kind = "KrrClient";
    expect(consequences(m, plan(base({ protect: true, consumers: `["991825827", "974761076"]` })), "stacks/prod.yaml").refusals).toEqual([
      expect.stringMatching(/^client smartcloud is protected, and its type changed \(KrrClient → MaskinportenClient\), which replaces it/),
    ]);
  });

  test("unprotected objects are removed without a refusal", () => {
    const c = consequences(lastRun(base()), plan(`organisation: { orgNo: "991825827" }\n`), "stacks/dev.yaml");
    expect(c.refusals).toEqual([]);
    expect(messages(c)).toEqual([
      "(stack): client smartcloud is deleted, and every key of its key set: its client id gets no more tokens",
      "(stack): system smartcloud is deleted: Altinn never releases a system id, so 991825827_smartcloud can never be registered again",
    ]);
  });
});
