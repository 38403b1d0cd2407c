import { describe, expect, test } from "vitest";
import { checkSystemInputs } from "../../providers/altinn/system-model";
import {
  changeRequestPayload,
  nextPageToken,
  requestFromWire,
  requestPayload,
  systemFromWire,
  systemPayload,
  systemUserFromWire,
} from "../../providers/altinn/wire";

const system = checkSystemInputs({
  systemId: "991825827_smartcloud",
  name: { nb: "SmartCloud", nn: "SmartSky", en: "SmartCloud" },
  description: { nb: "b", nn: "n", en: "e" },
  rights: [{ resource: [{ value: "ske-krav-og-betalinger" }] }],
  accessPackages: [{ urn: "urn:altinn:accesspackage:skattegrunnlag", isAssignable: true }],
  clientIds: ["32ef65ac-6e62-498d-880f-76c85c2052ae"],
  allowedRedirectUrls: ["https://smartcloud.example.no/receipt"],
}).inputs;

describe("the system payload (POST and full PUT)", () => {
  test("every field is sent, in the wire's spelling, with the vendor as 0192:<orgno> and without hints", () => {
    expect(systemPayload(system)).toEqual({
      id: "991825827_smartcloud",
      vendor: { ID: "0192:991825827" },
      name: { nb: "SmartCloud", nn: "SmartSky", en: "SmartCloud" },
      description: { nb: "b", nn: "n", en: "e" },
      rights: [{ resource: [{ id: "urn:altinn:resource", value: "ske-krav-og-betalinger" }] }],
      accessPackages: [{ urn: "urn:altinn:accesspackage:skattegrunnlag" }],
      clientId: ["32ef65ac-6e62-498d-880f-76c85c2052ae"],
      isVisible: true,
      allowedRedirectUrls: ["https://smartcloud.example.no/receipt"],
    });
  });

  test("lists declared empty are sent empty and isVisible is always explicit, so PUT's replace loses nothing declared", () => {
    const bare = systemPayload({ ...system, rights: [], accessPackages: [], clientIds: [], allowedRedirectUrls: [], isVisible: false });
    expect(bare).toMatchObject({ rights: [], accessPackages: [], clientId: [], allowedRedirectUrls: [], isVisible: false });
  });

  test("a live system maps back to the inputs, the vendor taken from vendor.ID and isDeleted kept", () => {
    const live = systemFromWire({
      ...systemPayload(system),
      allowedRedirectUrls: ["https://smartcloud.example.no/receipt"],
      isDeleted: true,
    });
    expect(live).toEqual({ ...system, accessPackages: [{ urn: "urn:altinn:accesspackage:skattegrunnlag" }], isDeleted: true });
  });

  test("a list omitted from the answer (Altinn omits nulls) reads as empty", () => {
    const { rights: _r, clientId: _c, ...partial } = systemPayload(system);
    expect(systemFromWire(partial)).toMatchObject({ rights: [], clientIds: [], isDeleted: false });
  });
});

describe("the request payloads", () => {
  const inputs = {
    systemId: "991825827_smartcloud",
    partyOrgNo: "310000019",
    externalRef: "kunde-1",
    rights: [{ resource: [{ id: "urn:altinn:resource", value: "x" }] }],
    accessPackages: [],
  };

  test("a standard request always carries externalRef, rights and packages; the system offer is not sent", () => {
    expect(requestPayload("SystemUserRequest", { ...inputs, systemOffer: { rights: [] } })).toEqual({
      systemId: "991825827_smartcloud",
      partyOrgNo: "310000019",
      externalRef: "kunde-1",
      rights: [{ resource: [{ id: "urn:altinn:resource", value: "x" }] }],
      accessPackages: [],
    });
  });

  test("an agent request carries no rights", () => {
    const body = requestPayload("AgentSystemUserRequest", {
      ...inputs,
      rights: undefined,
      accessPackages: [{ urn: "urn:altinn:accesspackage:regnskapsforer-lonn" }],
      redirectUrl: "https://v.example.no/",
    });
    expect(body).not.toHaveProperty("rights");
    expect(body).toMatchObject({
      accessPackages: [{ urn: "urn:altinn:accesspackage:regnskapsforer-lonn" }],
      redirectUrl: "https://v.example.no/",
    });
  });

  test("an answer maps to the request, externalRef defaulting to the orgno and empty strings dropped", () => {
    expect(
      requestFromWire({
        id: "r1",
        systemId: "s",
        partyOrgNo: "310000019",
        status: "New",
        redirectUrl: "",
        confirmUrl: "https://am/x",
        timedOut: true,
        escalated: true,
      }),
    ).toEqual({
      requestId: "r1",
      systemId: "s",
      partyOrgNo: "310000019",
      externalRef: "310000019",
      rights: [],
      accessPackages: [],
      status: "New",
      confirmUrl: "https://am/x",
      timedOut: true,
      escalated: true,
    });
  });

  test("a page's next link gives its token alone, absolute or relative; none on the last page", () => {
    expect(nextPageToken("https://internal.host/authentication/api/v1/systemuser/request/vendor/bysystem/s?token=AbC_-1")).toBe("AbC_-1");
    expect(nextPageToken("/authentication/api/v1/systemuser/vendor/bysystem/s?token=x%2By")).toBe("x+y");
    expect(nextPageToken(null)).toBeUndefined();
    expect(nextPageToken(undefined)).toBeUndefined();
    expect(nextPageToken("https://h/p")).toBeUndefined();
  });

  test("a listed system user maps to the key it answers to", () => {
    expect(
      systemUserFromWire({
        id: "u1",
        systemId: "s",
        reporteeOrgNo: "310000019",
        externalRef: "k",
        userType: "agent",
        integrationTitle: "T",
        created: "2026-01-01T00:00:00Z",
      }),
    ).toEqual({
      systemUserId: "u1",
      systemId: "s",
      partyOrgNo: "310000019",
      externalRef: "k",
      userType: "agent",
      integrationTitle: "T",
      created: "2026-01-01T00:00:00Z",
    });
    expect(systemUserFromWire({ id: "u2", systemId: "s", reporteeOrgNo: "310000019" })).toMatchObject({
      externalRef: "310000019",
      userType: "standard",
    });
  });

  test("a change request sends all four lists, empty ones included", () => {
    expect(
      changeRequestPayload({ requiredRights: [], unwantedRights: [], requiredAccessPackages: [{ urn: "u" }], unwantedAccessPackages: [] }),
    ).toEqual({
      requiredRights: [],
      unwantedRights: [],
      requiredAccessPackages: [{ urn: "u" }],
      unwantedAccessPackages: [],
    });
  });
});
