import type { ApiScopeArgs } from "../../providers";
import { isPlainObject as isRecord } from "../../providers/core/check";
import { unknownValue } from "../../providers/core/check";
import { checkApiScopeInputs, scopeNameOf } from "../../providers/digdir/api-scope-model";
import { checkScopeAccessInputs } from "../../providers/digdir/scope-access-model";
import { apiScopeFields, apiScopeSchema, apiScopeStackKeys, consumerSchema } from "../schema";
import type { Path } from "../../providers/core/path";
import { guardUrl } from "./guardrails";
import { Origins } from "./origins";
import { judgedArgs, type PlannedConsumer } from "./plan";
import type { ValidationRun } from "./run";
import { unknownKey } from "./words";

/** `apiScopes:`: the organisation's own scopes (ApiScope, judged by api-scope-model.ts) and who is granted each. */

export function apiScopes(run: ValidationRun, entries: Record<string, unknown>): void {
  const allowed: string[] = [...apiScopeFields, ...apiScopeStackKeys];
  const byScope = new Map<string, Path>();
  for (const [name, raw] of Object.entries(entries)) {
    const base: Path = ["apiScopes", name];
    if (!run.checkName("apiScopes", name)) continue;
    const decl = run.parse(apiScopeSchema, raw, base);
    if (!decl) continue;
    const args: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(decl)) {
      if ((apiScopeStackKeys as readonly string[]).includes(k)) continue;
      if (k === "name" || k === "scope") run.at([...base, k], scopeNameInParts, "key");
      else if (!allowed.includes(k)) run.at([...base, k], unknownKey(k, allowed), "key");
      else args[k] = v;
    }
    const { inputs, failures } = checkApiScopeInputs(args);
    run.failures(failures, new Origins(base));
    if (typeof args.delegationSource === "string") guardUrl(run, args.delegationSource, [...base, "delegationSource"]);

    const named =
      typeof args.prefix === "string" &&
      typeof args.subscope === "string" &&
      !failures.some((f) => f.property === "prefix" || f.property === "subscope");
    let scope = named ? scopeNameOf(args as { prefix: string; subscope: string }) : undefined;
    if (scope) {
      const first = byScope.get(scope);
      if (first) {
        run.at([...base, "subscope"], scopeDeclaredTwice(scope, String(first[1]), run.lineOf(first)));
        scope = undefined;
      } else {
        byScope.set(scope, base);
      }
    }

    const protect = run.protectByDefault(decl.protect);
    const consumers = scopeConsumers(run, name, scope, decl.consumers ?? [], protect);
    if (scope) {
      run.declaredScopes.set(scope, {
        entry: name,
        ...(!failures.length && { allowedIntegrationTypes: inputs.allowedIntegrationTypes }),
        accessibleForAll: args.accessibleForAll === true,
        consumers: new Set(consumers.map((c) => c.orgNo)),
      });
    }
    run.plan.apiScopes.push({ name, scope: scope ?? "", args: judgedArgs<ApiScopeArgs>(args), consumers, protect });
  }
}

/** A scope's consumers: one ScopeAccess each, the organisation number judged by scope-access-model.ts. */
function scopeConsumers(
  run: ValidationRun,
  entry: string,
  scope: string | undefined,
  list: unknown[],
  protect: boolean,
): PlannedConsumer[] {
  const out: PlannedConsumer[] = [];
  const seen = new Map<string, Path>();
  list.forEach((raw, i) => {
    const at: Path = ["apiScopes", entry, "consumers", i];
    const c = run.parse(consumerSchema, raw, at);
    if (!c) return;
    const { failures } = checkScopeAccessInputs({ scope: scope ?? unknownValue, consumerOrgNo: c.orgNo });
    for (const f of failures) {
      if (f.property === "consumerOrgNo") run.at(isRecord(raw) ? [...at, "orgNo"] : at, `the consumer's organisation number: ${f.reason}`);
      else run.at(["apiScopes", entry], f.reason);
    }
    if (failures.length) return;
    const first = seen.get(c.orgNo);
    if (first) {
      run.at(at, `consumer ${c.orgNo} is also listed at line ${run.lineOf(first)}: an organisation is granted a scope once; remove one`);
      return;
    }
    seen.set(c.orgNo, at);
    out.push({
      orgNo: c.orgNo,
      ...(c.name !== undefined && { name: c.name }),
      resourceName: `${entry}/${c.orgNo}`,
      protect: c.protect ?? protect,
    });
  });
  return out;
}

/**
 * Clients that list a scope declared under `apiScopes` use it: they are registered after it (the program wires
 * the dependency), their integration type must be one the scope allows, and the organisation must be among its
 * consumers, as Digdir lets an organisation register only scopes it has been granted, its own ones included.
 */
export function scopeReferences(run: ValidationRun, orgNo: string | undefined): void {
  for (const c of run.plan.clients) {
    const scopes = Array.isArray(c.args.scopes) ? c.args.scopes : [];
    scopes.forEach((s, i) => {
      const declared = typeof s === "string" ? run.declaredScopes.get(s) : undefined;
      if (!declared) return;
      if (!c.usesScopes.includes(declared.entry)) c.usesScopes.push(declared.entry);
      const at: Path = ["clients", c.name, "scopes", i];
      const type = run.checkedClients.get(c.name)?.integrationType;
      const types = declared.allowedIntegrationTypes;
      if (type && types && !types.includes(type)) run.at(at, integrationTypeNotAllowed(String(s), declared.entry, types, c.name, type));
      if (orgNo && !declared.accessibleForAll && !declared.consumers.has(orgNo))
        run.at(at, organisationNotGranted(String(s), declared.entry, orgNo));
    });
  }
}

const scopeNameInParts =
  "the scope's name is prefix:subscope: write it as `prefix:` (the one Digdir assigned to the organisation) and `subscope:`";

function scopeDeclaredTwice(scope: string, firstEntry: string, firstLine: number): string {
  return `${scope} is also declared as apiScopes.${firstEntry} (line ${firstLine}): a scope is declared once; remove one, or choose another subscope`;
}

function integrationTypeNotAllowed(scope: string, entry: string, types: string[], client: string, type: string): string {
  return `${scope} (apiScopes.${entry}) allows ${types.join(", ")} clients, and \`${client}\` is a client of integration type ${type}: add ${type} to the scope's allowedIntegrationTypes, or remove the scope here`;
}

function organisationNotGranted(scope: string, entry: string, orgNo: string): string {
  return `${scope} is declared under apiScopes.${entry}, but the organisation (${orgNo}) is not among its consumers: Digdir lets an organisation use a scope only once it is granted, its own ones too; add "${orgNo}" to apiScopes.${entry}.consumers`;
}
