import { describe, expect, test } from "vitest";
import { unknownValue } from "../../providers/core/check";
import { checkScopeAccessInputs, parseScopeAccessId, scopeAccessId, scopeAccessMoves } from "../../providers/digdir/scope-access-model";

const reasons = (r: { failures: { property: string; reason: string }[] }) =>
  Object.fromEntries(r.failures.map((f) => [f.property, f.reason]));

describe("scope access", () => {
  test("a consumer is a valid organisation number, checked with its mod-11 digit", () => {
    expect(checkScopeAccessInputs({ scope: "acme:api/orders.read", consumerOrgNo: "974761076" }).failures).toEqual([]);
    expect(reasons(checkScopeAccessInputs({ scope: "acme:api/orders.read", consumerOrgNo: "974761077" })).consumerOrgNo).toMatch(
      /check digit \(mod 11\) should be 6/,
    );
    expect(reasons(checkScopeAccessInputs({ scope: "acme:api/orders.read", consumerOrgNo: "0192:974761076" })).consumerOrgNo).toMatch(
      /without the "0192:" prefix/,
    );
    expect(reasons(checkScopeAccessInputs({ scope: "orders", consumerOrgNo: "974761076" })).scope).toMatch(/prefix:subscope/);
    expect(reasons(checkScopeAccessInputs({ scope: "a:b" })).consumerOrgNo).toMatch(/required/);
    expect(reasons(checkScopeAccessInputs({ scope: "a:b", consumerOrgNo: "974761076", state: "x" })).state).toMatch(/unknown field/);
    expect(checkScopeAccessInputs({ scope: unknownValue, consumerOrgNo: unknownValue }).failures).toEqual([]);
  });

  test("the id names the grant and reads back; either part changing, known or not yet, moves it (an update)", () => {
    const i = { scope: "acme:api/v1:orders", consumerOrgNo: "974761076" };
    expect(parseScopeAccessId(scopeAccessId(i))).toEqual(i);
    expect(scopeAccessMoves(i, i)).toEqual([]);
    expect(scopeAccessMoves(i, { ...i, consumerOrgNo: "310000019" })).toEqual(["consumerOrgNo"]);
    expect(scopeAccessMoves(i, { ...i, scope: unknownValue })).toEqual(["scope"]);
  });
});
