import { beforeAll, describe, expect, test } from "vitest";
import { ApiScope, ClientKeys, MaskinportenClient, ScopeAccess } from "../../providers";
import { captureRegistrations, type Registration } from "../support/engine";

/** What a program registers for keys and scopes, under the SDK's mocks: type tokens and secret outputs. */
describe("key and scope resources as registered", () => {
  let registrations: Registration[] = [];

  beforeAll(async () => {
    registrations = await captureRegistrations(
      // As the providers answer: a scope's id is its name (prefix:subscope), a client's its client id.
      (args) => {
        const id = /:ApiScope$/.test(args.type) ? `${args.inputs.prefix}:${args.inputs.subscope}` : `${args.name}-id`;
        return { id, state: { ...args.inputs, clientId: `${args.name}-id`, name: id } };
      },
      async () => {
        const mp = new MaskinportenClient("mp", { name: "mp", scopes: ["a:b"] });
        new ClientKeys("mp-keys", { clientId: mp.clientId, generate: true, rotateAfterDays: 90 }, { additionalSecretOutputs: ["keys"] });
        const scope = new ApiScope("orders", { prefix: "acme", subscope: "orders.read", description: "Ordrer" });
        new ScopeAccess("orders-974761076", { scope: scope.name, consumerOrgNo: "974761076" });
        await new Promise<void>((resolve) => scope.name.apply(() => resolve()));
        await new Promise((r) => setTimeout(r, 50));
      },
    );
  });

  test("ApiScope and ScopeAccess have their own type tokens under the digdir module", () => {
    expect(registrations.map((r) => r.type)).toEqual(
      expect.arrayContaining([
        "pulumi-nodejs:dynamic/digdir:ApiScope",
        "pulumi-nodejs:dynamic/digdir:ScopeAccess",
        "pulumi-nodejs:dynamic/digdir:ClientKeys",
      ]),
    );
  });

  test("a key set's private JWKs are secret outputs, added to the program's own", () => {
    expect(registrations.find((r) => r.name === "mp-keys")?.secretOutputs).toEqual(["keys", "currentPrivateJwk", "pendingPrivateJwk"]);
  });

  test("a grant waits for its scope: it takes the scope's name output", () => {
    expect(registrations.find((r) => r.name === "orders-974761076")?.inputs.scope).toBe("acme:orders.read");
  });
});
