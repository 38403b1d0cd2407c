import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type ProviderHost, providerTextOf, urnOf, withHost } from "../support/provider-host";
import { type Bootstrap, control, type Simulator, startSim } from "../support/sim";

/** How the provider host gets its credentials: stack config through Configure, else environment variables. */
describe("provider configuration", () => {
  let sim: Simulator;
  let provider: string;
  beforeAll(async () => {
    sim = await startSim();
    provider = providerTextOf("MaskinportenClient");
  });
  afterAll(async () => {
    await sim?.close();
  });

  async function createWith(host: ProviderHost): Promise<{ id: string; outs: Record<string, unknown> }> {
    const urn = urnOf("MaskinportenClient", "cfg");
    const checked = await host.check(urn, {}, { __provider: provider, name: "cfg", scopes: ["krr:global/kontaktinformasjon.read"] });
    return host.create(urn, checked.inputs);
  }

  test("credentials from stack config, the private key arriving as an unwrapped secret", async () => {
    const other = await control<Bootstrap>(sim, "POST", "/orgs", {
      orgNo: "974761076",
      name: "Andre Simulerte Leverandør AS",
      vendor: true,
    });
    const config = {
      "digdir:environment": "local",
      "digdir:simulatorUrl": sim.url,
      "digdir:clientId": other.clientId,
      "digdir:keyId": other.kid,
      "digdir:privateKey": JSON.stringify(other.privateJwk),
    };
    const created = await withHost(config, createWith);
    expect(created.outs.clientOrgNo).toBe("974761076");
  });

  test("credentials from environment variables when the stack config has none", async () => {
    const boot = sim.bootstrap;
    const env = {
      ...process.env,
      DIGDIR_ENVIRONMENT: "local",
      DIGDIR_SIMULATOR_URL: sim.url,
      DIGDIR_CLIENT_ID: boot.clientId,
      DIGDIR_KEY_ID: boot.kid,
      DIGDIR_PRIVATE_KEY: JSON.stringify(boot.privateJwk),
    };
    const created = await withHost({}, createWith, { env });
    expect(created.outs.clientOrgNo).toBe("991825827");
  });

  test("URL and credentials from the simulator's bootstrap file", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "sim-boot-"));
    const other = await startSim({ stateDir });
    try {
      const created = await withHost(
        { "digdir:environment": "local", "digdir:simulatorBootstrap": join(stateDir, "bootstrap.json") },
        createWith,
      );
      expect(created.outs.tokenEndpoint).toBe(`${other.url}/maskinporten/token`);
    } finally {
      await other.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  test("a missing private key is reported by its setting name, with how to set it", async () => {
    const err = await withHost({ "digdir:environment": "test", "digdir:clientId": "some-client" }, createWith, {
      env: { ...process.env, DIGDIR_PRIVATE_KEY: "" },
    }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/digdir:privateKey \(DIGDIR_PRIVATE_KEY\).*pulumi config set --secret digdir:privateKey/);
  });
});
