import type { IncomingHttpHeaders } from "node:http";

// The request a route handler sees, and the reply it returns. Handlers return their reply instead of
// writing to the socket, so the server can apply faults around them (e.g. commit-then-fail: run the
// handler, keep its effects, throw its reply away).

export interface SimRequest {
  readonly method: string;
  /** The path without query string, percent-encoding kept. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** Path parameters from the route pattern (`:id`), percent-decoded. */
  readonly params: Record<string, string>;
  readonly body: Buffer;
  readonly remoteAddress: string;
}

export interface SimReply {
  status: number;
  headers?: Record<string, string>;
  /** Serialised as JSON with content-type application/json (unless `text` is given). */
  json?: unknown;
  /** Sent as is; set content-type in `headers`. */
  text?: string;
}

export type Handler = (req: SimRequest) => SimReply | Promise<SimReply>;

export function jsonReply(status: number, body: unknown, headers?: Record<string, string>): SimReply {
  return { status, json: body, headers };
}

export function emptyReply(status: number, headers?: Record<string, string>): SimReply {
  return { status, headers };
}

export function header(req: SimRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** True when the request's content-type is `type` (parameters such as charset ignored). */
export function hasContentType(req: SimRequest, type: string): boolean {
  const ct = header(req, "content-type");
  return ct !== undefined && ct.split(";")[0]!.trim().toLowerCase() === type;
}

export type JsonResult = { ok: true; value: unknown } | { ok: false; message: string };

export function parseJsonBody(req: SimRequest): JsonResult {
  if (req.body.length === 0) return { ok: false, message: "Required request body is missing" };
  try {
    return { ok: true, value: JSON.parse(req.body.toString("utf8")) };
  } catch (err) {
    return { ok: false, message: `JSON parse error: ${(err as Error).message}` };
  }
}

export function parseFormBody(req: SimRequest): URLSearchParams {
  return new URLSearchParams(req.body.toString("utf8"));
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
