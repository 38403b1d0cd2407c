import { describe, expect, test } from "vitest";
import { unknownValue } from "../../providers/core/check";
import { confirmUrlFor, type LiveRequest, type RequestInputs } from "../../providers/altinn/request-model";
import { planRequest, requestDeleteNotice, requestDiff, requestOutputs } from "../../providers/altinn/request-plan";
import { krav, bolig, skattegrunnlag, regnskap, offer, standard, agentRequest } from "./altinn-requests.fixtures";

describe("request diff", () => {
  const olds = { ...standard, accessPackages: [], status: "New", requestId: "r1", confirmUrl: "https://am/x", timedOut: false };

  test("a changed key is a replacement, deleting the old request first", () => {
    expect(requestDiff(olds, { ...standard, externalRef: "kunde-2", accessPackages: [] })).toEqual({
      changes: true,
      replaces: ["externalRef"],
      deleteBeforeReplace: true,
    });
    // A key not known yet (a preview): a change, never on its own a replacement.
    expect(requestDiff(olds, { ...standard, partyOrgNo: unknownValue, accessPackages: [] })).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: true,
    });
  });

  test("rights in another order are no change; other rights are an update", () => {
    const two = { ...olds, rights: [krav, bolig] };
    expect(requestDiff(two, { ...standard, rights: [bolig, krav], accessPackages: [] }).changes).toBe(false);
    expect(requestDiff(olds, { ...standard, rights: [bolig], accessPackages: [] })).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: true,
    });
  });

  test("what the system offers is never a change", () => {
    expect(requestDiff(olds, { ...standard, accessPackages: [], systemOffer: offer }).changes).toBe(false);
  });

  test("once accepted, a changed title or redirect URL is no change (nothing at Altinn can apply it)", () => {
    const accepted = { ...olds, status: "Accepted" };
    expect(requestDiff(accepted, { ...standard, accessPackages: [], integrationTitle: "Nytt navn" }).changes).toBe(false);
    expect(requestDiff(olds, { ...standard, accessPackages: [], integrationTitle: "Nytt navn" }).changes).toBe(true);
  });
});

