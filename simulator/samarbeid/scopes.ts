import { jsonReply, parseJsonBody, isPlainObject, type SimReply, type SimRequest } from "../core/http";
import { isValidOrgNo } from "../core/orgno";
import type { SimContext } from "../context";
import { CATALOGUE_OWNER_ORGNO, SEED_TIMESTAMP, type ConsumerRecord, type ScopeRecord } from "../registry/registry";
import type { SeedScope } from "../seed/schema";
import { authorizeAdmin, digdirErrorReply, jsonRequestBody } from "./errors";
import { validateScopeBody } from "./scopes-validation";

// The scopes API of Digdir's self-service API (its OpenAPI: app/lib/api.d.ts in digdir/digdir-camp-2025-react-impl),
// below /samarbeid/api/v1:
//
//   GET    /scopes[?inactive=true]              the caller's own API scopes (deactivated ones with inactive=true);
//                                               always the whole list (a `scope` parameter is ignored)
//   GET    /scopes/scope?scope=<name>           one own scope, an object (deactivated: per deactivatedScopeRead)
//   GET    /prefix  ·  /prefix/all              the prefixes assigned to the caller · to every organisation
//   POST   /scopes                              create a scope under a prefix assigned to the caller (409 if it exists)
//   PUT    /scopes?scope=<name>                 replace its fields; `active: true` re-activates it
//   DELETE /scopes?scope=<name>                 deactivate it (consumers keep their access rows)
//   GET    /scopes/all[?accessible_for_all=]    every active PUBLIC scope; no token needed
//   GET    /scopes/access?scope=<name>          the access list of an own scope
//   PUT    /scopes/access/{orgno}?scope=<name>  grant (APPROVED); 400 for an invalid or unknown organisation
//   DELETE /scopes/access/{orgno}?scope=<name>  revoke (the row stays, state DENIED)
//   GET    /scopes/access/all                   the caller's access rows as consumer
//   GET    /delegationsources                   the delegation sources; no token needed
//
// Control route: POST /_sim/scope-requests {scope, consumerOrgNo} files an access request (state REQUESTED), as a
// consumer does in Samarbeidsportalen.

const API = "/samarbeid/api/v1";
/** Creating and changing scopes and their access lists, and reading them back, needs the API provider scope. */
const PROVIDER = ["idporten:scopes.write"];
/** A consumer's own access rows: the provider scope or the client-reading scope (to check before registering). */
const CONSUMER = ["idporten:scopes.write", "idporten:dcr.read"];

/** The delegation sources Digdir knows (the self-service OpenAPI's GET /delegationsources): Altinn's TT02 issuer, as in digdirator's fixture. */
export const DELEGATION_SOURCES = [
  { name: "altinn", issuer: "https://tt02.altinn.no/", created: "2021-01-01T00:00:00.000Z", last_updated: "2021-01-01T00:00:00.000Z" },
] as const;

