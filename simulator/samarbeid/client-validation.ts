import { isPlainObject } from "../core/http";
import type { SimContext } from "../context";
import { INTEGRATION_TYPES, type IntegrationType } from "../seed/schema";
import { JWT_BEARER_GRANT, type ClientFields, type ClientRecord } from "../registry/registry";
import type { DigdirError } from "./errors";

// Validation of a ClientRegistration body for POST and PUT /clients (the self-service OpenAPI's ClientRegistration and the combination
// table). Like Digdir, it validates little of the combination table (an odd combination makes an unusable
// client, not an error); it does enforce what the reference states as enforced: required fields and enums,
// immutable integration_type, read-only fields, scopes (at least one for Maskinporten; an added scope must
// exist, be active, allow the integration type and be consumable by the owner; krr clients only the two krr
// scopes), openid and redirect URIs for login clients.

export const KRR_SCOPES = ["krr:global/kontaktinformasjon.read", "krr:global/digitalpost.read"];
const LOGIN_TYPES: readonly string[] = ["idporten", "api_klient", "ansattporten"];
const IDPORTEN_SCOPES = ["openid", "profile", "eidas", "no_pid"];
const APPLICATION_TYPES = ["web", "browser", "native"];
const AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"];
const GRANT_TYPES = ["authorization_code", "refresh_token", JWT_BEARER_GRANT];
const REFRESH_TOKEN_USAGES = ["ONETIME", "REUSE"];
const CODE_CHALLENGE_METHODS = ["S256", "none"];

export const DEFAULT_LIFETIMES = { authorization_lifetime: 7200, access_token_lifetime: 120, refresh_token_lifetime: 600 } as const;

/** Fields the server owns. `created`/`last_updated` must be stripped before PUT (Digdir docs), so they are refused. */
const REFUSED_READ_ONLY = ["created", "last_updated"];
// The other server-owned fields (active, supplier_orgno, jwks_uri, client_secret, onbehalfof) are what a
// GET-modify-PUT naturally carries along: ignored. client_id and client_orgno are accepted when they agree.

const CLIENT_ID = /^[A-Za-z0-9._:-]{1,100}$/;

export type ClientValidation = { ok: true; fields: ClientFields } | { ok: false; errors: DigdirError[] };

export function isSecretAuthMethod(method: string | undefined): boolean {
  return method === "client_secret_basic" || method === "client_secret_post";
}

export function validateClientBody(
  ctx: SimContext,
  body: unknown,
  owner: string,
  existing?: ClientRecord,
  pathClientId?: string,
): ClientValidation {
  if (!isPlainObject(body))
    return { ok: false, errors: [{ errorMessage: "The request body must be a JSON object (a ClientRegistration)" }] };
  const errors: DigdirError[] = [];
  const fieldError = (field: string, message: string) => errors.push({ errorMessage: message, fieldIdentifier: field });
  const present = (f: string) => body[f] !== undefined && body[f] !== null;

  for (const f of REFUSED_READ_ONLY) if (present(f)) fieldError(f, `${f} is read-only; remove it from the request`);
  if (present("client_id")) {
    // On create, a caller's client_id is kept when it is unique, among deleted (inactive) clients too; the
    // server generates one only when it is absent (self-service OpenAPI, ClientRegistration.client_id).
    if (!existing) {
      const id = body.client_id;
      if (typeof id !== "string" || !CLIENT_ID.test(id))
        fieldError("client_id", "client_id must be 1 to 100 letters, digits, '-', '_', '.' or ':'");
      else if (ctx.registry.client(id)) fieldError("client_id", `client_id ${id} is already in use`);
    } else if (body.client_id !== pathClientId) fieldError("client_id", "client_id in the body does not match the client in the path");
  }
  if (present("client_orgno") && body.client_orgno !== owner) {
    fieldError("client_orgno", "client_orgno can only be set to another organisation with the idporten:dcr.supplier scope");
  }

  const str = (f: string, required = false): string | undefined => {
    if (!present(f)) {
      if (required) fieldError(f, `${f} is required`);
      return undefined;
    }
    const v = body[f];
    if (typeof v !== "string") fieldError(f, `${f} must be a string`);
    else if (required && v.trim() === "") fieldError(f, `${f} must not be empty`);
    else return v;
    return undefined;
  };
  const enumOf = (f: string, values: readonly string[], required = false): string | undefined => {
    const v = str(f, required);
    if (v !== undefined && !values.includes(v)) fieldError(f, `${f} must be one of ${values.join(", ")}`);
    return v !== undefined && values.includes(v) ? v : undefined;
  };
  const strArray = (f: string, required = false): string[] | undefined => {
    if (!present(f)) {
      if (required) fieldError(f, `${f} is required`);
      return undefined;
    }
    const v = body[f];
    if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
      fieldError(f, `${f} must be an array of strings`);
      return undefined;
    }
    return [...new Set(v as string[])];
  };
  const bool = (f: string): boolean | undefined => {
    if (!present(f)) return undefined;
    if (typeof body[f] !== "boolean") fieldError(f, `${f} must be true or false`);
    return typeof body[f] === "boolean" ? (body[f] as boolean) : undefined;
  };
  const lifetime = (f: keyof typeof DEFAULT_LIFETIMES): number => {
    if (!present(f)) return DEFAULT_LIFETIMES[f];
    const v = body[f];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
      fieldError(f, `${f} must be a whole number of seconds, at least 1`);
      return DEFAULT_LIFETIMES[f];
    }
    return v;
  };
  const url = (f: string, v: string | undefined) => {
    if (v !== undefined && !isHttpUrl(v)) fieldError(f, `${f} must be an absolute http(s) URL: ${v}`);
  };

  const integrationType = enumOf("integration_type", INTEGRATION_TYPES, true) as IntegrationType | undefined;
  if (existing && integrationType && integrationType !== existing.fields.integration_type) {
    fieldError(
      "integration_type",
      `integration_type cannot be changed (is ${existing.fields.integration_type}); create a new client instead`,
    );
  }
  const fields: ClientFields = {
    client_name: str("client_name", true),
    description: str("description"),
    client_uri: str("client_uri"),
    integration_type: integrationType ?? "maskinporten",
    application_type: enumOf("application_type", APPLICATION_TYPES, true),
    token_endpoint_auth_method: enumOf("token_endpoint_auth_method", AUTH_METHODS, true),
    grant_types: strArray("grant_types", true) ?? [],
    scopes: strArray("scopes") ?? [],
    redirect_uris: strArray("redirect_uris"),
    post_logout_redirect_uris: strArray("post_logout_redirect_uris"),
    frontchannel_logout_uri: str("frontchannel_logout_uri"),
    frontchannel_logout_session_required: bool("frontchannel_logout_session_required"),
    authorization_lifetime: lifetime("authorization_lifetime"),
    access_token_lifetime: lifetime("access_token_lifetime"),
    refresh_token_lifetime: lifetime("refresh_token_lifetime"),
    refresh_token_usage: enumOf("refresh_token_usage", REFRESH_TOKEN_USAGES),
    sso_disabled: bool("sso_disabled"),
    code_challenge_method: enumOf("code_challenge_method", CODE_CHALLENGE_METHODS),
  };

  if (present("grant_types") && Array.isArray(body.grant_types)) {
    if (fields.grant_types.length === 0) fieldError("grant_types", "grant_types must not be empty");
    for (const g of fields.grant_types) {
      if (!GRANT_TYPES.includes(g)) fieldError("grant_types", `grant type ${g} is not supported (supported: ${GRANT_TYPES.join(", ")})`);
    }
  }
  url("client_uri", fields.client_uri);
  url("frontchannel_logout_uri", fields.frontchannel_logout_uri);
  for (const u of fields.redirect_uris ?? []) url("redirect_uris", u);
  for (const u of fields.post_logout_redirect_uris ?? []) url("post_logout_redirect_uris", u);

  // Only scopes a request adds are checked against the catalogue, the integration type and the organisation's
  // access (docs.digdir.no oidc_func_clientreg: "when adding a scope"). Scopes the client already has stay through a PUT even
  // when their owner has since revoked the access or deactivated the scope (the token endpoint refuses them
  // then), and an admin client keeps the scopes Digdir gave it by hand through a GET-modify-PUT.
  const kept = existing ? existing.fields.scopes : [];
  if (integrationType) checkScopesAndType(ctx, integrationType, fields, owner, kept, fieldError);

  for (const key of Object.keys(fields) as (keyof ClientFields)[]) if (fields[key] === undefined) delete fields[key];
  return errors.length > 0 ? { ok: false, errors } : { ok: true, fields };
}

