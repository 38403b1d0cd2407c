import { z } from "zod";
import { jsonReply, parseJsonBody, type SimReply } from "../core/http";
import type { SimContext } from "../context";
import type { Customer, Outcome } from "./customer";
import { parseGuid } from "./http";
import { changeRequestView, requestView, systemUserView, type AltinnState } from "./model";

// The Altinn part of the control API (/_sim, loopback only): act as the customer without the HTML pages,
// look at system users with what was delegated to them, and switch the Altinn-specific settings.
//   POST   /_sim/systemuser-requests/<id>/accept | reject        standard or agent request (the contract's calls)
//   POST   /_sim/systemuser-requests/<id>/deny | escalate        status Denied / escalated: true (no real customer action)
//   POST   /_sim/systemuser-changerequests/<id>/accept | reject  change request
//   GET    /_sim/systemusers                                   every system user, deleted ones included
//   POST   /_sim/systemusers {systemId, partyOrgNo, externalRef?, integrationTitle?}
//                                                              the customer creates a system user without a request
//   DELETE /_sim/systemusers/<id>                              the customer deletes a system user (and its request)
//   GET    /_sim/altinn/config  ·  POST {legacyTimeout?, pageSize?}

const SystemUserInput = z
  .object({
    systemId: z.string().min(1),
    partyOrgNo: z.string().regex(/^\d{9}$/),
    externalRef: z.string().min(1).max(255).optional(),
    integrationTitle: z.string().min(1).optional(),
  })
  .strict();
const SettingsInput = z.object({ legacyTimeout: z.boolean().optional(), pageSize: z.number().int().min(1).max(1000).optional() }).strict();

export function registerAltinnControl(ctx: SimContext, state: AltinnState, customer: Customer): void {
  const act =
    <T>(run: (id: string) => Outcome<T>, answer: (value: T) => unknown) =>
    (req: { params: Record<string, string> }): SimReply => {
      const id = parseGuid(req.params.id!);
      if (!id) return jsonReply(404, { error: "not_found", detail: `${req.params.id} is not a request id` });
      const outcome = run(id);
      return outcome.ok ? jsonReply(200, answer(outcome.value)) : outcome.reply;
    };
  const requestOut = (r: Parameters<typeof requestView>[2]) => requestView(ctx, state, r, { withConfirmUrl: true, storedEscalated: true });

  ctx.router.add(
    "POST",
    "/_sim/systemuser-requests/:id/accept",
    act(
      (id) => customer.acceptRequest(id),
      (v) => ({ request: requestOut(v.request), systemUser: fullSystemUser(v.systemUser) }),
    ),
  );
  ctx.router.add(
    "POST",
    "/_sim/systemuser-requests/:id/reject",
    act(
      (id) => customer.rejectRequest(id),
      (r) => ({ request: requestOut(r) }),
    ),
  );
  ctx.router.add(
    "POST",
    "/_sim/systemuser-requests/:id/deny",
    act(
      (id) => customer.denyRequest(id),
      (r) => ({ request: requestOut(r) }),
    ),
  );
  ctx.router.add(
    "POST",
    "/_sim/systemuser-requests/:id/escalate",
    act(
      (id) => customer.escalateRequest(id),
      (r) => ({ request: requestOut(r) }),
    ),
  );
  ctx.router.add(
    "POST",
    "/_sim/systemuser-changerequests/:id/accept",
    act(
      (id) => customer.acceptChangeRequest(id),
      (v) => ({ changeRequest: changeRequestView(ctx, state, v.changeRequest, true), systemUser: fullSystemUser(v.systemUser) }),
    ),
  );
  ctx.router.add(
    "POST",
    "/_sim/systemuser-changerequests/:id/reject",
    act(
      (id) => customer.rejectChangeRequest(id),
      (c) => ({ changeRequest: changeRequestView(ctx, state, c, true) }),
    ),
  );

  ctx.router.add("GET", "/_sim/systemusers", () =>
    jsonReply(200, {
      systemUsers: Object.values(state.systemUsers.value)
        .sort((a, b) => a.sequence - b.sequence)
        .map(fullSystemUser),
    }),
  );
  ctx.router.add("POST", "/_sim/systemusers", (req) => {
    const parsed = parseJsonBody(req);
    if (!parsed.ok) return jsonReply(400, { error: parsed.message });
    const input = SystemUserInput.safeParse(parsed.value);
    if (!input.success)
      return jsonReply(400, {
        error: "invalid control request",
        problems: input.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`),
      });
    const outcome = customer.createSystemUser(input.data);
    return outcome.ok ? jsonReply(201, { systemUser: fullSystemUser(outcome.value) }) : outcome.reply;
  });
  ctx.router.add(
    "DELETE",
    "/_sim/systemusers/:id",
    act(
      (id) => customer.deleteSystemUser(id),
      (v) => ({ systemUser: fullSystemUser(v.systemUser), deletedRequests: v.deletedRequests }),
    ),
  );

  ctx.router.add("GET", "/_sim/altinn/config", () => jsonReply(200, { ...state.settings.value }));
  ctx.router.add("POST", "/_sim/altinn/config", (req) => {
    const parsed = parseJsonBody(req);
    if (!parsed.ok) return jsonReply(400, { error: parsed.message });
    const input = SettingsInput.safeParse(parsed.value);
    if (!input.success)
      return jsonReply(400, {
        error: "invalid control request",
        problems: input.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`),
      });
    for (const [k, v] of Object.entries(input.data))
      if (v !== undefined) (state.settings.value as unknown as Record<string, unknown>)[k] = v;
    state.changed();
    return jsonReply(200, { ...state.settings.value });
  });
}

/** The vendor view plus what the customer delegated. */
function fullSystemUser(u: Parameters<typeof systemUserView>[0]): Record<string, unknown> {
  return { ...systemUserView(u), rights: u.rights, accessPackages: u.accessPackages };
}
