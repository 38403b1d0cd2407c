import * as pulumi from "@pulumi/pulumi";
import { context } from "../core/context";
import { ShimResource } from "../core/shim";
import { DigdirScopeApi } from "./api";
import {
  activeGrant,
  checkScopeAccessInputs,
  parseScopeAccessId,
  scopeAccessId,
  scopeAccessMoves,
  scopeAccessOutputs,
  type ScopeAccessInputs,
  type ScopeAccessOutputs,
} from "./scope-access-model";

export interface ScopeAccessArgs {
  /** `prefix:subscope` of one of your scopes: pass an ApiScope's `name`, so the grant waits for the scope. */
  scope: pulumi.Input<string>;
  /** The organisation to grant access (9 digits). Changing either input replaces the grant. */
  consumerOrgNo: pulumi.Input<string>;
}

/**
 * One organisation's access to one of your scopes. Deleting it revokes the access; the organisation's clients
 * then get no more tokens for the scope (MP-250).
 */
export class ScopeAccess extends ShimResource {
  declare readonly scope: pulumi.Output<string>;
  declare readonly consumerOrgNo: pulumi.Output<string>;
  /** `APPROVED` once granted. */
  declare readonly state: pulumi.Output<string>;
  declare readonly ownerOrgNo: pulumi.Output<string>;

  constructor(name: string, args: ScopeAccessArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "digdir",
      "ScopeAccess",
      name,
      { state: undefined, ownerOrgNo: undefined, created: undefined, lastUpdated: undefined, ...args },
      opts,
    );
  }
}

export function scopeAccessProvider(): pulumi.dynamic.ResourceProvider {
  return {
    async check(_olds, news) {
      const { inputs, failures } = checkScopeAccessInputs(news);
      return failures.length ? { inputs: news, failures } : { inputs };
    },

    async diff(_id, olds: ScopeAccessOutputs, news: ScopeAccessInputs) {
      return { changes: scopeAccessMoves(olds, news).length > 0, replaces: [], deleteBeforeReplace: false };
    },

    /**
     * Another scope or consumer (a scope replaced under the grant): grant the new, then revoke the old. The
     * resource keeps its id; read and delete go by the stored `scope` and `consumerOrgNo`.
     */
    async update(id, olds: ScopeAccessOutputs, news: ScopeAccessInputs) {
      const api = new DigdirScopeApi(context());
      const row = await api.grantAccess(news.scope, news.consumerOrgNo);
      const old = olds?.scope && olds?.consumerOrgNo ? { scope: olds.scope, consumerOrgNo: olds.consumerOrgNo } : parseScopeAccessId(id);
      if (old.scope !== news.scope || old.consumerOrgNo !== news.consumerOrgNo) await api.revokeAccess(old.scope, old.consumerOrgNo);
      return { outs: scopeAccessOutputs(news, row) };
    },

    /** PUT grants (and re-grants a revoked, DENIED row); a 400 names the consumer and what to do. */
    async create(inputs: ScopeAccessInputs) {
      const row = await new DigdirScopeApi(context()).grantAccess(inputs.scope, inputs.consumerOrgNo);
      return { id: scopeAccessId(inputs), outs: scopeAccessOutputs(inputs, row) };
    },

    async read(id, props: ScopeAccessOutputs) {
      const key =
        props?.scope && props?.consumerOrgNo ? { scope: props.scope, consumerOrgNo: props.consumerOrgNo } : parseScopeAccessId(id);
      const row = activeGrant(await new DigdirScopeApi(context()).listAccess(key.scope), key.consumerOrgNo);
      if (!row) return { id: "", props: {} };
      return { id, props: scopeAccessOutputs(key, row), inputs: key };
    },

    async delete(id, props: ScopeAccessOutputs) {
      const key =
        props?.scope && props?.consumerOrgNo ? { scope: props.scope, consumerOrgNo: props.consumerOrgNo } : parseScopeAccessId(id);
      await new DigdirScopeApi(context()).revokeAccess(key.scope, key.consumerOrgNo);
    },
  };
}
