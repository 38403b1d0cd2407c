import { z } from "zod";
import type { ApiScopeArgs, IdportenClientArgs, KrrClientArgs, MaskinportenClientArgs } from "../providers";
import { policyFields } from "../providers/digdir/client-keys-model";

/**
 * The shape of a stack file (`stacks/<stack>.yaml`). zod judges what belongs to the stack format itself: the
 * sections, the named maps, the shorthands and the stack-only keys (`type`, `keys`, `protect`, `clients`,
 * `system`, `customers`, `consumers`). What a resource's fields may hold is judged by the providers' own `check`
 * functions (client-model.ts, client-keys-model.ts, api-scope-model.ts, scope-access-model.ts, system-model.ts,
 * request-model.ts), which the validator calls: one source of truth. Such fields are `z.unknown()` here.
 */

/** The top-level sections, in the order the README describes them. */
export const sections = ["organisation", "clients", "apiScopes", "systems", "requests", "agentRequests", "promotion"] as const;

export const clientTypes = ["maskinporten", "krr", "idporten"] as const;
export type ClientType = (typeof clientTypes)[number];

/** Names become Pulumi resource names and, by default, the name part of a system id. */
export const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** YAML reads `991825827` as a number; an organisation number is text, so a whole number is taken as its digits. */
export const digitsAsText = (v: unknown) => (typeof v === "number" && Number.isInteger(v) && v >= 0 ? String(v) : v);

const orgNo = z.preprocess(digitsAsText, z.string({ error: 'must be a 9-digit organisation number, e.g. "991825827"' }));

export const organisationSchema = z.strictObject({
  orgNo,
  /** For people reading the file; not sent anywhere. */
  name: z.string().optional(),
});

/**
 * A key: an inline public JWK (checked by client-keys-model.ts), `{file, kid?}` naming a committed public key, or
 * the generated key's settings `{generate: true, rotateAfterDays, ...}`.
 */
export const keyEntrySchema = z.record(z.string(), z.unknown(), {
  error:
    "must be a public JWK {kty, kid, n, e}, {file: <path to a public key>, kid}, or the generated key's settings {generate: true, rotateAfterDays, ...}",
});

/**
 * The generated key's settings: ClientKeys' policy inputs (generate, rotation, renewal, verification), their
 * values judged by `checkClientKeysInputs`. The names come from the provider, so a new policy input is known here.
 */
export const keyPolicyFields: readonly string[] = policyFields;
export const keyPolicySchema = z.strictObject(
  Object.fromEntries(policyFields.map((f) => [f, z.unknown().optional()])) as Record<
    (typeof policyFields)[number],
    z.ZodOptional<z.ZodUnknown>
  >,
);

export const keyFileSchema = z.strictObject({
  file: z.string({ error: "must be the path of a public key file (JWK, JWKS or PEM), relative to the stack file" }).min(1),
  kid: z.string({ error: "must be the key id to register the key under" }).optional(),
});

/** A client: `type`, the stack-only keys, and the resource's own fields (checked by client-model.ts). */
export const clientSchema = z.looseObject({
  type: z.enum(clientTypes, { error: `must be one of ${clientTypes.join(", ")}` }),
  // A list of keys, or a map: the generated key's settings alone (checked by the validator, which knows the forms).
  keys: z.unknown().optional(),
  protect: z.boolean({ error: "must be true or false" }).optional(),
});
export const clientStackKeys = ["type", "keys", "protect"] as const;

/**
 * A client's own fields: those of `IdportenClientArgs`, which has every field the other kinds have, and which
 * fields a kind takes is the provider's check to say (it names the field a Maskinporten client cannot have).
 * `clientId` takes over an existing client and `rotationTrigger` gets a secret-based client a new secret: inputs
 * of the resource, not fields of Digdir's. In the order "expected one of" lists them.
 */
export const clientFields = [
  "name",
  "description",
  "clientUri",
  "integrationType",
  "applicationType",
  "tokenEndpointAuthMethod",
  "grantTypes",
  "scopes",
  "accessTokenLifetime",
  "redirectUris",
  "postLogoutRedirectUris",
  "frontchannelLogoutUri",
  "frontchannelLogoutSessionRequired",
  "authorizationLifetime",
  "refreshTokenLifetime",
  "refreshTokenUsage",
  "ssoDisabled",
  "codeChallengeMethod",
  "clientId",
  "rotationTrigger",
] as const satisfies readonly (keyof IdportenClientArgs)[];

/**
 * An API scope: the stack-only keys; the ApiScope's own fields (prefix, subscope, description, ...) are judged by
 * api-scope-model.ts.
 */
export const apiScopeSchema = z.looseObject({
  consumers: z
    .array(z.unknown(), { error: "must be a list of organisation numbers (the organisations granted access), or {orgNo, name}" })
    .optional(),
  protect: z.boolean({ error: "must be true or false" }).optional(),
});
export const apiScopeStackKeys = ["consumers", "protect"] as const;

/** An API scope's own fields: those of `ApiScopeArgs`, in the order "expected one of" lists them. */
export const apiScopeFields = [
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
] as const satisfies readonly (keyof ApiScopeArgs)[];

/**
 * The lists above name every field of the resources' arguments: a field added to a resource and not here fails
 * the type check (the stack file would refuse it as unknown).
 */
type Unlisted<Args, Listed> = Exclude<keyof Args, Listed>;
const _everyFieldListed: {
  clients: [
    | Unlisted<IdportenClientArgs, (typeof clientFields)[number]>
    | Unlisted<MaskinportenClientArgs, (typeof clientFields)[number]>
    | Unlisted<KrrClientArgs, (typeof clientFields)[number]>,
  ] extends [never]
    ? true
    : never;
  apiScopes: [Unlisted<ApiScopeArgs, (typeof apiScopeFields)[number]>] extends [never] ? true : never;
} = { clients: true, apiScopes: true };

