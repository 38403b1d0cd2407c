import { describe, expect, test } from "vitest";
import { unknownValue } from "../../providers/core/check";
import { scopeNamed } from "../../providers/digdir/api";
import {
  changedScopeFields,
  checkApiScopeInputs,
  desiredScopePayload,
  scopeNameOf,
  scopeOutputs,
  scopeReplacements,
  scopeUpdatePayload,
} from "../../providers/digdir/api-scope-model";

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

  test("the payload uses Digdir's field names and leaves out what is not declared", () => {
    const inputs = checkApiScopeInputs({ ...declared, atMaxAge: 60, delegationSource: "https://tt02.altinn.no/" }).inputs;
    expect(desiredScopePayload(inputs)).toEqual({
      prefix: "acme",
      subscope: "api/orders.read",
      description: "Ordrer",
      visibility: "PUBLIC",
      allowed_integration_types: ["maskinporten"],
      at_max_age: 60,
      accessible_for_all: false,
      delegation_source: "https://tt02.altinn.no/",
      token_type: "SELF_CONTAINED",
      requires_user_consent: false,
      requires_user_authentication: false,
      requires_pseudonymous_tokens: false,
    });
  });

  test("a PUT keeps fields Digdir holds that the inputs leave out, drops read-only ones, and reactivates", () => {
    const inputs = checkApiScopeInputs({ ...declared, description: "Nye ordrer" }).inputs;
    const live = {
      ...desiredScopePayload(inputs),
      name: "acme:api/orders.read",
      at_max_age: 120,
      active: false,
      owner_orgno: "991825827",
      created: "x",
      last_updated: "y",
    };
    const body = scopeUpdatePayload(live, inputs);
    expect(body).toMatchObject({ description: "Nye ordrer", at_max_age: 120, active: true });
    for (const k of ["name", "owner_orgno", "created", "last_updated"]) expect(body).not.toHaveProperty(k);
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
    const a = scopeOutputs(described, {
      prefix: "acme",
      subscope: "api/orders.read",
      allowed_integration_types: ["api_klient", "maskinporten"],
    });
    expect(changedScopeFields(a, described)).toEqual([]);
  });

  test("outputs keep what was sent where Digdir does not echo it, and take Digdir's value where it does", () => {
    const inputs = checkApiScopeInputs({ ...declared, atMaxAge: 60 }).inputs;
    const outs = scopeOutputs(inputs, {
      prefix: "acme",
      subscope: "api/orders.read",
      description: "Ordrer",
      at_max_age: 30,
      owner_orgno: "991825827",
      active: true,
    });
    expect(outs).toMatchObject({
      name: "acme:api/orders.read",
      atMaxAge: 30,
      tokenType: "SELF_CONTAINED",
      ownerOrgNo: "991825827",
      active: true,
    });
  });
});

describe("reading one scope's answer (GET /scopes/scope?scope=: an object, a list taken too)", () => {
  const scope = { prefix: "leverandor", subscope: "a/b", name: "leverandor:a/b", active: true };
  test("the scope itself, or the one of that name in a list; nothing for another name, an empty list or no body", () => {
    expect(scopeNamed(scope, "leverandor:a/b")).toBe(scope);
    expect(scopeNamed([{ ...scope, name: "leverandor:other" }, scope], "leverandor:a/b")).toBe(scope);
    expect(scopeNamed({ prefix: "leverandor", subscope: "a/b" }, "leverandor:a/b")).toEqual({ prefix: "leverandor", subscope: "a/b" });
    expect(scopeNamed(scope, "leverandor:other")).toBeUndefined();
    expect(scopeNamed([], "leverandor:a/b")).toBeUndefined();
    expect(scopeNamed(undefined, "leverandor:a/b")).toBeUndefined();
  });
});
