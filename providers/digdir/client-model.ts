import { z } from "zod";
import { isUnknown, knownFailures, parseAroundUnknowns, sameSet, textFailures, type Failure } from "../core/check";
import type { EnvironmentName } from "../core/environments";
import { ruleFailures, usesClientSecret } from "./client-rules";

/**
 * Pure decisions about Digdir clients, in the resources' terms: input validation (the rules across fields in
 * client-rules.ts), the diff, when a client secret is due, adoption. The wire's spelling is wire.ts's.
 */

export type ClientKind = "MaskinportenClient" | "KrrClient" | "IdportenClient";
export type LoginIntegrationType = "idporten" | "api_klient" | "ansattporten";

export const jwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";
export const krrScopes = ["krr:global/kontaktinformasjon.read", "krr:global/digitalpost.read"];

/** Resource inputs, camelCase; which fields a kind takes is decided by its schema. */
export interface ClientInputs {
  name: string;
  description: string;
  clientUri?: string;
  integrationType: string;
  applicationType: string;
  tokenEndpointAuthMethod: string;
  grantTypes: string[];
  scopes: string[];
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  frontchannelLogoutUri?: string;
  frontchannelLogoutSessionRequired?: boolean;
  authorizationLifetime?: number;
  accessTokenLifetime: number;
  refreshTokenLifetime?: number;
  refreshTokenUsage?: string;
  ssoDisabled?: boolean;
  codeChallengeMethod?: string;
  /**
   * Any string; a change gets a new client secret (`POST /clients/{id}/secret`). Not sent to Digdir: pair it
   * with a date or a version to rotate on a schedule. Secret-based ID-porten clients only.
   */
  rotationTrigger?: string;
  /**
   * An existing client to take over instead of creating one (adoption, providers/README.md): its Digdir client id.
   * Not sent. Another organisation's client, or a deactivated one, is refused in `check`. Left out: a new client.
   */
  clientId?: string;
}

/** The fields a client resource manages: every input but the two that are not sent. */
export type ClientField = Exclude<keyof ClientInputs, "rotationTrigger" | "clientId">;
type Field = ClientField;

/**
 * A client as Digdir shows it, in the resources' terms (wire.ts reads the API's answer into it): the managed fields
 * it has a value for, and what Digdir owns.
 */
export interface LiveClient extends Partial<Pick<ClientInputs, ClientField>> {
  /** Digdir's id, as it answered (a create may answer another id than the one asked for: that one counts). */
  clientId?: string;
  clientOrgNo?: string;
  /** false: deactivated (deleted); Digdir keeps it under its id. */
  active?: boolean;
  created?: string;
  lastUpdated?: string;
  /** Only in the answer to a create of a secret-based client. */
  clientSecret?: string;
  /**
   * The answer's other entries, as Digdir spelled them (fields no resource manages, and fields without a value):
   * a PUT starts from them, less the server's own (wire.ts `updatePayload`). Only wire.ts reads them.
   */
  rest?: Readonly<Record<string, unknown>>;
}

/** Fields that only login clients have: named in the failure when given to a Maskinporten or KRR client. */
const loginOnly: Field[] = [
  "redirectUris",
  "postLogoutRedirectUris",
  "frontchannelLogoutUri",
  "frontchannelLogoutSessionRequired",
  "authorizationLifetime",
  "refreshTokenLifetime",
  "refreshTokenUsage",
  "ssoDisabled",
  "codeChallengeMethod",
];

/** Set-valued fields compare without regard to order. */
const setFields: Field[] = ["grantTypes", "scopes", "redirectUris", "postLogoutRedirectUris"];

/** The live client as a `kind` resource's inputs: what `read` reports, and what diff compares against. */
export function inputsOf(kind: ClientKind, live: LiveClient): ClientInputs {
  const out: Partial<Record<Field, unknown>> = {};
  for (const f of fieldsOf(kind)) if (live[f] !== undefined) out[f] = live[f];
  return out as ClientInputs;
}

export function fieldsOf(kind: ClientKind): Field[] {
  const machine: Field[] = [
    "name",
    "description",
    "clientUri",
    "integrationType",
    "applicationType",
    "tokenEndpointAuthMethod",
    "grantTypes",
    "scopes",
    "accessTokenLifetime",
  ];
  return kind === "IdportenClient" ? [...machine, ...loginOnly] : machine;
}

