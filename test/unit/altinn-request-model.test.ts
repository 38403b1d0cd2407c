import { describe, expect, test } from "vitest";
import { unknownValue } from "../../providers/core/check";
import { checkRequestInputs, parseRequestResourceId, requestResourceId } from "../../providers/altinn/request-model";
import { krav, bolig, skattegrunnlag, regnskap, offer, standard, agentOffer, agentRequest } from "./altinn-requests.fixtures";

function reasons(r: { failures: { property: string; reason: string }[] }): Record<string, string> {
  return Object.fromEntries(r.failures.map((f) => [f.property, f.reason]));
}

describe("system user request inputs: what check refuses before any call", () => {
  test("a valid request passes and keeps its explicit externalRef", () => {
    const r = checkRequestInputs("SystemUserRequest", { ...standard, systemOffer: offer });
    expect(r.failures).toEqual([]);
    // The system's offer is judged, then left out: the inputs say what the customer is asked, nothing more.
    expect(r.inputs).toEqual({ ...standard, accessPackages: [] });
  });

  test("seed 002's request is refused: its partyOrgNo 57623423 has 8 digits, and the system allows no redirect URL", () => {
    const seed002 = {
      externalRef: "min_ref",
      systemId: "974761076_skatt_demo_system",
      partyOrgNo: "57623423",
      rights: [{ resource: [{ value: "ske-innrapportering-boligselskap", id: "urn:altinn:resource" }] }],
      redirectUrl: "https://skatteetaten.no/sbs",
      systemOffer: { rights: [bolig], accessPackages: [], allowedRedirectUrls: [] },
    };
    const r = checkRequestInputs("SystemUserRequest", seed002);
    expect(reasons(r).partyOrgNo).toBe(
      `the customer's organisation number: must be a 9-digit organisation number; "57623423" has 8 digits`,
    );
    expect(reasons(r).redirectUrl).toMatch(/the system has no allowedRedirectUrls.*AUTH-00026/);
  });

  test("a customer orgno with a wrong check digit is refused", () => {
    expect(reasons(checkRequestInputs("SystemUserRequest", { ...standard, partyOrgNo: "310000018" })).partyOrgNo).toMatch(
      /should be 9 \(310000019\)/,
    );
  });

  test("a missing customer orgno is refused", () => {
    const { partyOrgNo: _p, ...rest } = standard;
    expect(reasons(checkRequestInputs("SystemUserRequest", rest)).partyOrgNo).toMatch(/^required: the customer's organisation number/);
  });

  test("externalRef defaults to the customer orgno, written into the inputs", () => {
    const { externalRef: _e, ...rest } = standard;
    expect(checkRequestInputs("SystemUserRequest", rest).inputs.externalRef).toBe("310000019");
  });

  test("an empty externalRef is refused (Altinn would store the orgno but compare the empty string)", () => {
    expect(reasons(checkRequestInputs("SystemUserRequest", { ...standard, externalRef: "" })).externalRef).toMatch(/must not be empty/);
  });

  test("an externalRef that cannot travel in a URL path, or with spaces at its ends, is refused", () => {
    expect(reasons(checkRequestInputs("SystemUserRequest", { ...standard, externalRef: "a/b" })).externalRef).toMatch(/URL paths/);
    expect(reasons(checkRequestInputs("SystemUserRequest", { ...standard, externalRef: "kunde-1 " })).externalRef).toMatch(
      /leading or trailing spaces/,
    );
  });

  test("a system id of the wrong form, or of another vendor than the configured one, is refused", () => {
    expect(reasons(checkRequestInputs("SystemUserRequest", { ...standard, systemId: "smartcloud" })).systemId).toMatch(
      /<vendor orgno>_<name>/,
    );
    expect(reasons(checkRequestInputs("SystemUserRequest", standard, { configuredVendor: "974761076" })).systemId).toMatch(
      /belongs to vendor 991825827/,
    );
  });

  test("a request without rights and packages is refused", () => {
    expect(reasons(checkRequestInputs("SystemUserRequest", { ...standard, rights: [] })).rights).toMatch(
      /at least one right or access package/,
    );
  });

  test("a right the system does not declare is refused, naming the system's rights", () => {
    const r = checkRequestInputs("SystemUserRequest", {
      ...standard,
      rights: [krav, { resource: [{ value: "ske-annet" }] }],
      systemOffer: offer,
    });
    expect(reasons(r)["rights[1]"]).toBe(
      "ske-annet is not among the system's rights (ske-krav-og-betalinger, ske-innrapportering-boligselskap): a request can only ask for rights the System declares; add it there first (Altinn: AUTH-00001)",
    );
  });

  test("a package the system does not declare is refused", () => {
    const r = checkRequestInputs("SystemUserRequest", {
      ...standard,
      accessPackages: [{ urn: "urn:altinn:accesspackage:post-og-arkiv" }],
      systemOffer: offer,
    });
    expect(reasons(r)["accessPackages[0]"]).toMatch(
      /urn:altinn:accesspackage:post-og-arkiv is not among the system's access packages \(urn:altinn:accesspackage:skattegrunnlag\).*AUTH-00063/,
    );
  });

  test("a redirect URL that is not one of the system's is refused; the query is ignored and the host's case too", () => {
    const ok = checkRequestInputs("SystemUserRequest", {
      ...standard,
      redirectUrl: "https://Vendor.example.no/receipt?kunde=1",
      systemOffer: offer,
    });
    expect(ok.failures).toEqual([]);
    const r = checkRequestInputs("SystemUserRequest", {
      ...standard,
      redirectUrl: "https://vendor.example.no/receipt/other",
      systemOffer: offer,
    });
    expect(reasons(r).redirectUrl).toMatch(
      /is not one of the system's allowedRedirectUrls \(https:\/\/vendor.example.no\/receipt\).*AUTH-00021/,
    );
  });

  test("a client package in a standard request is refused with the agent resource suggested", () => {
    const r = checkRequestInputs("SystemUserRequest", { ...standard, rights: [], accessPackages: [regnskap] });
    expect(reasons(r)["accessPackages[0]"]).toMatch(
      /is a client package, not assignable to a standard system user \(Altinn: AUTH-00064\): request it with an AgentSystemUserRequest/,
    );
  });

  test("the system's isAssignable hint decides for packages the provider does not know", () => {
    const hinted = { accessPackages: [{ urn: "urn:altinn:accesspackage:ny-klientpakke", isAssignable: false }] };
    const r = checkRequestInputs("SystemUserRequest", {
      ...standard,
      rights: [],
      accessPackages: [{ urn: "urn:altinn:accesspackage:ny-klientpakke" }],
      systemOffer: hinted,
    });
    expect(reasons(r)["accessPackages[0]"]).toMatch(/not assignable/);
  });

  test("what the system declares is not judged while it is unknown (the System is created in the same run)", () => {
    const r = checkRequestInputs("SystemUserRequest", {
      ...standard,
      systemId: unknownValue,
      rights: [{ resource: [{ value: "anything" }] }],
      redirectUrl: "https://elsewhere.example.no/",
      systemOffer: { rights: unknownValue, accessPackages: unknownValue, allowedRedirectUrls: unknownValue },
    });
    expect(r.failures).toEqual([]);
    expect(r.inputs.systemId).toBe(unknownValue);
  });

  test("without a system offer only the request itself is checked", () => {
    expect(checkRequestInputs("SystemUserRequest", { ...standard, rights: [{ resource: [{ value: "anything" }] }] }).failures).toEqual([]);
  });

  test("duplicate rights and packages in a request are refused", () => {
    const r = checkRequestInputs("SystemUserRequest", {
      ...standard,
      rights: [krav, krav],
      accessPackages: [skattegrunnlag, skattegrunnlag],
    });
    expect(Object.keys(reasons(r)).sort()).toEqual(["accessPackages[1]", "rights[1]"]);
  });

  test("a non-https, non-absolute redirect URL is refused", () => {
    expect(reasons(checkRequestInputs("SystemUserRequest", { ...standard, redirectUrl: "vendor.example.no/receipt" })).redirectUrl).toMatch(
      /not an absolute URL/,
    );
    expect(reasons(checkRequestInputs("SystemUserRequest", { ...standard, redirectUrl: "ftp://vendor.example.no/" })).redirectUrl).toMatch(
      /must use https/,
    );
  });

  test("a misspelt field (the docs' externalReference) is refused instead of silently ignored", () => {
    const { externalRef: _e, ...rest } = standard;
    expect(reasons(checkRequestInputs("SystemUserRequest", { ...rest, externalReference: "min_ref" })).externalReference).toMatch(
      /unknown field externalReference.*did you mean externalRef\?/,
    );
  });

  test("the title is trimmed as Altinn trims it", () => {
    expect(
      checkRequestInputs("SystemUserRequest", { ...standard, integrationTitle: "  SmartCloud for Kunde 1 " }).inputs.integrationTitle,
    ).toBe("SmartCloud for Kunde 1");
  });
});

describe("agent system user request inputs", () => {
  test("a request for client packages passes", () => {
    const r = checkRequestInputs("AgentSystemUserRequest", { ...agentRequest, systemOffer: agentOffer });
    expect(r.failures).toEqual([]);
    expect(r.inputs).toEqual({ ...agentRequest, externalRef: "310000027" });
  });

  test("rights are refused: agent system users get access packages only", () => {
    expect(reasons(checkRequestInputs("AgentSystemUserRequest", { ...agentRequest, rights: [krav] })).rights).toMatch(
      /agent system users get access packages only/,
    );
  });

  test("at least one access package is required", () => {
    expect(reasons(checkRequestInputs("AgentSystemUserRequest", { ...agentRequest, accessPackages: [] })).accessPackages).toMatch(
      /needs at least one access package/,
    );
  });

  test("packages must be on the system", () => {
    const r = checkRequestInputs("AgentSystemUserRequest", {
      ...agentRequest,
      accessPackages: [{ urn: "urn:altinn:accesspackage:ansvarlig-revisor" }],
      systemOffer: agentOffer,
    });
    expect(reasons(r)["accessPackages[0]"]).toMatch(/not among the system's access packages/);
  });

  test("the facilitator's orgno must be valid", () => {
    expect(reasons(checkRequestInputs("AgentSystemUserRequest", { ...agentRequest, partyOrgNo: "57623423" })).partyOrgNo).toMatch(
      /^the facilitator's organisation number: .*8 digits/,
    );
  });
});

describe("request key", () => {
  test("the resource id is the key, and an id parses back into it", () => {
    const id = requestResourceId({ systemId: "991825827_smartcloud", partyOrgNo: "310000019", externalRef: "kunde/1" });
    expect(id).toBe("991825827_smartcloud/310000019/kunde/1");
    expect(parseRequestResourceId(id)).toEqual({ systemId: "991825827_smartcloud", partyOrgNo: "310000019", externalRef: "kunde/1" });
    expect(parseRequestResourceId("not-a-key")).toBeUndefined();
  });
});