function checkScopesAndType(
  ctx: SimContext,
  type: IntegrationType,
  fields: ClientFields,
  owner: string,
  kept: readonly string[],
  fieldError: (field: string, message: string) => void,
): void {
  if (type === "maskinporten" || type === "krr") {
    if (type === "krr" && fields.scopes.length === 0) fields.scopes = [...KRR_SCOPES]; // preset for krr clients
    if (fields.scopes.length === 0) fieldError("scopes", "a Maskinporten client must have at least one scope");
    for (const s of fields.scopes) {
      if (type === "krr" && !KRR_SCOPES.includes(s)) {
        fieldError("scopes", `scope ${s} cannot be added to a krr client (krr clients have only ${KRR_SCOPES.join(" and ")})`);
        continue;
      }
      if (kept.includes(s)) continue;
      const def = ctx.registry.scope(s);
      if (!def) fieldError("scopes", `scope ${s} does not exist`);
      else if (!def.active) fieldError("scopes", `scope ${s} is inactive (deactivated by its owner)`);
      else if (!def.allowedIntegrationTypes.includes(type)) fieldError("scopes", `scope ${s} is not allowed for integration type ${type}`);
      else if (!ctx.registry.mayConsume(owner, s)) fieldError("scopes", `organisation ${owner} has not been granted access to scope ${s}`);
    }
    return;
  }
  if (LOGIN_TYPES.includes(type)) {
    if (!fields.scopes.includes("openid")) fieldError("scopes", `a ${type} client must have the scope openid`);
    if (type === "idporten") {
      for (const s of fields.scopes) {
        if (!IDPORTEN_SCOPES.includes(s))
          fieldError("scopes", `scope ${s} cannot be added to an idporten client (allowed: ${IDPORTEN_SCOPES.join(", ")})`);
      }
    }
    if (!fields.redirect_uris || fields.redirect_uris.length === 0)
      fieldError("redirect_uris", `redirect_uris is required for a ${type} client`);
    if (!fields.post_logout_redirect_uris || fields.post_logout_redirect_uris.length === 0) {
      fieldError("post_logout_redirect_uris", `post_logout_redirect_uris is required for a ${type} client`);
    }
    const fc = fields.frontchannel_logout_uri;
    if (fc && isHttpUrl(fc) && fields.redirect_uris?.length) {
      const domain = registrableDomain(new URL(fc).hostname);
      if (!fields.redirect_uris.some((r) => isHttpUrl(r) && registrableDomain(new URL(r).hostname) === domain)) {
        fieldError("frontchannel_logout_uri", "frontchannel_logout_uri must share a domain with one of the redirect_uris");
      }
    }
  }
}

function isHttpUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return u.protocol === "https:" || u.protocol === "http:";
  } catch {
    return false;
  }
}

function registrableDomain(hostname: string): string {
  return hostname.split(".").slice(-2).join(".");
}
