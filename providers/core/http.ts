import { Agent, request } from "undici";
import { ApiError, isApiError, type Service } from "./errors";

export type Method = "GET" | "POST" | "PUT" | "DELETE";

export interface HttpRequest {
  service: Service;
  method: Method;
  url: string;
  headers?: Record<string, string>;
  /** JSON body. */
  json?: unknown;
  /** Form body; a function is called again for each attempt (a JWT grant must be signed anew: MP-012). */
  form?: Record<string, string> | (() => Promise<Record<string, string>>);
  /**
   * May the request be sent again when no answer, or a 502/504, came back? Defaults to true for GET, PUT and
   * DELETE; a POST must opt in (whole-set JWKS POSTs and keyed Altinn requests are safe). A 429 or 503 is
   * retried for every method: the service answered it before doing anything (RFC 9110 15.6.4, RFC 6585 4).
   * A non-idempotent request that got no answer, or a 500/502/504, throws or answers without a retry: it may
   * have been carried out, and the caller reads back before anything is sent again (`isInDoubt`).
   */
  idempotent?: boolean;
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** How many attempts it took. */
  attempts: number;
  /** Milliseconds from the first attempt to this answer, waits included. */
  elapsedMs?: number;
  /** A Retry-After (ms) longer than the settable cap, so it was not waited out. */
  retryAfterRefused?: number;
}

export interface HttpOptions {
  /** Retries after the first attempt (digdir:httpMaxRetries). */
  maxRetries: number;
  /** First back-off step; doubles per retry, with full jitter. */
  baseDelayMs: number;
  /**
   * Longest single wait (digdir:httpMaxWaitSeconds). A Retry-After asking for longer is not waited out: the
   * request fails at once, saying what the service asked for.
   */
  maxDelayMs: number;
  /** Longest time spent waiting between attempts of one request, all waits together. */
  maxTotalDelayMs: number;
  /** Time-out of one attempt, for the answer's headers and again for its body (digdir:httpTimeoutSeconds). */
  timeoutMs: number;
}

export const defaultHttpOptions: HttpOptions = {
  maxRetries: 4,
  baseDelayMs: 250,
  maxDelayMs: 20_000,
  maxTotalDelayMs: 60_000,
  timeoutMs: 30_000,
};

/** Answered before anything was done: any method may be sent again. */
const refusedStatus = new Set([429, 503]);
/** A gateway's or the service's failure: the request may have been carried out. */
const doubtfulStatus = new Set([500, 502, 504]);
/** Failures where nothing reached the server, so even a POST can be sent again. */
const notSentCodes = new Set(["ECONNREFUSED", "UND_ERR_CONNECT_TIMEOUT", "ENOTFOUND", "EAI_AGAIN"]);
const connectionCodes = new Set([
  ...notSentCodes,
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CLOSED",
]);

export interface HttpStats {
  requests: number;
  retries: number;
  /** Counts per `service method path-template`. */
  byRoute: Record<string, number>;
}

/** One pooled keep-alive agent per process, shared by every provider in the host. */
export class HttpClient {
  readonly options: HttpOptions;
  readonly stats: HttpStats = { requests: 0, retries: 0, byRoute: {} };
  private readonly agent: Agent;

