import { isPlainObject } from "../core/http";
import { INTEGRATION_TYPES, type IntegrationType } from "../seed/schema";
import type { ScopeRecord, ScopeTokenType, ScopeVisibility } from "../registry/registry";
import type { DigdirError } from "./errors";

// Validation of a ScopeRegistration body for POST and PUT /scopes (the self-service OpenAPI's ScopeRegistration). `prefix` and `subscope`
// are required on POST and immutable afterwards (a PUT may repeat them, not change them); `description` is
// required (Digdir's scope model calls it mandatory). Everything else has Digdir's documented default. Read-only
// fields a GET-modify-PUT carries along (`name` when it agrees, `owner_orgno` when it is the owner, `created`,
// `last_updated`) are accepted and ignored; unknown fields are ignored. `null` counts as absent.

/**
 * No public source gives a syntax for prefixes or subscopes (docs.digdir.no: "no specific rules"; the
 * self-service OpenAPI's GET /prefix): a prefix is valid when it is assigned to the organisation, and a subscope needs only to be a
 * part of one OAuth scope token (no whitespace; RFC 6749 section 3.3: scope-tokens are space-separated).
 */
const SUBSCOPE_PATTERN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const VISIBILITIES: readonly ScopeVisibility[] = ["PUBLIC", "PRIVATE", "INTERNAL"];
const TOKEN_TYPES: readonly ScopeTokenType[] = ["SELF_CONTAINED", "OPAQUE"];

/** The writable fields of a scope (everything but its name, owner, state and timestamps). */
export type ScopeFields = Omit<ScopeRecord, "prefix" | "subscope" | "name" | "active" | "owner_orgno" | "created" | "last_updated">;

export type ScopeValidation =
  { ok: true; prefix: string; subscope: string; fields: ScopeFields; active?: boolean } | { ok: false; errors: DigdirError[] };

export interface ScopeValidationContext {
  /** The caller's organisation. */
  owner: string;
  /** The scope being changed (PUT); absent for POST. */
  existing?: ScopeRecord;
  /** Issuers of the known delegation sources (`delegation_source` must be one of them). */
  delegationIssuers: readonly string[];
  /** The organisation a prefix is assigned to (POST only). */
  prefixOwner: (prefix: string) => string | undefined;
}

