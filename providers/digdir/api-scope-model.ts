import { z } from "zod";
import { isUnknown, parseAroundUnknowns, sameSet, textFailures, type Failure } from "../core/check";

/**
 * Pure decisions about API-provider scopes (the self-service API's OpenAPI, and nais/digdirator's scope sync,
 * pkg/digdir/scopes): inputs and what a change needs, in the resource's terms (the wire's spelling is wire.ts's). `prefix` and `subscope` make the name and
 * cannot change; everything else is updated in place with a PUT.
 */

export const integrationTypes = ["maskinporten", "api_klient", "idporten", "krr", "ansattporten"] as const;

export interface ApiScopeInputs {
  prefix: string;
  subscope: string;
  description: string;
  longDescription?: string;
  visibility: "PUBLIC" | "PRIVATE";
  allowedIntegrationTypes: string[];
  /** Longest access-token lifetime for the scope, seconds; absent: Digdir's value is left alone. */
  atMaxAge?: number;
  accessibleForAll: boolean;
  /** Issuer URL of a delegation source (e.g. `https://tt02.altinn.no/`): consumers may delegate through Altinn. */
  delegationSource?: string;
  tokenType: "SELF_CONTAINED" | "OPAQUE";
  requiresUserConsent: boolean;
  requiresUserAuthentication: boolean;
  requiresPseudonymousTokens: boolean;
  authorizationMaxLifetime?: number;
}

export interface ApiScopeOutputs extends ApiScopeInputs {
  /** `prefix:subscope`: the scope consumers ask for; also the resource id. */
  name: string;
  active: boolean;
  ownerOrgNo: string;
  created: string;
  lastUpdated: string;
}

/**
 * A scope as Digdir shows it, in the resource's terms (wire.ts reads the API's answer into it): the fields it has a
 * value for, and what Digdir owns.
 */
export interface LiveScope extends Partial<ApiScopeInputs> {
  prefix: string;
  subscope: string;
  name?: string;
  /** false: deactivated; Digdir keeps it, and its grants, for audit. */
  active?: boolean;
  ownerOrgNo?: string;
  created?: string;
  lastUpdated?: string;
  /** The answer's other entries, as Digdir spelled them: a PUT starts from them (wire.ts `scopeUpdatePayload`). Only wire.ts reads them. */
  rest?: Readonly<Record<string, unknown>>;
}

export type ScopeField = keyof ApiScopeInputs;
/** Every field an ApiScope manages. */
export const scopeFields: ScopeField[] = [
  "prefix",
  "subscope",
  "description",
  "longDescription",
  "visibility",
  "allowedIntegrationTypes",
  "atMaxAge",
  "accessibleForAll",
  "delegationSource",
  "tokenType",
  "requiresUserConsent",
  "requiresUserAuthentication",
  "requiresPseudonymousTokens",
  "authorizationMaxLifetime",
];
/** The name: a change needs a new scope (the old one is deactivated). */
export const immutableScopeFields: ScopeField[] = ["prefix", "subscope"];