  constructor(options: Partial<HttpOptions> = {}) {
    this.options = { ...defaultHttpOptions, ...options };
    this.agent = new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000, connections: 32 });
  }

  /** Sends the request, retrying what may be retried; answers any HTTP status (callers map errors). */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const idempotent = req.idempotent ?? req.method !== "POST";
    const timeout = req.timeoutMs ?? this.options.timeoutMs;
    const started = Date.now();
    let waited = 0;
    for (let attempt = 1; ; attempt++) {
      this.count(req);
      let res: HttpResponse;
      try {
        res = await this.once(req, timeout, attempt);
      } catch (e) {
        const code = errorCode(e);
        const mayRetry = connectionCodes.has(code) && (idempotent || notSentCodes.has(code));
        const wait = mayRetry && attempt <= this.options.maxRetries ? this.backoff(attempt, undefined, waited) : undefined;
        if (wait === undefined) {
          const inDoubt = !notSentCodes.has(code);
          throw new ApiError({
            service: req.service,
            method: req.method,
            path: pathOf(req.url),
            hint: noAnswerHint(req, code, idempotent),
            problems: [{ message: `${code || "error"}: ${e instanceof Error ? e.message : String(e)}` }],
            attempts: attempt,
            elapsedMs: Date.now() - started,
            inDoubt: inDoubt && !idempotent,
          });
        }
        waited += await this.pause(wait);
        continue;
      }
      res.elapsedMs = Date.now() - started;
      const retryable = refusedStatus.has(res.status) || (idempotent && doubtfulStatus.has(res.status) && res.status !== 500);
      if (retryable && attempt <= this.options.maxRetries) {
        const wait = this.backoff(attempt, res.headers["retry-after"], waited);
        if (wait !== undefined) {
          waited += await this.pause(wait);
          continue;
        }
        res.retryAfterRefused = parseRetryAfter(res.headers["retry-after"]);
      }
      return res;
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async once(req: HttpRequest, timeout: number, attempt: number): Promise<HttpResponse> {
    const headers: Record<string, string> = { accept: "application/json", ...req.headers };
    let body: string | undefined;
    if (req.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(req.json);
    } else if (req.form !== undefined) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      const form = typeof req.form === "function" ? await req.form() : req.form;
      body = new URLSearchParams(form).toString();
    }
    const res = await request(req.url, {
      method: req.method,
      headers,
      body,
      dispatcher: this.agent,
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
    const text = await res.body.text();
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(", ") : v;
    return { status: res.statusCode, headers: flat, text, attempts: attempt };
  }

  private count(req: HttpRequest): void {
    this.stats.requests++;
    const key = `${req.service} ${req.method} ${routeTemplate(pathOf(req.url))}`;
    this.stats.byRoute[key] = (this.stats.byRoute[key] ?? 0) + 1;
  }

  /**
   * How long to wait before the next attempt, or undefined when it would break a cap: a Retry-After above the
   * longest single wait, or more waiting in all than `maxTotalDelayMs`. A Retry-After is honoured with up to
   * 10 % added jitter (so that many callers told the same do not come back at once); without one, exponential
   * back-off with full jitter.
   */
  private backoff(attempt: number, retryAfter: string | undefined, waitedMs: number): number | undefined {
    const fromHeader = parseRetryAfter(retryAfter);
    if (fromHeader !== undefined && fromHeader > this.options.maxDelayMs) return undefined;
    const wait =
      fromHeader !== undefined
        ? fromHeader + Math.random() * Math.min(1000, fromHeader * 0.1)
        : Math.min(this.options.maxDelayMs, Math.random() * this.options.baseDelayMs * 2 ** (attempt - 1));
    if (waitedMs + wait > this.options.maxTotalDelayMs) return undefined;
    return wait;
  }

  private async pause(wait: number): Promise<number> {
    this.stats.retries++;
    await new Promise((r) => setTimeout(r, wait));
    return wait;
  }
}

/**
 * Whether a failed request may have been carried out although no success came back: no answer after it was
 * sent, or a 500/502/504. Creates then read back by the id or natural key they chose before sending again.
 */
export function isInDoubt(e: unknown): boolean {
  return isApiError(e) && (e.inDoubt || (e.status !== undefined && doubtfulStatus.has(e.status)));
}

/** Retry-After as seconds or an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function errorCode(e: unknown): string {
  const err = e as { code?: string; cause?: { code?: string } };
  return err?.code ?? err?.cause?.code ?? "";
}

export function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

/** `/api/v1/clients/1c2d.../jwks` → `/api/v1/clients/{id}/jwks`, so that counts group by route. */
export function routeTemplate(path: string): string {
  return path
    .split("/")
    .map((seg) => (/^[0-9a-f-]{16,}$/i.test(seg) || /^\d{9,}$/.test(seg) || /^\d{9}_/.test(seg) ? "{id}" : seg))
    .join("/");
}

function noAnswerHint(req: HttpRequest, code: string, idempotent: boolean): string {
  const host = (() => {
    try {
      return new URL(req.url).host;
    } catch {
      return req.url;
    }
  })();
  if (!idempotent && !notSentCodes.has(code)) {
    return `The connection to ${host} failed after the request was sent, so it may have been carried out; it was not sent again. Run \`pulumi up\` again: it looks for what this request may have made before making anything.`;
  }
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") {
    return `${host} did not answer in time: try again later, or allow longer with digdir:httpTimeoutSeconds.`;
  }
  return `Could not reach ${host}: check the network, any proxy, and that digdir:environment names the right environment.`;
}
