import { liveScopeName } from "../../providers/digdir/api-scope-model";
import type { StackPlan } from "../validate";
import type { LiveOrganisation } from "./live";

/**
 * The live objects a stack neither manages (its state) nor declares (its file): what an auditor has to look at
 * beyond what is reviewed. Inactive objects (deactivated, deleted, requests answered no or lapsed) are not live,
 * and the admin client the stack runs with is its configuration, not an object it declares.
 */
export function unmanagedObjects(org: LiveOrganisation, managed: Map<string, Set<string>>, plan: StackPlan | undefined): string[] {
  const ids = (...kinds: string[]) => new Set(kinds.flatMap((k) => [...(managed.get(k) ?? [])]));
  const clients = ids(
    "pulumi-nodejs:dynamic/digdir:MaskinportenClient",
    "pulumi-nodejs:dynamic/digdir:KrrClient",
    "pulumi-nodejs:dynamic/digdir:IdportenClient",
  );
  const scopes = ids("pulumi-nodejs:dynamic/digdir:ApiScope");
  const grants = ids("pulumi-nodejs:dynamic/digdir:ScopeAccess");
  const systems = ids("pulumi-nodejs:dynamic/altinn:System");
  const requests = ids("pulumi-nodejs:dynamic/altinn:SystemUserRequest", "pulumi-nodejs:dynamic/altinn:AgentSystemUserRequest");

  const systemIdOf = new Map<string, string>();
  for (const c of plan?.clients ?? []) if (typeof c.args.clientId === "string") clients.add(c.args.clientId);
  for (const s of plan?.apiScopes ?? []) {
    scopes.add(s.scope);
    for (const c of s.consumers) grants.add(`${s.scope}|${c.orgNo}`);
  }
  for (const s of plan?.systems ?? []) {
    const id = typeof s.args.systemId === "string" ? s.args.systemId : `${plan!.organisation.orgNo}_${s.name}`;
    systemIdOf.set(s.name, id);
    systems.add(id);
  }
  for (const r of plan?.requests ?? []) {
    const systemId = systemIdOf.get(r.system);
    if (systemId)
      requests.add(`${systemId}/${r.customer.orgNo}/${typeof r.args.externalRef === "string" ? r.args.externalRef : r.customer.orgNo}`);
  }

  const out: string[] = [];
  for (const { client } of org.clients) {
    const id = client.clientId;
    if (!id || id === org.adminClientId || client.active === false || clients.has(id)) continue;
    out.push(`client ${id} (${client.integrationType ?? "unknown type"}, "${client.name ?? ""}")`);
  }
  for (const { scope, consumers } of org.scopes) {
    const name = liveScopeName(scope);
    if (!scopes.has(name)) out.push(`scope ${name}`);
    for (const c of consumers) if (!grants.has(`${name}|${c}`)) out.push(`grant of ${name} to ${c}`);
  }
  for (const { system, requests: reqs, systemUsers } of org.systems) {
    if (!systems.has(system.systemId)) out.push(`system ${system.systemId}`);
    const seen = new Set<string>();
    for (const { kind, request: r } of reqs) {
      if (!["New", "Accepted"].includes(r.status)) continue;
      const key = `${system.systemId}/${r.partyOrgNo}/${r.externalRef || r.partyOrgNo}`;
      seen.add(key);
      if (!requests.has(key)) out.push(`${kind === "agent" ? "agent request" : "request"} ${key} (${r.status})`);
    }
    for (const u of systemUsers) {
      if (!u.partyOrgNo) continue;
      const key = `${system.systemId}/${u.partyOrgNo}/${u.externalRef || u.partyOrgNo}`;
      if (seen.has(key) || requests.has(key)) continue;
      out.push(unrequestedSystemUser(u, system.systemId, key));
    }
  }
  return out;
}

function unrequestedSystemUser(u: { userType?: string; systemUserId: string; partyOrgNo?: string }, systemId: string, key: string): string {
  const what = u.userType === "agent" ? "agent system user" : "system user";
  return `${what} ${u.systemUserId} of ${systemId} for ${u.partyOrgNo} (key ${key}), with no request: created by the customer in Altinn, or its request deleted`;
}
