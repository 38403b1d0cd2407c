import type { HttpRequest, HttpResponse } from "./http";
import { redact } from "./redact";

export type Service = "maskinporten" | "digdir" | "altinn" | "krr";

const serviceNames: Record<Service, string> = {
  maskinporten: "Maskinporten",
  digdir: "Digdir self-service API",
  altinn: "Altinn",
  krr: "KRR",
};

export interface FieldProblem {
  field?: string;
  message: string;
  code?: string;
}

export interface ApiErrorInit {
  service: Service;
  method: string;
  /** Path without query string values that could carry identifiers of people. */
  path: string;
  /** HTTP status, or undefined when no response came (connection error, time-out). */
  status?: number;
  /** The service's own codes: MP-121, AUTH-00004, AUTH.VLD-00002, Digdir's OAuth-like `error`. */
  codes?: string[];
  /** Digdir `correlation_id`, Altinn `traceId`. */
  correlationId?: string;
  /** What the service said, parsed from its error body. */
  problems?: FieldProblem[];
  /** One sentence on what to do. */
  hint: string;
  cause?: unknown;
  /** How many times the request was sent, and over how long (waits included); shown when more than one. */
  attempts?: number;
  elapsedMs?: number;
  /** No answer came after the request was sent: it may have been carried out. */
  inDoubt?: boolean;
}

/**
 * The one error type for upstream failures. Its message carries the status, the service's codes, the
 * correlation id and a sentence on what to do; it never carries a token, key or secret.
 */
export class ApiError extends Error {
  readonly service: Service;
  readonly method: string;
  readonly path: string;
  readonly status?: number;
  readonly codes: string[];
  readonly correlationId?: string;
  readonly problems: FieldProblem[];
  readonly hint: string;
  readonly attempts: number;
  readonly inDoubt: boolean;

  constructor(init: ApiErrorInit) {
    super(redact(formatApiError(init)), init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "ApiError";
    this.service = init.service;
    this.method = init.method;
    this.path = init.path;
    this.status = init.status;
    this.codes = init.codes ?? [];
    this.correlationId = init.correlationId;
    this.problems = init.problems ?? [];
    this.hint = init.hint;
    this.attempts = init.attempts ?? 1;
    this.inDoubt = init.inDoubt ?? false;
  }

  hasCode(code: string): boolean {
    return this.codes.includes(code) || this.problems.some((p) => p.code === code);
  }
}

function formatApiError(init: ApiErrorInit): string {
  const what = `${serviceNames[init.service]}: ${init.method} ${init.path}`;
  const status = init.status === undefined ? "got no answer" : `answered ${init.status}`;
  const attempts = (init.attempts ?? 1) > 1 ? ` (${init.attempts} attempts over ${formatDuration(init.elapsedMs ?? 0)})` : "";
  const codes = init.codes?.length ? ` [${init.codes.join(", ")}]` : "";
  const correlation = init.correlationId ? ` (correlation id ${init.correlationId})` : "";
  const problems = (init.problems ?? [])
    .map((p) => `${p.field ? `${p.field}: ` : ""}${p.message}${p.code && !init.codes?.includes(p.code) ? ` (${p.code})` : ""}`)
    .join("; ");
  return `${what} ${status}${attempts}${codes}${correlation}${problems ? `: ${problems}` : ""}. ${init.hint}`;
}

/** 12 s, 1.5 s, 250 ms. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof Error && (e as ApiError).name === "ApiError" && typeof (e as ApiError).service === "string";
}

/**
 * An answer that breaks the service's own protocol: a success without the field it always carries, an object
 * missing right after it was written. Not an ApiError: the service refused nothing, so no rule that reads an
 * ApiError's status (retry, in doubt, taken) applies. Its message names the service, the call, what was wrong
 * and what to do; it never carries a token, key or secret.
 */
export class ProtocolError extends Error {
  readonly service: Service;
  readonly hint: string;

