import { randomBytes } from "node:crypto";
import { createLocalJWKSet, decodeJwt, jwtVerify } from "jose";
import { header, isPlainObject, type SimReply, type SimRequest } from "../core/http";
import type { SimContext } from "../context";
import { CONSUMER_AUTHORITY, type AccessTokenClaims } from "../maskinporten/service";

// Altinn's wire conventions (Altinn.Authorization.ProblemDetails; `AuthenticationHost.cs` JSON options; Altinn's systembrukertoken guide, `AuthenticationController`): the error bodies (Altinn problem+json with `code`,
// the STD-00000 validation problem with `validationErrors[]` of AUTH.VLD-*, ASP.NET's own problem bodies,
// plain text and empty bodies), case-insensitive JSON input binding, and the bearer-token check (raw
// Maskinporten token or a token exchanged at /authentication/api/v1/exchange/maskinporten).

export const PLATFORM = "/altinn";
export const AUTH_BASE = `${PLATFORM}/authentication/api/v1`;

const PROBLEM_JSON = "application/problem+json; charset=utf-8";
const TEXT = "text/plain; charset=utf-8";

const STATUS_DESCRIPTIONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  415: "Unsupported Media Type",
  500: "Internal Server Error",
};

/** ASP.NET's W3C trace id, as every problem body carries it. */
export function traceId(): string {
  return `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-00`;
}

// --- Altinn problem details (AUTH-000nn), `AltinnProblemDetails` / `Problem.cs` ---

const AUTH_PROBLEMS: Record<string, { status: number; title: string }> = {
  "AUTH-00000": { status: 400, title: "The party organization number could not be resolved in the Register." },
  "AUTH-00001": { status: 400, title: "The requested rights were not found on the system, are not delegable, or none were given." },
  "AUTH-00004": { status: 400, title: "A system user already exists for this system, organization and external reference." },
  "AUTH-00006": { status: 400, title: "The key refers to a request that is already accepted." },
  "AUTH-00007": { status: 400, title: "The key refers to a pending request; reuse or delete it." },
  "AUTH-00008": { status: 400, title: "The key refers to a denied request; delete it, then renew." },
  "AUTH-00009": { status: 400, title: "The key refers to a rejected request; delete it, then renew." },
  "AUTH-00010": { status: 404, title: "The request was not found." },
  "AUTH-00011": { status: 404, title: "The system was not found." },
  "AUTH-00012": { status: 404, title: "The request could not be stored." },
  "AUTH-00013": { status: 409, title: "The request status is not New." },
  "AUTH-00015": { status: 404, title: "The system user was not found." },
  "AUTH-00021": { status: 400, title: "The redirect URL is not among the system's allowed redirect URLs, or is invalid." },
  "AUTH-00023": { status: 401, title: "The vendor organization number could not be read from the token." },
  "AUTH-00026": { status: 400, title: "The system has no allowed redirect URLs." },
  "AUTH-00058": { status: 400, title: "An agent request must have access packages." },
  "AUTH-00059": { status: 400, title: "The request has neither rights nor access packages." },
  "AUTH-00061": { status: 409, title: "A change request with this correlation id is no longer New; use a new correlation id." },
  "AUTH-00063": { status: 400, title: "The access package is not defined on the system." },
  "AUTH-00064": { status: 400, title: "The access package is not assignable to a standard system user." },
  "AUTH-00065": { status: 400, title: "The access package is not delegable to an agent system user." },
};

export type AuthCode = keyof typeof AUTH_PROBLEMS;

export function altinnProblem(code: string, extensions: Record<string, unknown> = {}, detail?: string): SimReply {
  const def = AUTH_PROBLEMS[code];
  if (!def) throw new Error(`unknown Altinn problem code ${code}`);
  return {
    status: def.status,
    headers: { "content-type": PROBLEM_JSON },
    json: {
      type: `urn:altinn:error:${code}`,
      title: def.title,
      status: def.status,
      ...(detail !== undefined ? { detail } : {}),
      code,
      traceId: traceId(),
      statusDescription: STATUS_DESCRIPTIONS[def.status],
      ...extensions,
    },
  };
}