/** One consumer of a scope: `- "974761076"` is short for `- orgNo: "974761076"`. The number is judged by scope-access-model.ts. */
export const consumerSchema = z.preprocess(
  (v) => (typeof v === "string" || typeof v === "number" ? { orgNo: digitsAsText(v) } : v),
  z.strictObject(
    {
      orgNo,
      /** For people reading the file and the outputs (the consumer's company name); not sent. */
      name: z.string({ error: "must be text (the consumer's name, for readers)" }).optional(),
      /** Whether removing the consumer (revoking its access) is refused; default: its scope's. */
      protect: z.boolean({ error: "must be true or false" }).optional(),
    },
    { error: "must be an organisation number or {orgNo, name, protect}" },
  ),
);

export const systemSchema = z.looseObject({
  systemId: z.string({ error: "must be the system id, <vendor orgno>_<name>" }).optional(),
  clients: z
    .array(z.string({ error: "must be the name of a client under `clients`" }), { error: "must be a list of client names" })
    .optional(),
  protect: z.boolean({ error: "must be true or false" }).optional(),
});
/** Keys of a system entry that are not System inputs (`systemId` defaults, `vendorOrgNo` is the organisation's). */
export const systemStackKeys = ["clients", "protect"] as const;

/** What a request group or a customer may set for the requests it stands for. */
const requestContent = {
  integrationTitle: z.unknown().optional(),
  rights: z.unknown().optional(),
  accessPackages: z.unknown().optional(),
  redirectUrl: z.unknown().optional(),
};

/** One customer of a request group: parsed one by one, so a broken entry does not hide the others. */
export const customerSchema = z.preprocess(
  // `- 310000019` is short for `- orgNo: "310000019"`.
  (v) => (typeof v === "string" || typeof v === "number" ? { orgNo: digitsAsText(v) } : v),
  z.strictObject(
    {
      orgNo,
      /** For people reading the file and the outputs (e.g. the customer's company name); not sent. */
      name: z.string({ error: "must be text (the customer's name, for readers)" }).optional(),
      externalRef: z.unknown().optional(),
      // An agent request takes no rights; they are let through for the request check to say why.
      ...requestContent,
    },
    { error: "must be an organisation number or {orgNo, name, externalRef, ...}" },
  ),
);

/** A whole number in a range, every way of missing it told in the same words. */
function wholeNumber(min: number, max: number) {
  const error = `must be a whole number from ${min} to ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

/** A group of requests (standard under `requests:`, agent under `agentRequests:`) for one system. */
export const requestGroupSchema = z.strictObject({
  /** The system the requests are for; defaults to the group's name. */
  system: z.string({ error: "must be the name of a system under `systems`" }).optional(),
  ...requestContent,
  customers: z.array(z.unknown(), { error: "must be a list of customers (organisation numbers, or {orgNo, ...})" }).optional(),
  /** A CSV file of more customers, relative to the stack file (stacks/csv.ts). */
  customersFile: z
    .string({ error: "must be the path of a CSV file beside the stack file, e.g. customers/smartcloud.csv" })
    .min(1)
    .optional(),
  /** How many resources the group's customers are spread over; fixed for the group's life (stacks/groups.ts). */
  shards: wholeNumber(1, 64).optional(),
  /** Customers handled at once per provider host. */
  concurrency: wholeNumber(1, 256).optional(),
  /**
   * What the stack outputs say of the group's customers: `customers` (each in `requests`, `awaitingApproval`,
   * `requestsByStatus`) or `counts` (only `requestCounts`); default `counts` with `customersFile`, else `customers`.
   */
  outputs: z
    .enum(["customers", "counts"], { error: "must be customers (one entry per customer) or counts (counts by status only)" })
    .optional(),
});

export const promotionSchema = z.strictObject({
  ignore: z.array(z.string({ error: "must be a path pattern such as requests.*.customers" }), { error: "must be a list of path patterns" }),
});

export type ConsumerDecl = z.infer<typeof consumerSchema>;
export type RequestGroupDecl = z.infer<typeof requestGroupSchema>;
export type CustomerDecl = z.infer<typeof customerSchema>;

/**
 * The keys the object schema at `path` (relative to `schema`) allows, for "did you mean": walks objects, records,
 * arrays and the wrappers zod puts around them, through zod's public classes and accessors (`shape`, `valueType`,
 * `element`, `unwrap()`, a pipe's `out`).
 */
export function allowedKeys(schema: z.ZodType, path: readonly (string | number)[]): string[] {
  let s: z.ZodType | undefined = unwrap(schema);
  for (const seg of path) {
    if (s instanceof z.ZodObject) s = unwrap((s.shape as Record<string, z.ZodType>)[String(seg)]);
    else if (s instanceof z.ZodRecord) s = unwrap(s.valueType as z.ZodType);
    else if (s instanceof z.ZodArray) s = unwrap(s.element as z.ZodType);
    else return [];
  }
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

function unwrap(s: z.ZodType | undefined): z.ZodType | undefined {
  for (let i = 0; s && i < 10; i++) {
    if (
      s instanceof z.ZodOptional ||
      s instanceof z.ZodNullable ||
      s instanceof z.ZodDefault ||
      s instanceof z.ZodPrefault ||
      s instanceof z.ZodNonOptional ||
      s instanceof z.ZodReadonly ||
      s instanceof z.ZodCatch
    )
      s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodPipe) s = s.out as z.ZodType;
    else break;
  }
  return s;
}