describe("what to do with a changed request, given its status", () => {
  const desired: RequestInputs = { ...standard, accessPackages: [] };
  const stored = (status: string, over: Partial<LiveRequest> = {}): LiveRequest => ({
    requestId: "r1",
    ...standard,
    accessPackages: [],
    status,
    timedOut: false,
    escalated: false,
    confirmUrl: "https://am.ui.tt02.altinn.no/accessmanagement/ui/systemuser/request?id=r1&DONTCHOOSEREPORTEE=true",
    ...over,
  });

  test("nothing at Altinn: create it", () => {
    expect(planRequest("SystemUserRequest", {}, desired)).toEqual({ action: "create" });
  });

  test("an unchanged request is left alone, whatever its status", () => {
    for (const status of ["New", "Rejected", "Denied"])
      expect(planRequest("SystemUserRequest", { request: stored(status) }, desired)).toEqual({ action: "none" });
  });

  test("a new request with other rights is deleted and posted again", () => {
    expect(planRequest("SystemUserRequest", { request: stored("New") }, { ...desired, rights: [krav, bolig] })).toEqual({
      action: "recreate",
      requestId: "r1",
      reason: "the New request differs in rights",
    });
  });

  test("a rejected request is recreated after deletion when it changes", () => {
    expect(
      planRequest("SystemUserRequest", { request: stored("Rejected") }, { ...desired, redirectUrl: "https://vendor.example.no/receipt" }),
    ).toMatchObject({
      action: "recreate",
      reason: "the Rejected request differs in redirectUrl",
    });
  });

  test("a title left to Altinn's default is no difference", () => {
    expect(planRequest("SystemUserRequest", { request: stored("New", { integrationTitle: "SmartCloud 1" }) }, desired)).toEqual({
      action: "none",
    });
  });

  test("an accepted request with other rights becomes a change request: the whole desired set required, what is dropped unwanted", () => {
    const plan = planRequest(
      "SystemUserRequest",
      { request: stored("Accepted", { rights: [krav] }), systemUser: { systemUserId: "su1" } },
      { ...desired, rights: [bolig], accessPackages: [skattegrunnlag] },
      { rights: [krav], accessPackages: [] },
    );
    expect(plan).toEqual({
      action: "changeRequest",
      systemUserId: "su1",
      body: { requiredRights: [bolig], unwantedRights: [krav], requiredAccessPackages: [skattegrunnlag], unwantedAccessPackages: [] },
    });
  });

  test("a pending change request is replaced when the desired state changes again", () => {
    const plan = planRequest(
      "SystemUserRequest",
      { request: stored("Accepted"), systemUser: { systemUserId: "su1" }, changeRequest: { changeRequestId: "cr1", status: "New" } },
      { ...desired, rights: [krav], accessPackages: [skattegrunnlag] },
      { rights: [krav, bolig], accessPackages: [] },
    );
    expect(plan).toMatchObject({
      action: "changeRequest",
      deletePending: "cr1",
      body: { unwantedRights: [bolig], requiredAccessPackages: [skattegrunnlag] },
    });
  });

  test("accepted and unchanged against what was last asked: nothing to do", () => {
    const plan = planRequest(
      "SystemUserRequest",
      { request: stored("Accepted"), systemUser: { systemUserId: "su1" } },
      { ...desired, rights: [bolig] },
      { rights: [bolig], accessPackages: [] },
    );
    expect(plan).toEqual({ action: "none" });
  });

  test("a system user adopted without a request is taken as desired (its rights cannot be read)", () => {
    expect(planRequest("SystemUserRequest", { systemUser: { systemUserId: "su1" } }, desired)).toEqual({ action: "none" });
  });

  test("an accepted request whose system user is gone is asked again", () => {
    expect(planRequest("SystemUserRequest", { request: stored("Accepted") }, { ...desired, rights: [bolig] })).toMatchObject({
      action: "recreate",
      requestId: "r1",
    });
  });

  test("an accepted agent system user cannot change packages: refused with what to do", () => {
    const agentDesired: RequestInputs = { ...agentRequest, externalRef: "310000027" };
    const plan = planRequest(
      "AgentSystemUserRequest",
      { request: { ...stored("Accepted"), ...agentDesired, rights: [] }, systemUser: { systemUserId: "su2" } },
      { ...agentDesired, accessPackages: [regnskap, { urn: "urn:altinn:accesspackage:regnskapsforer-lonn" }] },
      { accessPackages: [regnskap] },
    );
    expect(plan).toMatchObject({
      action: "blocked",
      reason: expect.stringMatching(/cannot change an agent system user's access packages.*declare a new externalRef/),
    });
  });
});

describe("request outputs", () => {
  const fallback = (id: string) => confirmUrlFor("SystemUserRequest", "https://am.ui.tt02.altinn.no", id);
  const key = { systemId: standard.systemId, partyOrgNo: standard.partyOrgNo, externalRef: standard.externalRef };
  const request: LiveRequest = {
    requestId: "r1",
    ...key,
    rights: [krav],
    accessPackages: [],
    status: "New",
    timedOut: false,
    escalated: false,
    created: "2026-01-01T00:00:00Z",
    confirmUrl: "https://am/api-value",
  };

  test("a new request reports its id, status and the confirm URL Altinn gave, and no undefined values", () => {
    const o = requestOutputs("SystemUserRequest", key, { request }, undefined, fallback);
    expect(o).toEqual({
      ...key,
      rights: [krav],
      accessPackages: [],
      requestId: "r1",
      status: "New",
      confirmUrl: "https://am/api-value",
      timedOut: false,
      escalated: false,
      created: "2026-01-01T00:00:00Z",
      // Present without a change request, so that a preview does not show them as unknown.
      changeRequestId: "",
      changeRequestStatus: "",
      changeRequestConfirmUrl: "",
    });
    expect(Object.values(o)).not.toContain(undefined);
  });

  test("without a confirm URL from Altinn the page is built from the UI host", () => {
    const { confirmUrl: _c, ...bare } = request;
    expect(requestOutputs("SystemUserRequest", key, { request: bare }, undefined, fallback).confirmUrl).toBe(
      "https://am.ui.tt02.altinn.no/accessmanagement/ui/systemuser/request?id=r1&DONTCHOOSEREPORTEE=true",
    );
    expect(confirmUrlFor("AgentSystemUserRequest", "https://am.ui.altinn.no", "a1")).toBe(
      "https://am.ui.altinn.no/accessmanagement/ui/systemuser/agentrequest?id=a1&DONTCHOOSEREPORTEE=true",
    );
  });

  test("once accepted, the system user id is reported and what was asked last is kept", () => {
    const o = requestOutputs(
      "SystemUserRequest",
      key,
      {
        request: { ...request, status: "Accepted" },
        systemUser: { systemUserId: "su1" },
        changeRequest: { changeRequestId: "cr1", status: "New", confirmUrl: "https://am/cr" },
      },
      { rights: [krav, bolig], accessPackages: [] },
      fallback,
    );
    expect(o).toMatchObject({
      status: "Accepted",
      systemUserId: "su1",
      rights: [krav, bolig],
      changeRequestId: "cr1",
      changeRequestStatus: "New",
      changeRequestConfirmUrl: "https://am/cr",
    });
  });

  test("a system user adopted without a request reports Accepted with an empty request id", () => {
    const o = requestOutputs(
      "SystemUserRequest",
      key,
      { systemUser: { systemUserId: "su1" } },
      { rights: [krav], accessPackages: [] },
      fallback,
    );
    expect(o).toMatchObject({ status: "Accepted", requestId: "", confirmUrl: "", systemUserId: "su1", timedOut: false });
  });

  test("agent outputs carry no rights", () => {
    const o = requestOutputs(
      "AgentSystemUserRequest",
      key,
      { request: { ...request, rights: [], accessPackages: [regnskap] } },
      undefined,
      fallback,
    );
    expect(o).not.toHaveProperty("rights");
    expect(o.accessPackages).toEqual([regnskap]);
  });
});

describe("deleting a request", () => {
  test("deleting an accepted request says the system user stays and only the customer can remove it", () => {
    const notice = requestDeleteNotice("SystemUserRequest", { ...standard, status: "Accepted", systemUserId: "su1" });
    expect(notice).toMatch(
      /^The system user su1 of 310000019 for system 991825827_smartcloud \(externalRef kunde-1\) stays: .*Only the customer can remove it/,
    );
  });

  test("deleting a request that was never accepted leaves nothing behind to mention", () => {
    expect(requestDeleteNotice("SystemUserRequest", { ...standard, status: "New" })).toBeUndefined();
  });
});
