import type { SimReply } from "../core/http";
import { newUuid } from "../core/ids";
import type { SimContext } from "../context";
import { altinnProblem } from "./http";
import { sameAttributes, type AltinnState, type ChangeRequestRecord, type RequestRecord, type SystemUserRecord } from "./model";

// What the customer does in Altinn's portal: approve or reject a request or change request, and delete a
// system user. The confirm pages (/am) and the control API (/_sim) both act through here. Errors use the
// codes Altinn's portal routes answer: AUTH-00010 (not found), AUTH-00013 (status is not New), AUTH-00004
// (a system user with the key exists), AUTH-00015 (system user not found).

export type Outcome<T> = { ok: true; value: T } | { ok: false; reply: SimReply };

export class Customer {
  constructor(
    private readonly ctx: SimContext,
    private readonly state: AltinnState,
  ) {}

  /** A request the customer may still act on. */
  private actionable<T extends { status: string; created: string; isDeleted: boolean }>(r: T | undefined): Outcome<T> {
    if (!r || r.isDeleted) return { ok: false, reply: altinnProblem("AUTH-00010") };
    if (this.state.readStatus(r) !== "New")
      return { ok: false, reply: altinnProblem("AUTH-00013", {}, `The request has status ${this.state.readStatus(r)}`) };
    if (this.state.expired(r)) return { ok: false, reply: altinnProblem("AUTH-00013", {}, "The request has timed out") };
    return { ok: true, value: r };
  }

  acceptRequest(id: string): Outcome<{ request: RequestRecord; systemUser: SystemUserRecord }> {
    const found = this.actionable(this.state.request(id));
    if (!found.ok) return found;
    const r = found.value;
    const system = this.state.system(r.systemId);
    if (!system) return { ok: false, reply: altinnProblem("AUTH-00011") };
    if (this.state.systemUserByKey(r.systemId, r.partyOrgNo, r.externalRef)) return { ok: false, reply: altinnProblem("AUTH-00004") };
    const user: SystemUserRecord = {
      id: newUuid(),
      integrationTitle: r.integrationTitle ?? system.name.nb ?? system.id,
      systemId: system.id,
      systemInternalId: system.internalId,
      reporteeOrgNo: r.partyOrgNo,
      created: this.ctx.clock.iso(),
      isDeleted: false,
      supplierOrgno: system.vendorOrgNo,
      externalRef: r.externalRef,
      userType: r.kind,
      rights: structuredClone(r.rights),
      accessPackages: structuredClone(r.accessPackages),
      sequence: this.state.nextSystemUserSequence(),
    };
    this.state.addSystemUser(user);
    r.status = "Accepted";
    r.systemUserId = user.id;
    this.state.changed();
    return { ok: true, value: { request: r, systemUser: user } };
  }

  rejectRequest(id: string): Outcome<RequestRecord> {
    const found = this.actionable(this.state.request(id));
    if (!found.ok) return found;
    found.value.status = "Rejected";
    this.state.changed();
    return found;
  }

  /** Denied: an enum value no current Altinn code path writes (`RequestStatus`, `Archiver.cs`); the control API can set it so callers can meet it. */
  denyRequest(id: string): Outcome<RequestRecord> {
    const found = this.actionable(this.state.request(id));
    if (!found.ok) return found;
    found.value.status = "Denied";
    this.state.changed();
    return found;
  }

  /** A customer user without access-manager rights forwards the request to the organisation's access managers. */
  escalateRequest(id: string): Outcome<RequestRecord> {
    const found = this.actionable(this.state.request(id));
    if (!found.ok) return found;
    found.value.escalated = true;
    this.state.changed();
    return found;
  }

  acceptChangeRequest(id: string): Outcome<{ changeRequest: ChangeRequestRecord; systemUser: SystemUserRecord }> {
    const found = this.actionable(this.state.changeRequest(id));
    if (!found.ok) return found;
    const c = found.value;
    const user = this.state.systemUser(c.systemUserId);
    if (!user || user.isDeleted) return { ok: false, reply: altinnProblem("AUTH-00015") };
    // Applied idempotently: required ones not yet delegated are added, unwanted ones present are removed.
    user.rights = user.rights.filter((r) => !c.unwantedRights.some((u) => sameAttributes(r, u)));
    for (const r of c.requiredRights) if (!user.rights.some((h) => sameAttributes(h, r))) user.rights.push(structuredClone(r));
    user.accessPackages = user.accessPackages.filter((p) => !c.unwantedAccessPackages.some((u) => u.urn === p.urn));
    for (const p of c.requiredAccessPackages)
      if (!user.accessPackages.some((h) => h.urn === p.urn)) user.accessPackages.push({ urn: p.urn });
    c.status = "Accepted";
    this.state.changed();
    return { ok: true, value: { changeRequest: c, systemUser: user } };
  }

  rejectChangeRequest(id: string): Outcome<ChangeRequestRecord> {
    const found = this.actionable(this.state.changeRequest(id));
    if (!found.ok) return found;
    found.value.status = "Rejected";
    this.state.changed();
    return found;
  }

  /**
   * The customer creates a system user in Altinn's portal without any vendor request ("Opprett systemtilgang":
   * they pick a visible system and get its rights and packages). The vendor sees it only in
   * `systemuser/vendor/bysystem`; its externalRef is the customer's orgno, as for a request without one.
   */
  createSystemUser(input: {
    systemId: string;
    partyOrgNo: string;
    externalRef?: string;
    integrationTitle?: string;
  }): Outcome<SystemUserRecord> {
    const system = this.state.system(input.systemId);
    if (!system || system.isDeleted) return { ok: false, reply: altinnProblem("AUTH-00011") };
    if (!this.ctx.registry.organisation(input.partyOrgNo)) return { ok: false, reply: altinnProblem("AUTH-00000") };
    const externalRef = input.externalRef ?? input.partyOrgNo;
    if (this.state.systemUserByKey(system.id, input.partyOrgNo, externalRef)) return { ok: false, reply: altinnProblem("AUTH-00004") };
    const user: SystemUserRecord = {
      id: newUuid(),
      integrationTitle: input.integrationTitle ?? system.name.nb ?? system.id,
      systemId: system.id,
      systemInternalId: system.internalId,
      reporteeOrgNo: input.partyOrgNo,
      created: this.ctx.clock.iso(),
      isDeleted: false,
      supplierOrgno: system.vendorOrgNo,
      externalRef,
      userType: "standard",
      rights: structuredClone(system.rights),
      accessPackages: system.accessPackages.map((p) => ({ urn: p.urn })),
      sequence: this.state.nextSystemUserSequence(),
    };
    this.state.addSystemUser(user);
    this.state.changed();
    return { ok: true, value: user };
  }

  /** The customer deletes a system user; Altinn also soft-deletes the matching request (`RequestSystemUserService`), so a new POST gets 201. */
  deleteSystemUser(id: string): Outcome<{ systemUser: SystemUserRecord; deletedRequests: string[] }> {
    const user = this.state.systemUser(id);
    if (!user || user.isDeleted) return { ok: false, reply: altinnProblem("AUTH-00015") };
    user.isDeleted = true;
    const deletedRequests: string[] = [];
    for (const r of Object.values(this.state.requests.value)) {
      if (
        !r.isDeleted &&
        r.kind === user.userType &&
        r.systemId === user.systemId &&
        r.partyOrgNo === user.reporteeOrgNo &&
        r.externalRef === user.externalRef
      ) {
        r.isDeleted = true;
        deletedRequests.push(r.id);
      }
    }
    this.state.changed();
    return { ok: true, value: { systemUser: user, deletedRequests } };
  }
}
