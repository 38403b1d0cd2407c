import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, test } from "vitest";
import { ApiScope, ClientKeys, MaskinportenClient, ScopeAccess } from "../../providers";

/** What a program registers for keys and scopes, under the SDK's mocks: type tokens and secret outputs. */
interface Registration {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  secretOutputs: string[];
}

describe("key and scope resources as registered", () => {
  const registrations: Registration[] = [];

  beforeAll(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => ({ id: `${args.name}-id`, state: { ...args.inputs, clientId: `${args.name}-id`, name: `${args.inputs.prefix}:${args.inputs.subscope}` } }),
        call: () => ({}),
      },
      "pulumi-digdir",
      "test",
      false,
    );
    const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: (req: { getType(): string; getName(): string; getAdditionalsecretoutputsList(): string[] }, cb: unknown) => unknown };
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
      const raw = (req as unknown as { getObject(): { toJavaScript(): Record<string, unknown> } }).getObject().toJavaScript();
      registrations.push({ type: req.getType(), name: req.getName(), inputs: raw, secretOutputs: req.getAdditionalsecretoutputsList() });
      return original(req, cb);
    };
    const mp = new MaskinportenClient("mp", { name: "mp", scopes: ["a:b"] });
    new ClientKeys("mp-keys", { clientId: mp.clientId, generate: true, rotateAfterDays: 90 }, { additionalSecretOutputs: ["keys"] });
    const scope = new ApiScope("orders", { prefix: "acme", subscope: "orders.read", description: "Ordrer" });
    new ScopeAccess("orders-974761076", { scope: scope.name, consumerOrgNo: "974761076" });
    await new Promise<void>((resolve) => scope.name.apply(() => resolve()));
    await new Promise((r) => setTimeout(r, 50));
  });

  test("ApiScope and ScopeAccess have their own type tokens under the digdir module", () => {
    expect(registrations.map((r) => r.type)).toEqual(expect.arrayContaining(["pulumi-nodejs:dynamic/digdir:ApiScope", "pulumi-nodejs:dynamic/digdir:ScopeAccess", "pulumi-nodejs:dynamic/digdir:ClientKeys"]));
  });

  test("a key set's private JWKs are secret outputs, added to the program's own", () => {
    expect(registrations.find((r) => r.name === "mp-keys")?.secretOutputs).toEqual(["keys", "currentPrivateJwk", "pendingPrivateJwk"]);
  });

  test("a grant waits for its scope: it takes the scope's name output", () => {
    expect(registrations.find((r) => r.name === "orders-974761076")?.inputs.scope).toBe("acme:orders.read");
  });
});
