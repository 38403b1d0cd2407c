import type * as pulumi from "@pulumi/pulumi";
import { defined, isUnknown } from "../core/check";
import { context, type Context } from "../core/context";
import { afterCreate } from "../core/partial";
import { defaultAdminScopes, DigdirClientApi } from "./api";
import { InputError } from "../core/errors";
import { createClientOnce } from "./client-create";
import {
  adoptedClientChanged,
  adoptionRefusal,
  changedFields,
  checkClientInputs,
  inputsOf,
  needsReplacement,
  rotationTriggerChanged,
  secretRotationNeeded,
  usesClientSecret,
  type ClientInputs,
  type ClientKind,
  type ClientOutputs,
  type LiveClient,
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

function outputsFrom(
  kind: ClientKind,
  live: LiveClient,
  issuer: Awaited<ReturnType<typeof issuerOutputs>>,
  clientSecret?: string,
  rotationTrigger?: string,
): ClientOutputs {
  return defined({
    ...inputsOf(kind, live),
    rotationTrigger,
    clientId: live.clientId!,
    clientOrgNo: live.clientOrgNo ?? "",
    ...issuer,
    created: live.created ?? "",
    lastUpdated: live.lastUpdated ?? "",
    clientSecret: usesClientSecret(live.tokenEndpointAuthMethod) ? clientSecret : undefined,
  }) as ClientOutputs;
}

/** Why the client `clientId` cannot be taken over by a `kind` resource, or undefined when it can. */
async function adoptionCheck(ctx: Context, kind: ClientKind, clientId: string): Promise<string | undefined> {
  const live = await new DigdirClientApi(ctx).findClient(clientId);
  return adoptionRefusal(kind, clientId, live, await ownOrgNo(ctx));
}

/** The organisation the admin client acts for (digdir:orgNo, else its token's). */
function ownOrgNo(ctx: Context): Promise<string | undefined> {
  return ctx.orgNo(ctx.settings.adminScopes ?? defaultAdminScopes).catch(() => ctx.settings.orgNo);
}

/**
 * Takes over the existing client `inputs.clientId`: nothing is created; where the declared fields differ from
 * the live client, one PUT brings it to them (the preview showed the resource as new, so a difference is not
 * visible there: `npm run export` writes files that match). A secret-based client keeps its secret, which Digdir
 * never shows: `clientSecret` stays empty until `rotationTrigger` gets a new one.
 */
async function adopt(ctx: Context, kind: ClientKind, inputs: ClientInputs) {
  const api = new DigdirClientApi(ctx);
  const id = inputs.clientId!;
  const found = await api.findClient(id);
  const refusal = adoptionRefusal(kind, id, found, await ownOrgNo(ctx));
  if (refusal || found === "forbidden") throw new InputError(`${kind}: ${refusal}`);
  const live = found!;
  const differs = changedFields(kind, inputsOf(kind, live), inputs).length > 0;
  const updated = differs ? await api.updateClient(id, kind, live, inputs) : live;
  return {
    id,
    outs: { ...outputsFrom(kind, updated, await issuerOutputs(ctx, kind), undefined, inputs.rotationTrigger) },
  };
}

/** check/diff/create/read/update/delete for one kind of Digdir client. */
export function clientProvider(kind: ClientKind): pulumi.dynamic.ResourceProvider {
  return {
    async check(olds: Partial<ClientInputs>, news) {
      const ctx = context();
      // createKey names the resource for the client id chosen on create (client-create.ts); not a client field.
      const { createKey, ...rest } = news ?? {};
      const { inputs, failures } = checkClientInputs(kind, rest, ctx.settings.environment);
      if (createKey !== undefined && typeof createKey !== "string") failures.push({ property: "createKey", reason: "must be a string" });
      if (failures.length) return { inputs: news, failures };
      // A client to take over is judged before anything is planned, so a preview already says what is wrong. Only
      // once: when the state holds that client already there is nothing to ask Digdir.
      if (typeof inputs.clientId === "string" && olds?.clientId !== inputs.clientId) {
        const refusal = await adoptionCheck(ctx, kind, inputs.clientId);
        if (refusal) return { inputs: news, failures: [{ property: "clientId", reason: refusal }] };
      }
      return { inputs: createKey === undefined ? inputs : { ...inputs, createKey } };
    },

    async diff(_id, olds: ClientOutputs, news: ClientInputs) {
      const changed = changedFields(kind, olds, news);
      const rotate = kind === "IdportenClient" && rotationTriggerChanged(olds, news);
      // A declared clientId not known yet (a preview) is a change, never on its own a replacement.
      const replaces = [
        ...needsReplacement(changed, news),
        ...(adoptedClientChanged(olds, news) && !isUnknown(news.clientId) ? ["clientId"] : []),
      ];
      return { changes: changed.length > 0 || rotate || adoptedClientChanged(olds, news), replaces, deleteBeforeReplace: false };
    },

    async create(inputs: ClientInputs & { createKey?: string }) {
      const ctx = context();
      const api = new DigdirClientApi(ctx);
      // A declared clientId is taken over; otherwise the id is chosen here, before the POST (client-create.ts).
      if (inputs.clientId !== undefined) return adopt(ctx, kind, inputs);
      const label = `${kind} ${inputs.createKey?.split("/").pop() ?? JSON.stringify(inputs.name)}`;
      const { live } = await createClientOnce(ctx, kind, inputs, label);
      const id = live.clientId!;
      return afterCreate(id, { clientId: id }, async () => {
        let secret = live.clientSecret;
        if (usesClientSecret(inputs.tokenEndpointAuthMethod) && !secret) secret = await api.newSecret(id);
        return { id, outs: outputsFrom(kind, live, await issuerOutputs(ctx, kind), secret, inputs.rotationTrigger) };
      });
    },

    async read(id, props: ClientOutputs) {
      const ctx = context();
      const live = await new DigdirClientApi(ctx).getClient(id);
      if (!live) return { id: "", props: {} };
      const outs = outputsFrom(kind, live, await issuerOutputs(ctx, kind), props?.clientSecret, props?.rotationTrigger);
      // clientId among the inputs: a declared one equal to it is then no adoption to check again.
      const inputs = defined({ ...inputsOf(kind, live), clientId: id, rotationTrigger: props?.rotationTrigger });
      return { id, props: outs, inputs };
    },

    async update(id, olds: ClientOutputs, news: ClientInputs) {
      const ctx = context();
      const api = new DigdirClientApi(ctx);
      const live = await api.getClient(id);
      if (!live) {
        throw new Error(
          `${kind} ${id} no longer exists at Digdir (deleted outside Pulumi): run \`pulumi refresh\`, then \`pulumi up\` creates it again.`,
        );
      }
      // A change of rotationTrigger alone needs no PUT: only the new secret.
      const updated = changedFields(kind, olds, news).length > 0 ? await api.updateClient(id, kind, live, news) : live;
      let secret = olds.clientSecret;
      // Digdir deletes the secret when the method moves away from client_secret_*; a move to it needs a new one,
      // and so does a new rotationTrigger.
      if (secretRotationNeeded(olds, news)) secret = await api.newSecret(id);
      return { outs: outputsFrom(kind, updated, await issuerOutputs(ctx, kind), secret, news.rotationTrigger) };
    },

    async delete(id) {
      await new DigdirClientApi(context()).deleteClient(id);
    },
  };
}
