import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { InputError } from "../../providers/core/errors";
import { environmentSource, layered, resolveEnvironment, resolveSettings, settingFrom } from "../../providers/core/settings";

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

describe("settings outside the provider host (settingFrom: the stack program, npm run validate)", () => {
  const dir = mkdtempSync(join(tmpdir(), "settings-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const noConfig = () => undefined;

  test("the stack config wins, then the variable, then the file its _FILE names (trimmed), each saying where it came from", () => {
    const prodFile = file("environment", "prod\n");
    const env = { DIGDIR_ENVIRONMENT: "local", DIGDIR_ENVIRONMENT_FILE: prodFile };
    expect(settingFrom("environment", () => "test", "Pulumi.dev.yaml", env)).toEqual({ value: "test", source: "Pulumi.dev.yaml" });
    expect(settingFrom("environment", noConfig, "Pulumi.dev.yaml", env)).toEqual({ value: "local", source: "DIGDIR_ENVIRONMENT" });
    expect(settingFrom("environment", noConfig, "Pulumi.dev.yaml", { ...env, DIGDIR_ENVIRONMENT: " " })).toEqual({
      value: "prod",
      source: `DIGDIR_ENVIRONMENT_FILE (${prodFile})`,
    });
    const orgNoFile = file("orgno", "991825827\n");
    expect(settingFrom("orgNo", noConfig, "Pulumi.dev.yaml", { DIGDIR_ORG_NO_FILE: orgNoFile })?.value).toBe("991825827");
    expect(settingFrom("simulatorUrl", noConfig, "x", { DIGDIR_SIMULATOR_URL_FILE: file("url", "http://127.0.0.1:9\n") })?.value).toBe(
      "http://127.0.0.1:9",
    );
    expect(settingFrom("orgNo", noConfig, "x", { DIGDIR_ORG_NO_FILE: file("blank", "\n") })).toBeUndefined();
    expect(settingFrom("orgNo", noConfig, "x", {})).toBeUndefined();
  });

  test("the provider host reads the same file, so both decide on the same environment", () => {
    const envFile = file("environment-local", "local\n");
    const saved = { ...process.env };
    try {
      delete process.env.DIGDIR_ENVIRONMENT;
      process.env.DIGDIR_ENVIRONMENT_FILE = envFile;
      process.env.DIGDIR_SIMULATOR_URL = "http://127.0.0.1:9";
      expect(resolveSettings(layered(environmentSource)).environment).toBe("local");
      expect(resolveEnvironment(settingFrom("environment", noConfig, "x")).environment).toBe("local");
    } finally {
      for (const k of ["DIGDIR_ENVIRONMENT", "DIGDIR_ENVIRONMENT_FILE", "DIGDIR_SIMULATOR_URL"]) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });

  test("a _FILE that cannot be read is refused naming the variable and the path, in both", () => {
    const missing = join(dir, "no-such-file");
    expect(() => settingFrom("environment", noConfig, "x", { DIGDIR_ENVIRONMENT_FILE: missing })).toThrow(
      new RegExp(
        `DIGDIR_ENVIRONMENT_FILE names ${missing}, which cannot be read \\(ENOENT\\): correct the path, or unset DIGDIR_ENVIRONMENT_FILE`,
      ),
    );
    const saved = process.env.DIGDIR_ORG_NO_FILE;
    try {
      process.env.DIGDIR_ORG_NO_FILE = missing;
      expect(() => environmentSource.get("digdir:orgNo")).toThrow(InputError);
    } finally {
      if (saved === undefined) delete process.env.DIGDIR_ORG_NO_FILE;
      else process.env.DIGDIR_ORG_NO_FILE = saved;
    }
  });
});
