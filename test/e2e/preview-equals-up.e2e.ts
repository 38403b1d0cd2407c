import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { e2eSetUp, parseJson, shortUrn, type E2e, type SimApi, type EngineJson, type RunResult } from "./support";

/**
 * What `pulumi preview` shows is what `pulumi up` does. A catalogue of the edits users make, applied one after
 * another to one running stack (test/e2e/fixtures/catalogue.yaml, against an in-process simulator). For each edit:
 *
 *   pulumi preview --json --save-plan plan.json   → the steps planned
 *   pulumi up --plan plan.json --json             → the steps taken; the engine refuses any step the plan lacks,
 *                                                   and any planned step not taken
 *
 * and the steps (resource and operation) of both are the same, and the ones the edit calls for (`changes`), so an
 * edit that changes nothing in either cannot pass. After the whole catalogue, a preview plans no change.
 *
 * To add an edit: one entry in `catalogue` (its `before` acts outside the stack file: the simulator's clock, a
 * customer's answer). Edits run in order; each starts from the stack file the previous ones left.
 */

const bin = inject("pulumiBin");
const skipReason = inject("skipReason");

const ORG = "991825827";
const OTHER_VENDOR = "974761076";

/** What an edit may use: the stack file as YAML, the project, the simulator, `pulumi`. */
export interface CatalogueContext {
  proj: string;
  api: SimApi;
  pulumi: (args: string[], opts?: { allowFailure?: boolean; input?: string }) => Promise<RunResult>;
  outputs: () => Promise<Record<string, any>>;
}

export interface CatalogueEdit {
  /** The edit, as a user would say it. */
  name: string;
  /** Something outside the stack file that happens first (time passes, a customer answers). */
  before?: (t: CatalogueContext) => Promise<void>;
  /** The change to the stack file. */
  edit?: (doc: YAML.Document, t: CatalogueContext) => void;
  /** The steps the edit calls for, by resource (`Kind::name`): what preview and up must both show. */
  changes: Record<string, string[]>;
  /** More to check of the preview's JSON. */
  verify?: (preview: EngineJson) => void;
  /**
   * The edit must be refused: preview and up both fail with this text before any step, `changes` is empty, and the
   * stack file is put back afterwards.
   */
  refused?: string;
  /** What the services and the stack's outputs hold after the up (after a refused edit: that they kept everything). */
  after?: (t: CatalogueContext) => Promise<void>;
}

/** `- "310000019"` or `- {orgNo: ...}`: the index of a customer in a request group. */
function customerIndex(doc: YAML.Document, group: string, orgNo: string): number {
  const items = (doc.getIn(["requests", group, "customers"]) as YAML.YAMLSeq).items;
  return items.findIndex((c) => (YAML.isScalar(c) ? String(c.value) : String((c as YAML.YAMLMap).get("orgNo"))) === orgNo);
}

/** The confirm page's request id of a request output. */
async function requestIdOf(t: CatalogueContext, request: string): Promise<string> {
  return new URL((await t.outputs()).requests[request].confirmUrl).searchParams.get("id")!;
}

