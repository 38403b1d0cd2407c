import { describe, expect, test } from "vitest";
import { unknownValue } from "../../providers/core/check";
import { checkClientInputs, desiredClientPayload, rotationTriggerChanged, secretRotationNeeded } from "../../providers/digdir/client-model";

const web = {
  name: "Hemmelig",
  clientUri: "https://app.example.no",
  redirectUris: ["https://app.example.no/cb"],
  tokenEndpointAuthMethod: "client_secret_basic",
};

describe("client secret rotation", () => {
  test("rotationTrigger is kept in the inputs and never sent to Digdir", () => {
    const r = checkClientInputs("IdportenClient", { ...web, rotationTrigger: "2026-Q1" }, "test");
    expect(r.failures).toEqual([]);
    expect(r.inputs.rotationTrigger).toBe("2026-Q1");
    expect(JSON.stringify(desiredClientPayload("IdportenClient", r.inputs))).not.toContain("2026-Q1");
  });

  test("a client without a secret takes no rotationTrigger", () => {
    const r = checkClientInputs("IdportenClient", { ...web, tokenEndpointAuthMethod: "private_key_jwt", rotationTrigger: "1" }, "test");
    expect(r.failures.map((f) => f.property)).toEqual(["rotationTrigger"]);
    expect(r.failures[0].reason).toMatch(/private_key_jwt client has none/);
    expect(checkClientInputs("MaskinportenClient", { name: "x", scopes: ["a:b"], rotationTrigger: "1" }, "test").failures[0].property).toBe(
      "rotationTrigger",
    );
  });

  test("a new secret when the trigger changes, when the client moves to a secret method, or when the state has none", () => {
    const olds = { tokenEndpointAuthMethod: "client_secret_basic", clientSecret: "s", rotationTrigger: "1" };
    expect(secretRotationNeeded(olds, { tokenEndpointAuthMethod: "client_secret_basic", rotationTrigger: "1" })).toBe(false);
    expect(secretRotationNeeded(olds, { tokenEndpointAuthMethod: "client_secret_basic", rotationTrigger: "2" })).toBe(true);
    expect(secretRotationNeeded(olds, { tokenEndpointAuthMethod: "client_secret_basic" })).toBe(true);
    expect(
      secretRotationNeeded({ ...olds, clientSecret: undefined }, { tokenEndpointAuthMethod: "client_secret_basic", rotationTrigger: "1" }),
    ).toBe(true);
    expect(secretRotationNeeded({ tokenEndpointAuthMethod: "private_key_jwt" }, { tokenEndpointAuthMethod: "client_secret_post" })).toBe(
      true,
    );
    expect(secretRotationNeeded(olds, { tokenEndpointAuthMethod: "private_key_jwt", rotationTrigger: "2" })).toBe(false);
    expect(rotationTriggerChanged(olds, { rotationTrigger: unknownValue })).toBe(true);
  });

  test("an adopted client (clientId declared) keeps the secret its applications use until its rotationTrigger changes", () => {
    const adopted = { tokenEndpointAuthMethod: "client_secret_basic", clientId: "c1" };
    expect(secretRotationNeeded(adopted, { ...adopted, name: "Nytt navn" })).toBe(false);
    expect(secretRotationNeeded(adopted, { ...adopted, rotationTrigger: "2026-Q1" })).toBe(true);
    expect(secretRotationNeeded({ ...adopted, tokenEndpointAuthMethod: "private_key_jwt" }, adopted)).toBe(true);
  });
});
