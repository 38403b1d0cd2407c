import { hasContentType, jsonReply, parseJsonBody, type SimReply, type SimRequest } from "../core/http";
import { newCorrelationId } from "../core/ids";
import type { SimContext } from "../context";

// Digdir's error body of the /api/v1 self-service API (the self-service OpenAPI):
// { status, timestamp, correlation_id, errors: [{errorMessage, isFieldError, objectName, fieldIdentifier}],
//   error, error_description }. `error` and `error_description` join the messages.

export interface DigdirError {
  errorMessage: string;
  /** The wire field the message is about; absent for errors about the request as a whole. */
  fieldIdentifier?: string;
  objectName?: string;
}

export function digdirErrorReply(ctx: SimContext, status: number, errors: DigdirError[], headers?: Record<string, string>): SimReply {
  const correlationId = newCorrelationId();
  const joined = errors.map((e) => e.errorMessage).join("; ");
  return jsonReply(
    status,
    {
      status,
      timestamp: ctx.clock.iso(),
      correlation_id: correlationId,
      errors: errors.map((e) => ({
        errorMessage: e.errorMessage,
        isFieldError: e.fieldIdentifier !== undefined,
        objectName: e.objectName ?? "Client",
        fieldIdentifier: e.fieldIdentifier ?? null,
      })),
      error: joined,
      error_description: joined,
    },
    { "x-correlation-id": correlationId, ...(headers ?? {}) },
  );
}

export type Authorized = { ok: true; orgNo: string } | { ok: false; reply: SimReply };

/**
 * The caller's organisation from a Maskinporten token holding one of `anyScope`: 401 for a missing, expired or
 * invalid token, 403 for a valid token without the route's scope (the self-service API's OpenAPI, and Digdir's
 * own API test collections, felleslosninger/eid-postman-test-collections).
 */
export async function authorizeAdmin(ctx: SimContext, req: SimRequest, anyScope: readonly string[]): Promise<Authorized> {
  const check = await ctx.maskinporten.checkBearer(req, anyScope);
  if (check.ok) return { ok: true, orgNo: check.token.orgNo };
  if (check.status === 403)
    return {
      ok: false,
      reply: digdirErrorReply(ctx, 403, [{ errorMessage: `Forbidden: the access token lacks the scope ${anyScope.join(" or ")}` }]),
    };
  return {
    ok: false,
    reply: digdirErrorReply(ctx, 401, [{ errorMessage: `Unauthorized: ${check.reason}` }], { "www-authenticate": check.wwwAuthenticate }),
  };
}

/** The JSON request body: 415 for another content type, 400 when it does not parse. */
export function jsonRequestBody(
  ctx: SimContext,
  req: SimRequest,
  objectName?: string,
): { ok: true; value: unknown } | { ok: false; reply: SimReply } {
  if (!hasContentType(req, "application/json")) {
    return { ok: false, reply: digdirErrorReply(ctx, 415, [{ errorMessage: "Content-Type must be application/json", objectName }]) };
  }
  const parsed = parseJsonBody(req);
  if (!parsed.ok) return { ok: false, reply: digdirErrorReply(ctx, 400, [{ errorMessage: parsed.message, objectName }]) };
  return parsed;
}
