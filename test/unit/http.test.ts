import { describe, expect, test } from "vitest";
import { parseRetryAfter, routeTemplate } from "../../providers/core/http";

describe("HTTP helpers", () => {
  test("Retry-After is read as seconds or a date", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter("soon")).toBeUndefined();
  });

  test("routes group ids", () => {
    expect(routeTemplate("/api/v1/clients/0b6f8f2e-1d7c-4b8a-9d3e-2f1a0c9b8e7d/jwks")).toBe("/api/v1/clients/{id}/jwks");
  });
});
