import { createHash, randomBytes } from "node:crypto";
import { emptyReply, jsonReply, type SimReply, type SimRequest } from "../core/http";
import { newUuid } from "../core/ids";
import type { SimContext, SimModule } from "../context";
import type { ClientRecord } from "../registry/registry";
import { isSecretAuthMethod, validateClientBody } from "./client-validation";
import { authorizeAdmin, digdirErrorReply, jsonRequestBody, type Authorized } from "./errors";
import { jwksResponse, validateJwks } from "./jwks";
import { registerScopeRoutes } from "./scopes";

// /samarbeid/api/v1: Digdir's self-service client API (digdir-api.md §2). Every call needs a Maskinporten
// token from this simulator with the admin scopes; a client is visible only to the organisation in the
// token's `consumer` claim (its owner), others get 404 as for an unknown id. The scopes API (/scopes,
// /scopes/access, /delegationsources) is in scopes.ts.

const BASE = "/samarbeid/api/v1/clients";
const READ = ["idporten:dcr.read"];
const WRITE = ["idporten:dcr.write"];
const MODIFY = ["idporten:dcr.write", "idporten:dcr.modify"];

export const samarbeidModule: SimModule = {
  name: "samarbeid",
  register(ctx: SimContext) {
    const authorize = (req: SimRequest, anyScope: string[]): Promise<Authorized> => authorizeAdmin(ctx, req, anyScope);

    const notFound = (id: string) => digdirErrorReply(ctx, 404, [{ errorMessage: `Client ${id} not found` }]);

    /** The owner's client, visible per the deletedClients setting; `forWrite` never yields a deleted client. */
    const ownedClient = (orgNo: string, id: string, forWrite: boolean): ClientRecord | undefined => {
      const client = ctx.registry.client(id);
      if (!client || client.client_orgno !== orgNo) return undefined;
      if (!client.active && (forWrite || ctx.config.deletedClients === "hidden")) return undefined;
      return client;
    };

    const jsonBody = (req: SimRequest) => jsonRequestBody(ctx, req);

    const registration = (client: ClientRecord, secret?: string): Record<string, unknown> => ({
      client_id: client.client_id,
      client_orgno: client.client_orgno,
      ...client.fields,
      active: client.active,
      created: client.created,
      last_updated: client.last_updated,
      jwks_uri: `${ctx.url()}${BASE}/${client.client_id}/jwks`,
      ...(secret !== undefined ? { client_secret: secret } : {}),
    });

    const newSecret = (client: ClientRecord): string => {
      const secret = randomBytes(32).toString("base64url");
      client.secretHash = createHash("sha256").update(secret).digest("hex");
      return secret;
    };

    ctx.router.add("GET", BASE, async (req) => {
      const auth = await authorize(req, READ);
      if (!auth.ok) return auth.reply;
      const visible = ctx.registry
        .clientsOwnedBy(auth.orgNo)
        .filter((c) => c.active || ctx.config.deletedClients === "inactive")
        .sort((a, b) => a.created.localeCompare(b.created));
      return jsonReply(200, visible.map((c) => registration(c)));
    });

    ctx.router.add("POST", BASE, async (req) => {
      const auth = await authorize(req, WRITE);
      if (!auth.ok) return auth.reply;
      const body = jsonBody(req);
      if (!body.ok) return body.reply;
      const result = validateClientBody(ctx, body.value, auth.orgNo);
      if (!result.ok) return digdirErrorReply(ctx, 400, result.errors);
      const now = ctx.clock.iso();
      const client: ClientRecord = {
        client_id: newUuid(),
        client_orgno: auth.orgNo,
        fields: result.fields,
        created: now,
        last_updated: now,
        active: true,
        activeFrom: ctx.clock.nowSeconds() + ctx.config.keyActivationDelaySeconds,
        admin: false,
      };
      const secret = isSecretAuthMethod(client.fields.token_endpoint_auth_method) ? newSecret(client) : undefined;
      ctx.registry.putClient(client);
      return jsonReply(ctx.config.clientCreateStatus, registration(client, secret));
    });

    ctx.router.add("GET", `${BASE}/:id`, async (req) => {
      const auth = await authorize(req, READ);
      if (!auth.ok) return auth.reply;
      const client = ownedClient(auth.orgNo, req.params.id!, false);
      return client ? jsonReply(200, registration(client)) : notFound(req.params.id!);
    });

    ctx.router.add("PUT", `${BASE}/:id`, async (req) => {
      const auth = await authorize(req, MODIFY);
      if (!auth.ok) return auth.reply;
      const client = ownedClient(auth.orgNo, req.params.id!, true);
      if (!client) return notFound(req.params.id!);
      const body = jsonBody(req);
      if (!body.ok) return body.reply;
      const result = validateClientBody(ctx, body.value, auth.orgNo, client, client.client_id);
      if (!result.ok) return digdirErrorReply(ctx, 400, result.errors);
      client.fields = result.fields;
      // The secret survives a PUT, but not a switch away from the client_secret_* methods.
      if (!isSecretAuthMethod(client.fields.token_endpoint_auth_method)) delete client.secretHash;
      client.last_updated = ctx.clock.iso();
      ctx.registry.putClient(client);
      return jsonReply(200, registration(client));
    });

    ctx.router.add("DELETE", `${BASE}/:id`, async (req) => {
      const auth = await authorize(req, WRITE);
      if (!auth.ok) return auth.reply;
      const client = ownedClient(auth.orgNo, req.params.id!, true);
      if (!client) return notFound(req.params.id!);
      // Digdir deactivates rather than deletes (kept for audit).
      client.active = false;
      client.last_updated = ctx.clock.iso();
      ctx.registry.putClient(client);
      return emptyReply(200);
    });

    ctx.router.add("POST", `${BASE}/:id/secret`, async (req) => {
      const auth = await authorize(req, WRITE);
      if (!auth.ok) return auth.reply;
      const client = ownedClient(auth.orgNo, req.params.id!, true);
      if (!client) return notFound(req.params.id!);
      if (!isSecretAuthMethod(client.fields.token_endpoint_auth_method)) {
        return digdirErrorReply(ctx, 400, [
          { errorMessage: "Only clients with token_endpoint_auth_method client_secret_basic or client_secret_post have a secret", fieldIdentifier: "token_endpoint_auth_method" },
        ]);
      }
      const secret = newSecret(client);
      client.last_updated = ctx.clock.iso();
      ctx.registry.putClient(client);
      return jsonReply(200, registration(client, secret));
    });

    ctx.router.add("GET", `${BASE}/:id/jwks`, async (req) => {
      const auth = await authorize(req, READ);
      if (!auth.ok) return auth.reply;
      const client = ownedClient(auth.orgNo, req.params.id!, false);
      return client ? jsonReply(200, jwksResponse(client.jwks)) : notFound(req.params.id!);
    });

    const replaceJwks = async (req: SimRequest, scopes: string[]): Promise<SimReply> => {
      const auth = await authorize(req, scopes);
      if (!auth.ok) return auth.reply;
      const client = ownedClient(auth.orgNo, req.params.id!, true);
      if (!client) return notFound(req.params.id!);
      const body = jsonBody(req);
      if (!body.ok) return body.reply;
      const result = validateJwks(body.value, ctx.clock.nowSeconds(), ctx.config.keyActivationDelaySeconds, client.jwks);
      if (!result.ok) return digdirErrorReply(ctx, 400, result.errors);
      const now = ctx.clock.iso();
      client.jwks = { keys: result.keys, created: client.jwks?.created ?? now, last_updated: now };
      ctx.registry.putClient(client);
      return jsonReply(200, jwksResponse(client.jwks));
    };
    ctx.router.add("POST", `${BASE}/:id/jwks`, (req) => replaceJwks(req, WRITE));
    ctx.router.add("PUT", `${BASE}/:id/jwks`, (req) => replaceJwks(req, MODIFY));

    ctx.router.add("DELETE", `${BASE}/:id/jwks`, async (req) => {
      const auth = await authorize(req, WRITE);
      if (!auth.ok) return auth.reply;
      const client = ownedClient(auth.orgNo, req.params.id!, true);
      if (!client) return notFound(req.params.id!);
      delete client.jwks;
      ctx.registry.putClient(client);
      return emptyReply(200);
    });

    registerScopeRoutes(ctx);
  },
};
