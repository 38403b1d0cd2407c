import { jsonReply, type SimReply } from "../core/http";
import { newCorrelationId } from "../core/ids";
import type { SimContext } from "../context";

// Digdir's error body of the /api/v1 self-service API (digdir-api.md §2.6):
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
