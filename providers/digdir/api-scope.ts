import * as pulumi from "@pulumi/pulumi";
import { defined } from "../core/check";
import { context } from "../core/context";
import { InputError } from "../core/errors";
import { isInDoubt } from "../core/http";
import { recover } from "../core/recovery";
import { ShimResource } from "../core/shim";
import { DigdirScopeApi } from "./api";
import {
  changedScopeFields,
  checkApiScopeInputs,
  scopeNameOf,
  scopeOutputs,
  scopeReplacements,
  type ApiScopeInputs,
  type ApiScopeOutputs,
} from "./api-scope-model";

export interface ApiScopeArgs {
  /** The prefix Digdir assigned to your organisation (e.g. `nav`). Changing it replaces the scope. */
  prefix: pulumi.Input<string>;
  /** The rest of the name, after `prefix:` (may hold `/`, `:` and `.`). Changing it replaces the scope. */
  subscope: pulumi.Input<string>;
  /** Shown to consumers in Samarbeidsportalen. */
  description: pulumi.Input<string>;
  longDescription?: pulumi.Input<string>;
  /** `PUBLIC` (default: listed for everyone) or `PRIVATE` (seen by you and the organisations you grant). */
  visibility?: pulumi.Input<"PUBLIC" | "PRIVATE">;
  /** Client integration types that may use the scope; default `["maskinporten"]`. */
  allowedIntegrationTypes?: pulumi.Input<pulumi.Input<"maskinporten" | "api_klient" | "idporten" | "krr" | "ansattporten">[]>;
  /** Longest access-token lifetime for the scope (`at_max_age`), seconds; left out: Digdir's value stands. */
  atMaxAge?: pulumi.Input<number>;
  /** Open to every organisation, without grants (usage still tracked). Default false. */
  accessibleForAll?: pulumi.Input<boolean>;
  /** Issuer URL of a delegation source (e.g. `https://tt02.altinn.no/`), to allow delegation through Altinn. */
  delegationSource?: pulumi.Input<string>;
  /** Default `SELF_CONTAINED` (the only kind Maskinporten issues). */
  tokenType?: pulumi.Input<"SELF_CONTAINED" | "OPAQUE">;
  requiresUserConsent?: pulumi.Input<boolean>;
  requiresUserAuthentication?: pulumi.Input<boolean>;
  requiresPseudonymousTokens?: pulumi.Input<boolean>;
  authorizationMaxLifetime?: pulumi.Input<number>;
}

/**
 * A scope your organisation offers to others (an API in Maskinporten's terms). Deleting it deactivates it at
 * Digdir (which keeps it, and consumers' grants, for audit); declaring it again reactivates it.
 */
export class ApiScope extends ShimResource {
  /**
   * `prefix:subscope`, the scope consumers ask for: the resource's id, so it stays known in the preview of an
   * update (a description changed), and the grants that use it see no change (providers/README.md).
   */
  readonly name: pulumi.Output<string>;
  declare readonly prefix: pulumi.Output<string>;
  declare readonly subscope: pulumi.Output<string>;
  declare readonly active: pulumi.Output<boolean>;
  declare readonly ownerOrgNo: pulumi.Output<string>;
  declare readonly created: pulumi.Output<string>;
  declare readonly lastUpdated: pulumi.Output<string>;

  constructor(name: string, args: ApiScopeArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "digdir",
      "ApiScope",
      name,
      { active: undefined, ownerOrgNo: undefined, created: undefined, lastUpdated: undefined, ...args },
      opts,
    );
    this.name = this.id;
  }
}