export function registerScopeRoutes(ctx: SimContext): void {
  const scopeError = (status: number, message: string, field?: string, objectName = "Scope") =>
    digdirErrorReply(ctx, status, [{ errorMessage: message, fieldIdentifier: field, objectName }]);

  /** The `scope` query parameter, required by every single-scope call. */
  const scopeParam = (req: SimRequest): { ok: true; name: string } | { ok: false; reply: SimReply } => {
    const name = req.query.get("scope");
    if (name === null || name.trim() === "")
      return { ok: false, reply: scopeError(400, "Required request parameter 'scope' is missing", "scope") };
    return { ok: true, name };
  };

  /** An API scope of the caller's; another owner's or an unknown one answers 404 alike. */
  const ownScope = (orgNo: string, name: string): ScopeRecord | undefined => {
    const scope = ctx.registry.apiScope(name);
    return scope && scope.owner_orgno === orgNo ? scope : undefined;
  };
  const scopeNotFound = (name: string) => scopeError(404, `Scope ${name} not found`);

  /** Resolves token, `?scope=` and ownership for the calls on one own scope. */
  const ownScopeCall = async (
    req: SimRequest,
  ): Promise<{ ok: true; orgNo: string; scope: ScopeRecord } | { ok: false; reply: SimReply }> => {
    const auth = await authorizeAdmin(ctx, req, PROVIDER);
    if (!auth.ok) return auth;
    const param = scopeParam(req);
    if (!param.ok) return param;
    const scope = ownScope(auth.orgNo, param.name);
    return scope ? { ok: true, orgNo: auth.orgNo, scope } : { ok: false, reply: scopeNotFound(param.name) };
  };

  const validationContext = (owner: string, existing?: ScopeRecord) => ({
    owner,
    existing,
    delegationIssuers: DELEGATION_SOURCES.map((d) => d.issuer),
    prefixOwner: (prefix: string) => ctx.registry.prefixOwner(prefix),
  });

  /** A consumer orgno from the path: 9 digits, a valid check digit, and an organisation the register knows. */
  const consumerOrgNo = (raw: string): { ok: true; orgNo: string } | { ok: false; reply: SimReply } => {
    if (!isValidOrgNo(raw)) {
      return {
        ok: false,
        reply: scopeError(
          400,
          `Invalid consumer organisation number ${raw}: 9 digits with a valid check digit required`,
          "consumer_orgno",
          "ScopeAccess",
        ),
      };
    }
    if (!ctx.registry.organisation(raw)) {
      return {
        ok: false,
        reply: scopeError(400, `Organisation ${raw} is not found in the register of legal entities`, "consumer_orgno", "ScopeAccess"),
      };
    }
    return { ok: true, orgNo: raw };
  };

  // --- own scopes ---

  ctx.router.add("GET", `${API}/scopes`, async (req) => {
    const auth = await authorizeAdmin(ctx, req, PROVIDER);
    if (!auth.ok) return auth.reply;
    const withInactive = req.query.get("inactive") === "true";
    const scopes = ctx.registry
      .apiScopes()
      .filter((s) => s.owner_orgno === auth.orgNo && (s.active || withInactive))
      .sort((a, b) => a.created.localeCompare(b.created) || a.name.localeCompare(b.name));
    return jsonReply(200, scopes.map(scopeView));
  });

  ctx.router.add("GET", `${API}/scopes/scope`, async (req) => {
    const auth = await authorizeAdmin(ctx, req, PROVIDER);
    if (!auth.ok) return auth.reply;
    const param = scopeParam(req);
    if (!param.ok) return param.reply;
    const scope = ownScope(auth.orgNo, param.name);
    if (!scope || (!scope.active && ctx.config.deactivatedScopeRead === "hidden")) return scopeNotFound(param.name);
    return jsonReply(200, scopeView(scope));
  });

  // The prefixes Digdir has assigned (by hand, on request): the caller's, and everyone's.
  ctx.router.add("GET", `${API}/prefix`, async (req) => {
    const auth = await authorizeAdmin(ctx, req, PROVIDER);
    if (!auth.ok) return auth.reply;
    return jsonReply(
      200,
      ctx.registry.prefixesOf(auth.orgNo).map((prefix) => ({ prefix, owner_orgno: auth.orgNo })),
    );
  });
  ctx.router.add("GET", `${API}/prefix/all`, async (req) => {
    const auth = await authorizeAdmin(ctx, req, PROVIDER);
    if (!auth.ok) return auth.reply;
    return jsonReply(
      200,
      ctx.registry.allPrefixes().map(({ prefix, owner }) => ({ prefix, owner_orgno: owner })),
    );
  });

  ctx.router.add("POST", `${API}/scopes`, async (req) => {
    const auth = await authorizeAdmin(ctx, req, PROVIDER);
    if (!auth.ok) return auth.reply;
    const body = jsonRequestBody(ctx, req, "Scope");
    if (!body.ok) return body.reply;
    const result = validateScopeBody(body.value, validationContext(auth.orgNo));
    if (!result.ok) return digdirErrorReply(ctx, 400, result.errors);
    const name = `${result.prefix}:${result.subscope}`;
    const existing = ctx.registry.apiScope(name);
    if (existing || ctx.registry.seedScope(name)) {
      const hint = existing && !existing.active ? " but is inactive; re-activate it with PUT and active: true" : "";
      return scopeError(409, `Scope ${name} already exists${hint}`);
    }
    const now = ctx.clock.iso();
    // `active` in a POST body is ignored: a new scope is active.
    const scope: ScopeRecord = {
      prefix: result.prefix,
      subscope: result.subscope,
      name,
      ...result.fields,
      active: true,
      owner_orgno: auth.orgNo,
      created: now,
      last_updated: now,
    };
    ctx.registry.putApiScope(scope);
    return jsonReply(200, scopeView(scope));
  });

  ctx.router.add("PUT", `${API}/scopes`, async (req) => {
    const call = await ownScopeCall(req);
    if (!call.ok) return call.reply;
    const body = jsonRequestBody(ctx, req, "Scope");
    if (!body.ok) return body.reply;
    const result = validateScopeBody(body.value, validationContext(call.orgNo, call.scope));
    if (!result.ok) return digdirErrorReply(ctx, 400, result.errors);
    // A full replacement of the writable fields; `active` stays as it is unless the body sets it.
    const { prefix, subscope, name, owner_orgno, created } = call.scope;
    const scope: ScopeRecord = {
      prefix,
      subscope,
      name,
      ...result.fields,
      active: result.active ?? call.scope.active,
      owner_orgno,
      created,
      last_updated: ctx.clock.iso(),
    };
    ctx.registry.putApiScope(scope);
    return jsonReply(200, scopeView(scope));
  });

  ctx.router.add("DELETE", `${API}/scopes`, async (req) => {
    const call = await ownScopeCall(req);
    if (!call.ok) return call.reply;
    // Digdir deactivates: the scope stays (GET ?inactive=true), its name stays taken and its access rows stay.
    if (call.scope.active) {
      call.scope.active = false;
      call.scope.last_updated = ctx.clock.iso();
      ctx.registry.putApiScope(call.scope);
    }
    return jsonReply(200, scopeView(call.scope));
  });

  // --- the public listing ---

  ctx.router.add("GET", `${API}/scopes/all`, (req) => {
    const filter = req.query.get("accessible_for_all");
    const listed = [
      ...ctx.registry.seedScopes().map(seedScopeView),
      ...ctx.registry
        .apiScopes()
        .filter((s) => s.active && s.visibility === "PUBLIC")
        .map(scopeView),
    ]
      .filter((s) => filter === null || String(s.accessible_for_all) === filter)
      .sort((a, b) => a.name.localeCompare(b.name));
    return jsonReply(200, listed);
  });

  // --- access lists ---

  ctx.router.add("GET", `${API}/scopes/access`, async (req) => {
    const call = await ownScopeCall(req);
    if (!call.ok) return call.reply;
    return jsonReply(200, ctx.registry.scopeAccess(call.scope.name).map(accessView));
  });

  ctx.router.add("PUT", `${API}/scopes/access/:orgno`, async (req) => {
    const call = await ownScopeCall(req);
    if (!call.ok) return call.reply;
    const consumer = consumerOrgNo(req.params.orgno!);
    if (!consumer.ok) return consumer.reply;
    const now = ctx.clock.iso();
    const existing = ctx.registry.accessRow(call.scope.name, consumer.orgNo);
    if (existing?.state === "APPROVED") return jsonReply(200, accessView(existing));
    const row: ConsumerRecord = existing
      ? { ...existing, state: "APPROVED", last_updated: now }
      : {
          scope: call.scope.name,
          consumer_orgno: consumer.orgNo,
          owner_orgno: call.orgNo,
          state: "APPROVED",
          created: now,
          last_updated: now,
        };
    ctx.registry.putAccessRow(row);
    return jsonReply(200, accessView(row));
  });

  ctx.router.add("DELETE", `${API}/scopes/access/:orgno`, async (req) => {
    const call = await ownScopeCall(req);
    if (!call.ok) return call.reply;
    const consumer = consumerOrgNo(req.params.orgno!);
    if (!consumer.ok) return consumer.reply;
    const existing = ctx.registry.accessRow(call.scope.name, consumer.orgNo);
    if (!existing)
      return scopeError(404, `Organisation ${consumer.orgNo} has no access to scope ${call.scope.name}`, undefined, "ScopeAccess");
    if (existing.state === "DENIED") return jsonReply(200, accessView(existing));
    const row: ConsumerRecord = { ...existing, state: "DENIED", last_updated: ctx.clock.iso() };
    ctx.registry.putAccessRow(row);
    return jsonReply(200, accessView(row));
  });

  ctx.router.add("GET", `${API}/scopes/access/all`, async (req) => {
    const auth = await authorizeAdmin(ctx, req, CONSUMER);
    if (!auth.ok) return auth.reply;
    // The seed's consumable scopes stand for access Digdir and Altinn granted long ago: APPROVED rows.
    const seeded: ConsumerRecord[] = ctx.registry.seedConsumableScopes(auth.orgNo).map((scope) => ({
      scope,
      consumer_orgno: auth.orgNo,
      owner_orgno: CATALOGUE_OWNER_ORGNO,
      state: "APPROVED",
      created: SEED_TIMESTAMP,
      last_updated: SEED_TIMESTAMP,
    }));
    return jsonReply(200, [...seeded, ...ctx.registry.accessRowsOf(auth.orgNo)].map(accessView));
  });

  ctx.router.add("GET", `${API}/delegationsources`, () =>
    jsonReply(
      200,
      DELEGATION_SOURCES.map((d) => ({ ...d })),
    ),
  );

  // --- control: a consumer asks for access (Samarbeidsportalen's "request access") ---

  ctx.router.add("POST", "/_sim/scope-requests", (req) => {
    const parsed = parseJsonBody(req);
    if (!parsed.ok) return jsonReply(400, { error: parsed.message });
    const body = parsed.value;
    if (!isPlainObject(body) || typeof body.scope !== "string" || typeof body.consumerOrgNo !== "string") {
      return jsonReply(400, { error: "invalid control request", problems: ["body must be {scope: string, consumerOrgNo: string}"] });
    }
    const scope = ctx.registry.apiScope(body.scope);
    if (!scope) return jsonReply(404, { error: `no API scope ${body.scope}` });
    if (!isValidOrgNo(body.consumerOrgNo) || !ctx.registry.organisation(body.consumerOrgNo)) {
      return jsonReply(400, { error: `consumerOrgNo ${body.consumerOrgNo} is not a known organisation` });
    }
    const existing = ctx.registry.accessRow(scope.name, body.consumerOrgNo);
    if (existing?.state === "APPROVED")
      return jsonReply(409, { error: `${body.consumerOrgNo} already has access to ${scope.name}`, row: accessView(existing) });
    const now = ctx.clock.iso();
    const row: ConsumerRecord = existing
      ? { ...existing, state: "REQUESTED", last_updated: now }
      : {
          scope: scope.name,
          consumer_orgno: body.consumerOrgNo,
          owner_orgno: scope.owner_orgno,
          state: "REQUESTED",
          created: now,
          last_updated: now,
        };
    ctx.registry.putAccessRow(row);
    return jsonReply(existing ? 200 : 201, accessView(row));
  });
}