export const catalogue: CatalogueEdit[] = [
  {
    name: "a client's scopes, description, token lifetime and display name",
    edit: (doc) => {
      doc.setIn(
        ["clients", "smartcloud", "scopes"],
        doc.createNode(["altinn:authentication/systemuser.request.read", "altinn:authentication/systemuser.request.write"]),
      );
      doc.setIn(["clients", "smartcloud", "description"], "SmartCloud's requests for system users");
      doc.setIn(["clients", "smartcloud", "accessTokenLifetime"], 300);
      doc.setIn(["clients", "smartcloud-krr", "name"], "SmartCloud KRR (renamed)");
    },
    changes: { "MaskinportenClient::smartcloud": ["update"], "KrrClient::smartcloud-krr": ["update"] },
  },
  {
    name: "an API scope's description",
    edit: (doc) => doc.setIn(["apiScopes", "regnskap", "description"], "Les regnskapsdata i SmartCloud (ny tekst)"),
    changes: { "ApiScope::regnskap": ["update"] },
  },
  {
    name: "an API scope's consumers: one revoked, one granted",
    edit: (doc) => doc.setIn(["apiScopes", "regnskap", "consumers"], doc.createNode([ORG, "310000019"])),
    changes: { [`ScopeAccess::regnskap/${OTHER_VENDOR}`]: ["delete"], "ScopeAccess::regnskap/310000019": ["create"] },
  },
  {
    name: "a system's description and rights",
    edit: (doc) => {
      doc.setIn(["systems", "smartcloud", "description", "en"], "SmartCloud files tax returns.");
      doc.setIn(["systems", "smartcloud", "rights"], doc.createNode(["ske-krav-og-betalinger", "ske-innrapportering-boligselskap"]));
    },
    changes: { "System::smartcloud": ["update"] },
  },
  {
    name: "a system's clients",
    edit: (doc) => doc.setIn(["systems", "smartcloud", "clients"], doc.createNode(["smartcloud", "smartcloud-batch"])),
    changes: { "System::smartcloud": ["update"] },
  },
  {
    name: "customers: one added, one's rights changed before it answered, one removed",
    edit: (doc) => {
      const customers = doc.getIn(["requests", "smartcloud", "customers"]) as YAML.YAMLSeq;
      customers.set(
        customerIndex(doc, "smartcloud", "310000027"),
        doc.createNode({ orgNo: "310000027", rights: ["ske-krav-og-betalinger", "ske-innrapportering-boligselskap"] }),
      );
      customers.delete(customerIndex(doc, "smartcloud", "310000035"));
      customers.add(doc.createNode({ orgNo: "310000043", rights: ["ske-innrapportering-boligselskap"] }));
    },
    // Requests live in groups, each customer in the shard its key hashes to (stacks/groups.ts).
    changes: {
      "SystemUserRequestGroup::smartcloud/01": ["update"], // 310000027's rights
      "SystemUserRequestGroup::smartcloud/07": ["delete"], // 310000035/skattegrunnlag, its shard's only customer
      "SystemUserRequestGroup::smartcloud/03": ["create"], // 310000043, in a shard of its own
    },
    // A new request shows what the customer is asked, not the system's whole offer.
    verify: (preview) => {
      const created = preview.steps.find((s) => s.urn.endsWith("SystemUserRequestGroup::smartcloud/03"))!;
      const inputs = created.newState!.inputs!;
      expect(inputs).not.toHaveProperty("systemOffer");
      expect(Object.keys(inputs.customers as object)).toEqual(["310000043"]);
      expect(JSON.stringify(inputs.customers)).toContain("ske-innrapportering-boligselskap");
    },
  },
  {
    name: "a customer who accepted gets other rights: a change request",
    before: async (t) => {
      await t.api.ok("POST", `/_sim/systemuser-requests/${await requestIdOf(t, "smartcloud/310000019")}/accept`);
      await t.pulumi(["refresh", "--yes", "--skip-preview"]);
    },
    edit: (doc) => {
      const customers = doc.getIn(["requests", "smartcloud", "customers"]) as YAML.YAMLSeq;
      customers.set(
        customerIndex(doc, "smartcloud", "310000019"),
        doc.createNode({ orgNo: "310000019", rights: ["ske-krav-og-betalinger", "ske-innrapportering-boligselskap"] }),
      );
    },
    changes: { "SystemUserRequestGroup::smartcloud/10": ["update"] },
  },
  {
    name: "bring-your-own keys changed: a second public key added",
    edit: (doc, t) => {
      const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
      fs.writeFileSync(path.join(t.proj, "stacks/keys/catalogue-2.pub.pem"), publicKey.export({ type: "spki", format: "pem" }));
      (doc.getIn(["clients", "smartcloud", "keys"]) as YAML.YAMLSeq).add(
        doc.createNode({ file: "keys/catalogue-2.pub.pem", kid: "catalogue-2" }),
      );
    },
    changes: { "ClientKeys::smartcloud": ["update"] },
  },
  {
    name: "a generated key falls due for rotation (91 days later on the services' clock)",
    before: async (t) => void (await t.api.ok("POST", "/_sim/clock", { advanceSeconds: 91 * 86400 })),
    changes: { "ClientKeys::smartcloud-regnskap": ["update"] },
  },
  (() => {
    // Right after the rotation: the new key and the previous one, which stays for the overlap.
    let kids: string[] = [];
    return {
      name: "a generated key set's policy alone (rotate after 60 days, overlap 3): the preview knows the key ids it keeps",
      before: async (t: CatalogueContext) => void (kids = (await t.outputs()).clientKeys["smartcloud-regnskap"].kids),
      edit: (doc: YAML.Document) =>
        doc.setIn(
          ["clients", "smartcloud-regnskap", "keys"],
          doc.createNode({ generate: true, rotateAfterDays: 60, overlapDays: 3, verifyToken: true }),
        ),
      changes: { "ClientKeys::smartcloud-regnskap": ["update"] },
      verify: (preview: EngineJson) => {
        expect(kids).toHaveLength(2);
        // The checked inputs, which the engine shows as the outputs of an update in a preview.
        const step = preview.steps.find((s) => s.urn.endsWith("ClientKeys::smartcloud-regnskap"))!;
        expect(step.newState!.inputs!.kids).toEqual(kids);
      },
      after: async (t: CatalogueContext) => expect((await t.outputs()).clientKeys["smartcloud-regnskap"].kids).toEqual(kids),
    };
  })(),
  {
    name: "a client renamed in the stack file: a new client with its keys, the system switched to it",
    edit: (doc) => {
      doc.setIn(["clients", "smartcloud-app"], doc.getIn(["clients", "smartcloud"]));
      doc.deleteIn(["clients", "smartcloud"]);
      doc.setIn(["systems", "smartcloud", "clients"], doc.createNode(["smartcloud-app", "smartcloud-batch"]));
    },
    changes: {
      "MaskinportenClient::smartcloud-app": ["create"],
      "ClientKeys::smartcloud-app": ["create"],
      "System::smartcloud": ["update"],
      "ClientKeys::smartcloud": ["delete"],
      "MaskinportenClient::smartcloud": ["delete"],
    },
  },
  {
    name: "a system protected in the stack file: only the state's protect flag changes",
    edit: (doc) => doc.setIn(["systems", "smartcloud-regnskap", "protect"], true),
    changes: {},
  },
  {
    name: "a protected system removed, with its agent request: refused in preview and in up before any change",
    edit: (doc) => {
      doc.deleteIn(["systems", "smartcloud-regnskap"]);
      doc.delete("agentRequests");
    },
    changes: {},
    refused: "system smartcloud-regnskap (991825827_smartcloud-regnskap) is protected, and stacks/local.yaml no longer declares it",
    after: async (t) => {
      const system = await t.api.ok("GET", `/altinn/authentication/api/v1/systemregister/vendor/${ORG}_smartcloud-regnskap`);
      expect(system.isDeleted ?? false).toBe(false);
      const request = await t.api.call(
        "GET",
        `/altinn/authentication/api/v1/systemuser/request/vendor/agent/byexternalref/${ORG}_smartcloud-regnskap/310000043/310000043`,
      );
      expect(request.status).toBe(200);
      expect((await t.outputs()).requests["smartcloud-regnskap/310000043"]).toBeTruthy();
    },
  },
];

