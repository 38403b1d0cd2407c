import { describe, expect, test } from "vitest";
import { unknownValue } from "../../providers/core/check";
import {
  changedScopeFields,
  checkApiScopeInputs,
  scopeNameOf,
  scopeOutputs,
  scopeReplacements,
} from "../../providers/digdir/api-scope-model";
import { scopeFromWire } from "../../providers/digdir/wire";

const reasons = (r: { failures: { property: string; reason: string }[] }) =>
  Object.fromEntries(r.failures.map((f) => [f.property, f.reason]));

describe("API scopes", () => {
  const declared = { prefix: "acme", subscope: "api/orders.read", description: "Ordrer" };

  test("defaults follow digdirator's payload and are written into the inputs", () => {
    const r = checkApiScopeInputs(declared);
    expect(r.failures).toEqual([]);
    expect(r.inputs).toEqual({
      ...declared,
      visibility: "PUBLIC",
      allowedIntegrationTypes: ["maskinporten"],
      accessibleForAll: false,
      tokenType: "SELF_CONTAINED",
      requiresUserConsent: false,
      requiresUserAuthentication: false,
      requiresPseudonymousTokens: false,
    });
    expect(scopeNameOf(r.inputs)).toBe("acme:api/orders.read");
  });

  test("invalid inputs name the field and say what is expected", () => {
    const r = reasons(
      checkApiScopeInputs({
        prefix: "Acme",
        subscope: "a b",
        description: " ",
        visibility: "INTERNAL",
        allowedIntegrationTypes: [],
        atMaxAge: 0,
        delegationSource: "altinn",
        extra: 1,
      }),
    );
    // No syntax is imposed on the prefix (Digdir's GET /prefix decides at create); the subscope may not hold spaces.
    expect(r.prefix).toBeUndefined();
    expect(r.subscope).toMatch(/without spaces/);
    expect(r.description).toMatch(/must not be empty/);
    expect(r.visibility).toMatch(/PUBLIC .* or PRIVATE/);
    expect(r.allowedIntegrationTypes).toMatch(/at least one/);
    expect(r.atMaxAge).toMatch(/at least 1 second/);
    expect(r.delegationSource).toMatch(/issuer URL/);
    expect(r.extra).toMatch(/unknown field/);
    expect(reasons(checkApiScopeInputs({ ...declared, tokenType: "OPAQUE" })).tokenType).toMatch(/self-contained/);
    expect(checkApiScopeInputs({ ...declared, prefix: unknownValue }).failures).toEqual([]);
  });

  test("the name is immutable: prefix or subscope changes replace, the rest updates in place", () => {
    const olds = scopeOutputs(checkApiScopeInputs(declared).inputs, { prefix: "acme", subscope: "api/orders.read", active: true });
    const same = checkApiScopeInputs(declared).inputs;
    expect(changedScopeFields(olds, same)).toEqual([]);
    const described = checkApiScopeInputs({
      ...declared,
      description: "Annet",
      allowedIntegrationTypes: ["maskinporten", "api_klient"],
    }).inputs;
    expect(changedScopeFields(olds, described)).toEqual(["description", "allowedIntegrationTypes"]);
    expect(scopeReplacements(changedScopeFields(olds, described))).toEqual([]);
    const renamed = checkApiScopeInputs({ ...declared, subscope: "api/orders.write" }).inputs;
    expect(scopeReplacements(changedScopeFields(olds, renamed), renamed)).toEqual(["subscope"]);
    // Not known yet (a preview): a change, never on its own a replacement.
    const unknownName = { ...same, subscope: unknownValue };
    expect(changedScopeFields(olds, unknownName)).toEqual(["subscope"]);
    expect(scopeReplacements(changedScopeFields(olds, unknownName), unknownName)).toEqual([]);
    // Order carries no meaning in allowed integration types.
    const a = scopeOutputs(
      described,
      scopeFromWire({ prefix: "acme", subscope: "api/orders.read", allowed_integration_types: ["api_klient", "maskinporten"] }),
    );
    expect(changedScopeFields(a, described)).toEqual([]);
  });
});