// --- validation problem (STD-00000 + AUTH.VLD-*), `AltinnValidationProblemDetails` / `ValidationErrors.cs` ---

export interface VldError {
  code: string;
  paths: string[];
  /** Extension members: free-text keys with the offending ids joined by " | ". */
  extensions?: Record<string, string>;
}

const VLD_TITLES: Record<string, string> = {
  "AUTH.VLD-00000": "The vendor ID is not a valid ISO 6523 (0192:) organization identifier.",
  "AUTH.VLD-00001": "The system id does not start with the vendor's organization number followed by an underscore.",
  "AUTH.VLD-00002": "The system id already exists.",
  "AUTH.VLD-00003": "One or more resources in rights were not found in the Resource Registry.",
  "AUTH.VLD-00004": "One or more client ids are already attached to another system.",
  "AUTH.VLD-00005": "One or more redirect URLs are not absolute https URLs.",
  "AUTH.VLD-00006": "The rights contain duplicates.",
  "AUTH.VLD-00007": "The access packages contain duplicates.",
  "AUTH.VLD-00008": "One or more access packages have an invalid format, were not found, or are not delegable.",
  "AUTH.VLD-00009": "A rights resource attribute id is not urn:altinn:resource.",
  "AUTH.VLD-00011": "The client ids contain duplicates.",
  "AUTH.VLD-00012": "The system id in the body does not match the system id in the URL.",
  "AUTH.VLD-00013": "The system id must not contain spaces.",
  "AUTH.VLD-00017": "One or more resources in rights have a resource type that cannot be delegated.",
  "AUTH.VLD-00018": "A visible system cannot have access packages that are not assignable.",
};

export const VLD_PATHS = {
  vendorId: "/registersystemrequest/vendor/id",
  systemId: "/registersystemrequest/systemid",
  redirectUrls: "/registersystemrequest/allowedredirecturls",
  clientId: "/registersystemrequest/clientid",
  accessPackages: "/registersystemrequest/accesspackages",
  rights: "/registersystemrequest/rights/resource",
} as const;

export function validationProblem(errors: VldError[]): SimReply {
  return {
    status: 400,
    headers: { "content-type": PROBLEM_JSON },
    json: {
      type: "urn:altinn:error:STD-00000",
      title: "One or more validation errors occurred.",
      status: 400,
      code: "STD-00000",
      traceId: traceId(),
      statusDescription: STATUS_DESCRIPTIONS[400],
      validationErrors: errors.map((e) => ({
        code: e.code,
        title: VLD_TITLES[e.code] ?? "Validation error.",
        paths: e.paths,
        ...(e.extensions ?? {}),
      })),
    },
  };
}

// --- ASP.NET's own bodies, ASP.NET Core's problem details ---

const RFC9110: Record<number, { section: string; title: string }> = {
  400: { section: "15.5.1", title: "Bad Request" },
  401: { section: "15.5.2", title: "Unauthorized" },
  404: { section: "15.5.5", title: "Not Found" },
  409: { section: "15.5.10", title: "Conflict" },
  415: { section: "15.5.16", title: "Unsupported Media Type" },
  500: { section: "15.6.1", title: "An error occurred while processing your request." },
};

/** Framework model-binding / model-state failure: ValidationProblemDetails with `errors` keyed by field or JSON path. */
export function aspnetValidationProblem(errors: Record<string, string[]>): SimReply {
  return {
    status: 400,
    headers: { "content-type": PROBLEM_JSON },
    json: {
      type: `https://tools.ietf.org/html/rfc9110#section-${RFC9110[400]!.section}`,
      title: "One or more validation errors occurred.",
      status: 400,
      errors,
      traceId: traceId(),
    },
  };
}

/** A bare NotFound()/BadRequest()/Unauthorized() result, or an unhandled exception (500). */
export function aspnetProblem(status: 400 | 401 | 404 | 409 | 415 | 500): SimReply {
  const def = RFC9110[status]!;
  return {
    status,
    headers: { "content-type": PROBLEM_JSON },
    json: { type: `https://tools.ietf.org/html/rfc9110#section-${def.section}`, title: def.title, status, traceId: traceId() },
  };
}

