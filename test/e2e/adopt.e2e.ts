import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { ALTINN, e2eSetUp, opsByResource, parseJson, run, SAMARBEID, type E2e, type RunResult, type SimApi } from "./support";

/**
 * Adopting an organisation built by hand (stacks/README.md, "Adopting an organisation"), through the real Pulumi
 * CLI against the simulator: clients of each type with keys, a scope with consumers, two systems, standard and
 * agent requests in several states and a system user a customer created, all made through the services' plain
 * HTTP APIs as Samarbeidsportalen and scripts would → `npm run export` → the file validates → `pulumi up` creates,
 * deletes and replaces nothing → `pulumi preview --expect-no-changes` → an edit of the exported file is an ordinary
 * update → a client made by hand afterwards is listed by `--unmanaged`.
 */

const bin = inject("pulumiBin");

const ORG = "991825827";
const SCOPE = "leverandor:adopt.read";
const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";

describe.skipIf(!bin)("adopting an organisation made by hand: export, validate, up", () => {
  let e2e: E2e;
  let proj: string;
  let env: NodeJS.ProcessEnv;
  let api: SimApi;
  const made: { clients: Record<string, string>; requests: Record<string, string> } = { clients: {}, requests: {} };

  const pulumi: E2e["pulumi"] = (args, opts) => e2e.pulumi(args, opts);
  const node = (args: string[], allowFailure = false): Promise<RunResult> => run(process.execPath, args, { cwd: proj, env, allowFailure });
  const stackFile = () => path.join(proj, "stacks/local.yaml");

  /** A public RSA key as a JWK, its private half thrown away: what a team registers in Samarbeidsportalen. */
  const publicJwk = (kid: string) => ({
    ...(generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ format: "jwk" }) as object),
    kid,
    alg: "RS256",
    use: "sig",
  });

  beforeAll(async () => {
    e2e = await e2eSetUp({ bin, name: "adopt", passphrase: "adopt-passphrase" });
    ({ proj, env, api } = e2e);
    fs.rmSync(path.join(proj, "stacks/local.yaml"));
  }, 120_000);

  afterAll(() => e2e?.close());

  test("an organisation is built through the services' plain HTTP APIs, as by hand and by scripts", async () => {
    const client = async (name: string, body: Record<string, unknown>, kid?: string) => {
      const c = await api.ok("POST", `${SAMARBEID}/clients`, { client_name: name, description: `${name} (laget for hånd)`, ...body });
      made.clients[name] = c.client_id;
      if (kid) await api.ok("POST", `${SAMARBEID}/clients/${c.client_id}/jwks`, { keys: [publicJwk(kid)] });
      return c.client_id as string;
    };
    const machine = {
      application_type: "web",
      token_endpoint_auth_method: "private_key_jwt",
      grant_types: [JWT_BEARER],
      access_token_lifetime: 300,
    };
    const mp = await client(
      "Regnskap API",
      { ...machine, integration_type: "maskinporten", scopes: ["altinn:authentication/systemuser.request.read"] },
      "regnskap-2025",
    );
    const agent = await client(
      "Regnskap byrå",
      { ...machine, integration_type: "maskinporten", scopes: ["altinn:authentication/systemuser.request.read"] },
      "byra-2025",
    );
    await client(
      "Kontaktregister",
      { ...machine, integration_type: "krr", scopes: ["krr:global/kontaktinformasjon.read", "krr:global/digitalpost.read"] },
      "krr-2025",
    );
    const login = {
      application_type: "web",
      grant_types: ["authorization_code", "refresh_token"],
      redirect_uris: ["https://app.smartcloud.example/callback"],
      post_logout_redirect_uris: ["https://app.smartcloud.example/"],
      frontchannel_logout_session_required: true,
      authorization_lifetime: 7200,
      access_token_lifetime: 120,
      refresh_token_lifetime: 600,
      refresh_token_usage: "ONETIME",
      code_challenge_method: "S256",
    };
    await client("Innlogging", {
      ...login,
      integration_type: "idporten",
      token_endpoint_auth_method: "client_secret_basic",
      scopes: ["openid", "profile"],
      sso_disabled: false,
    });
    await client(
      "Ansattportal",
      {
        ...login,
        integration_type: "ansattporten",
        token_endpoint_auth_method: "private_key_jwt",
        scopes: ["openid", "profile"],
        sso_disabled: true,
      },
      "ansatt-2025",
    );

    await api.ok("POST", `${SAMARBEID}/scopes`, {
      prefix: "leverandor",
      subscope: "adopt.read",
      description: "Regnskapsdata",
      visibility: "PRIVATE",
      allowed_integration_types: ["maskinporten"],
    });
    for (const consumer of [ORG, "974761076"])
      await api.ok("PUT", `${SAMARBEID}/scopes/access/${consumer}?scope=${encodeURIComponent(SCOPE)}`);

    const text = (s: string) => ({ nb: s, nn: s, en: s });
    const right = (value: string) => ({ resource: [{ id: "urn:altinn:resource", value }] });
    await api.ok("POST", `${ALTINN}/systemregister/vendor`, {
      id: `${ORG}_regnskap`,
      vendor: { ID: `0192:${ORG}` },
      name: text("Regnskap"),
      description: text("Regnskap i skyen"),
      rights: [right("ske-krav-og-betalinger")],
      clientId: [mp],
      allowedRedirectUrls: ["https://app.smartcloud.example/receipt"],
      isVisible: true,
    });
    await api.ok("POST", `${ALTINN}/systemregister/vendor`, {
      id: `${ORG}_byra`,
      vendor: { ID: `0192:${ORG}` },
      name: text("Byrå"),
      description: text("For regnskapsførere"),
      rights: [],
      accessPackages: [{ urn: "urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet" }],
      clientId: [agent],
      isVisible: false,
    });

    const request = async (orgNo: string, body: Record<string, unknown>, agentRequest = false) => {
      const r = await api.ok("POST", `${ALTINN}/systemuser/request/vendor${agentRequest ? "/agent" : ""}`, {
        systemId: agentRequest ? `${ORG}_byra` : `${ORG}_regnskap`,
        partyOrgNo: orgNo,
        ...body,
      });
      made.requests[orgNo] = r.id;
      return r.id as string;
    };
    const std = { rights: [right("ske-krav-og-betalinger")] };
    await api.ok("POST", `/_sim/systemuser-requests/${await request("310000019", { ...std, externalRef: "310000019" })}/accept`);
    await request("310000027", { ...std, externalRef: "avd-bergen", redirectUrl: "https://app.smartcloud.example/receipt" }); // pending
    await api.ok("POST", `/_sim/systemuser-requests/${await request("310000035", std)}/reject`);
    await request("310000043", { accessPackages: [{ urn: "urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet" }] }, true); // pending agent
    // A customer creates a system user for the visible system in Altinn, with no request.
    await api.ok("POST", "/_sim/systemusers", { systemId: `${ORG}_regnskap`, partyOrgNo: "310000043" });
  });

  test("npm run export writes a stack file and key files that validate, and records the objects in the state", async () => {
    const r = await node(["dist/stacks/export/cli.js", "--stack", "local"]);
    expect(r.stdout).toMatch(/wrote stacks\/local\.yaml/);
    expect(r.stdout).toMatch(/recorded \d+ resources in the state of local/);
    const text = fs.readFileSync(stackFile(), "utf8");
    const doc = YAML.parse(text);
    // What could not be exported is said at the top: the admin client, the rejected request.
    expect(text).toMatch(new RegExp(`^# .*Not exported:[\\s\\S]*client ${api.bootstrap.clientId} .*the admin client`, "m"));
    expect(text).toMatch(/310000035 \(Rejected\)/);
    // Each object says where it came from.
    expect(text).toContain(`# adopted: client ${made.clients["Regnskap API"]}`);
    expect(text).toContain(`# adopted: system ${ORG}_regnskap`);
    expect(
      Object.values(doc.clients)
        .map((c: any) => c.clientId)
        .sort(),
    ).toEqual(Object.values(made.clients).sort());
    expect(doc.clients["regnskap-api"]).toMatchObject({
      type: "maskinporten",
      accessTokenLifetime: 300,
      keys: [{ file: "keys/local-regnskap-api.jwks.json" }],
    });
    expect(doc.clients.innlogging).toMatchObject({ type: "idporten", tokenEndpointAuthMethod: "client_secret_basic" });
    expect(doc.clients.ansattportal).toMatchObject({ type: "idporten", integrationType: "ansattporten" });
    const jwks = JSON.parse(fs.readFileSync(path.join(proj, "stacks/keys/local-regnskap-api.jwks.json"), "utf8"));
    expect(jwks.keys.map((k: any) => k.kid)).toEqual(["regnskap-2025"]);
    expect(jwks.keys[0]).not.toHaveProperty("d"); // public only
    expect(doc.apiScopes).toEqual({
      "leverandor-adopt.read": expect.objectContaining({
        prefix: "leverandor",
        subscope: "adopt.read",
        visibility: "PRIVATE",
        consumers: ["974761076", ORG],
      }),
    });
    expect(doc.systems.regnskap).toMatchObject({ rights: ["ske-krav-og-betalinger"], clients: ["regnskap-api"], isVisible: true });
    expect(doc.systems.byra).toMatchObject({
      accessPackages: ["regnskapsforer-med-signeringsrettighet"],
      clients: ["regnskap-byra"],
      isVisible: false,
    });
    const customers = Object.values(doc.requests).flatMap((g: any) => g.customers.map((c: any) => (typeof c === "string" ? c : c.orgNo)));
    expect(customers.sort()).toEqual(["310000019", "310000027", "310000043"]);
    expect(Object.values(doc.agentRequests).flatMap((g: any) => g.customers)).toEqual(["310000043"]);

    const valid = await node(["dist/stacks/cli.js", "validate", "stacks/local.yaml"]);
    expect(valid.stdout).toMatch(/valid/);
  });

  test("the first pulumi up creates, deletes and replaces nothing; then there is nothing to change", async () => {
    const clientsBefore = ((await api.ok("GET", `${SAMARBEID}/clients`)) as unknown[]).length;
    const plan = parseJson(await pulumi(["preview", "--json"]));
    const ops = new Set(Object.values(opsByResource(plan)).flat());
    for (const op of ["create", "delete", "replace", "create-replacement", "delete-replaced"])
      expect(ops.has(op), `preview plans ${op}: ${JSON.stringify(opsByResource(plan))}`).toBe(false);
    await pulumi(["up", "--yes", "--skip-preview"]);
    // What the update did, as the engine recorded it.
    const [last] = parseJson<{ resourceChanges?: Record<string, number> }[]>(
      await pulumi(["stack", "history", "--json", "--page-size", "1"]),
    );
    const changes = last?.resourceChanges ?? {};
    // 18 objects (5 clients, 4 key sets, a scope, 2 grants, 2 systems, 4 requests) and the stack: nothing but same.
    expect(changes).toEqual({ same: 19 });
    expect(((await api.ok("GET", `${SAMARBEID}/clients`)) as unknown[]).length).toBe(clientsBefore);
    await pulumi(["preview", "--expect-no-changes"]);
  });

  test("an edit of the exported file is an ordinary update", async () => {
    const doc = YAML.parseDocument(fs.readFileSync(stackFile(), "utf8"));
    doc.setIn(["systems", "regnskap", "description", "en"], "Accounting in the cloud");
    doc.setIn(["apiScopes", "leverandor-adopt.read", "description"], "Regnskapsdata, lesing");
    doc.setIn(["clients", "regnskap-api", "accessTokenLifetime"], 600);
    fs.writeFileSync(stackFile(), doc.toString());
    const plan = parseJson(await pulumi(["preview", "--json"]));
    const changed = Object.fromEntries(Object.entries(opsByResource(plan)).filter(([, o]) => o.join() !== "same"));
    expect(changed).toEqual({
      "System::regnskap": ["update"],
      "MaskinportenClient::regnskap-api": ["update"],
      "ApiScope::leverandor-adopt.read": ["update"],
    });
    await pulumi(["up", "--yes", "--skip-preview"]);
    expect((await api.ok("GET", `${SAMARBEID}/clients/${made.clients["Regnskap API"]}`)).access_token_lifetime).toBe(600);
    expect((await api.ok("GET", `${ALTINN}/systemregister/vendor/${ORG}_regnskap`)).description.en).toBe("Accounting in the cloud");
    const scopes = (await api.ok("GET", `${SAMARBEID}/scopes`)) as { name: string; description: string }[];
    expect(scopes.find((x) => x.name === SCOPE)?.description).toBe("Regnskapsdata, lesing");
    await pulumi(["preview", "--expect-no-changes"]);
  });

  test("--unmanaged finds nothing, then a client made by hand after the adoption (exit 2)", async () => {
    const none = await node(["dist/stacks/export/cli.js", "--stack", "local", "--unmanaged"], true);
    expect(none.stdout, none.stderr).toMatch(/nothing unmanaged/);
    expect(none.code).toBe(0);
    const late = await api.ok("POST", `${SAMARBEID}/clients`, {
      client_name: "Laget etterpå",
      integration_type: "maskinporten",
      application_type: "web",
      token_endpoint_auth_method: "private_key_jwt",
      grant_types: [JWT_BEARER],
      scopes: ["altinn:authentication/systemuser.request.read"],
    });
    const some = await node(["dist/stacks/export/cli.js", "--stack", "local", "--unmanaged"], true);
    expect(some.code).toBe(2);
    expect(some.stdout).toContain(`client ${late.client_id} (maskinporten, "Laget etterpå")`);
    expect(some.stdout).toMatch(/^1 live object of 991825827/);
  });

  test("a second export overwrites nothing without --force, and records nothing in a stack that manages resources", async () => {
    const before = fs.readFileSync(stackFile(), "utf8");
    const refused = await node(["dist/stacks/export/cli.js", "--stack", "local"], true);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/stacks\/local\.yaml exists: nothing was written/);
    expect(fs.readFileSync(stackFile(), "utf8")).toBe(before);
    const forced = await node(["dist/stacks/export/cli.js", "--stack", "local", "--force"], true);
    expect(forced.code).toBe(1);
    expect(forced.stderr).toMatch(/the stack local manages 18 resources already, so the export recorded nothing in its state/);
  });
});
