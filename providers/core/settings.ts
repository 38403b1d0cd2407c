import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { createHash } from "node:crypto";
import { endpointsFor, environmentNames, type EnvironmentName, type Endpoints } from "./environments";
import { InputError } from "./errors";
import { defaultHttpOptions, type HttpOptions } from "./http";

/** Where settings come from: the stack's config (`digdir:` keys) through `configure`, then the environment. */
export interface ConfigSource {
  get(key: string): string | undefined;
}

/**
 * Every provider setting, its stack config key and its environment variable. Stack config wins; the
 * variable is the fallback for pipelines. `secret` settings are never printed.
 */
export const settingKeys = {
  environment: { config: "digdir:environment", env: "DIGDIR_ENVIRONMENT", secret: false },
  simulatorUrl: { config: "digdir:simulatorUrl", env: "DIGDIR_SIMULATOR_URL", secret: false },
  simulatorBootstrap: { config: "digdir:simulatorBootstrap", env: "DIGDIR_SIMULATOR_BOOTSTRAP", secret: false },
  clientId: { config: "digdir:clientId", env: "DIGDIR_CLIENT_ID", secret: false },
  privateKey: { config: "digdir:privateKey", env: "DIGDIR_PRIVATE_KEY", secret: true },
  keyId: { config: "digdir:keyId", env: "DIGDIR_KEY_ID", secret: false },
  certificateChain: { config: "digdir:certificateChain", env: "DIGDIR_CERTIFICATE_CHAIN", secret: false },
  orgNo: { config: "digdir:orgNo", env: "DIGDIR_ORG_NO", secret: false },
  adminScopes: { config: "digdir:adminScopes", env: "DIGDIR_ADMIN_SCOPES", secret: false },
  httpMaxRetries: { config: "digdir:httpMaxRetries", env: "DIGDIR_HTTP_MAX_RETRIES", secret: false },
  httpMaxWaitSeconds: { config: "digdir:httpMaxWaitSeconds", env: "DIGDIR_HTTP_MAX_WAIT_SECONDS", secret: false },
  httpTimeoutSeconds: { config: "digdir:httpTimeoutSeconds", env: "DIGDIR_HTTP_TIMEOUT_SECONDS", secret: false },
} as const;

export type SettingName = keyof typeof settingKeys;

export interface Settings {
  environment: EnvironmentName;
  endpoints: Endpoints;
  simulatorUrl?: string;
  /** The simulator's bootstrap credentials, read from its bootstrap file (`<state dir>/bootstrap.json`). */
  simulatorBootstrap?: SimulatorBootstrap;
  clientId?: string;
  /** The admin client's private key, as given (JWK or PEM); parsed when first needed. */
  privateKey?: string;
  keyId?: string;
  certificateChain?: string;
  /** The organisation the admin client belongs to (the vendor, for Altinn). */
  orgNo?: string;
  /** Overrides the Digdir admin scopes requested (default: dcr.read, dcr.write, dcr.modify). */
  adminScopes?: string[];
  /** Retry caps and the time-out, where set (the rest keep `defaultHttpOptions`). */
  http: Partial<HttpOptions>;
}

/** The shape of the simulator's `GET /_sim/bootstrap` and `<state dir>/bootstrap.json` (simulator/README.md). */
export interface SimulatorBootstrap {
  url: string;
  orgNo: string;
  clientId: string;
  kid: string;
  privateJwk: object;
}

/**
 * Reads the simulator's bootstrap file. A relative path is taken from the project root (the folder with
 * Pulumi.yaml), since the engine runs the program and the providers in the folder of `main`.
 */
export function readSimulatorBootstrap(file: string, cwd = process.cwd()): SimulatorBootstrap {
  let base = cwd;
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "Pulumi.yaml"))) {
      base = dir;
      break;
    }
    if (dirname(dir) === dir) break;
  }
  const path = isAbsolute(file) ? file : resolve(base, file);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new InputError(
      `digdir:simulatorBootstrap names ${path}, which cannot be read: start the simulator with \`npm run sim -- --port 8089 --state .sim-state\` (it writes bootstrap.json there), or set digdir:simulatorUrl instead.`,
    );
  }
  const b = JSON.parse(text) as SimulatorBootstrap;
  if (!b.url || !b.clientId || !b.kid || !b.privateJwk)
    throw new InputError(`${path} is not the simulator's bootstrap file: it lacks url, clientId, kid or privateJwk.`);
  return b;
}

export const environmentSource: ConfigSource = {
  get(key) {
    const entry = Object.values(settingKeys).find((k) => k.config === key);
    if (!entry) return undefined;
    return fromEnvironment(entry.env, process.env)?.value;
  },
};

/**
 * A setting's environment variable, else the file its `<VARIABLE>_FILE` names: pipelines often mount keys as files
 * (DIGDIR_PRIVATE_KEY_FILE, DIGDIR_CERTIFICATE_CHAIN_FILE). A blank variable counts as unset.
 */
function fromEnvironment(variable: string, env: NodeJS.ProcessEnv): Sourced | undefined {
  const direct = env[variable];
  if (direct?.trim()) return { value: direct, source: variable };
  const file = env[`${variable}_FILE`];
  return file ? { value: readSettingFile(`${variable}_FILE`, file), source: `${variable}_FILE (${file})` } : undefined;
}