export function apiScopeProvider(): pulumi.dynamic.ResourceProvider {
  return {
    async check(_olds, news) {
      const { inputs, failures } = checkApiScopeInputs(news);
      return failures.length ? { inputs: news, failures } : { inputs };
    },

    async diff(_id, olds: ApiScopeOutputs, news: ApiScopeInputs) {
      const changed = changedScopeFields(olds, news);
      return { changes: changed.length > 0, replaces: scopeReplacements(changed, news), deleteBeforeReplace: false };
    },

    /**
     * POST; a 409 means the name exists. One of the organisation's own scopes is taken over (adoption by name,
     * providers/README.md): a deactivated one is reactivated, and either is brought to the declared fields with one
     * PUT when they differ. A name the organisation's scopes do not include belongs to another organisation.
     */
    async create(inputs: ApiScopeInputs) {
      const api = new DigdirScopeApi(context());
      const name = scopeNameOf(inputs);
      await checkPrefixAssigned(api, inputs.prefix);
      let result: Awaited<ReturnType<DigdirScopeApi["createScope"]>> | undefined;
      let why = "it existed already (left by a lost answer or an interrupted run, or made elsewhere)";
      // A lost answer (no answer, a 500/502/504) is settled by reading the name: found, it is taken over as below;
      // not found, the POST is sent again.
      for (let doubts = 0; !result; doubts++) {
        try {
          result = await api.createScope(inputs);
        } catch (e) {
          if (!isInDoubt(e) || doubts >= 2) throw e;
          if (await api.findScope(name)) {
            result = { conflict: true };
            why = "it was made although the answer to its POST was lost";
          }
        }
      }
      const { created, conflict } = result;
      if (created) return { id: name, outs: defined({ ...scopeOutputs(inputs, created) }) };
      const existing = conflict ? await api.findScope(name) : undefined;
      if (!existing) {
        throw new Error(
          `Scope ${name} exists at Digdir but not among your organisation's scopes: another organisation owns the name. Choose another subscope, or check the prefix.`,
        );
      }
      recover(
        `ApiScope ${name}: ${why}: it was taken over${existing.active === false ? " and reactivated" : ""} instead of being made again.`,
      );
      const active = existing.active !== false;
      if (active && changedScopeFields(scopeOutputs({}, existing), inputs).length === 0) {
        return { id: name, outs: defined({ ...scopeOutputs(inputs, existing) }) };
      }
      const updated = await api.updateScope(name, existing, inputs);
      return { id: name, outs: defined({ ...scopeOutputs(inputs, updated) }) };
    },

    /** Gone when Digdir does not know it (404) or it is deactivated. */
    async read(id, props: ApiScopeOutputs) {
      // Deactivated reads as gone, whether the single read shows it (active: false) or answers 404.
      const live = await new DigdirScopeApi(context()).getScope(id);
      if (!live || live.active === false) return { id: "", props: {} };
      const outs = defined({ ...scopeOutputs(props ?? {}, live) });
      const inputs: Record<string, unknown> = {};
      for (const k of Object.keys(outs))
        if (!["name", "active", "ownerOrgNo", "created", "lastUpdated"].includes(k) && !k.startsWith("__"))
          inputs[k] = outs[k as keyof typeof outs];
      return { id, props: outs, inputs };
    },

    async update(id, _olds: ApiScopeOutputs, news: ApiScopeInputs) {
      const api = new DigdirScopeApi(context());
      const live = await api.getScope(id);
      if (!live) throw new Error(`Scope ${id} no longer exists at Digdir: run \`pulumi refresh\`, then \`pulumi up\` creates it again.`);
      const updated = await api.updateScope(id, live, news);
      return { outs: defined({ ...scopeOutputs(news, updated) }) };
    },

    async delete(id) {
      await new DigdirScopeApi(context()).deactivateScope(id);
    },
  };
}

/**
 * A scope's prefix must be one Digdir has assigned to the organisation: checked against `GET /prefix` before
 * anything is created (no public source gives a syntax for prefixes; docs.digdir.no: "no specific rules"). When the list
 * cannot be read (an older API), Digdir's own answer to the POST decides.
 */
export async function checkPrefixAssigned(api: DigdirScopeApi, prefix: string): Promise<void> {
  const prefixes = await api.listPrefixes();
  if (!prefixes || prefixes.includes(prefix)) return;
  const have = prefixes.length ? `its prefixes are ${prefixes.map((p) => `"${p}"`).join(", ")}` : "it has no prefix yet";
  throw new InputError(
    `ApiScope prefix "${prefix}" is not assigned to your organisation (${have}, by Digdir's GET /prefix): use one of them, or ask Digdir (servicedesk@digdir.no) to assign "${prefix}". Nothing was created.`,
  );
}
