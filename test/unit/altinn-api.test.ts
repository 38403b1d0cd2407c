import { describe, expect, test } from "vitest";
import { apiErrorFrom } from "../../providers/core/errors";
import { altinnHint, altinnScopes, withHint } from "../../providers/altinn/api";
import { systemIdTakenHint } from "../../providers/altinn/system-model";

describe("Altinn errors people can act on", () => {
  const validation = (code: string) =>
    JSON.stringify({
      type: "urn:altinn:error:STD-00000",
      code: "STD-00000",
      status: 400,
      traceId: "00-abc-01",
      validationErrors: [{ code, title: "t", paths: ["/registersystemrequest/accesspackages"] }],
    });

  test("a validation problem's inner code is found, so AUTH.VLD-00002 can be told apart", () => {
    const e = apiErrorFrom(
      "altinn",
      { method: "POST", url: "https://platform.tt02.altinn.no/authentication/api/v1/systemregister/vendor" },
      { status: 400, headers: {}, text: validation("AUTH.VLD-00002"), attempts: 1 },
    );
    expect(e.hasCode("AUTH.VLD-00002")).toBe(true);
    const burned = withHint(e, systemIdTakenHint("991825827_smartcloud", { isDeleted: true }));
    expect(burned.message).toMatch(
      /answered 400 \[STD-00000, AUTH.VLD-00002\] \(correlation id 00-abc-01\).*991825827_smartcloud.*can never be used again/,
    );
    expect(burned.status).toBe(400);
  });

  test("isVisible with a client package (AUTH.VLD-00018) says to set isVisible: false", () => {
    expect(altinnHint(400, ["STD-00000", "AUTH.VLD-00018"], altinnScopes.systemRegister)).toMatch(/set isVisible: false/);
  });

  test("a non-assignable package on a standard request (AUTH-00064) points to the agent resource", () => {
    expect(altinnHint(400, ["AUTH-00064"], altinnScopes.requestWrite)).toMatch(/use an AgentSystemUserRequest/);
  });

  test("a 403 names the scope the call needed", () => {
    expect(altinnHint(403, [], altinnScopes.requestRead)).toMatch(/lacks altinn:authentication\/systemuser.request.read/);
    expect(altinnHint(403, [], altinnScopes.systemRegister)).toMatch(
      /not this system's vendor, or the admin client lacks altinn:authentication\/systemregister.write/,
    );
  });

  test("an unknown code leaves the hint to the per-status default", () => {
    expect(altinnHint(400, ["AUTH-99999"], altinnScopes.requestWrite)).toBeUndefined();
  });
});