// Lifetimes: the ranges of nais/liberator's CRD (pkg/apis/nais.io/v1/digdirator_types.go); Digdir's own limits are not published.
const lifetime = (max: number) =>
  z.number().int("must be a whole number of seconds").min(1, "must be at least 1 second").max(max, `must be at most ${max} seconds`);
const scopeName = z
  .string()
  .regex(/^[a-z0-9_.-]+:[A-Za-z0-9_./:-]+$/, "must be a scope name of the form prefix:subscope, e.g. krr:global/kontaktinformasjon.read");
const loginScope = z.string().regex(/^[A-Za-z0-9_./:-]+$/, "must be a scope name without spaces");

/** Digdir's client ids are UUIDs; older ones other text without spaces or slashes. */
const adoptedClientId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/,
    "must be the Digdir client id of an existing client of your organisation (a UUID, as Samarbeidsportalen shows it)",
  );

const schemas = new Map<ClientKind, ReturnType<typeof buildSchema>>();

/** Built once per kind: building a zod schema costs more than using it. */
function schemaFor(kind: ClientKind): ReturnType<typeof buildSchema> {
  let schema = schemas.get(kind);
  if (!schema) schemas.set(kind, (schema = buildSchema(kind)));
  return schema;
}

function buildSchema(kind: ClientKind) {
  const common = {
    name: z.string().trim().min(1, "must not be empty"),
    description: z.string().trim().min(1, "must not be empty").optional(),
    clientUri: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
    accessTokenLifetime: lifetime(3600).optional(),
    clientId: adoptedClientId.optional(),
  };
  if (kind === "MaskinportenClient") {
    return z.strictObject({ ...common, scopes: z.array(scopeName).min(1, "a Maskinporten client needs at least one scope") });
  }
  if (kind === "KrrClient") {
    return z.strictObject({
      ...common,
      scopes: z
        .array(z.enum(krrScopes, { error: `KRR clients take only ${krrScopes.join(" and ")}` }))
        .min(1, "a KRR client needs at least one of the KRR scopes")
        .optional(),
    });
  }
  return z.strictObject({
    ...common,
    integrationType: z
      .enum(["idporten", "api_klient", "ansattporten"], { error: "must be idporten, api_klient or ansattporten" })
      .default("idporten"),
    applicationType: z.enum(["web", "browser", "native"], { error: "must be web, browser or native" }).default("web"),
    tokenEndpointAuthMethod: z
      .enum(["client_secret_basic", "client_secret_post", "private_key_jwt", "none"], {
        error: "must be client_secret_basic, client_secret_post, private_key_jwt or none",
      })
      .optional(),
    grantTypes: z
      .array(
        z.enum(["authorization_code", "refresh_token"], {
          error: "must be authorization_code or refresh_token (implicit, password and client_credentials are not supported)",
        }),
      )
      .min(1)
      .optional(),
    scopes: z.array(loginScope).optional(),
    redirectUris: z.array(z.string()).min(1, "a login client needs at least one redirect URI"),
    postLogoutRedirectUris: z.array(z.string()).min(1).optional(),
    frontchannelLogoutUri: z.string().optional(),
    frontchannelLogoutSessionRequired: z.boolean().default(true),
    authorizationLifetime: lifetime(28800).default(7200),
    accessTokenLifetime: lifetime(3600).default(120),
    refreshTokenLifetime: lifetime(28800).default(600),
    refreshTokenUsage: z.enum(["ONETIME", "REUSE"], { error: "must be ONETIME or REUSE" }).default("ONETIME"),
    ssoDisabled: z.boolean().optional(),
    codeChallengeMethod: z.enum(["S256", "none"], { error: "must be S256 or none" }).default("S256"),
    rotationTrigger: z.string().optional(),
  });
}

export interface CheckResult {
  inputs: ClientInputs;
  failures: Failure[];
}

/**
 * Validates and completes a client's inputs offline. Defaults are written into the inputs, so the state says
 * exactly what was sent and a later change of a default is a visible diff. Unknown values (a preview before
 * something they come from exists) are left as they are and not judged.
 */
/** Client inputs checked, text fields included (`textFailures`: control characters, line breaks, lengths). */
export function checkClientInputs(kind: ClientKind, raw: Record<string, unknown>, env: EnvironmentName): CheckResult {
  const result = checkClientInputsAsDeclared(kind, raw, env);
  const text = textFailures(raw, {}).filter((t) => !result.failures.some((f) => f.property === t.property));
  return text.length ? { ...result, failures: [...result.failures, ...text] } : result;
}