/** A step's operation as the user reads it: the replacement's own three steps count as its one `replace`. */
const replacementParts = new Set(["create-replacement", "delete-replaced", "discard-replaced"]);

/** Resource → its operations, `same` and the stack itself left out. */
function changesOf(steps: { op: string; urn: string }[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of steps) {
    if (s.op === "same" || replacementParts.has(s.op) || s.urn.includes("::pulumi:pulumi:Stack::")) continue;
    (out[shortUrn(s.urn)] ??= []).push(s.op);
  }
  return out;
}

/** `pulumi up --json` prints one engine event per line; the steps are its resourcePreEvents. */
function stepsOfEvents(r: RunResult): { op: string; urn: string }[] {
  const steps: { op: string; urn: string }[] = [];
  for (const line of r.stdout.split("\n")) {
    if (!line.trim()) continue;
    const event = JSON.parse(line) as { resourcePreEvent?: { metadata: { op: string; urn: string } } };
    if (event.resourcePreEvent) steps.push({ op: event.resourcePreEvent.metadata.op, urn: event.resourcePreEvent.metadata.urn });
  }
  return steps;
}

/** The error messages among `pulumi up --json`'s events. */
function errorsOf(r: RunResult): string[] {
  return r.stdout
    .split("\n")
    .filter((l) => l.includes('"diagnosticEvent"'))
    .map((l) => (JSON.parse(l) as { diagnosticEvent: { severity: string; message: string; urn?: string } }).diagnosticEvent)
    .filter((d) => d.severity === "error")
    .map((d) => `${d.urn ? shortUrn(d.urn) + ": " : ""}${d.message}`);
}

