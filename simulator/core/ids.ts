import { randomBytes, randomUUID } from "node:crypto";

export function newUuid(): string {
  return randomUUID();
}

/** Digdir's `correlation_id` is a hex string. */
export function newCorrelationId(): string {
  return randomBytes(16).toString("hex");
}