type ScopeView = Record<string, unknown> & { name: string; accessible_for_all: boolean };

/** The wire form of an API scope: a ScopeRegistration. */
function scopeView(s: ScopeRecord): ScopeView {
  const view: ScopeView = {
    prefix: s.prefix,
    subscope: s.subscope,
    name: s.name,
    description: s.description,
    active: s.active,
    visibility: s.visibility,
    accessible_for_all: s.accessible_for_all,
    token_type: s.token_type,
    requires_user_consent: s.requires_user_consent,
    requires_user_authentication: s.requires_user_authentication,
    requires_pseudonymous_tokens: s.requires_pseudonymous_tokens,
    owner_orgno: s.owner_orgno,
    created: s.created,
    last_updated: s.last_updated,
  };
  if (s.long_description !== undefined) view.long_description = s.long_description;
  if (s.allowed_integration_types !== undefined) view.allowed_integration_types = [...s.allowed_integration_types];
  if (s.at_max_age !== undefined) view.at_max_age = s.at_max_age;
  if (s.authorization_max_lifetime !== undefined) view.authorization_max_lifetime = s.authorization_max_lifetime;
  if (s.delegation_source !== undefined) view.delegation_source = s.delegation_source;
  return view;
}

/** A seed catalogue scope (Digdir's and Altinn's own) as /scopes/all shows it: PUBLIC, always active. */
function seedScopeView(s: SeedScope): ScopeView {
  const colon = s.name.indexOf(":");
  const view: ScopeView = {
    prefix: s.name.slice(0, colon),
    subscope: s.name.slice(colon + 1),
    name: s.name,
    description: s.description ?? s.name,
    active: true,
    visibility: "PUBLIC",
    accessible_for_all: s.accessibleForAll,
    token_type: "SELF_CONTAINED",
    requires_user_consent: false,
    requires_user_authentication: false,
    requires_pseudonymous_tokens: false,
    owner_orgno: CATALOGUE_OWNER_ORGNO,
    created: SEED_TIMESTAMP,
    last_updated: SEED_TIMESTAMP,
    allowed_integration_types: [...s.allowedIntegrationTypes],
  };
  if (s.atMaxAge !== undefined) view.at_max_age = s.atMaxAge;
  return view;
}

/** The wire form of an access row: a ConsumerRegistration (with the scope's prefix). */
function accessView(r: ConsumerRecord): Record<string, unknown> {
  return {
    scope: r.scope,
    prefix: r.scope.slice(0, r.scope.indexOf(":")),
    consumer_orgno: r.consumer_orgno,
    owner_orgno: r.owner_orgno,
    state: r.state,
    created: r.created,
    last_updated: r.last_updated,
  };
}
