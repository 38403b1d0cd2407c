import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ProviderHost, providerTextOf, urnOf, withHost } from "../support/provider-host";

/** Check and diff through the SDK's provider host: offline, so no simulator is needed. */
describe("offline checks through the provider host", () => {
  let host: ProviderHost;
  let provider: string;
  beforeAll(async () => {
    host = await ProviderHost.start();
    await host.configure({ "digdir:environment": "test" });
    provider = providerTextOf("IdportenClient");
  });
  afterAll(() => host?.close());

  test("the serialized provider is a small shim without key material", async () => {
    expect(provider.length).toBeLessThan(4096);
    expect(provider).toContain("./dist/providers/runtime.js");
    expect(provider).not.toMatch(/PRIVATE KEY|"d":/);
  });

  test("an https://localhost redirect URI in test fails in check, naming the field", async () => {
    const r = await host.check(
      urnOf("IdportenClient", "web"),
      {},
      { __provider: provider, name: "web", redirectUris: ["https://localhost/cb"], clientUri: "https://app.example.no" },
    );
    expect(r.failures).toEqual([{ property: "redirectUris[0]", reason: expect.stringMatching(/must use http:\/\//) }]);
  });

  test("check fills in defaults and keeps __provider", async () => {
    const r = await host.check(
      urnOf("IdportenClient", "web"),
      {},
      { __provider: provider, name: "web", redirectUris: ["https://app.example.no/cb"], clientUri: "https://app.example.no" },
    );
    expect(r.failures).toEqual([]);
    expect(r.inputs).toMatchObject({ __provider: provider, tokenEndpointAuthMethod: "private_key_jwt", scopes: ["openid", "profile"] });
  });

  test("a production configuration refuses plain http redirect URIs", async () => {
    await withHost({ "digdir:environment": "prod" }, async (prodHost) => {
      const r = await prodHost.check(
        urnOf("IdportenClient", "web"),
        {},
        { __provider: provider, name: "web", redirectUris: ["http://app.example.no/cb"], clientUri: "https://app.example.no" },
      );
      expect(r.failures.map((f) => f.property)).toEqual(["redirectUris[0]"]);
    });
  });
});
