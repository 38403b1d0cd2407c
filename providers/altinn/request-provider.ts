import { randomUUID } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { configuredVendor, context } from "../core/context";
import { isApiError } from "../core/errors";
import { afterCreate } from "../core/partial";
import { AltinnApi, withHint } from "./api";
import {
  checkRequestInputs,
  confirmUrlFor,
  parseRequestResourceId,
  requestResourceId,
  type ChangeRequestBody,
  type LiveChangeRequest,
  type LiveRequestState,
  type RequestInputs,
  type RequestKey,
  type RequestKind,
  type RequestOutputs,
} from "./request-model";
import { planRequest, requestDeleteNotice, requestDiff, requestInputsFrom, requestOutputs } from "./request-plan";

/**
 * A change request under a fresh correlation id. A correlation id is never reused expecting an error: Altinn
 * answers 200 with whatever change request already holds an id (`ChangeRequestSystemUserController.CreateChangeRequest`), so an answer that
 * is another change request is recognised and the request made again under a new id.
 */
export async function postChangeRequest(
  api: AltinnApi,
  systemUserId: string,
  body: ChangeRequestBody,
  newId: () => string = randomUUID,
): Promise<LiveChangeRequest> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const { older, ...answer } = await api.createChangeRequest(systemUserId, newId(), body);
    if (!older) return answer;
  }
  throw new Error(changeRequestNotAnsweredHint(systemUserId));
}

function changeRequestNotAnsweredHint(systemUserId: string): string {
  return `Altinn answered three fresh correlation ids for system user ${systemUserId} with other change requests: run \`pulumi up\` again; if it persists, report it.`;
}

/** What to do when an agent request's key is held by a standard request (AUTH-00006/7/8/9 by its status). */
export function agentKeyHeldHint(id: string, code: string): string {
  const status =
    { "AUTH-00006": "an accepted", "AUTH-00007": "a pending", "AUTH-00008": "a denied", "AUTH-00009": "a rejected" }[code] ?? "a";
  return (
    `Altinn refuses this agent request: ${status} standard SystemUserRequest holds the same key ${id} (system, customer and externalRef), and Altinn keys agent and standard requests together. ` +
    "Give the AgentSystemUserRequest another externalRef, or delete the standard request first."
  );
}

/**
 * check/diff/create/read/update/delete for both kinds of system user request. The resource's id is the key
 * (`systemId/partyOrgNo/externalRef`), so it stays the same while the request behind it is deleted and posted
 * again; `requestId` is an output.
 */
export function requestProvider(kind: RequestKind): pulumi.dynamic.ResourceProvider {
  const keyOf = (r: RequestKey): RequestKey => ({ systemId: r.systemId, partyOrgNo: r.partyOrgNo, externalRef: r.externalRef });
  const fallback = (id: string) => confirmUrlFor(kind, context().settings.endpoints.altinnUiBase, id);

  /** What Altinn has for the key: the request, the system user once accepted, and our latest change request. */
  async function readLive(api: AltinnApi, key: RequestKey, changeRequestId?: string): Promise<LiveRequestState> {
    const request = await api.getRequestByKey(kind, key);
    const systemUser = !request || request.status === "Accepted" ? await api.getSystemUser(key) : undefined;
    const changeRequest = changeRequestId ? await api.getChangeRequest(changeRequestId) : undefined;
    return { request, systemUser, changeRequest };
  }

  /** Carries out the plan for the key and answers the outputs. */
  async function reconcile(
    api: AltinnApi,
    key: RequestKey,
    live: LiveRequestState,
    desired: RequestInputs,
    asked?: Partial<RequestOutputs>,
  ): Promise<RequestOutputs> {
    return requestOutputs(kind, key, await reconcileRequest(api, kind, live, desired, asked), desired, fallback);
  }

  return {
    async check(_olds, news) {
      const { inputs, failures } = checkRequestInputs(kind, news, { configuredVendor: configuredVendor() });
      return failures.length ? { inputs: news, failures } : { inputs };
    },

    async diff(_id, olds: RequestOutputs, news: RequestInputs) {
      return requestDiff(olds, news);
    },

    async create(inputs: RequestInputs) {
      const api = new AltinnApi(context());
      const key = keyOf(inputs);
      const id = requestResourceId(key);
      const posted = await postOrAdopt(api, kind, inputs);
      if (posted.created) return { id, outs: requestOutputs(kind, key, posted.live, inputs, fallback) };
      const live = posted.live;
      const adopted = requestOutputs(kind, key, live, inputs, fallback);
      return afterCreate(id, adopted as unknown as Record<string, unknown>, async () => ({
        id,
        outs: await reconcile(api, key, live, inputs),
      }));
    },

    async read(id, props: Partial<RequestOutputs>) {
      const key = props?.systemId && props.partyOrgNo && props.externalRef ? keyOf(props as RequestKey) : parseRequestResourceId(id);
      if (!key) throw new Error(`${kind}: "${id}" is not a request id; import one as <systemId>/<partyOrgNo>/<externalRef>`);
      const live = await readLive(new AltinnApi(context()), key, props?.changeRequestId);
      if (!live.request && !live.systemUser) return { id: "", props: {} };
      const outs = requestOutputs(kind, key, live, props?.status ? props : undefined, fallback);
      // Inputs only for an import (no earlier state): a refresh keeps the declared ones (an accepted request's
      // outputs keep what was asked last, not what the customer's system user holds).
      return props?.status ? { id, props: outs } : { id, props: outs, inputs: requestInputsFrom(kind, outs) };
    },

    async update(_id, olds: RequestOutputs, news: RequestInputs) {
      const api = new AltinnApi(context());
      const key = keyOf(news);
      const live = await readLive(api, key, olds.changeRequestId);
      return { outs: await reconcile(api, key, live, news, olds) };
    },

    async delete(id, props: Partial<RequestOutputs>) {
      const api = new AltinnApi(context());
      const key = props?.systemId && props.partyOrgNo && props.externalRef ? keyOf(props as RequestKey) : parseRequestResourceId(id);
      const deleted = props?.requestId ? await api.deleteRequest(props.requestId) : false;
      if (!deleted && key) {
        // The request in the state is gone; another may hold the key now (posted again elsewhere).
        const current = await api.getRequestByKey(kind, key);
        if (current) await api.deleteRequest(current.requestId);
      }
      if (props?.changeRequestId && props.changeRequestStatus === "New") await api.deleteChangeRequest(props.changeRequestId);
      const notice = requestDeleteNotice(kind, props ?? {});
      // The engine shows what a provider writes to stderr; delete has no other way to report.
      if (notice) pulumi.log.warn(notice);
    },
  };
}

