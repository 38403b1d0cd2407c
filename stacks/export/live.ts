import type { Context } from "../../providers/core/context";
import { apiErrorFrom } from "../../providers/core/errors";
import { DigdirClientApi, DigdirScopeApi } from "../../providers/digdir/api";
import type { LiveScope } from "../../providers/digdir/api-scope-model";
import type { PublicJwk } from "../../providers/digdir/client-keys-model";
import type { LiveClient } from "../../providers/digdir/client-model";
import { altinnScopes, AltinnApi } from "../../providers/altinn/api";
import type { ListedSystemUser, LiveRequest, RequestKind } from "../../providers/altinn/request-model";
import type { LiveSystem } from "../../providers/altinn/system-model";

/**
 * What an organisation has, read with the stack's credentials through the same APIs the providers use: every
 * client with its public keys, the scopes it owns with their grants, its systems, and per system the requests and
 * system users from Altinn's paged vendor lists.
 */

export interface OrganisationClient {
  client: LiveClient;
  /** The registered public keys (Digdir holds no private key). */
  keys: PublicJwk[];
}

export interface OrganisationScope {
  scope: LiveScope;
  /** Organisations with an APPROVED grant. */
  consumers: string[];
}

export interface LiveRequestItem {
  kind: "standard" | "agent";
  request: LiveRequest;
}

export interface LiveSystemEntry {
  system: LiveSystem;
  requests: LiveRequestItem[];
  systemUsers: ListedSystemUser[];
  /** Why the system users could not be listed (an older Altinn without the list), when they could not. */
  systemUsersUnavailable?: string;
}

export interface LiveOrganisation {
  orgNo: string;
  /** The admin client the export ran with: never exported (managing it would manage the export's own access). */
  adminClientId?: string;
  clients: OrganisationClient[];
  scopes: OrganisationScope[];
  systems: LiveSystemEntry[];
}

export async function readOrganisation(ctx: Context, adminClientId: string | undefined): Promise<LiveOrganisation> {
  const clientsApi = new DigdirClientApi(ctx);
  const scopesApi = new DigdirScopeApi(ctx);
  const orgNo = await ctx.orgNo(ctx.settings.adminScopes ?? ["idporten:dcr.read", "idporten:dcr.write", "idporten:dcr.modify"]);

  const clients: OrganisationClient[] = [];
  for (const client of await clientsApi.listClients()) {
    const keys = client.clientId ? await clientsApi.getJwks(client.clientId) : undefined;
    clients.push({ client, keys: keys ?? [] });
  }

  const scopes: OrganisationScope[] = [];
  for (const scope of await scopesApi.listScopes()) {
    if (!scope.name || scope.active === false) continue;
    const rows = (await scopesApi.listAccess(scope.name)) ?? [];
    const consumers = [
      ...new Set(
        rows
          .filter((r) => (r.state ?? "APPROVED") === "APPROVED")
          .map((r) => r.consumerOrgNo)
          .filter((o): o is string => !!o),
      ),
    ];
    scopes.push({ scope, consumers });
  }

  const systems: LiveSystemEntry[] = [];
  const altinn = new AltinnApi(ctx);
  for (const id of await systemIds(ctx)) {
    const system = await altinn.getSystem(id);
    if (!system || system.isDeleted) continue;
    const requests: LiveRequestItem[] = [];
    const kinds: [RequestKind, "standard" | "agent"][] = [
      ["SystemUserRequest", "standard"],
      ["AgentSystemUserRequest", "agent"],
    ];
    for (const [kind, short] of kinds) for (const request of await altinn.listRequests(kind, id)) requests.push({ kind: short, request });
    let systemUsers: ListedSystemUser[] = [];
    let systemUsersUnavailable: string | undefined;
    try {
      systemUsers = await altinn.listSystemUsers(id);
    } catch (e) {
      systemUsersUnavailable = (e as Error).message;
    }
    // Altinn's request pages can leave out the request at a page boundary (see `listRequests` in providers/altinn/api.ts): a system user whose
    // request the list lacks is looked up by its key, so an accepted request is never missed.
    const listed = new Set(requests.map((r) => `${r.kind}|${r.request.partyOrgNo}|${r.request.externalRef}`));
    for (const u of systemUsers) {
      const short = u.userType === "agent" ? "agent" : "standard";
      if (listed.has(`${short}|${u.partyOrgNo}|${u.externalRef}`)) continue;
      const request = await altinn.getRequestByKey(short === "agent" ? "AgentSystemUserRequest" : "SystemUserRequest", {
        systemId: id,
        partyOrgNo: u.partyOrgNo,
        externalRef: u.externalRef,
      });
      if (request) requests.push({ kind: short, request });
    }
    systems.push({ system, requests, systemUsers, ...(systemUsersUnavailable && { systemUsersUnavailable }) });
  }
  return { orgNo, ...(adminClientId && { adminClientId }), clients, scopes, systems };
}

/** The vendor's own systems (`GET systemregister/vendor`: live ones only, in a summary shape). */
async function systemIds(ctx: Context): Promise<string[]> {
  const url = `${ctx.settings.endpoints.altinnBase}/authentication/api/v1/systemregister/vendor`;
  const res = await ctx.authorized([altinnScopes.systemRegister], { service: "altinn", method: "GET", url });
  if (res.status !== 200) throw apiErrorFrom("altinn", { method: "GET", url }, res);
  const list = (res.text.trim() ? JSON.parse(res.text) : []) as Array<{ systemId?: string; id?: string }>;
  return list.map((s) => s.systemId ?? s.id).filter((s): s is string => !!s);
}
