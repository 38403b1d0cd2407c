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

/** Bad input or configuration, found before anything is sent. */
export class InputError extends Error {
  constructor(message: string) {
    super(redact(message));
    this.name = "InputError";
  }
}
