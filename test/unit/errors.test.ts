import { describe, expect, test } from "vitest";
import { ApiError, isApiError, parseErrorBody, ProtocolError } from "../../providers/core/errors";

describe("upstream errors", () => {
  test("Digdir's error body yields field problems and the correlation id", () => {
    const p = parseErrorBody(
      JSON.stringify({
        status: 400,
        correlation_id: "abc",
        errors: [{ errorMessage: "must not be empty", isFieldError: true, objectName: "Client", fieldIdentifier: "scopes" }],
        error: "must not be empty",
      }),
    );
    expect(p).toEqual({ codes: [], correlationId: "abc", problems: [{ field: "scopes", message: "must not be empty", code: undefined }] });
  });

  test("Maskinporten's error yields the MP code", () => {
    const p = parseErrorBody(
      JSON.stringify({ error: "invalid_grant", error_description: "Invalid assertion. Client key expired (MP-121)" }),
    );
    expect(p.codes).toEqual(["MP-121"]);
    expect(p.problems[0].message).toMatch(/Client key expired/);
  });

  test("Altinn's problem details yield the AUTH and AUTH.VLD codes", () => {
    const p = parseErrorBody(
      JSON.stringify({
        code: "STD-00000",
        traceId: "t1",
        validationErrors: [{ code: "AUTH.VLD-00018", title: "not assignable", paths: ["/accessPackages/0"] }],
      }),
    );
    expect(p.codes).toEqual(["STD-00000", "AUTH.VLD-00018"]);
    expect(p.correlationId).toBe("t1");
    expect(p.problems).toEqual([{ field: "/accessPackages/0", message: "not assignable", code: "AUTH.VLD-00018" }]);
  });

  test("plain-text and empty bodies are handled, tokens in them masked", () => {
    expect(parseErrorBody("")).toEqual({ codes: [], problems: [] });
    expect(parseErrorBody("bad token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln").problems[0].message).toBe("bad token [redacted jwt]");
  });

  test("the error message says status, codes, correlation id and what to do", () => {
    const e = new ApiError({
      service: "digdir",
      method: "POST",
      path: "/api/v1/clients",
      status: 400,
      codes: ["X"],
      correlationId: "abc",
      problems: [{ field: "scopes", message: "bad" }],
      hint: "Fix it.",
    });
    expect(e.message).toBe("Digdir self-service API: POST /api/v1/clients answered 400 [X] (correlation id abc): scopes: bad. Fix it.");
  });
});

describe("protocol violations", () => {
  test("name the service, the call and what was wrong, and say what to do", () => {
    const e = new ProtocolError({
      service: "altinn",
      call: "POST /systemuser/request/vendor",
      problem: "answered 201 without a request id",
      hint: "Run it again.",
    });
    expect(e.message).toBe("Altinn: POST /systemuser/request/vendor answered 201 without a request id. Run it again.");
    expect(e.name).toBe("ProtocolError");
    expect(isApiError(e)).toBe(false);
  });
});
