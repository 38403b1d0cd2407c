import { beforeAll, describe, expect, test } from "vitest";
import { ClientKeys, IdportenClient, KrrClient, MaskinportenClient } from "../../providers";
import { captureRegistrations, type Registration } from "../support/engine";

/**
 * What a program registers with the engine, under the SDK's mocks: type tokens, the serialized provider and its
 * size (stored with every resource), and the outputs the engine must keep secret.
 */
describe("resource registration", () => {
  let registrations: Registration[] = [];

  beforeAll(async () => {
    registrations = await captureRegistrations(
      (args) => ({ id: `${args.name}-id`, state: { ...args.inputs, clientId: `${args.name}-id` } }),
      async () => {
        const mp = new MaskinportenClient("mp", { name: "mp", scopes: ["a:b"] });
        new KrrClient("krr", { name: "krr" });
        new IdportenClient("web", { name: "web", redirectUris: ["https://x.no/cb"], tokenEndpointAuthMethod: "client_secret_basic" });
        new ClientKeys("mp-keys", { clientId: mp.clientId, keys: [] });
        await new Promise<void>((resolve) => mp.clientId.apply(() => resolve()));
        await new Promise((r) => setTimeout(r, 50));
      },
    );
  });

  test("each kind has its own type token under the digdir module", () => {
    expect(registrations.map((r) => r.type).sort()).toEqual([
      "pulumi-nodejs:dynamic/digdir:ClientKeys",
      "pulumi-nodejs:dynamic/digdir:IdportenClient",
      "pulumi-nodejs:dynamic/digdir:KrrClient",
      "pulumi-nodejs:dynamic/digdir:MaskinportenClient",
    ]);
  });

  test("the serialized provider stored with each resource stays under 8 KB", () => {
    for (const r of registrations) {
      expect(typeof r.inputs.__provider).toBe("string");
      expect((r.inputs.__provider as string).length).toBeLessThan(8 * 1024);
    }
  });

  test("an ID-porten client's secret is registered as a secret output", () => {
    expect(registrations.find((r) => r.name === "web")?.secretOutputs).toEqual(["clientSecret"]);
  });

  test("a key set is wired to its client's id output", () => {
    expect(registrations.find((r) => r.name === "mp-keys")?.inputs.clientId).toBe("mp-id");
  });
});
