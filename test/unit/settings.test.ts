import { describe, expect, test } from "vitest";
import { resolveSettings } from "../../providers/core/settings";

describe("settings", () => {
  const source = (values: Record<string, string>) => ({ get: (k: string) => values[k] });

  test("an unknown environment is refused with the choices", () => {
    expect(() => resolveSettings(source({ "digdir:environment": "staging" }))).toThrow(/expected one of test, prod, local/);
  });

  test("local needs the simulator URL and maps every service under it", () => {
    expect(() => resolveSettings(source({ "digdir:environment": "local" }))).toThrow(/digdir:simulatorUrl/);
    const s = resolveSettings(source({ "digdir:environment": "local", "digdir:simulatorUrl": "http://127.0.0.1:9/" }));
    expect(s.endpoints.samarbeidBase).toBe("http://127.0.0.1:9/samarbeid/api/v1");
    expect(s.endpoints.maskinportenWellKnown).toBe("http://127.0.0.1:9/maskinporten/.well-known/oauth-authorization-server");
  });

  test("test is the default and points at the test services", () => {
    const s = resolveSettings(source({}));
    expect(s.environment).toBe("test");
    expect(s.endpoints.samarbeidBase).toBe("https://api.test.samarbeid.digdir.no/api/v1");
    expect(s.endpoints.altinnBase).toBe("https://platform.tt02.altinn.no");
  });
});

describe("HTTP settings", () => {
  test("retry caps and the time-out are read from the stack config, and bad values are refused naming the key", () => {
    const src = (o: Record<string, string>) => ({ get: (k: string) => o[k] });
    const s = resolveSettings(src({ "digdir:httpMaxRetries": "2", "digdir:httpMaxWaitSeconds": "5", "digdir:httpTimeoutSeconds": "3" }));
    expect(s.http).toMatchObject({ maxRetries: 2, maxDelayMs: 5000, timeoutMs: 3000 });
    expect(resolveSettings(src({})).http).toEqual({});
    expect(() => resolveSettings(src({ "digdir:httpMaxRetries": "many" }))).toThrow(
      /digdir:httpMaxRetries is "many"; expected a whole number from 0 to 20/,
    );
  });
});
