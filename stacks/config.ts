import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { EnvironmentName } from "../providers/core/environments";
import { InputError } from "../providers/core/errors";
import { resolveEnvironment, settingFrom, type Sourced } from "../providers/core/settings";

/**
 * Where a stack file's environment comes from when it is validated outside Pulumi: the stack's config file
 * `Pulumi.<stack>.yaml` beside `Pulumi.yaml` (`digdir:environment`, `digdir:orgNo`), else the variables the
 * providers also read (DIGDIR_ENVIRONMENT, DIGDIR_ORG_NO), else `test`, the providers' default.
 */

export interface StackConfig {
  /** The stack's name: the stack file's name without `.yaml`. */
  stack: string;
  environment: EnvironmentName;
  /** Where the environment was read, for messages. */
  environmentSource: string;
  /** `digdir:orgNo`, when configured: the vendor the providers act as. */
  orgNo?: string;
  /** The same with where it was read, as validateStackFile takes it. */
  configuredOrgNo?: Sourced;
  simulatorUrl?: string;
}

/** The folder holding Pulumi.yaml at or above `from`, or undefined. */
export function findProjectRoot(from: string): string | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

export function stackNameOf(stackFile: string): string {
  return path.basename(stackFile).replace(/\.ya?ml$/, "");
}

/** `digdir:*` plain values of `Pulumi.<stack>.yaml` (secure values are left out: never needed here). */
export function readStackConfigFile(projectRoot: string, stack: string): Record<string, string> | undefined {
  const file = path.join(projectRoot, `Pulumi.${stack}.yaml`);
  if (!existsSync(file)) return undefined;
  const doc = parse(readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc?.config ?? {})) {
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = String(v);
  }
  return out;
}

export class ConfigError extends Error {}

/**
 * The configuration a stack file is validated against. `override` (a CLI flag) wins over the stack's config
 * file, which wins over the environment variables.
 */
export function stackConfigFor(
  stackFile: string,
  override: { environment?: string } = {},
  env: NodeJS.ProcessEnv = process.env,
): StackConfig {
  const stack = stackNameOf(stackFile);
  const root = findProjectRoot(path.dirname(stackFile));
  const file = root ? readStackConfigFile(root, stack) : undefined;
  const configName = `Pulumi.${stack}.yaml`;
  const fromFile = (key: string) => file?.[key];
  // An unreadable `DIGDIR_*_FILE` is the user's configuration to fix: said as the other configuration errors are.
  const setting = (name: Parameters<typeof settingFrom>[0], label: string) => {
    try {
      return settingFrom(name, fromFile, label, env);
    } catch (e) {
      if (e instanceof InputError) throw new ConfigError(e.message);
      throw e;
    }
  };
  const chosen = override.environment
    ? { value: override.environment, source: "--environment" }
    : setting("environment", `${configName} (digdir:environment)`);
  const defaultSource = file ? `the default (${configName} sets no digdir:environment)` : `the default (no ${configName})`;
  const { environment, source: environmentSource } = resolveEnvironment(chosen, defaultSource, (m) => new ConfigError(m));
  const orgNo = setting("orgNo", configName);
  return {
    stack,
    environment,
    environmentSource,
    ...(orgNo && { orgNo: orgNo.value, configuredOrgNo: orgNo }),
    simulatorUrl: setting("simulatorUrl", configName)?.value,
  };
}