function checkClientInputsAsDeclared(kind: ClientKind, raw: Record<string, unknown>, env: EnvironmentName): CheckResult {
  const news = Object.fromEntries(Object.entries(raw).filter(([k]) => !k.startsWith("__")));
  const failures: Failure[] = [];
  if (kind !== "IdportenClient") {
    for (const f of loginOnly) {
      if (news[f] !== undefined) {
        failures.push({
          property: f,
          reason: `${kind === "KrrClient" ? "KRR" : "Maskinporten"} clients are machine-to-machine and take no ${f}: remove it, or declare an IdportenClient`,
        });
        delete news[f];
      }
    }
  }
  for (const f of ["integrationType", "applicationType", "tokenEndpointAuthMethod", "grantTypes"] as const) {
    if (kind !== "IdportenClient" && news[f] !== undefined) {
      failures.push({ property: f, reason: `is fixed for a ${kind} (${fixedFor(kind)[f]}): remove it` });
      delete news[f];
    }
  }
  const parsed = parseAroundUnknowns(schemaFor(kind), news);
  failures.push(...parsed.failures);
  // Only values not known yet failed: nothing to complete until the engine knows them (a preview).
  if (!parsed.data || failures.length) return { inputs: news as unknown as ClientInputs, failures };
  const inputs = completeInputs(kind, parsed.data as Partial<ClientInputs>);
  return { inputs, failures: knownFailures(ruleFailures(kind, inputs, env), news) };
}

function fixedFor(kind: ClientKind): Record<"integrationType" | "applicationType" | "tokenEndpointAuthMethod" | "grantTypes", string> {
  return {
    integrationType: kind === "KrrClient" ? "krr" : "maskinporten",
    applicationType: "web",
    tokenEndpointAuthMethod: "private_key_jwt",
    grantTypes: jwtBearerGrant,
  };
}

function completeInputs(kind: ClientKind, v: Partial<ClientInputs>): ClientInputs {
  const base = {
    ...(v.clientId !== undefined && { clientId: v.clientId }),
    name: v.name!,
    description: v.description ?? v.name!,
    ...(v.clientUri !== undefined && { clientUri: v.clientUri }),
  };
  if (kind !== "IdportenClient") {
    return {
      ...base,
      integrationType: kind === "KrrClient" ? "krr" : "maskinporten",
      applicationType: "web",
      tokenEndpointAuthMethod: "private_key_jwt",
      grantTypes: [jwtBearerGrant],
      scopes: v.scopes ?? (kind === "KrrClient" ? [...krrScopes] : []),
      accessTokenLifetime: v.accessTokenLifetime ?? 120,
    };
  }
  const publicClient = v.applicationType === "browser" || v.applicationType === "native";
  const auth = v.tokenEndpointAuthMethod ?? (publicClient ? "none" : "private_key_jwt");
  return {
    ...base,
    integrationType: v.integrationType!,
    applicationType: v.applicationType!,
    tokenEndpointAuthMethod: auth,
    // A client without authentication cannot use the refresh grant (docs.digdir.no, "oidc_func_clientreg").
    grantTypes: v.grantTypes ?? (auth === "none" ? ["authorization_code"] : ["authorization_code", "refresh_token"]),
    scopes: v.scopes ?? ["openid", "profile"],
    redirectUris: v.redirectUris!,
    postLogoutRedirectUris: v.postLogoutRedirectUris ?? (v.clientUri ? [v.clientUri] : []),
    ...(v.frontchannelLogoutUri !== undefined && { frontchannelLogoutUri: v.frontchannelLogoutUri }),
    frontchannelLogoutSessionRequired: v.frontchannelLogoutSessionRequired!,
    authorizationLifetime: v.authorizationLifetime!,
    accessTokenLifetime: v.accessTokenLifetime!,
    refreshTokenLifetime: v.refreshTokenLifetime!,
    refreshTokenUsage: v.refreshTokenUsage!,
    // Ansattporten forces isolated SSO sessions (docs.digdir.no, "oidc_func_nosso").
    ssoDisabled: v.ssoDisabled ?? v.integrationType === "ansattporten",
    codeChallengeMethod: v.codeChallengeMethod!,
    ...(v.rotationTrigger !== undefined && { rotationTrigger: v.rotationTrigger }),
  };
}

export interface ClientOutputs extends ClientInputs {
  clientId: string;
  clientOrgNo: string;
  issuer: string;
  tokenEndpoint: string;
  wellKnownUrl: string;
  created: string;
  lastUpdated: string;
  clientSecret?: string;
}