/**
 * Posts the request for a key. 201: created. 200: a request with the key exists, and Altinn ignored the body
 * (RequestSystemUserService.CreateRequest in Altinn/altinn-authentication): it is answered as it is, to be brought
 * to the desired state. 400 AUTH-00004: a system user exists for the key (the customer accepted earlier): it is
 * adopted, with its request if one is still there.
 */
export async function postOrAdopt(
  api: AltinnApi,
  kind: RequestKind,
  desired: RequestInputs,
): Promise<{ created: boolean; live: LiveRequestState }> {
  const key: RequestKey = { systemId: desired.systemId, partyOrgNo: desired.partyOrgNo, externalRef: desired.externalRef };
  try {
    const posted = await api.createRequest(kind, desired);
    if (posted.created) return { created: true, live: { request: posted.request } };
    const live: LiveRequestState = { request: posted.request };
    if (posted.request.status === "Accepted") live.systemUser = await api.getSystemUser(key);
    return { created: false, live };
  } catch (e) {
    const held = ["AUTH-00006", "AUTH-00007", "AUTH-00008", "AUTH-00009"].find((c) => isApiError(e) && e.hasCode(c));
    if (kind === "AgentSystemUserRequest" && held && isApiError(e)) {
      // Altinn refuses an agent request while a standard request holds the same key (`RequestSystemUserService.CreateAgentRequest`).
      throw withHint(e, agentKeyHeldHint(requestResourceId(key), held));
    }
    if (!(isApiError(e) && e.hasCode("AUTH-00004"))) throw e;
    const [systemUser, request] = await Promise.all([api.getSystemUser(key), api.getRequestByKey(kind, key)]);
    if (!systemUser) {
      throw withHint(e, hiddenSystemUserHint(requestResourceId(key)));
    }
    return { created: false, live: { systemUser, request } };
  }
}

/** AUTH-00004 (a system user holds the key) while `byquery` finds none for this vendor. */
function hiddenSystemUserHint(id: string): string {
  return `Altinn says a system user exists for ${id}, but cannot show it to this vendor: check that the system belongs to the configured vendor, then run \`pulumi up\` again.`;
}

/** Carries out `planRequest` for one key and answers what Altinn has afterwards. */
export async function reconcileRequest(
  api: AltinnApi,
  kind: RequestKind,
  live: LiveRequestState,
  desired: RequestInputs,
  asked?: Partial<Pick<RequestOutputs, "rights" | "accessPackages">>,
): Promise<LiveRequestState> {
  const plan = planRequest(
    kind,
    live,
    desired,
    asked && asked.accessPackages ? { rights: asked.rights, accessPackages: asked.accessPackages } : undefined,
  );
  const next: LiveRequestState = { ...live };
  switch (plan.action) {
    case "none":
      break;
    case "create":
      next.request = (await api.createRequest(kind, desired)).request;
      break;
    case "recreate":
      // A repeated POST would answer the stored request unchanged (RequestSystemUserService.CreateRequest): delete it, then ask again.
      await api.deleteRequest(plan.requestId);
      next.request = (await api.createRequest(kind, desired)).request;
      next.changeRequest = undefined;
      break;
    case "changeRequest":
      if (plan.deletePending) await api.deleteChangeRequest(plan.deletePending);
      next.changeRequest = await postChangeRequest(api, plan.systemUserId, plan.body);
      break;
    case "blocked":
      throw new Error(`${kind} ${requestResourceId(desired)}: ${plan.reason}.`);
  }
  return next;
}