describe.skipIf(!bin)("preview equals up, for each edit of the catalogue", () => {
  let dir: string;
  let stackFile: string;
  let e2e: E2e | undefined;
  const t = {} as CatalogueContext;

  beforeAll(async () => {
    // The stack reaches the simulator by its URL alone: the provider takes the admin client the simulator offers.
    e2e = await e2eSetUp({ bin, name: "catalogue", passphrase: "catalogue-passphrase", initStack: false });
    dir = e2e.dir;
    t.proj = e2e.proj;
    t.api = e2e.api;
    t.pulumi = e2e.pulumi;
    t.outputs = async () => JSON.parse((await t.pulumi(["stack", "output", "--json"])).stdout);
    stackFile = path.join(t.proj, "stacks/local.yaml");
    fs.copyFileSync(path.join(__dirname, "fixtures/catalogue.yaml"), stackFile);

    await t.pulumi(["stack", "init"]);
    await t.pulumi(["config", "set", "digdir:simulatorUrl", e2e.sim.url]);
    await t.pulumi(["up", "--yes", "--skip-preview"]);
  }, 300_000);

  afterAll(async () => {
    await e2e?.close();
  });

  for (const [i, entry] of catalogue.entries()) {
    test(entry.name, async () => {
      await entry.before?.(t);
      const before = fs.readFileSync(stackFile, "utf8");
      if (entry.edit) {
        const doc = YAML.parseDocument(fs.readFileSync(stackFile, "utf8"));
        entry.edit(doc, t);
        fs.writeFileSync(stackFile, doc.toString());
      }
      if (entry.refused) {
        const preview = await t.pulumi(["preview", "--json"], { allowFailure: true });
        expect(preview.code, "the preview is refused").not.toBe(0);
        expect(preview.stdout + preview.stderr).toContain(entry.refused);
        const up = await t.pulumi(["up", "--yes", "--skip-preview", "--json"], { allowFailure: true });
        expect(up.code, "the up is refused").not.toBe(0);
        expect(errorsOf(up).join("\n")).toContain(entry.refused);
        const steps = up.stdout
          .split("\n")
          .filter((l) => l.includes('"resourcePreEvent"'))
          .map((l) => (JSON.parse(l) as { resourcePreEvent: { metadata: { op: string; urn: string } } }).resourcePreEvent.metadata);
        expect(changesOf(steps), "what up did").toEqual(entry.changes);
        await entry.after?.(t);
        fs.writeFileSync(stackFile, before);
        return;
      }
      const planFile = path.join(dir, `plan-${i}.json`);
      const preview = parseJson(await t.pulumi(["preview", "--json", "--save-plan", planFile]));
      expect(preview.diagnostics?.filter((d) => d.severity === "error") ?? []).toEqual([]);
      const planned = changesOf(preview.steps);
      expect(planned, "what the preview plans").toEqual(entry.changes);
      entry.verify?.(preview);

      const up = await t.pulumi(["up", "--yes", "--skip-preview", "--plan", planFile, "--json"], { allowFailure: true });
      expect(up.code, `up --plan failed:\n${errorsOf(up).join("\n")}\n${up.stderr}`).toBe(0);
      expect(changesOf(stepsOfEvents(up)), "what up did").toEqual(planned);
      await entry.after?.(t);
    });
  }

  test("a customer added to a shard that holds another: the preview keeps the other's status and page", async () => {
    const kept = (await t.outputs()).requests["smartcloud/310000019"] as { status: string; confirmUrl: string };
    expect(kept.confirmUrl).toMatch(/^http/);
    // 310000027/kunde-28 hashes to 310000019's shard (smartcloud/10: `shardOf` in request-group-model.ts), which
    // the preview shows as an update: the engine gives an updated resource no outputs in a preview.
    const doc = YAML.parseDocument(fs.readFileSync(stackFile, "utf8"));
    (doc.getIn(["requests", "smartcloud", "customers"]) as YAML.YAMLSeq).add(
      doc.createNode({ orgNo: "310000027", externalRef: "kunde-28" }),
    );
    fs.writeFileSync(stackFile, doc.toString());
    const preview = parseJson(await t.pulumi(["preview", "--json"]));
    expect(changesOf(preview.steps)).toEqual({ "SystemUserRequestGroup::smartcloud/10": ["update"] });
    const text = (await t.pulumi(["preview"])).stdout;
    const outputs = text.slice(text.indexOf("Outputs:"));
    // The other customer's entry is shown with its values, unchanged (and `up --plan` would hold the up to them).
    const at = outputs.search(/^\s+smartcloud\/310000019\s*: \{/m);
    expect(at, "the entry of smartcloud/310000019 under requests").toBeGreaterThan(0);
    expect(outputs.slice(at, outputs.indexOf("}", at))).toContain(kept.confirmUrl);
    expect(outputs.split("\n").filter((l) => l.includes(kept.confirmUrl) && l.includes("=>"))).toEqual([]);
    await t.pulumi(["up", "--yes", "--skip-preview"]);
    const after = await t.outputs();
    expect(after.requests["smartcloud/310000019"]).toEqual(kept);
    expect(after.requests["smartcloud/310000027/kunde-28"].status).toBe("New");
  });

  test("after the catalogue and a refresh, a preview plans no change", async () => {
    await t.pulumi(["refresh", "--yes", "--skip-preview"]);
    await t.pulumi(["preview", "--expect-no-changes"]);
  });
});

if (!bin) test.skip(`SKIP: ${skipReason}`, () => {});
