import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { ALTINN, e2eSetUp, opsByResource, parseJson, SAMARBEID, type E2e, type EngineJson, type SimApi, type Simulator } from "./support";

/**
 * The stack program through the real Pulumi CLI, against the simulator, in a copy of the project (the repo's files
 * stay untouched) with its own PULUMI_HOME and file backend, on test/e2e/fixtures/journey.yaml:
 *
 *   preview of a fresh stack (every output unknown) → up → stack export holds no secret in clear → preview and
 *   refresh: no changes → a customer accepts → up --refresh → edit the stack file (updates, a replacement,
 *   removals, a rename, a revoked grant, a change request) → up → refresh: no drift → a client changed behind
 *   Pulumi's back → refresh --preview-only reports it → up --refresh puts it back → a broken stack file stops the
 *   program at file:line:col → destroy → the simulator holds only what the real services keep by design.
 *
 * It took over test/stacks/engine-local.sh. Each step asserts on what can fail: `pulumi ... --json`, `pulumi stack
 * output --json`, `pulumi stack export`, and the simulator through the services' own APIs (and /_sim).
 */

const bin = inject("pulumiBin");
const skipReason = inject("skipReason");

const ORG = "991825827";
const OTHER_VENDOR = "974761076";
const SCOPE = "leverandor:regnskap.read";
/** Pulumi's marker for a value not known yet (a preview's view of an output). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

type Outputs = Record<string, any>;

describe.skipIf(!bin)("the stack program through the real Pulumi CLI, against the simulator", () => {
  let e2e: E2e;
  let proj: string;
  let sim: Simulator;
  let api: SimApi;
  let stackFile: string;
  /** What one step learns and a later one checks. */
  const seen: { clientIds: Record<string, string>; systemUserId?: string } = { clientIds: {} };

  const pulumi: E2e["pulumi"] = (args, opts) => e2e.pulumi(args, opts);
  const outputs = async (): Promise<Outputs> => JSON.parse((await pulumi(["stack", "output", "--json"])).stdout);
  const exported = async (showSecrets = false): Promise<string> =>
    (await pulumi(["stack", "export", ...(showSecrets ? ["--show-secrets"] : [])])).stdout;
  const resourceIn = (exportJson: string, short: string): any =>
    JSON.parse(exportJson).deployment.resources.find((r: { urn: string }) => r.urn.endsWith(`:${short}`));
  const editStack = (edit: (doc: YAML.Document) => void): void => {
    const doc = YAML.parseDocument(fs.readFileSync(stackFile, "utf8"));
    edit(doc);
    fs.writeFileSync(stackFile, doc.toString());
  };
  const customers = (doc: YAML.Document): YAML.YAMLSeq => doc.getIn(["requests", "smartcloud", "customers"]) as YAML.YAMLSeq;
  const customerIndex = (doc: YAML.Document, orgNo: string): number =>
    customers(doc).items.findIndex((c) => (YAML.isScalar(c) ? String(c.value) : String((c as YAML.YAMLMap).get("orgNo"))) === orgNo);
  const changesIn = (plan: EngineJson): Record<string, string[]> =>
    Object.fromEntries(Object.entries(opsByResource(plan)).filter(([, ops]) => ops.join() !== "same"));
  const scopeAccess = async (): Promise<Record<string, string>> =>
    Object.fromEntries(
      (
        (await api.ok("GET", `${SAMARBEID}/scopes/access?scope=${encodeURIComponent(SCOPE)}`)) as {
          consumer_orgno: string;
          state: string;
        }[]
      ).map((r) => [r.consumer_orgno, r.state]),
    );

  beforeAll(async () => {
    // Explicit admin credentials with the private key as a secret (e2eSetUp's initStack): the path a real stack
    // takes (the local stack could fall back to the simulator's bootstrap client), and a secret the state must not show.
    e2e = await e2eSetUp({ bin, name: "e2e", passphrase: "e2e-passphrase" });
    ({ proj, sim, api } = e2e);
    stackFile = path.join(proj, "stacks/local.yaml");
    fs.copyFileSync(path.join(__dirname, "fixtures/journey.yaml"), stackFile);
  }, 120_000);

  afterAll(() => e2e?.close());

  test("a preview of a fresh stack, with every output still unknown, plans each resource and fails nothing", async () => {
    const plan = parseJson(await pulumi(["preview", "--json"]));
    expect(plan.diagnostics?.filter((d) => d.severity === "error") ?? []).toEqual([]);
    expect(Object.keys(changesIn(plan)).sort()).toEqual(
      [
        "MaskinportenClient::smartcloud",
        "MaskinportenClient::smartcloud-regnskap",
        "KrrClient::smartcloud-krr",
        "IdportenClient::smartcloud-login",
        "ClientKeys::smartcloud",
        "ClientKeys::smartcloud-regnskap",
        "ApiScope::regnskap",
        `ScopeAccess::regnskap/${ORG}`,
        `ScopeAccess::regnskap/${OTHER_VENDOR}`,
        "System::smartcloud",
        "System::smartcloud-regnskap",
        // Requests in groups, each customer in the shard its key hashes to (stacks/groups.ts).
        "SystemUserRequestGroup::smartcloud/10", // 310000019
        "SystemUserRequestGroup::smartcloud/01", // 310000027
        "SystemUserRequestGroup::smartcloud/07", // 310000035/skattegrunnlag
        "AgentSystemUserRequestGroup::smartcloud-regnskap/03", // 310000043
      ].sort(),
    );
    expect(new Set(Object.values(changesIn(plan)).flat())).toEqual(new Set(["create"]));
    // Planned with unknowns: a system's client ids, a key set's client id.
    const system = plan.steps.find((s) => s.urn.endsWith("System::smartcloud"))!;
    expect(system.newState?.inputs?.clientIds).toEqual([UNKNOWN]);
    // Nothing was created by the preview.
    expect(((await api.ok("GET", `${SAMARBEID}/clients`)) as { client_id: string }[]).map((c) => c.client_id)).toEqual([
      api.bootstrap.clientId,
    ]);
  });

  test("up creates everything; outputs and the simulator agree", async () => {
    await pulumi(["up", "--yes", "--skip-preview"]);
    const out = await outputs();
    expect(out.environment).toBe("local");
    expect(Object.keys(out.clientIds).sort()).toEqual(["smartcloud", "smartcloud-krr", "smartcloud-login", "smartcloud-regnskap"]);
    for (const id of Object.values(out.clientIds)) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    seen.clientIds = out.clientIds;
    expect(out.systemIds).toEqual({ smartcloud: `${ORG}_smartcloud`, "smartcloud-regnskap": `${ORG}_smartcloud-regnskap` });
    expect([...out.requestsByStatus.New].sort()).toEqual([
      "smartcloud-regnskap/310000043",
      "smartcloud/310000019",
      "smartcloud/310000027",
      "smartcloud/310000035/skattegrunnlag",
    ]);
    for (const r of Object.values(out.requests) as { confirmUrl: string }[])
      expect(r.confirmUrl).toMatch(new RegExp(`^${sim.url}/am/accessmanagement/ui/systemuser/`));
    expect(out.apiScopes).toEqual({ regnskap: { scope: SCOPE, consumers: { [ORG]: "APPROVED", [OTHER_VENDOR]: "APPROVED" } } });
    const keys = out.clientKeys["smartcloud-regnskap"];
    expect(keys.kids).toContain(keys.currentKid);
    expect(keys.expiresAt[keys.currentKid]).toBeTruthy();
    expect(keys.nextStepAt).toBeTruthy();

    // The simulator holds what the outputs say.
    const clients = (await api.ok("GET", `${SAMARBEID}/clients`)) as { client_id: string; created: string }[];
    expect(clients.map((c) => c.client_id).sort()).toEqual([api.bootstrap.clientId, ...Object.values(seen.clientIds)].sort());
    expect((await api.ok("GET", `${SAMARBEID}/clients/${seen.clientIds.smartcloud}/jwks`)).keys.map((k: { kid: string }) => k.kid)).toEqual(
      ["smartcloud-local-1"],
    );
    expect(
      (await api.ok("GET", `${SAMARBEID}/clients/${seen.clientIds["smartcloud-regnskap"]}/jwks`)).keys.map((k: { kid: string }) => k.kid),
    ).toEqual(keys.kids);
    expect((await api.ok("GET", `${ALTINN}/systemregister/vendor/${ORG}_smartcloud`)).clientId).toEqual([seen.clientIds.smartcloud]);
    const requests = await api.ok("GET", `${ALTINN}/systemuser/request/vendor/bysystem/${ORG}_smartcloud`);
    expect(requests.data.map((r: { partyOrgNo: string }) => r.partyOrgNo).sort()).toEqual(["310000019", "310000027", "310000035"]);
    expect(await scopeAccess()).toEqual({ [ORG]: "APPROVED", [OTHER_VENDOR]: "APPROVED" });
    // The client that uses the scope was created after the scope and the organisation's own grant.
    const regnskap = clients.find((c) => c.client_id === seen.clientIds["smartcloud-regnskap"])!;
    const ownGrant = (
      (await api.ok("GET", `${SAMARBEID}/scopes/access?scope=${encodeURIComponent(SCOPE)}`)) as {
        consumer_orgno: string;
        created: string;
      }[]
    ).find((r) => r.consumer_orgno === ORG)!;
    expect(Date.parse(regnskap.created)).toBeGreaterThanOrEqual(Date.parse(ownGrant.created));
  });

  test("no secret in clear in pulumi stack export: generated private key, client secret, admin key, tokens", async () => {
    const plain = await exported();
    const revealed = await exported(true);

    // The generated key's private JWK: a secret output, shown only with --show-secrets.
    expect((await outputs()).privateKeys).toEqual({ "smartcloud-regnskap": "[secret]" });
    const privateKeys = JSON.parse((await pulumi(["stack", "output", "privateKeys", "--json", "--show-secrets"])).stdout) as Record<
      string,
      string
    >;
    const jwk = JSON.parse(privateKeys["smartcloud-regnskap"]!) as Record<string, string>;
    expect(jwk.kty).toBe("RSA");
    expect(jwk.kid).toBe((await outputs()).clientKeys["smartcloud-regnskap"].currentKid);
    expect(revealed, "the search below would find it").toContain(jwk.d!);
    for (const m of ["d", "p", "q", "dp", "dq", "qi"]) expect(plain, `the generated key's ${m}`).not.toContain(jwk[m]!);

    // The login client's secret: in the --show-secrets export, and only encrypted in the plain one.
    const secretOf = (e: string) => resourceIn(e, "IdportenClient::smartcloud-login")?.outputs?.clientSecret;
    const shown = secretOf(revealed);
    const secret = typeof shown?.plaintext === "string" ? (JSON.parse(shown.plaintext) as string) : undefined;
    expect(secret, "the login client has a client secret").toMatch(/^.{16,}$/);
    expect(plain).not.toContain(secret);
    expect(secretOf(plain)).toMatchObject({
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
      ciphertext: expect.any(String),
    });

    // The admin key (a secret config value) and any token.
    const admin = api.bootstrap.privateJwk as unknown as Record<string, string>;
    for (const m of ["d", "p", "q", "dp", "dq", "qi"]) expect(plain, `the admin key's ${m}`).not.toContain(admin[m]!);
    expect(plain).not.toMatch(/PRIVATE KEY/);
    expect(plain, "no JWT (access token, grant)").not.toMatch(/eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\./);
  });

  test("right after up: preview plans no change, refresh finds no drift", async () => {
    expect(parseJson(await pulumi(["preview", "--json", "--expect-no-changes"])).changeSummary).toEqual({ same: 16 });
    expect(parseJson(await pulumi(["refresh", "--preview-only", "--json"])).changeSummary).toEqual({ same: 16 });
  });

  test("a customer accepts; up --refresh reads the new status into the outputs", async () => {
    const id = new URL((await outputs()).requests["smartcloud/310000019"].confirmUrl).searchParams.get("id")!;
    seen.systemUserId = (await api.ok("POST", `/_sim/systemuser-requests/${id}/accept`)).systemUser.id;

    await pulumi(["up", "--refresh", "--yes", "--skip-preview"]);
    const out = await outputs();
    expect(out.requests["smartcloud/310000019"].status).toBe("Accepted");
    expect(out.requestsByStatus.Accepted).toEqual(["smartcloud/310000019"]);
    const waiting = Object.values(out.awaitingApproval as Record<string, { customer: string }[]>)
      .flat()
      .map((c) => c.customer)
      .sort();
    expect(waiting).toEqual(["310000027", "310000035", "310000043"]);
  });

  test("an edited stack file: preview plans exactly the updates, the replacement, the removals and the rename", async () => {
    editStack((doc) => {
      doc.setIn(["clients", "smartcloud-krr", "name"], "SmartCloud KRR (renamed)"); // update
      doc.setIn(["systems", "smartcloud", "description", "en"], "SmartCloud files tax returns."); // update
      doc.setIn(["clients", "smartcloud-login", "integrationType"], "ansattporten"); // replacement
      doc.deleteIn(["clients", "smartcloud", "keys"]); // removal: a client's key set
      customers(doc).delete(customerIndex(doc, "310000027")); // removal: a request still New
      doc.setIn(["apiScopes", "regnskap", "consumers"], doc.createNode([ORG])); // removal: a grant (revoked)
      // A renamed client is another client (with its own generated key): its id is unknown until it exists, and the
      // system listing it is planned with that unknown id.
      doc.setIn(["clients", "smartcloud-agent"], doc.getIn(["clients", "smartcloud-regnskap"]));
      doc.deleteIn(["clients", "smartcloud-regnskap"]);
      doc.setIn(["systems", "smartcloud-regnskap", "clients"], doc.createNode(["smartcloud-agent"]));
      // An accepted customer gets more rights: a change request.
      customers(doc).set(
        customerIndex(doc, "310000019"),
        doc.createNode({ orgNo: "310000019", rights: ["ske-krav-og-betalinger", "ske-innrapportering-boligselskap"] }),
      );
    });
    const plan = parseJson(await pulumi(["preview", "--json"]));
    expect(changesIn(plan)).toEqual({
      "KrrClient::smartcloud-krr": ["update"],
      "System::smartcloud": ["update"],
      "IdportenClient::smartcloud-login": ["replace"],
      "ClientKeys::smartcloud": ["delete"],
      "SystemUserRequestGroup::smartcloud/01": ["delete"], // its only customer removed
      [`ScopeAccess::regnskap/${OTHER_VENDOR}`]: ["delete"],
      "MaskinportenClient::smartcloud-regnskap": ["delete"],
      "ClientKeys::smartcloud-regnskap": ["delete"],
      "MaskinportenClient::smartcloud-agent": ["create"],
      "ClientKeys::smartcloud-agent": ["create"],
      "System::smartcloud-regnskap": ["update"],
      "SystemUserRequestGroup::smartcloud/10": ["update"], // 310000019's rights
    });
    expect(plan.steps.find((s) => s.urn.endsWith("System::smartcloud-regnskap"))!.newState?.inputs?.clientIds).toEqual([UNKNOWN]);
    // The engine's own property diff names the customer that changed inside its group's shard.
    const diff = (await pulumi(["preview", "--diff"])).stdout;
    const shard = diff.slice(diff.indexOf("SystemUserRequestGroup::smartcloud/10"));
    expect(shard).toMatch(/~ customers\s*: \{\s*~ 310000019\s*: \{[\s\S]*?\+ rights\s*:/);
  });

  test("up applies the edit: the simulator shows each change, the outputs follow", async () => {
    await pulumi(["up", "--yes", "--skip-preview"]);
    const out = await outputs();
    const client = (id: string) => api.call("GET", `${SAMARBEID}/clients/${id}`);

    // The replacement: a new login client of the new type; the old one is gone.
    const oldLogin = seen.clientIds["smartcloud-login"]!;
    expect(out.clientIds["smartcloud-login"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.clientIds["smartcloud-login"]).not.toBe(oldLogin);
    expect((await client(oldLogin)).status).toBe(404);
    expect((await client(out.clientIds["smartcloud-login"])).body.integration_type).toBe("ansattporten");

    // The rename: a new client with a new generated key, now the system's; the old one deleted.
    const oldAgent = seen.clientIds["smartcloud-regnskap"]!;
    expect(out.clientIds["smartcloud-regnskap"]).toBeUndefined();
    expect(out.clientIds["smartcloud-agent"]).toMatch(/^[0-9a-f-]{36}$/);
    expect((await client(oldAgent)).status).toBe(404);
    expect((await api.ok("GET", `${ALTINN}/systemregister/vendor/${ORG}_smartcloud-regnskap`)).clientId).toEqual([
      out.clientIds["smartcloud-agent"],
    ]);
    expect(Object.keys(out.privateKeys)).toEqual(["smartcloud-agent"]);
    expect(
      (await api.ok("GET", `${SAMARBEID}/clients/${out.clientIds["smartcloud-agent"]}/jwks`)).keys.map((k: { kid: string }) => k.kid),
    ).toEqual(out.clientKeys["smartcloud-agent"].kids);

    // The updates, in place; the other clients kept their ids.
    for (const name of ["smartcloud", "smartcloud-krr"]) expect(out.clientIds[name]).toBe(seen.clientIds[name]);
    expect((await client(out.clientIds["smartcloud-krr"])).body.client_name).toBe("SmartCloud KRR (renamed)");
    expect((await api.ok("GET", `${ALTINN}/systemregister/vendor/${ORG}_smartcloud`)).description.en).toBe("SmartCloud files tax returns.");
    seen.clientIds = out.clientIds;

    // The removals: the key set, the request still New, the other vendor's grant (revoked: DENIED).
    expect((await api.ok("GET", `${SAMARBEID}/clients/${out.clientIds.smartcloud}/jwks`)).keys).toEqual([]);
    expect(out.requests["smartcloud/310000027"]).toBeUndefined();
    const gone = await api.call("GET", `${ALTINN}/systemuser/request/vendor/byexternalref/${ORG}_smartcloud/310000027/310000027`);
    expect([gone.status, gone.body?.code]).toEqual([404, "AUTH-00010"]);
    expect(await scopeAccess()).toEqual({ [ORG]: "APPROVED", [OTHER_VENDOR]: "DENIED" });
    expect(out.apiScopes.regnskap.consumers).toEqual({ [ORG]: "APPROVED" });

    // The accepted customer's new rights wait for approval as a change request.
    const waiting = (out.awaitingApproval.smartcloud as { customer: string; changeRequest: boolean; confirmUrl: string }[]).find(
      (c) => c.customer === "310000019",
    );
    expect(waiting?.changeRequest).toBe(true);
    expect(waiting?.confirmUrl).toMatch(/\/systemuser\/changerequest\?id=/);
    const changes = await api.ok("GET", `${ALTINN}/systemuser/changerequest/vendor/bysystem/${ORG}_smartcloud`);
    expect(changes.data.map((c: { partyOrgNo: string; status: string }) => `${c.partyOrgNo} ${c.status}`)).toEqual(["310000019 New"]);
  });

  test("refresh right after: no drift", async () => {
    const refresh = parseJson(await pulumi(["refresh", "--preview-only", "--json"]));
    expect(refresh.changeSummary).toEqual({ same: 13 }); // the stack and its 12 resources
    await pulumi(["preview", "--expect-no-changes"]);
  });

  test("a client changed behind Pulumi's back: refresh --preview-only reports it, up --refresh puts it back", async () => {
    const id = seen.clientIds["smartcloud-krr"]!;
    const { created: _c, last_updated: _u, ...body } = (await api.ok("GET", `${SAMARBEID}/clients/${id}`)) as Record<string, unknown>;
    await api.ok("PUT", `${SAMARBEID}/clients/${id}`, { ...body, client_name: "Changed in Samarbeidsportalen" });

    // The JSON has the count; which resource and field only the text shows: for a refresh step the JSON keeps the
    // old state unless the provider returned a detailed diff, which dynamic providers never do
    // (pulumi's backend/display/json.go).
    expect(parseJson(await pulumi(["refresh", "--preview-only", "--json"])).changeSummary).toEqual({ same: 12, update: 1 });
    const text = (await pulumi(["refresh", "--preview-only", "--diff"])).stdout;
    const updated = [
      ...text.matchAll(/~ pulumi-nodejs:dynamic\/\w+:\w+: \(update\)\s*\n\s*\[id=[^\]]*\]\s*\n\s*\[urn=[^\]]*:(\w+::[^\]]+)\]/g),
    ].map((m) => m[1]);
    expect(updated).toEqual(["KrrClient::smartcloud-krr"]);
    expect(text).toMatch(/~ name\s*: "SmartCloud KRR \(renamed\)" => "Changed in Samarbeidsportalen"/);
    // --preview-only wrote nothing: the state still has the declared name.
    expect(resourceIn(await exported(), "KrrClient::smartcloud-krr").outputs.name).toBe("SmartCloud KRR (renamed)");

    await pulumi(["up", "--refresh", "--yes", "--skip-preview"]);
    expect((await api.ok("GET", `${SAMARBEID}/clients/${id}`)).client_name).toBe("SmartCloud KRR (renamed)");
    await pulumi(["preview", "--expect-no-changes"]);
  });

  test("a broken stack file stops the program with file:line:col path: message, changing nothing", async () => {
    const good = fs.readFileSync(stackFile, "utf8");
    editStack((doc) => doc.setIn(["systems", "smartcloud", "clients", 0], "smartclod"));
    try {
      const r = await pulumi(["preview"], { allowFailure: true });
      expect(r.code, r.stdout).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(
        /stacks\/local\.yaml:\d+:\d+ systems\.smartcloud\.clients\[0\]: no client `smartclod` under `clients`: did you mean `smartcloud`\?/,
      );
    } finally {
      fs.writeFileSync(stackFile, good);
    }
  });

  test("destroy: the simulator keeps only what the real services keep by design", async () => {
    await pulumi(["destroy", "--yes", "--skip-preview"]);
    const state = JSON.parse(await exported()).deployment;
    expect((state.resources ?? []).filter((r: { type: string }) => !r.type.startsWith("pulumi:"))).toEqual([]);

    // Clients: only the admin client is left (deleted clients answer 404).
    expect(((await api.ok("GET", `${SAMARBEID}/clients`)) as { client_id: string }[]).map((c) => c.client_id)).toEqual([
      api.bootstrap.clientId,
    ]);
    for (const id of Object.values(seen.clientIds)) expect((await api.call("GET", `${SAMARBEID}/clients/${id}`)).status).toBe(404);

    // The API scope: deactivated, not deleted (Digdir keeps scope names); every grant revoked.
    expect((await api.ok("GET", `${SAMARBEID}/scopes/scope?scope=${encodeURIComponent(SCOPE)}`)).active).toBe(false);
    expect(await scopeAccess()).toEqual({ [ORG]: "DENIED", [OTHER_VENDOR]: "DENIED" });

    // Systems: soft-deleted (Altinn never frees a system id), their client mappings freed; no request or change request open.
    expect(await api.ok("GET", `${ALTINN}/systemregister/vendor`)).toEqual([]);
    for (const name of ["smartcloud", "smartcloud-regnskap"]) {
      const system = await api.ok("GET", `${ALTINN}/systemregister/vendor/${ORG}_${name}`);
      // A soft-deleted system still shows its old clientId list; only the client mappings are freed (altinn-api.md Corrections 4).
      expect({ id: system.id, isDeleted: system.isDeleted }).toEqual({ id: `${ORG}_${name}`, isDeleted: true });
      expect(Array.isArray(system.clientId)).toBe(true);
      expect((await api.ok("GET", `${ALTINN}/systemuser/request/vendor/bysystem/${ORG}_${name}`)).data).toEqual([]);
      expect((await api.ok("GET", `${ALTINN}/systemuser/request/vendor/agent/bysystem/${ORG}_${name}`)).data).toEqual([]);
      expect((await api.ok("GET", `${ALTINN}/systemuser/changerequest/vendor/bysystem/${ORG}_${name}`)).data).toEqual([]);
    }

    // The accepted system user stays: only the customer can delete it.
    const users = (await api.ok("GET", "/_sim/systemusers")).systemUsers as {
      id: string;
      systemId: string;
      reporteeOrgNo: string;
      isDeleted: boolean;
    }[];
    expect(users.map((u) => ({ id: u.id, systemId: u.systemId, reporteeOrgNo: u.reporteeOrgNo, isDeleted: u.isDeleted }))).toEqual([
      { id: seen.systemUserId, systemId: `${ORG}_smartcloud`, reporteeOrgNo: "310000019", isDeleted: false },
    ]);
  });
});

if (!bin) test.skip(`SKIP: ${skipReason}`, () => {});
