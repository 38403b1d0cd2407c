import { createHash, randomBytes } from "node:crypto";
import { emptyReply, isPlainObject, jsonReply, type SimReply, type SimRequest } from "../core/http";
import { newUuid } from "../core/ids";
import type { SimContext, SimModule } from "../context";
import type { ClientRecord } from "../registry/registry";
import { isSecretAuthMethod, validateClientBody } from "./client-validation";
import { authorizeAdmin, digdirErrorReply, jsonRequestBody, type Authorized } from "./errors";
import { jwksResponse, MAX_KEYS, validateJwks } from "./jwks";
import { registerScopeRoutes } from "./scopes";

// /samarbeid/api/v1: Digdir's self-service client API (its OpenAPI: app/lib/api.d.ts in digdir/digdir-camp-2025-react-impl). Every call needs a
// Maskinporten token from this simulator with the admin scopes (403 without the route's scope); a client belongs
// to the organisation in the token's `consumer` claim (its owner), and another organisation's client is 403. The scopes API (/scopes,
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
    const forbidden = (id: string) =>
      digdirErrorReply(ctx, 403, [{ errorMessage: `Forbidden: client ${id} belongs to another organisation` }]);

    /**
     * The owner's client, or the reply: 403 for another organisation's, 404 for an unknown one. A deleted
     * (inactive) client is read per the deletedClients setting; writes never see it, except a PUT, which may set
     * `active` again.
     */
    const ownedClient = (
      orgNo: string,
      id: string,
      use: "read" | "write" | "put",
    ): { ok: true; client: ClientRecord } | { ok: false; reply: SimReply } => {
      const client = ctx.registry.client(id);
      if (!client) return { ok: false, reply: notFound(id) };
      if (client.client_orgno !== orgNo) return { ok: false, reply: forbidden(id) };
      if (!client.active && (use === "write" || (use === "read" && ctx.config.deletedClients === "hidden")))
        return { ok: false, reply: notFound(id) };
      return { ok: true, client };
    };
    /** `active` in a POST or PUT body (writable, default true); anything but a boolean leaves it as it is. */
    const activeIn = (body: unknown): boolean | undefined =>
      isPlainObject(body) && typeof body.active === "boolean" ? body.active : undefined;

    const jsonBody = (req: SimRequest) => jsonRequestBody(ctx, req);

    /**
     * A route on one of the caller's clients (`:id`): the admin token with one of `scopes`, the client as `use`
     * sees it (ownedClient), and with `body` the JSON body, checked in that order; the first that fails is the
     * reply.
     */
    const onClient =
      (
        route: { scopes: string[]; use: "read" | "write" | "put"; body?: true },
        handle: (client: ClientRecord, call: { req: SimRequest; orgNo: string; body: unknown }) => SimReply | Promise<SimReply>,
      ) =>
      async (req: SimRequest): Promise<SimReply> => {
        const auth = await authorize(req, route.scopes);
        if (!auth.ok) return auth.reply;
        const owned = ownedClient(auth.orgNo, req.params.id!, route.use);
        if (!owned.ok) return owned.reply;
        if (!route.body) return handle(owned.client, { req, orgNo: auth.orgNo, body: undefined });
        const body = jsonBody(req);
        return body.ok ? handle(owned.client, { req, orgNo: auth.orgNo, body: body.value }) : body.reply;
      };

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
      // Deleted (inactive) clients only with ?inactive=true, as `active: false` (Digdir's "Inaktive entiteter").
      const withInactive = req.query.get("inactive") === "true";
      const visible = ctx.registry
        .clientsOwnedBy(auth.orgNo)
        .filter((c) => c.active || withInactive)
        .sort((a, b) => a.created.localeCompare(b.created));
      return jsonReply(
        200,
        visible.map((c) => registration(c)),
      );
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
        // A caller's unique client_id is kept (validated above); generated only when absent.
        client_id:
          typeof (body.value as { client_id?: unknown }).client_id === "string"
            ? (body.value as { client_id: string }).client_id
            : newUuid(),
        client_orgno: auth.orgNo,
        fields: result.fields,
        created: now,
        last_updated: now,
        active: activeIn(body.value) ?? true,
        activeFrom: ctx.clock.nowSeconds() + ctx.config.keyActivationDelaySeconds,
        admin: false,
      };
      const secret = isSecretAuthMethod(client.fields.token_endpoint_auth_method) ? newSecret(client) : undefined;
      ctx.registry.putClient(client);
      return jsonReply(ctx.config.clientCreateStatus, registration(client, secret));
    });

    ctx.router.add(
      "GET",
      `${BASE}/:id`,
      onClient({ scopes: READ, use: "read" }, (client) => jsonReply(200, registration(client))),
    );

    ctx.router.add(
      "PUT",
      `${BASE}/:id`,
      onClient({ scopes: MODIFY, use: "put", body: true }, (client, { orgNo, body }) => {
        const result = validateClientBody(ctx, body, orgNo, client, client.client_id);
        if (!result.ok) return digdirErrorReply(ctx, 400, result.errors);
        client.fields = result.fields;
        client.active = activeIn(body) ?? client.active;
        // The secret survives a PUT, but not a switch away from the client_secret_* methods.
        if (!isSecretAuthMethod(client.fields.token_endpoint_auth_method)) delete client.secretHash;
        client.last_updated = ctx.clock.iso();
        ctx.registry.putClient(client);
        return jsonReply(200, registration(client));
      }),
    );

    ctx.router.add(
      "DELETE",
      `${BASE}/:id`,
      onClient({ scopes: WRITE, use: "write" }, (client) => {
        // Digdir deactivates rather than deletes (kept for audit).
        client.active = false;
        client.last_updated = ctx.clock.iso();
        ctx.registry.putClient(client);
        return emptyReply(200);
      }),
    );

    ctx.router.add(
      "POST",
      `${BASE}/:id/secret`,
      onClient({ scopes: WRITE, use: "write" }, (client) => {
        if (!isSecretAuthMethod(client.fields.token_endpoint_auth_method)) {
          return digdirErrorReply(ctx, 400, [
            {
              errorMessage: "Only clients with token_endpoint_auth_method client_secret_basic or client_secret_post have a secret",
              fieldIdentifier: "token_endpoint_auth_method",
            },
          ]);
        }
        const secret = newSecret(client);
        client.last_updated = ctx.clock.iso();
        ctx.registry.putClient(client);
        return jsonReply(200, registration(client, secret));
      }),
    );

    ctx.router.add(
      "GET",
      `${BASE}/:id/jwks`,
      onClient({ scopes: READ, use: "read" }, (client) => jsonReply(200, jwksResponse(client.jwks))),
    );

    const replaceJwks = (scopes: string[]) =>
      onClient({ scopes, use: "write", body: true }, (client, { body }) => {
        const result = validateJwks(body, ctx.clock.nowSeconds(), ctx.config.keyActivationDelaySeconds, client.jwks);
        if (!result.ok) return digdirErrorReply(ctx, 400, result.errors);
        const now = ctx.clock.iso();
        client.jwks = { keys: result.keys, created: client.jwks?.created ?? now, last_updated: now };
        ctx.registry.putClient(client);
        return jsonReply(200, jwksResponse(client.jwks));
      });
    ctx.router.add("POST", `${BASE}/:id/jwks`, replaceJwks(WRITE));
    ctx.router.add("PUT", `${BASE}/:id/jwks`, replaceJwks(MODIFY));

    // --- one key at a time (the self-service OpenAPI's /clients/{id}/jwks/{kid}): the other keys keep their exp and activation ---

    const keyNotFound = (id: string, kid: string) =>
      digdirErrorReply(ctx, 404, [{ errorMessage: `Key ${kid} not found on client ${id}`, objectName: "Jwks" }]);

    ctx.router.add(
      "GET",
      `${BASE}/:id/jwks/:kid`,
      onClient({ scopes: READ, use: "read" }, (client, { req }) => {
        const key = client.jwks?.keys.find((k) => k.jwk.kid === req.params.kid);
        return key
          ? jsonReply(200, key.exp === undefined ? { ...key.jwk } : { ...key.jwk, exp: key.exp })
          : keyNotFound(req.params.id!, req.params.kid!);
      }),
    );

    ctx.router.add(
      "PUT",
      `${BASE}/:id/jwks/:kid`,
      onClient({ scopes: MODIFY, use: "write", body: true }, (client, { req, body }) => {
        const kid = req.params.kid!;
        if (!isPlainObject(body) || (body.kid !== undefined && body.kid !== kid)) {
          return digdirErrorReply(ctx, 400, [
            {
              errorMessage: `The body must be one JWK whose kid is ${kid}, the key in the path`,
              fieldIdentifier: "kid",
              objectName: "Jwks",
            },
          ]);
        }
        const others = (client.jwks?.keys ?? []).filter((k) => k.jwk.kid !== kid);
        if (others.length + 1 > MAX_KEYS) {
          return digdirErrorReply(ctx, 400, [
            { errorMessage: `a client can have at most ${MAX_KEYS} keys; delete one first`, fieldIdentifier: "keys", objectName: "Jwks" },
          ]);
        }
        const result = validateJwks(
          { keys: [{ ...body, kid }] },
          ctx.clock.nowSeconds(),
          ctx.config.keyActivationDelaySeconds,
          client.jwks,
        );
        if (!result.ok) return digdirErrorReply(ctx, 400, result.errors);
        const now = ctx.clock.iso();
        client.jwks = { keys: [...others, ...result.keys], created: client.jwks?.created ?? now, last_updated: now };
        ctx.registry.putClient(client);
        return jsonReply(200, jwksResponse(client.jwks));
      }),
    );

    ctx.router.add(
      "DELETE",
      `${BASE}/:id/jwks/:kid`,
      onClient({ scopes: WRITE, use: "write" }, (client, { req }) => {
        const kid = req.params.kid!;
        if (!client.jwks?.keys.some((k) => k.jwk.kid === kid)) return keyNotFound(client.client_id, kid);
        const keys = client.jwks.keys.filter((k) => k.jwk.kid !== kid);
        if (keys.length === 0) delete client.jwks;
        else client.jwks = { ...client.jwks, keys, last_updated: ctx.clock.iso() };
        ctx.registry.putClient(client);
        return emptyReply(200);
      }),
    );

    ctx.router.add(
      "DELETE",
      `${BASE}/:id/jwks`,
      onClient({ scopes: WRITE, use: "write" }, (client) => {
        delete client.jwks;
        ctx.registry.putClient(client);
        return emptyReply(200);
      }),
    );

    registerScopeRoutes(ctx);
  },
};
