import { describe, expect, test } from "vitest";
import { ApiScope, ClientKeys, MaskinportenClient, ScopeAccess, System } from "../../providers";
import { unknownValue } from "../../providers/core/check";
import { captureRegistrations, type Registration } from "../support/engine";

/**
 * What a program's resources receive in `pulumi preview`. For an update the engine answers the resource's old id
 * and, as outputs, only its new inputs (the SDK's provider host has no preview of its own); for a create no id.
 * The SDK's mocks in preview mode answer the same way here, so this is the program's side of it: a client's
 * `clientId` and a scope's `name` come from the id, and stay known to what uses them (providers/README.md, "What a
 * preview knows").
 */
async function previewOf(existing: boolean): Promise<Registration[]> {
  return captureRegistrations(
    // The engine's answer in a preview: the inputs as outputs; the id only when the resource exists already.
    (args) => ({
      id: existing ? (/:ApiScope$/.test(args.type) ? `${args.inputs.prefix}:${args.inputs.subscope}` : `${args.name}-id`) : "",
      state: { ...args.inputs },
    }),
    async () => {
      const client = new MaskinportenClient("smartcloud", { name: "SmartCloud", scopes: ["a:b", "c:d"] });
      new ClientKeys("smartcloud", { clientId: client.clientId, keys: [] });
      new System("smartcloud", {
        systemId: "991825827_smartcloud",
        name: { nb: "S", nn: "S", en: "S" },
        description: { nb: "S", nn: "S", en: "S" },
        clientIds: [client.clientId],
      });
      const scope = new ApiScope("regnskap", { prefix: "leverandor", subscope: "regnskap.read", description: "Ny tekst" });
      new ScopeAccess("regnskap/974761076", { scope: scope.name, consumerOrgNo: "974761076" });
      await new Promise((r) => setTimeout(r, 300));
    },
    { preview: true },
  );
}

const inputsOf = (rs: Registration[], type: string) => rs.find((r) => r.type.endsWith(`:${type}`))!.inputs;

describe("what a preview knows", () => {
  test("in the preview of an update, the client id and the scope name stay known to the key set, the system and the grant", async () => {
    const rs = await previewOf(true);
    expect(inputsOf(rs, "ClientKeys").clientId).toBe("smartcloud-id");
    expect(inputsOf(rs, "System").clientIds).toEqual(["smartcloud-id"]);
    expect(inputsOf(rs, "ScopeAccess").scope).toBe("leverandor:regnskap.read");
  });

  test("in the preview of a create, they are unknown: the client and the scope do not exist yet", async () => {
    const rs = await previewOf(false);
    expect(inputsOf(rs, "ClientKeys").clientId).toBe(unknownValue);
    expect(inputsOf(rs, "System").clientIds).toEqual([unknownValue]);
    expect(inputsOf(rs, "ScopeAccess").scope).toBe(unknownValue);
  });
});
