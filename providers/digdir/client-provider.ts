import type * as pulumi from "@pulumi/pulumi";
import { defined } from "../core/check";
import { context, type Context } from "../core/context";
import { afterCreate } from "../core/partial";
import { DigdirClientApi, type WireClient } from "./api";
import {
  changedFields,
  checkClientInputs,
  desiredClientPayload,
  inputsFromLive,
  needsReplacement,
  rotationTriggerChanged,
  secretRotationNeeded,
  updatePayload,
  usesClientSecret,
  type ClientInputs,
  type ClientKind,
  type ClientOutputs,
} from "./client-model";

/** Where a client gets its tokens: Maskinporten for machine clients, ID-porten for login clients. */
async function issuerOutputs(ctx: Context, kind: ClientKind): Promise<Pick<ClientOutputs, "issuer" | "tokenEndpoint" | "wellKnownUrl">> {
  if (kind === "IdportenClient") {
    const issuer = ctx.settings.endpoints.idportenIssuer;
    return { issuer, tokenEndpoint: `${issuer}/token`, wellKnownUrl: `${issuer}/.well-known/openid-configuration` };
  }
  const meta = await ctx.tokens.metadata();
  return { issuer: meta.issuer, tokenEndpoint: meta.token_endpoint, wellKnownUrl: ctx.settings.endpoints.maskinportenWellKnown };
}

function outputsFrom(kind: ClientKind, live: WireClient, issuer: Awaited<ReturnType<typeof issuerOutputs>>, clientSecret?: string, rotationTrigger?: string): ClientOutputs {
  return defined({
    ...inputsFromLive(kind, live),
    rotationTrigger,
    clientId: live.client_id!,
    clientOrgNo: live.client_orgno ?? "",
    ...issuer,
    created: live.created ?? "",
    lastUpdated: live.last_updated ?? "",
    clientSecret: usesClientSecret(live.token_endpoint_auth_method) ? clientSecret : undefined,
  }) as ClientOutputs;
}

/** check/diff/create/read/update/delete for one kind of Digdir client. */
export function clientProvider(kind: ClientKind): pulumi.dynamic.ResourceProvider {
  return {
    async check(_olds, news) {
      const { inputs, failures } = checkClientInputs(kind, news, context().settings.environment);
      return failures.length ? { inputs: news, failures } : { inputs };
    },

    async diff(_id, olds: ClientOutputs, news: ClientInputs) {
      const changed = changedFields(kind, olds, news);
      const rotate = kind === "IdportenClient" && rotationTriggerChanged(olds, news);
      return { changes: changed.length > 0 || rotate, replaces: needsReplacement(changed), deleteBeforeReplace: false };
    },

    async create(inputs: ClientInputs) {
      const ctx = context();
      const api = new DigdirClientApi(ctx);
      const live = await api.createClient(desiredClientPayload(kind, inputs));
      const id = live.client_id!;
      return afterCreate(id, { clientId: id }, async () => {
        let secret = live.client_secret;
        if (usesClientSecret(inputs.tokenEndpointAuthMethod) && !secret) secret = await api.newSecret(id);
        return { id, outs: outputsFrom(kind, live, await issuerOutputs(ctx, kind), secret, inputs.rotationTrigger) };
      });
    },

    async read(id, props: ClientOutputs) {
      const ctx = context();
      const live = await new DigdirClientApi(ctx).getClient(id);
      if (!live) return { id: "", props: {} };
      const outs = outputsFrom(kind, live, await issuerOutputs(ctx, kind), props?.clientSecret, props?.rotationTrigger);
      const inputs = defined({ ...inputsFromLive(kind, live), rotationTrigger: props?.rotationTrigger });
      return { id, props: outs, inputs };
    },

    async update(id, olds: ClientOutputs, news: ClientInputs) {
      const ctx = context();
      const api = new DigdirClientApi(ctx);
      const live = await api.getClient(id);
      if (!live) {
        throw new Error(`${kind} ${id} no longer exists at Digdir (deleted outside Pulumi): run \`pulumi refresh\`, then \`pulumi up\` creates it again.`);
      }
      // A change of rotationTrigger alone needs no PUT: only the new secret.
      const updated = changedFields(kind, olds, news).length > 0 ? await api.updateClient(id, updatePayload(kind, live, news)) : live;
      let secret = olds.clientSecret;
      // Digdir deletes the secret when the method moves away from client_secret_*; a move to it needs a new one,
      // and so does a new rotationTrigger.
      if (secretRotationNeeded(olds, news)) secret = await api.newSecret(id);
      return { outs: outputsFrom(kind, { ...live, ...updated }, await issuerOutputs(ctx, kind), secret, news.rotationTrigger) };
    },

    async delete(id) {
      await new DigdirClientApi(context()).deleteClient(id);
    },
  };
}