/** A setting's `<VARIABLE>_FILE`: the file's text; one that cannot be read is refused naming the variable. */
function readSettingFile(variable: string, file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? "unreadable";
    throw new InputError(`${variable} names ${file}, which cannot be read (${why}): correct the path, or unset ${variable}.`);
  }
}

/** Stack config first, then the environment. */
export function layered(...sources: ConfigSource[]): ConfigSource {
  return {
    get(key) {
      for (const s of sources) {
        const v = s.get(key);
        if (v !== undefined && v !== "") return v;
      }
      return undefined;
    },
  };
}

/** A setting's value and where it was found, for messages: `Pulumi.dev.yaml (digdir:orgNo)`, `DIGDIR_ORG_NO`. */
export interface Sourced {
  value: string;
  source: string;
}

/**
 * A setting as everything outside the provider host finds it (the stack program, `npm run validate`): the stack's
 * config, else its environment variable, else the file its `<VARIABLE>_FILE` names, as the provider host reads them
 * (`environmentSource`), so that both decide on the same environment. Blank counts as unset, as in resolveSettings.
 */
export function settingFrom(
  name: SettingName,
  config: (key: string) => string | undefined,
  configLabel: string,
  env: NodeJS.ProcessEnv = process.env,
): Sourced | undefined {
  const { config: key, env: variable } = settingKeys[name];
  const fromConfig = config(key)?.trim();
  if (fromConfig) return { value: fromConfig, source: configLabel };
  const found = fromEnvironment(variable, env);
  const value = found?.value.trim();
  return value ? { value, source: found!.source } : undefined;
}

/**
 * The environment named, else `test`. A name that is no environment is refused with where it came from and the
 * choices, as an InputError or as the caller's own error type (`fail`).
 */
export function resolveEnvironment(
  chosen: Sourced | undefined,
  defaultSource = "the default",
  fail: (message: string) => Error = (m) => new InputError(m),
): { environment: EnvironmentName; source: string } {
  if (!chosen) return { environment: "test", source: defaultSource };
  if (!environmentNames.includes(chosen.value as EnvironmentName)) {
    throw fail(
      `digdir:environment is "${chosen.value}" (from ${chosen.source}); expected one of ${environmentNames.join(", ")}: \`pulumi config set digdir:environment test\``,
    );
  }
  return { environment: chosen.value as EnvironmentName, source: chosen.source };
}

export function resolveSettings(source: ConfigSource): Settings {
  const get = (name: SettingName) => source.get(settingKeys[name].config)?.trim() || undefined;
  const chosen = get("environment");
  const { environment: env } = resolveEnvironment(
    chosen === undefined ? undefined : { value: chosen, source: "the stack config or DIGDIR_ENVIRONMENT" },
  );
  const bootstrapFile = get("simulatorBootstrap");
  const simulatorBootstrap = env === "local" && bootstrapFile ? readSimulatorBootstrap(bootstrapFile) : undefined;
  const simulatorUrl = get("simulatorUrl") ?? simulatorBootstrap?.url;
  const orgNo = get("orgNo");
  if (orgNo && !/^\d{9}$/.test(orgNo)) throw new InputError(`digdir:orgNo is "${orgNo}"; expected the 9-digit organisation number.`);
  return {
    environment: env,
    endpoints: endpointsFor(env, simulatorUrl),
    simulatorUrl,
    simulatorBootstrap,
    clientId: get("clientId"),
    privateKey: source.get(settingKeys.privateKey.config) || undefined,
    keyId: get("keyId"),
    certificateChain: get("certificateChain"),
    orgNo,
    adminScopes: get("adminScopes")
      ?.split(/[\s,]+/)
      .filter(Boolean),
    http: httpOptions(get),
  };
}

/** digdir:httpMaxRetries (0–20), digdir:httpMaxWaitSeconds (0–3600), digdir:httpTimeoutSeconds (1–600). */
function httpOptions(get: (name: SettingName) => string | undefined): Partial<HttpOptions> {
  const number = (name: SettingName, min: number, max: number): number | undefined => {
    const v = get(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min || n > max) {
      throw new InputError(`${settingKeys[name].config} is "${v}"; expected a whole number from ${min} to ${max}.`);
    }
    return n;
  };
  const out: Partial<HttpOptions> = {};
  const retries = number("httpMaxRetries", 0, 20);
  const wait = number("httpMaxWaitSeconds", 0, 3600);
  const timeout = number("httpTimeoutSeconds", 1, 600);
  if (retries !== undefined) out.maxRetries = retries;
  if (wait !== undefined) {
    out.maxDelayMs = wait * 1000;
    out.maxTotalDelayMs = Math.max(defaultHttpOptions.maxTotalDelayMs, wait * 3000);
  }
  if (timeout !== undefined) out.timeoutMs = timeout * 1000;
  return out;
}

/** Identifies a configuration without keeping key material readable. */
export function settingsFingerprint(s: Settings): string {
  return createHash("sha256").update(JSON.stringify(s)).digest("hex");
}