export { usesClientSecret };

/** Managed fields that differ between the last known state and the desired inputs. */
export function changedFields(kind: ClientKind, olds: Partial<ClientInputs>, news: Partial<ClientInputs>): Field[] {
  return fieldsOf(kind).filter((f) => {
    const a = olds[f];
    const b = news[f];
    if (isUnknown(b) || (Array.isArray(b) && b.some(isUnknown))) return true;
    if (setFields.includes(f)) return !sameSet(a as unknown[] | undefined, b as unknown[] | undefined);
    return JSON.stringify(a ?? null) !== JSON.stringify(b ?? null);
  });
}

/**
 * Does the update need a new client secret? When the client moves to a secret method (Digdir deleted the old
 * secret, or there never was one), when the state lost it, or when `rotationTrigger` changed. A client taken over
 * by `clientId` has a secret the state never held (Digdir does not show it, and its applications use it): only
 * its `rotationTrigger` or a move to a secret method gets it a new one, never an unrelated change.
 */
export function secretRotationNeeded(olds: Partial<ClientOutputs>, news: Partial<ClientInputs>): boolean {
  if (!usesClientSecret(news.tokenEndpointAuthMethod)) return false;
  const lost = !olds.clientSecret && news.clientId === undefined;
  return !usesClientSecret(olds.tokenEndpointAuthMethod) || lost || rotationTriggerChanged(olds, news);
}

export function rotationTriggerChanged(olds: Partial<ClientInputs>, news: Partial<ClientInputs>): boolean {
  return isUnknown(news.rotationTrigger) || (olds.rotationTrigger ?? null) !== (news.rotationTrigger ?? null);
}

/**
 * `integrationType` is immutable at Digdir: a change needs a new client. One not known yet (a preview) is a
 * change, never on its own a replacement (providers/README.md, "What a preview knows").
 */
export function needsReplacement(changed: Field[], news: Partial<ClientInputs> = {}): Field[] {
  return changed.filter((f) => f === "integrationType" && !isUnknown(news[f]));
}

/**
 * A declared `clientId` other than the client in the state names another client: taking that one over is a
 * replacement (the one in the state is deleted afterwards). Equal, or not declared: no change.
 */
export function adoptedClientChanged(olds: Partial<ClientOutputs>, news: Partial<ClientInputs>): boolean {
  if (news.clientId === undefined) return false;
  return isUnknown(news.clientId) || news.clientId !== olds.clientId;
}

/** What a live client is, for adoption: whether it may be taken over by a client resource of `kind`. */
export function adoptionRefusal(
  kind: ClientKind,
  clientId: string,
  live: LiveClient | "forbidden" | undefined,
  orgNo: string | undefined,
): string | undefined {
  const remedy = "remove clientId to create a new client instead";
  if (live === "forbidden") {
    return (
      `Digdir refuses to show client ${clientId} to your organisation${orgNo ? ` (${orgNo})` : ""} (403): it belongs to another organisation, ` +
      `or the admin client lacks idporten:dcr.read. An organisation can manage only its own clients: check the id in Samarbeidsportalen, or ${remedy}.`
    );
  }
  if (!live) {
    return (
      `Digdir knows no client ${clientId} in your organisation${orgNo ? ` (${orgNo})` : ""}; another organisation's clients read as unknown. ` +
      `Check the id in Samarbeidsportalen, or ${remedy}.`
    );
  }
  if (orgNo && live.clientOrgNo && live.clientOrgNo !== orgNo) {
    return `client ${clientId} belongs to organisation ${live.clientOrgNo}, not to yours (${orgNo}): an organisation can manage only its own clients. Ask its owner, or ${remedy}.`;
  }
  if (live.active === false) {
    return `client ${clientId} is deactivated (deleted) at Digdir and cannot be taken over or reactivated: ${remedy}.`;
  }
  const expected =
    kind === "MaskinportenClient" ? ["maskinporten"] : kind === "KrrClient" ? ["krr"] : ["idporten", "api_klient", "ansattporten"];
  if (live.integrationType && !expected.includes(live.integrationType)) {
    const type = live.integrationType === "krr" ? "krr" : live.integrationType === "maskinporten" ? "maskinporten" : "idporten";
    return `client ${clientId} is a ${live.integrationType} client, not a ${kind}: declare it with type ${type} (stack file) or as the matching resource class.`;
  }
  return undefined;
}