  constructor(init: {
    service: Service;
    /** The call, without identifiers of people: `POST /clients`. */
    call: string;
    /** What was wrong with the answer: `answered 201 without a client_id`. */
    problem: string;
    /** One sentence on what to do. */
    hint: string;
  }) {
    super(redact(`${serviceNames[init.service]}: ${init.call} ${init.problem}. ${init.hint}`));
    this.name = "ProtocolError";
    this.service = init.service;
    this.hint = init.hint;
  }
}

/** Bad input or configuration, found before anything is sent. */
export class InputError extends Error {
  constructor(message: string) {
    super(redact(message));
    this.name = "InputError";
  }
}

/** Maps a non-2xx answer to the one error type, with a sentence on what to do. */
export function apiErrorFrom(service: Service, req: Pick<HttpRequest, "method" | "url">, res: HttpResponse, hint?: string): ApiError {
  return new ApiError({
    service,
    method: req.method,
    path: new URL(req.url).pathname,
    status: res.status,
    ...parseErrorBody(res.text),
    hint: hint ?? defaultHint(res.status, res),
    attempts: res.attempts,
    elapsedMs: res.elapsedMs,
  });
}

/** What to do about a status; `res` says how often it was tried, so that the sentence tells what happened. */
export function defaultHint(status: number, res?: Pick<HttpResponse, "attempts" | "elapsedMs" | "retryAfterRefused">): string {
  const attempts = res?.attempts ?? 1;
  if (res?.retryAfterRefused !== undefined) {
    return `The service asked to be called again in ${formatDuration(res.retryAfterRefused)}, longer than the longest wait allowed (digdir:httpMaxWaitSeconds): run \`pulumi up\` again later, or raise that setting.`;
  }
  if (status === 429 || status === 503) {
    return attempts > 1
      ? `The service was busy or unavailable on every one of ${attempts} attempts over ${formatDuration(res?.elapsedMs ?? 0)}: try again later (digdir:httpMaxRetries allows more attempts).`
      : "The service was busy or unavailable and retries are turned off (digdir:httpMaxRetries is 0): try again later.";
  }
  if (status === 500 || status === 502 || status === 504) {
    return attempts > 1
      ? `The service failed on every one of ${attempts} attempts over ${formatDuration(res?.elapsedMs ?? 0)}: check its status page and try again later.`
      : "The service failed while handling the request, which may have been carried out, so it was not sent again: run `pulumi up` again, which looks for what it may have made before making anything.";
  }
  if (status === 400) return "Correct the input named above; nothing was changed.";
  if (status === 401) return "The admin token was refused: check digdir:clientId, digdir:privateKey and digdir:environment.";
  if (status === 403)
    return "The admin client lacks a scope or does not own this object: ask Digdir (or Altinn) for the scope, or check the organisation.";
  if (status === 404) return "It does not exist (any more): run `pulumi refresh` to bring the state up to date.";
  if (status === 409) return "It conflicts with an existing object: import or adopt it, or choose another name.";
  if (status >= 500) return "The service failed: check its status page and try again later.";
  return "Unexpected answer: check the service's status page and try again.";
}

/** The parts of an upstream error body worth showing: codes, correlation id, field problems. */
export interface ParsedErrorBody {
  codes: string[];
  correlationId?: string;
  problems: FieldProblem[];
}

/**
 * Reads the error bodies of all three families: Digdir's `{errors[], correlation_id}`, Maskinporten's
 * `{error, error_description}` with an MP code, Altinn's problem+json with `code` and `validationErrors[]`.
 * Plain-text and empty bodies (Altinn returns both on some paths) become one problem or none.
 */
export function parseErrorBody(text: string): ParsedErrorBody {
  const out: ParsedErrorBody = { codes: [], problems: [] };
  if (!text.trim()) return out;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    out.problems.push({ message: redact(text.trim().slice(0, 300)) });
    return out;
  }
  if (typeof body === "string") {
    out.problems.push({ message: redact(body.slice(0, 300)) });
    return out;
  }
  if (!body || typeof body !== "object") return out;
  const b = body as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);

  out.correlationId = str(b.correlation_id) ?? str(b.traceId) ?? str(b.correlationId);
  if (Array.isArray(b.errors)) {
    for (const e of b.errors as Array<Record<string, unknown>>) {
      const message = str(e?.errorMessage) ?? str(e?.message) ?? str(e?.detail);
      if (message) out.problems.push({ field: str(e.fieldIdentifier) ?? str(e.field), message, code: str(e.code) });
    }
  } else if (b.errors && typeof b.errors === "object") {
    // ASP.NET model-state errors: { field: [messages] }
    for (const [field, messages] of Object.entries(b.errors as Record<string, unknown>)) {
      for (const m of Array.isArray(messages) ? messages : [messages]) if (str(m)) out.problems.push({ field, message: m as string });
    }
  }
  if (Array.isArray(b.validationErrors)) {
    for (const v of b.validationErrors as Array<Record<string, unknown>>) {
      const paths = Array.isArray(v?.paths) ? (v.paths as string[]).join(", ") : undefined;
      out.problems.push({ field: paths, message: str(v?.title) ?? str(v?.detail) ?? "invalid", code: str(v?.code) });
      if (str(v?.code)) out.codes.push(v.code as string);
    }
  }
  const code = str(b.code);
  if (code) out.codes.unshift(code);
  const oauthError = str(b.error);
  const description = str(b.error_description);
  const mp = /MP-\d{3}/.exec(`${description ?? ""} ${oauthError ?? ""}`)?.[0];
  if (mp) out.codes.unshift(mp);
  if (!out.problems.length) {
    const message = description ?? str(b.detail) ?? str(b.title) ?? oauthError ?? str(b.message);
    if (message) out.problems.push({ message: redact(message) });
  }
  if (oauthError && !out.codes.length && !Array.isArray(b.errors)) out.codes.push(oauthError);
  return out;
}

/**
 * An error after the remote object was created: the host turns `id` and `properties` into
 * ErrorResourceInitFailed, so the engine records the object in state instead of forgetting it
 * (the SDK's dynamic provider host, `@pulumi/pulumi/cmd/dynamic-provider`: errors carrying an id).
 */
export class PartialCreateError extends Error {
  readonly reasons: string[];
  constructor(
    readonly id: string,
    readonly properties: Record<string, unknown>,
    cause: unknown,
  ) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`created ${id}, but the steps after creation failed: ${why}. It is recorded in the state; the next \`pulumi up\` completes it.`);
    this.name = "PartialCreateError";
    this.reasons = [why];
  }
}

/**
 * An update that changed the remote object and then failed: like PartialCreateError, it carries
 * the id and the properties as they now are, so the host reports ErrorResourceInitFailed and the engine records
 * them instead of keeping outputs that no longer hold (the SDK's dynamic provider host, `@pulumi/pulumi/cmd/dynamic-provider`: errors carrying an id).
 * The message is the caller's: it must say what was done, what failed, and what the next `pulumi up` does.
 */
export class PartialUpdateError extends Error {
  readonly reasons: string[];
  constructor(
    readonly id: string,
    readonly properties: Record<string, unknown>,
    message: string,
  ) {
    super(message);
    this.name = "PartialUpdateError";
    this.reasons = [message];
  }
}