const schema = z.strictObject({
  // No public source gives a syntax (docs.digdir.no: "no specific rules"): a prefix is valid when Digdir has assigned it
  // to the organisation, which create checks against GET /prefix. Only what cannot be part of one scope is refused.
  prefix: z
    .string()
    .regex(/^[^\s:"\\]+$/, "must be the prefix Digdir assigned to your organisation (see GET /prefix), without spaces or ':'"),
  subscope: z
    .string()
    .regex(/^[^\s"\\]+$/, "must be the rest of the scope's name after prefix: (e.g. api/v1.read), without spaces")
    .max(200),
  description: z.string().trim().min(1, "must not be empty: consumers see it in Samarbeidsportalen"),
  longDescription: z.string().optional(),
  visibility: z
    .enum(["PUBLIC", "PRIVATE"], {
      error: "must be PUBLIC (listed for everyone) or PRIVATE (seen only by you and the organisations you grant access)",
    })
    .default("PUBLIC"),
  allowedIntegrationTypes: z
    .array(z.enum(integrationTypes, { error: `must be one of ${integrationTypes.join(", ")}` }))
    .min(1, "needs at least one integration type: maskinporten, for Maskinporten clients to use the scope")
    .default(["maskinporten"]),
  atMaxAge: z
    .number()
    .int("must be whole seconds")
    .min(1, "must be at least 1 second")
    .max(3600, "must be at most 3600 seconds: no access token lives longer")
    .optional(),
  accessibleForAll: z.boolean().default(false),
  delegationSource: z
    .url({ protocol: /^https$/, error: "must be the delegation source's issuer URL, e.g. https://tt02.altinn.no/" })
    .optional(),
  tokenType: z
    .enum(["SELF_CONTAINED", "OPAQUE"], { error: "must be SELF_CONTAINED or OPAQUE (Maskinporten issues self-contained tokens only)" })
    .default("SELF_CONTAINED"),
  requiresUserConsent: z.boolean().default(false),
  requiresUserAuthentication: z.boolean().default(false),
  requiresPseudonymousTokens: z.boolean().default(false),
  authorizationMaxLifetime: z.number().int("must be whole seconds").min(0).optional(),
});

/** Validates and completes an ApiScope's inputs offline; defaults are written in, so state says what was sent. */
/** ApiScope inputs checked, text fields included (`textFailures`: control characters, line breaks, lengths). */
export function checkApiScopeInputs(raw: Record<string, unknown>): { inputs: ApiScopeInputs; failures: Failure[] } {
  const result = checkApiScopeInputsAsDeclared(raw);
  const text = textFailures(raw, { multiline: ["longDescription"] }).filter((t) => !result.failures.some((f) => f.property === t.property));
  return text.length ? { ...result, failures: [...result.failures, ...text] } : result;
}

function checkApiScopeInputsAsDeclared(raw: Record<string, unknown>): { inputs: ApiScopeInputs; failures: Failure[] } {
  const news = Object.fromEntries(Object.entries(raw).filter(([k]) => !k.startsWith("__")));
  const parsed = parseAroundUnknowns(schema, news);
  if (!parsed.data) return { inputs: news as unknown as ApiScopeInputs, failures: parsed.failures };
  const inputs = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined)) as unknown as ApiScopeInputs;
  const failures: Failure[] = [];
  const types = inputs.allowedIntegrationTypes;
  if (inputs.tokenType === "OPAQUE" && !isUnknown(types) && types.includes("maskinporten")) {
    failures.push({
      property: "tokenType",
      reason: "Maskinporten issues only self-contained tokens: use SELF_CONTAINED while allowedIntegrationTypes holds maskinporten",
    });
  }
  return { inputs, failures };
}

export function scopeNameOf(i: Pick<ApiScopeInputs, "prefix" | "subscope">): string {
  return `${i.prefix}:${i.subscope}`;
}

/** The scope's name: `prefix:subscope` where Digdir does not say. */
export function liveScopeName(s: LiveScope): string {
  return s.name ?? scopeNameOf(s);
}

/**
 * The outputs: what was sent, overlaid with what Digdir answered, so that a field Digdir does not echo keeps
 * the value sent instead of showing as a change after every refresh.
 */
export function scopeOutputs(sent: Partial<ApiScopeInputs>, live: LiveScope): ApiScopeOutputs {
  const fields: Partial<Record<ScopeField, unknown>> = { ...sent };
  for (const f of scopeFields) if (live[f] !== undefined) fields[f] = live[f];
  return {
    ...(fields as ApiScopeInputs),
    name: live.name ?? `${fields.prefix}:${fields.subscope}`,
    active: live.active ?? true,
    ownerOrgNo: live.ownerOrgNo ?? "",
    created: live.created ?? "",
    lastUpdated: live.lastUpdated ?? "",
  };
}

/** Managed fields that differ; a field left out of the inputs is not managed and never differs. */
export function changedScopeFields(olds: Partial<ApiScopeInputs>, news: Partial<ApiScopeInputs>): ScopeField[] {
  return scopeFields.filter((f) => {
    const b = news[f];
    if (b === undefined) return false;
    if (isUnknown(b) || (Array.isArray(b) && b.some(isUnknown))) return true;
    const a = olds[f];
    if (Array.isArray(b)) return !sameSet(a as unknown[] | undefined, b);
    return JSON.stringify(a ?? null) !== JSON.stringify(b);
  });
}

/** Immutable fields that change; one not known yet (a preview) is a change, never on its own a replacement. */
export function scopeReplacements(changed: ScopeField[], news: Partial<ApiScopeInputs> = {}): ScopeField[] {
  return changed.filter((f) => immutableScopeFields.includes(f) && !isUnknown(news[f]));
}