export function plainText(status: number, text: string): SimReply {
  return { status, headers: { "content-type": TEXT }, text };
}

export function emptyStatus(status: number, headers?: Record<string, string>): SimReply {
  return { status, headers };
}

export function okJson(status: number, body: unknown, headers?: Record<string, string>): SimReply {
  return { status, headers: { "content-type": "application/json; charset=utf-8", ...(headers ?? {}) }, json: body };
}

// --- JSON input (ASP.NET Core web defaults: property names case-insensitive, unknown properties ignored) ---

export type Bound<T> = { ok: true; value: T } | { ok: false; reply: SimReply };

/** Property by name, case-insensitively; `undefined` when absent. */
export function prop(o: Record<string, unknown>, name: string): unknown {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(o)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

export function hasProp(o: Record<string, unknown>, name: string): boolean {
  const lower = name.toLowerCase();
  return Object.keys(o).some((k) => k.toLowerCase() === lower);
}

/**
 * Reads a JSON body the way ASP.NET's [FromBody] binding does: 415 for a non-JSON content type, 400
 * ValidationProblemDetails for an empty body or malformed JSON. `parameter` is the action parameter's name.
 */
export function readJson(req: SimRequest, parameter: string): Bound<unknown> {
  const ct = (header(req, "content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (req.body.length > 0 && ct !== "application/json" && ct !== "text/json" && !ct.endsWith("+json")) {
    return { ok: false, reply: aspnetProblem(415) };
  }
  if (req.body.length === 0)
    return {
      ok: false,
      reply: aspnetValidationProblem({
        "": ["A non-empty request body is required."],
        [parameter]: [`The ${parameter} field is required.`],
      }),
    };
  try {
    return { ok: true, value: JSON.parse(req.body.toString("utf8")) };
  } catch (err) {
    return {
      ok: false,
      reply: aspnetValidationProblem({
        $: [`'${(err as Error).message}' is an invalid JSON literal. Path: $ | LineNumber: 0 | BytePositionInLine: 0.`],
        [parameter]: [`The ${parameter} field is required.`],
      }),
    };
  }
}

/** Collects model-binding errors the way System.Text.Json + model validation report them. */
export class ModelErrors {
  readonly errors: Record<string, string[]> = {};

  constructor(private readonly parameter: string) {}

  add(key: string, message: string): void {
    (this.errors[key] ??= []).push(message);
  }

  conversion(path: string, type: string): void {
    this.add(path, `The JSON value could not be converted to ${type}. Path: ${path} | LineNumber: 0 | BytePositionInLine: 0.`);
  }

  missing(typeName: string, names: string[]): void {
    this.add(
      "$",
      `JSON deserialization for type '${typeName}' was missing required properties, including the following: ${names.join(", ")}`,
    );
  }

  /** An explicit null for a non-nullable property: model validation's implicit [Required]. */
  required(name: string): void {
    this.add(name, `The ${name} field is required.`);
  }

  get any(): boolean {
    return Object.keys(this.errors).length > 0;
  }

  reply(): SimReply {
    const errors = { ...this.errors };
    if (Object.keys(errors).some((k) => k.startsWith("$"))) errors[this.parameter] = [`The ${this.parameter} field is required.`];
    return aspnetValidationProblem(errors);
  }
}

const GUID = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;
export const EMPTY_GUID = "00000000-0000-0000-0000-000000000000";

/** A route or query value bound to a .NET Guid: lower-case canonical form, or undefined when it is not one. */
export function parseGuid(value: string): string | undefined {
  const v = value.trim().replace(/^\{(.*)\}$/, "$1");
  if (!GUID.test(v)) return undefined;
  const hex = v.replace(/-/g, "").toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function guidRouteError(name: string, value: string): SimReply {
  return aspnetValidationProblem({ [name]: [`The value '${value}' is not valid.`] });
}

// --- tokens, Altinn's systembrukertoken guide, `AuthenticationController` / `AuthzConstants`, `AuthenticationHost.cs` ---

export const SCOPES = {
  systemRegisterWrite: "altinn:authentication/systemregister.write",
  systemRegisterAdmin: "altinn:authentication/systemregister.admin",
  requestWrite: "altinn:authentication/systemuser.request.write",
  requestRead: "altinn:authentication/systemuser.request.read",
  portalEnduser: "altinn:portal/enduser",
} as const;

export interface Caller {
  orgNo: string;
  claims: AccessTokenClaims;
  scopes: string[];
  /** The token holds systemregister.admin (case-insensitive substring test, as Altinn does): bypasses ownership checks. */
  admin: boolean;
}

export type Authorized = { ok: true; caller: Caller } | { ok: false; reply: SimReply };

/** The issuer of tokens from GET /authentication/api/v1/exchange/maskinporten. */
export function altinnIssuer(ctx: SimContext): string {
  return `${ctx.url()}${AUTH_BASE}/openid/`;
}

/**
 * The bearer check of every vendor route: a Maskinporten token from this simulator or an Altinn token it
 * exchanged. No/invalid token → 401 with an empty body (an authentication challenge); a valid token without
 * any of `anyScope` → 403 with an empty body.
 */
export async function authorize(ctx: SimContext, req: SimRequest, anyScope: readonly string[]): Promise<Authorized> {
  const unauthorized: Authorized = { ok: false, reply: emptyStatus(401, { "www-authenticate": "Bearer" }) };
  const auth = header(req, "authorization");
  const match = auth ? /^Bearer\s+(\S+)$/i.exec(auth) : null;
  if (!match) return unauthorized;
  const token = match[1]!;
  let iss: unknown;
  try {
    iss = decodeJwt(token).iss;
  } catch {
    return { ok: false, reply: emptyStatus(401, { "www-authenticate": 'Bearer error="invalid_token"' }) };
  }
  let claims: AccessTokenClaims;
  if (iss === altinnIssuer(ctx)) {
    const verified = await verifyAltinnToken(ctx, token);
    if (!verified) return { ok: false, reply: emptyStatus(401, { "www-authenticate": 'Bearer error="invalid_token"' }) };
    claims = verified;
  } else {
    const check = await ctx.maskinporten.checkBearer(req);
    if (!check.ok) return { ok: false, reply: emptyStatus(401, { "www-authenticate": 'Bearer error="invalid_token"' }) };
    claims = check.token.claims;
  }
  const orgNo = consumerOrgNo(claims);
  if (!orgNo) return unauthorized;
  const scopes = typeof claims.scope === "string" ? claims.scope.split(" ").filter(Boolean) : [];
  if (anyScope.length > 0 && !anyScope.some((s) => scopes.includes(s))) return { ok: false, reply: emptyStatus(403) };
  const admin = typeof claims.scope === "string" && claims.scope.toLowerCase().includes(SCOPES.systemRegisterAdmin);
  return { ok: true, caller: { orgNo, claims, scopes, admin } };
}

export function consumerOrgNo(claims: { consumer?: unknown }): string | undefined {
  const consumer = claims.consumer;
  if (!isPlainObject(consumer) || consumer.authority !== CONSUMER_AUTHORITY || typeof consumer.ID !== "string") return undefined;
  const m = /^0192:(\d{9})$/.exec(consumer.ID);
  return m ? m[1] : undefined;
}

async function verifyAltinnToken(ctx: SimContext, token: string): Promise<AccessTokenClaims | undefined> {
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet(ctx.maskinporten.publicJwks() as never), {
      issuer: altinnIssuer(ctx),
      algorithms: ["RS256"],
      currentDate: ctx.clock.date(),
    });
    return payload as AccessTokenClaims;
  } catch {
    return undefined;
  }
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** Registers a route and its trailing-slash twin (ASP.NET tolerates `vendor/{id}/`, `SystemRegisterController`). */
export function addRoute(
  ctx: SimContext,
  method: string,
  pattern: string,
  handler: (req: SimRequest) => SimReply | Promise<SimReply>,
): void {
  ctx.router.add(method, pattern, handler);
  ctx.router.add(method, `${pattern}/`, handler);
}