export function validateScopeBody(body: unknown, v: ScopeValidationContext): ScopeValidation {
  if (!isPlainObject(body))
    return { ok: false, errors: [{ errorMessage: "The request body must be a JSON object (a ScopeRegistration)", objectName: "Scope" }] };
  const errors: DigdirError[] = [];
  const fieldError = (field: string, message: string) =>
    errors.push({ errorMessage: message, fieldIdentifier: field, objectName: "Scope" });
  const present = (f: string) => body[f] !== undefined && body[f] !== null;

  const str = (f: string, required = false): string | undefined => {
    if (!present(f)) {
      if (required) fieldError(f, `${f} is required`);
      return undefined;
    }
    const value = body[f];
    if (typeof value !== "string") fieldError(f, `${f} must be a string`);
    else if (required && value.trim() === "") fieldError(f, `${f} must not be empty`);
    else return value;
    return undefined;
  };
  const bool = (f: string, fallback: boolean): boolean => {
    if (!present(f)) return fallback;
    if (typeof body[f] !== "boolean") {
      fieldError(f, `${f} must be true or false`);
      return fallback;
    }
    return body[f] as boolean;
  };
  const seconds = (f: string, min: number): number | undefined => {
    if (!present(f)) return undefined;
    const value = body[f];
    if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
      fieldError(f, `${f} must be a whole number of seconds, at least ${min}`);
      return undefined;
    }
    return value;
  };

  // Name: prefix and subscope.
  const existing = v.existing;
  let prefix = str("prefix", !existing);
  let subscope = str("subscope", !existing);
  if (existing) {
    if (prefix !== undefined && prefix !== existing.prefix)
      fieldError("prefix", `prefix cannot be changed (is ${existing.prefix}); create a new scope instead`);
    if (subscope !== undefined && subscope !== existing.subscope) {
      fieldError("subscope", `subscope cannot be changed (is ${existing.subscope}); create a new scope instead`);
    }
    prefix = existing.prefix;
    subscope = existing.subscope;
  } else {
    if (prefix !== undefined && v.prefixOwner(prefix) !== v.owner) {
      fieldError("prefix", `prefix ${prefix} is not assigned to organisation ${v.owner}; Digdir assigns prefixes on request`);
    }
    if (subscope !== undefined && !SUBSCOPE_PATTERN.test(subscope)) {
      fieldError("subscope", "subscope may not contain spaces, quotes or backslashes (it is part of an OAuth scope)");
    }
  }
  // `name` is read-only and ignored, whatever it says (Digdir's test collections; digdirator sends "").
  if (present("owner_orgno") && body.owner_orgno !== v.owner)
    fieldError("owner_orgno", "owner_orgno is read-only: the scope belongs to the organisation that creates it");

  const description = str("description", true);
  const longDescription = str("long_description");

  let visibility: ScopeVisibility = "PUBLIC";
  const rawVisibility = str("visibility");
  if (rawVisibility !== undefined) {
    if (!VISIBILITIES.includes(rawVisibility as ScopeVisibility))
      fieldError("visibility", `visibility must be one of ${VISIBILITIES.join(", ")}`);
    else if (rawVisibility === "INTERNAL") fieldError("visibility", "visibility INTERNAL is reserved for Digdir; use PUBLIC or PRIVATE");
    else visibility = rawVisibility as ScopeVisibility;
  }

  let allowed: IntegrationType[] | undefined;
  if (present("allowed_integration_types")) {
    const raw = body.allowed_integration_types;
    if (!Array.isArray(raw) || !raw.every((t) => typeof t === "string"))
      fieldError("allowed_integration_types", "allowed_integration_types must be an array of strings");
    else if (raw.length === 0)
      fieldError("allowed_integration_types", "allowed_integration_types must not be empty; leave it out to allow every integration type");
    else {
      const unknown = (raw as string[]).filter((t) => !(INTEGRATION_TYPES as readonly string[]).includes(t));
      if (unknown.length)
        fieldError("allowed_integration_types", `unknown integration type ${unknown.join(", ")} (known: ${INTEGRATION_TYPES.join(", ")})`);
      else allowed = [...new Set(raw as IntegrationType[])];
    }
  }

  let tokenType: ScopeTokenType = "SELF_CONTAINED";
  const rawTokenType = str("token_type");
  if (rawTokenType !== undefined) {
    if (!TOKEN_TYPES.includes(rawTokenType as ScopeTokenType))
      fieldError("token_type", `token_type must be one of ${TOKEN_TYPES.join(", ")}`);
    else tokenType = rawTokenType as ScopeTokenType;
  }

  let delegationSource = str("delegation_source");
  if (delegationSource === "") delegationSource = undefined;
  if (delegationSource !== undefined && !v.delegationIssuers.includes(delegationSource)) {
    fieldError(
      "delegation_source",
      `delegation_source must be the issuer of a delegation source (GET /delegationsources): ${v.delegationIssuers.join(", ")}`,
    );
  }

  let active: boolean | undefined;
  if (present("active")) {
    if (typeof body.active !== "boolean") fieldError("active", "active must be true or false");
    else active = body.active;
  }

  const fields: ScopeFields = {
    description: description ?? "",
    visibility,
    accessible_for_all: bool("accessible_for_all", false),
    token_type: tokenType,
    requires_user_consent: bool("requires_user_consent", false),
    requires_user_authentication: bool("requires_user_authentication", false),
    requires_pseudonymous_tokens: bool("requires_pseudonymous_tokens", false),
  };
  if (longDescription !== undefined) fields.long_description = longDescription;
  if (allowed !== undefined) fields.allowed_integration_types = allowed;
  const atMaxAge = seconds("at_max_age", 1);
  if (atMaxAge !== undefined) fields.at_max_age = atMaxAge;
  const authorizationMaxLifetime = seconds("authorization_max_lifetime", 0);
  if (authorizationMaxLifetime !== undefined) fields.authorization_max_lifetime = authorizationMaxLifetime;
  if (delegationSource !== undefined) fields.delegation_source = delegationSource;

  if (errors.length > 0 || prefix === undefined || subscope === undefined) return { ok: false, errors };
  return active === undefined ? { ok: true, prefix, subscope, fields } : { ok: true, prefix, subscope, fields, active };
}
