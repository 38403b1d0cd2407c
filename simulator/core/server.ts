import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { faultBody, type FaultInjector, type FaultRule } from "./faults";
import type { SimReply, SimRequest } from "./http";
import type { Router } from "./router";
import type { Stats } from "./stats";

// The HTTP front: reads the request, finds the route, applies faults and counts it, runs the handler and
// writes its reply. Everything below /_sim is the control API: loopback callers only, never faulted or counted.

const MAX_BODY_BYTES = 5 * 1024 * 1024;
const CONTROL_PREFIX = "/_sim";

export interface ServerDeps {
  router: Router;
  faults: FaultInjector;
  stats: Stats;
  /** Called after every request that may have changed state (anything but GET/HEAD), e.g. to persist it. */
  onMutation?: () => void;
  /** Where to report handler crashes (never with request bodies or headers: they can hold secrets). */
  logError?: (message: string) => void;
  /** The simulator's clock: every answer's `Date` header tells it, as a real server tells its own time. */
  now?: () => Date;
}

export function createSimServer(deps: ServerDeps): Server {
  const server = createServer((req, res) => {
    if (deps.now) res.setHeader("date", deps.now().toUTCString());
    handle(deps, req, res).catch((err: unknown) => {
      deps.logError?.(`simulator: request handling failed: ${(err as Error).message}`);
      if (!res.headersSent) writeReply(res, { status: 500, json: { error: "internal_error" } });
      else res.destroy();
    });
  });
  return server;
}

export function isControlPath(path: string): boolean {
  return path === CONTROL_PREFIX || path.startsWith(`${CONTROL_PREFIX}/`);
}

function isLoopback(address: string): boolean {
  return address === "127.0.0.1" || address === "::1" || address === "::ffff:127.0.0.1";
}

async function handle(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = (req.method ?? "GET").toUpperCase();
  const url = new URL(req.url ?? "/", "http://simulator.invalid");
  const path = url.pathname;
  const control = isControlPath(path);
  const remoteAddress = req.socket.remoteAddress ?? "";

  const body = await readBody(req);
  if (body === undefined) {
    writeReply(res, { status: 413, json: { error: "request_too_large", limit: MAX_BODY_BYTES } });
    return;
  }

  const match = deps.router.match(method, path);
  const label = match.kind === "found" ? match.route.label : `${method} (unmatched)`;

  if (control && !isLoopback(remoteAddress)) {
    writeReply(res, { status: 403, json: { error: "the control API answers loopback callers only" } });
    return;
  }

  const fault: FaultRule | undefined = control ? undefined : deps.faults.take(method, path);
  const record = (status: number | "reset") => {
    if (!control) deps.stats.record(label, status);
  };

  if (fault?.delayMs) await sleep(fault.delayMs);
  if (fault?.reset) {
    record("reset");
    req.socket.destroy();
    return;
  }
  if (fault?.status !== undefined) {
    const headers: Record<string, string> = {};
    if (fault.retryAfter !== undefined) headers["retry-after"] = String(fault.retryAfter);
    record(fault.status);
    writeReply(res, { status: fault.status, headers, json: faultBody(fault, fault.status) });
    return;
  }

  let reply: SimReply;
  if (match.kind === "found") {
    const simReq: SimRequest = { method, path, query: url.searchParams, headers: req.headers, params: match.params, body, remoteAddress };
    reply = await match.route.handler(simReq);
  } else if (match.kind === "method-not-allowed") {
    reply = { status: 405, headers: { allow: match.allow.join(", ") }, json: { error: "method_not_allowed", path } };
  } else {
    reply = { status: 404, json: { error: "not_found", path } };
  }
  if (method !== "GET" && method !== "HEAD") deps.onMutation?.();

  if (fault?.commitThenFail !== undefined) {
    if (fault.commitThenFail === "reset") {
      record("reset");
      req.socket.destroy();
      return;
    }
    record(fault.commitThenFail);
    writeReply(res, { status: fault.commitThenFail, json: faultBody(fault, fault.commitThenFail) });
    return;
  }
  record(reply.status);
  writeReply(res, reply);
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) tooLarge = true;
    else chunks.push(buf);
  }
  return tooLarge ? undefined : Buffer.concat(chunks);
}

function writeReply(res: ServerResponse, reply: SimReply): void {
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  let payload: string | undefined;
  if (reply.text !== undefined) payload = reply.text;
  else if (reply.json !== undefined) {
    payload = JSON.stringify(reply.json);
    if (!hasHeader(headers, "content-type")) headers["content-type"] = "application/json; charset=utf-8";
  }
  if (payload !== undefined) headers["content-length"] = String(Buffer.byteLength(payload));
  else headers["content-length"] = "0";
  res.writeHead(reply.status, headers);
  res.end(payload);
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((k) => k.toLowerCase() === name);
}
