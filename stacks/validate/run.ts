import type { z } from "zod";
import { isPlainObject as isRecord } from "../../providers/core/check";
import type { RequestKind } from "../../providers/altinn/request-model";
import type { Failure } from "../../providers/core/check";
import type { EnvironmentName } from "../../providers/core/environments";
import type { ClientInputs } from "../../providers/digdir/client-model";
import { readTextFile } from "../files";
import { allowedKeys, namePattern } from "../schema";
import { type Path } from "../../providers/core/path";
import { type Problem, type StackSource } from "../source";
import { didYouMean } from "../../providers/core/suggest";
import type { Origins } from "./origins";
import { emptyPlan, type StackPlan } from "./plan";
import { defaultMessage, unknownKey, valueAt } from "./words";

/**
 * One validation of one stack file: the problems found so far, the plan being built, and what one section tells
 * the next (the clients the systems name, the systems the requests name, the scopes the clients list). Each
 * section's rules are a module of this folder, a function of the run.
 */

export interface ValidateOptions {
  environment: EnvironmentName;
  /** `digdir:orgNo` from the stack's config, and where it was read (for the message when it disagrees). */
  configuredOrgNo?: { value: string; source: string };
  /** Epoch seconds, for key expiry rules. */
  now?: number;
  /** Reads a key file (absolute path); tests substitute it. */
  readFile?: (file: string) => string;
}

/** A key file of 64 KB holds a long certificate chain. */
export const maxKeyFileBytes = 64 * 1024;

/** A scope declared under `apiScopes`, for the clients that list it. */
export interface DeclaredScope {
  entry: string;
  /** As the ApiScope check completes them (default maskinporten); undefined when the entry has problems. */
  allowedIntegrationTypes?: string[];
  accessibleForAll: boolean;
  consumers: Set<string>;
}

export interface SystemInfo {
  name: string;
  path: Path;
  /** The system id when it is valid, for requests. */
  systemId?: string;
  offer?: { rights?: unknown[]; accessPackages?: unknown[]; allowedRedirectUrls?: unknown[] };
}

export class ValidationRun {
  readonly problems: Problem[] = [];
  readonly plan: StackPlan;
  readonly now: number;
  readonly readFile: (file: string) => string;
  /** Request keys (system, customer, externalRef) declared so far, with their kind: agent and standard share keys. */
  readonly requestKeys = new Map<string, { at: Path | string; kind: RequestKind }>();
  /** Every declared client's `type` by name, valid or not: references to a broken client are not reported again. */
  readonly clientTypes = new Map<string, unknown>();
  readonly systems = new Map<string, SystemInfo>();
  /** Clients' inputs as the provider's check completes them (integration type, default scopes), when valid. */
  readonly checkedClients = new Map<string, ClientInputs>();
  /** `prefix:subscope` → the scope declared under `apiScopes`. */
  readonly declaredScopes = new Map<string, DeclaredScope>();

  constructor(
    readonly src: StackSource,
    /** The stack file's folder: key files and CSV files are relative to it. */
    readonly dir: string,
    readonly opts: ValidateOptions,
  ) {
    this.plan = emptyPlan(opts.environment);
    this.now = opts.now ?? Math.floor(Date.now() / 1000);
    this.readFile = opts.readFile ?? ((f) => readTextFile(f, maxKeyFileBytes));
  }

  /** Objects are protected from deletion in production unless the file says otherwise. */
  protectByDefault(declared: boolean | undefined): boolean {
    return declared ?? this.opts.environment === "prod";
  }

  at(p: Path, message: string, where: "value" | "key" = "value"): void {
    this.problems.push(this.src.problem(p, message, where));
  }

  /** A problem in another file (a CSV file of customers), at its own line and column. */
  atFile(file: string, line: number, col: number, message: string): void {
    this.problems.push({ file, line, col, path: "", message });
  }

  /** The line a value starts on, for messages that point back at an earlier declaration. */
  lineOf(p: Path): number {
    return this.src.locate(p).line;
  }

  /**
   * Parses one object, reporting every issue. When only some keys are wrong, the object is parsed again without
   * them, so that the rest of it is still checked (all problems at once, none twice).
   */
  parse<T>(schema: z.ZodType<T>, value: unknown, at: Path): T | undefined {
    const r = schema.safeParse(value, { error: defaultMessage });
    if (r.success) return r.data;
    this.zodIssues(at, r.error, schema, value);
    if (!isRecord(value)) return undefined;
    const rest = { ...value };
    for (const issue of r.error.issues) {
      if (issue.code === "unrecognized_keys" && issue.path.length === 0) for (const k of issue.keys) delete rest[k];
      else if (issue.path.length > 0) delete rest[String(issue.path[0])];
    }
    const again = schema.safeParse(rest);
    return again.success ? again.data : undefined;
  }

  /** A provider check's failures, each at the place in the file its property came from. */
  failures(failures: Failure[], origins: Origins): void {
    for (const f of failures) this.at(origins.resolve(f.property), f.reason);
  }

  /** Whether an object's name may be a resource name; reported at the key when not. */
  checkName(sectionName: string, name: string): boolean {
    if (namePattern.test(name)) return true;
    this.at([sectionName, name], invalidNameMessage(name), "key");
    return false;
  }

  private zodIssues(base: Path, error: z.ZodError, schema: z.ZodType, data: unknown): void {
    for (const issue of error.issues) {
      const rel = issue.path.map((s) => (typeof s === "symbol" ? String(s) : s));
      const p = [...base, ...rel];
      if (issue.code === "unrecognized_keys") {
        const allowed = allowedKeys(schema, rel);
        for (const key of issue.keys) this.at([...p, key], unknownKey(key, allowed), "key");
        continue;
      }
      let message = issue.message;
      const value = valueAt(data, rel);
      if (issue.code === "invalid_value" && typeof value === "string") {
        message += didYouMean(value, issue.values.map(String));
      }
      if (value === undefined && issue.code === "invalid_type") message = `required: ${message.replace(/^must be /, "")}`;
      this.at(p, message);
    }
  }
}

function invalidNameMessage(name: string): string {
  return `\`${name}\` is not a valid name: use letters, digits, '.', '_' and '-' (at most 100, starting with a letter or digit); names become resource names`;
}
