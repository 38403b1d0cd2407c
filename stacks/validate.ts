import { createPublicKey } from "node:crypto";
import * as path from "node:path";
import type { z } from "zod";
import { accessPackageFrom, rightFrom } from "../providers/altinn/model";
import { checkRequestInputs, type RequestKind } from "../providers/altinn/request-model";
import { checkSystemInputs, systemFields } from "../providers/altinn/system-model";
import { isPlainObject as isRecord, unknownValue, type Failure } from "../providers/core/check";
import type { EnvironmentName } from "../providers/core/environments";
import { orgNoProblem } from "../providers/core/orgno";
import { checkApiScopeInputs, scopeNameOf, scopeWireNames } from "../providers/digdir/api-scope-model";
import { checkClientKeysInputs } from "../providers/digdir/client-keys-model";
import { checkClientInputs, fieldsOf, type ClientInputs, type ClientKind } from "../providers/digdir/client-model";
import { checkScopeAccessInputs } from "../providers/digdir/scope-access-model";
import { FileReadError, readTextFile } from "./files";
import {
  allowedKeys,
  apiScopeSchema,
  apiScopeStackKeys,
  clientSchema,
  clientTypes as clientTypesList,
  customerSchema,
  clientStackKeys,
  consumerSchema,
  keyEntrySchema,
  keyFileSchema,
  keyPolicyFields,
  keyPolicySchema,
  namePattern,
  organisationSchema,
  promotionSchema,
  requestGroupSchema,
  sections,
  systemSchema,
  systemStackKeys,
  type ClientType,
  type CustomerDecl,
  type RequestGroupDecl,
} from "./schema";
import { readCustomersFile, type CsvColumn, type CsvCustomer } from "./csv";
import { parsePath, pathString, type Path } from "../providers/core/path";
import { didYouMean, nearest } from "../providers/core/suggest";
import { sortProblems, StackSource, type Problem } from "./source";

/**
 * A stack file in, every problem (positioned) and the resolved plan out. The plan is what the program
 * registers: one entry per resource, with its plain inputs and its references by name. Every offline rule of
 * the providers comes from their own check functions; the rules here are the ones only the whole file can
 * judge: names, references, repeated keys, the organisation, and the production guardrails.
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

export interface PlannedClient {
  name: string;
  kind: ClientKind;
  /** The resource's inputs as declared (defaults are the provider's to fill in). */
  args: Record<string, unknown>;
  /** The client's key set, when it declares keys: one ClientKeys resource. */
  keySet?: PlannedKeySet;
  /**
   * The entries under `apiScopes` whose scope the client lists: the client is registered after each of them and
   * after the organisation's own grant (an organisation needs access to its own scope to use it).
   */
  usesScopes: string[];
  protect: boolean;
}

export interface PlannedKeySet {
  /** Public JWKs the file brings (inline and from committed files). */
  keys: Record<string, unknown>[];
  /**
   * The generated key's settings as written (`generate`, `rotateAfterDays`, ...): ClientKeys' policy inputs, their
   * defaults the provider's. Empty when the file brings its own keys only.
   */
  policy: Record<string, unknown>;
}

export interface PlannedApiScope {
  /** The entry's name under `apiScopes`: the ApiScope's resource name. */
  name: string;
  /** `prefix:subscope`, what clients list in their scopes. */
  scope: string;
  /** ApiScope inputs as declared. */
  args: Record<string, unknown>;
  /** One ScopeAccess each. */
  consumers: PlannedConsumer[];
  protect: boolean;
}

export interface PlannedConsumer {
  orgNo: string;
  /** For readers and the outputs; not sent. */
  name?: string;
  /** The ScopeAccess resource name: `<scope entry>/<orgNo>`. */
  resourceName: string;
  /** Default: its scope's, so that removing a protected scope does not revoke every grant before it is refused. */
  protect: boolean;
}

export interface PlannedSystem {
  name: string;
  /** System inputs, `clientIds` holding only ids given literally; `clients` are resolved by the program. */
  args: Record<string, unknown>;
  clients: string[];
  protect: boolean;
}

export interface PlannedRequest {
  /** The resource name: `<system>/<customer orgno>`, plus `/<externalRef>` when one is given. */
  name: string;
  kind: RequestKind;
  /** The name of the system under `systems:`. */
  system: string;
  /** The group under `requests:` or `agentRequests:` that declares it. */
  group: string;
  customer: { orgNo: string; name?: string };
  /** Request inputs without `systemId` and `systemOffer`, which come from the system. */
  args: Record<string, unknown>;
  /** The fields of `args` the customer sets itself (the rest are the group's): a group resource records only these. */
  own: string[];
}

/** A request group as declared: one `SystemUserRequestGroup` (or agent group) per non-empty shard (stacks/groups.ts). */
export interface PlannedRequestGroup {
  /** `requests` or `agentRequests`. */
  section: "requests" | "agentRequests";
  name: string;
  kind: RequestKind;
  system: string;
  /** The group's own fields as request inputs (`integrationTitle`, `rights`, `accessPackages`, `redirectUrl`). */
  args: Record<string, unknown>;
  shards?: number;
  concurrency?: number;
}

export interface StackPlan {
  environment: EnvironmentName;
  organisation: { orgNo: string; name?: string };
  clients: PlannedClient[];
  apiScopes: PlannedApiScope[];
  systems: PlannedSystem[];
  requests: PlannedRequest[];
  requestGroups: PlannedRequestGroup[];
  promotionIgnore: string[];
}

export interface ValidationResult {
  problems: Problem[];
  plan: StackPlan;
}

/** A stack file of 1 MB holds thousands of objects; a key file of 64 KB, a long certificate chain. */
export const maxStackFileBytes = 1024 * 1024;
export const maxKeyFileBytes = 64 * 1024;

const clientKinds: Record<ClientType, ClientKind> = { maskinporten: "MaskinportenClient", krr: "KrrClient", idporten: "IdportenClient" };

/** Reads and validates a stack file; `displayName` is how problems name it (default: relative to the working directory). */
export function validateStackFile(file: string, opts: ValidateOptions & { displayName?: string }): ValidationResult {
  const shown = opts.displayName ?? (path.relative(process.cwd(), file) || file);
  let text: string;
  try {
    text = readTextFile(file, maxStackFileBytes);
  } catch (e) {
    const at = e instanceof FileReadError ? e.at : undefined;
    const why =
      e instanceof FileReadError ? e.message : (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message;
    return {
      problems: [{ file: shown, line: at?.line ?? 1, col: at?.col ?? 1, path: "", message: `cannot read the stack file: ${why}` }],
      plan: emptyPlan(opts.environment),
    };
  }
  return validateStack(new StackSource(shown, text), path.dirname(path.resolve(file)), opts);
}

export function validateStack(src: StackSource, dir: string, opts: ValidateOptions): ValidationResult {
  return new Validator(src, dir, opts).run();
}

function emptyPlan(environment: EnvironmentName): StackPlan {
  return {
    environment,
    organisation: { orgNo: "" },
    clients: [],
    apiScopes: [],
    systems: [],
    requests: [],
    requestGroups: [],
    promotionIgnore: [],
  };
}

/** Maps a resource's failure properties back to where the value came from in the stack file. */
class Origins {
  // Parsed when a failure is resolved: most objects have none, and a vendor's file has thousands of customers.
  private readonly entries: { prop: string; path: Path; deep: boolean }[] = [];
  constructor(private readonly base: Path) {}

  /** Failures on `prop` (and below it, when `deep`) are reported at `path`. */
  map(prop: string, at: Path, deep = true): this {
    this.entries.push({ prop, path: at, deep });
    return this;
  }

  resolve(property: string): Path {
    const segs = parsePath(property);
    let best: { prop: (string | number)[]; path: Path; deep: boolean } = { prop: [], path: this.base, deep: true };
    for (const e of this.entries) {
      const prop = parsePath(e.prop);
      if (prop.length >= best.prop.length && prop.every((s, i) => segs[i] === s)) best = { prop, path: e.path, deep: e.deep };
    }
    return best.deep ? [...best.path, ...segs.slice(best.prop.length)] : best.path;
  }
}

interface GroupContext {
  kind: RequestKind;
  group: string;
  groupAt: Path;
  decl: RequestGroupDecl;
  systemName: string;
  system: SystemInfo | undefined;
  systemAt: Path;
}

/** A scope declared under `apiScopes`, for the clients that list it. */
interface DeclaredScope {
  entry: string;
  /** As the ApiScope check completes them (default maskinporten); undefined when the entry has problems. */
  allowedIntegrationTypes?: string[];
  accessibleForAll: boolean;
  consumers: Set<string>;
}

interface SystemInfo {
  name: string;
  path: Path;
  /** The system id when it is valid, for requests. */
  systemId?: string;
  offer?: { rights?: unknown[]; accessPackages?: unknown[]; allowedRedirectUrls?: unknown[] };
}

class Validator {
  private readonly problems: Problem[] = [];
  private readonly plan: StackPlan;
  /** Request keys (system, customer, externalRef) declared so far, with their kind: agent and standard share keys. */
  private readonly requestKeys = new Map<string, { at: Path | string; kind: RequestKind }>();
  private readonly now: number;
  private readonly readFile: (file: string) => string;
  /** Every declared client by name, valid or not: references to a broken client are not reported again. */
  private readonly clientTypes = new Map<string, unknown>();
  private readonly systems = new Map<string, SystemInfo>();
  /** Clients' inputs as the provider's check completes them (integration type, default scopes), when valid. */
  private readonly checkedClients = new Map<string, ClientInputs>();
  /** `prefix:subscope` → the scope declared under `apiScopes`. */
  private readonly declaredScopes = new Map<string, DeclaredScope>();

  constructor(
    private readonly src: StackSource,
    private readonly dir: string,
    private readonly opts: ValidateOptions,
  ) {
    this.plan = emptyPlan(opts.environment);
    this.now = opts.now ?? Math.floor(Date.now() / 1000);
    this.readFile = opts.readFile ?? ((f) => readTextFile(f, maxKeyFileBytes));
  }

  run(): ValidationResult {
    if (this.src.syntaxProblems.length) return { problems: sortProblems(this.src.syntaxProblems), plan: this.plan };
    const data = this.src.data();
    if (data === null || data === undefined) {
      this.at([], "the stack file is empty: it needs at least `organisation:` with the organisation's orgNo");
    } else if (!isRecord(data)) {
      this.at([], `must be a map of sections (${sections.join(", ")}), not ${describe(data)}`);
    } else {
      this.repeatedKeys();
      for (const key of Object.keys(data)) {
        if (!(sections as readonly string[]).includes(key)) this.at([key], unknownKey(key, sections, "section"), "key");
      }
      const orgNo = this.organisation(data.organisation);
      this.clients(section(this, data, "clients"));
      this.apiScopes(section(this, data, "apiScopes"));
      this.scopeReferences(orgNo);
      this.systemsSection(section(this, data, "systems"), orgNo);
      this.requestGroups("requests", section(this, data, "requests"));
      this.requestGroups("agentRequests", section(this, data, "agentRequests"));
      this.promotion(data.promotion);
      this.guardAll();
    }
    return { problems: sortProblems(this.problems), plan: this.plan };
  }

  // ---------- reporting

  at(p: Path, message: string, where: "value" | "key" = "value"): void {
    this.problems.push(this.src.problem(p, message, where));
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

  /**
   * Parses one object, reporting every issue. When only some keys are wrong, the object is parsed again without
   * them, so that the rest of it is still checked (all problems at once, none twice).
   */
  private parse<T>(schema: z.ZodType<T>, value: unknown, at: Path): T | undefined {
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

  private failures(failures: Failure[], origins: Origins): void {
    for (const f of failures) this.at(origins.resolve(f.property), f.reason);
  }

  // ---------- the whole file

  private repeatedKeys(): void {
    for (const r of this.src.repeated) {
      const parent = r.path.slice(0, -1);
      const named = parent.length === 1 && ["clients", "apiScopes", "systems", "requests", "agentRequests"].includes(String(parent[0]));
      const what = named ? `the name \`${r.key}\` is declared twice under ${parent[0]}` : `the key \`${r.key}\` appears twice`;
      this.problems.push({
        file: this.src.file,
        ...r.position,
        path: pathString(r.path),
        message: `${what} (first at line ${r.first.line}): ${named ? "names must be unique; rename or remove one" : "remove one (only the first is read)"}`,
      });
    }
  }

  private checkName(sectionName: string, name: string): boolean {
    if (namePattern.test(name)) return true;
    this.at(
      [sectionName, name],
      `\`${name}\` is not a valid name: use letters, digits, '.', '_' and '-' (at most 100, starting with a letter or digit); names become resource names`,
      "key",
    );
    return false;
  }

  private organisation(raw: unknown): string | undefined {
    if (raw === undefined) {
      this.at([], 'required: `organisation:` with the organisation\'s number, e.g. organisation: {orgNo: "991825827"}');
      return undefined;
    }
    const org = this.parse(organisationSchema, raw, ["organisation"]);
    if (!org) return undefined;
    const problem = orgNoProblem(org.orgNo);
    if (problem) {
      this.at(["organisation", "orgNo"], problem);
      return undefined;
    }
    const configured = this.opts.configuredOrgNo;
    if (configured && configured.value !== org.orgNo) {
      this.at(
        ["organisation", "orgNo"],
        `is ${org.orgNo}, but ${configured.source} sets digdir:orgNo ${configured.value}: the providers act for digdir:orgNo, so the two must agree; correct one of them`,
      );
    }
    this.plan.organisation = { orgNo: org.orgNo, ...(org.name !== undefined && { name: org.name }) };
    return org.orgNo;
  }

  // ---------- clients and their keys

  private clients(entries: Record<string, unknown>): void {
    const kids = new Map<string, string>();
    const adopted = new Map<string, string>();
    for (const [name, raw] of Object.entries(entries)) {
      this.clientTypes.set(name, isRecord(raw) ? raw.type : undefined);
      const base: Path = ["clients", name];
      if (!this.checkName("clients", name)) continue;
      const decl = this.parse(clientSchema, raw, base);
      if (!decl) continue;
      const kind = clientKinds[decl.type];
      // clientId: an existing client to take over (adoption), not a field sent to Digdir; rotationTrigger: a new value
      // gets a secret-based client a new secret (client-model.ts), not a field of Digdir's either.
      const fields: string[] = [...fieldsOf("IdportenClient"), "clientId", "rotationTrigger"];
      const allowed = [...clientStackKeys, ...fields];
      const args: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(decl)) {
        if ((clientStackKeys as readonly string[]).includes(k)) continue;
        if (!fields.includes(k)) this.at([...base, k], unknownKey(k, allowed), "key");
        else args[k] = v;
      }
      // The display name defaults to the object's name, so the smallest client is `type` and `scopes`.
      if (args.name === undefined) args.name = name;
      const checked = checkClientInputs(kind, args, this.opts.environment);
      this.failures(checked.failures, new Origins(base));
      if (!checked.failures.length) this.checkedClients.set(name, checked.inputs);
      if (typeof args.clientId === "string") {
        const first = adopted.get(args.clientId);
        if (first) this.at([...base, "clientId"], `client ${args.clientId} is taken over by \`${first}\` already: one client, one entry`);
        else adopted.set(args.clientId, name);
      }

      const keySet = decl.keys === undefined || decl.keys === null ? undefined : this.clientKeys(name, decl.keys, kids);
      this.plan.clients.push({
        name,
        kind,
        args,
        ...(keySet && { keySet }),
        usesScopes: [],
        protect: decl.protect ?? this.opts.environment === "prod",
      });
    }
  }

  /**
   * A client's `keys` → one key set, checked as one ClientKeys by client-keys-model.ts. `keys` is a list of entries
   * (inline public JWKs, committed files, and at most one entry of generated-key settings), or a map: short for a
   * list holding only the generated key's settings. A file's keys are reported at its entry.
   */
  private clientKeys(client: string, raw: unknown, kids: Map<string, string>): PlannedKeySet | undefined {
    const base: Path = ["clients", client, "keys"];
    const isSettings = (v: unknown) => isRecord(v) && Object.keys(v).some((k) => keyPolicyFields.includes(k));
    let entries: { raw: unknown; at: Path }[];
    if (Array.isArray(raw)) entries = raw.map((r, i) => ({ raw: r, at: [...base, i] }));
    else if (isSettings(raw)) entries = [{ raw, at: base }];
    else {
      this.at(
        base,
        isRecord(raw)
          ? "must be a list of keys, e.g. [{file: keys/smartcloud.jwk.json}]: a map here stands only for the generated key's settings, {generate: true, rotateAfterDays, ...}"
          : `must be a list of keys (public JWKs, {file: <path>}), or the generated key's settings {generate: true, rotateAfterDays, ...}, not ${describe(raw)}`,
      );
      return undefined;
    }
    if (!entries.length) return undefined;

    const jwks: { jwk: Record<string, unknown>; at: Path; file?: string }[] = [];
    let policy: { values: Record<string, unknown>; at: Path } | undefined;
    let refused = false;
    for (const { raw: rawEntry, at } of entries) {
      const entry = this.parse(keyEntrySchema, rawEntry, at);
      refused ||= !entry;
      if (!entry) continue;
      if (isSettings(entry)) {
        const material = Object.keys(entry).filter((k) => ["file", "kty", "kid", "n", "e"].includes(k));
        if (material.length) {
          refused = true;
          this.at(
            at,
            `holds both a key (${material.join(", ")}) and the generated key's settings: write the key and the settings ({generate: true, ...}) as two entries`,
          );
        } else if (policy) {
          this.at(
            at,
            `the generated key's settings appear twice (first at line ${this.src.locate(policy.at).line}): a client has one generated key; write its settings once`,
          );
        } else {
          const values = this.parse(keyPolicySchema, entry, at);
          if (values) policy = { values: Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)), at };
        }
        continue;
      }
      if (!("file" in entry)) {
        jwks.push({ jwk: entry, at });
        continue;
      }
      const decl = this.parse(keyFileSchema, entry, at);
      if (!decl) continue;
      const loaded = this.keyFile(client, decl.file, decl.kid, at);
      for (const jwk of loaded) jwks.push({ jwk, at, file: decl.file });
    }
    // Every entry refused already: the set's own rules (at least one key) would only repeat it.
    if (refused && !jwks.length && !policy) return undefined;
    const { failures } = checkClientKeysInputs({ clientId: client, keys: jwks.map((j) => j.jwk), ...policy?.values }, this.now);
    for (const f of failures) {
      const segs = parsePath(f.property);
      if (segs[0] === "keys" && typeof segs[1] === "number" && jwks[segs[1]]) {
        const j = jwks[segs[1]]!;
        const rest = segs.slice(2);
        if (j.file) this.at(j.at, `${j.file}${rest.length ? ` ${pathString(rest)}` : ""}: ${f.reason}`);
        else this.at([...j.at, ...rest], f.reason);
      } else if (policy && typeof segs[0] === "string" && keyPolicyFields.includes(segs[0])) {
        this.at([...policy.at, ...segs], f.reason);
      } else {
        this.at(base, f.reason);
      }
    }
    jwks.forEach((j) => {
      const kid = j.jwk.kid;
      if (typeof kid !== "string") return;
      const other = kids.get(kid);
      if (other && other !== client) {
        this.at(
          j.file ? j.at : [...j.at, "kid"],
          `the key id "${kid}" is also registered on client \`${other}\`: Digdir requires every kid to be unique (and a key belongs to one client); give each key its own kid`,
        );
      }
      kids.set(kid, client);
    });
    if (policy) this.keyVerification(client, policy.values, policy.at);
    return { keys: jwks.map((j) => j.jwk), policy: policy?.values ?? {} };
  }

  /**
   * What only the whole client can tell about `verifyToken`: the provider proves a new key by getting a Maskinporten
   * token with it, for `verifyScope` or the client's first scope, so the client must be a Maskinporten or KRR client
   * and the scope one of its own.
   */
  private keyVerification(client: string, policy: Record<string, unknown>, at: Path): void {
    const inputs = this.checkedClients.get(client);
    if (!inputs) return;
    const machine = inputs.integrationType === "maskinporten" || inputs.integrationType === "krr";
    if (policy.verifyToken === true && !machine) {
      this.at(
        [...at, "verifyToken"],
        `proves a new key with a Maskinporten token, which an ${inputs.integrationType} client cannot get: remove verifyToken (only maskinporten and krr clients can verify their keys)`,
      );
    }
    if (typeof policy.verifyScope === "string" && machine && Array.isArray(inputs.scopes) && !inputs.scopes.includes(policy.verifyScope)) {
      this.at(
        [...at, "verifyScope"],
        `"${policy.verifyScope}" is not one of the client's scopes (${inputs.scopes.join(", ")}): Maskinporten gives a token only for a scope registered on the client${didYouMean(policy.verifyScope, inputs.scopes)}`,
      );
    }
  }

  /** A committed public key: a JWK, a JWKS (`{keys: [...]}`) or a PEM public key (with `kid` beside `file`). */
  private keyFile(client: string, file: string, kid: string | undefined, at: Path): Record<string, unknown>[] {
    const full = path.resolve(this.dir, file);
    let text: string;
    try {
      text = this.readFile(full);
    } catch (e) {
      const why =
        e instanceof FileReadError ? e.message : (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message;
      this.at(
        [...at, "file"],
        `cannot read ${file} (${why}): give the path of a public key file (JWK, JWKS or PEM, at most ${maxKeyFileBytes / 1024} KB), relative to the stack file's folder`,
      );
      return [];
    }
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
      this.at(
        [...at, "file"],
        `${file} holds a private key: commit only the public key (\`openssl pkey -in key.pem -pubout -out ${path.basename(file, path.extname(file))}.pub.pem\`); the private key stays in your vault`,
      );
      return [];
    }
    if (/-----BEGIN (PUBLIC KEY|RSA PUBLIC KEY|CERTIFICATE)-----/.test(text)) {
      if (!kid) {
        this.at(
          at,
          `${file} is a PEM key, which has no key id: add \`kid:\` beside \`file:\` (e.g. ${client}-${new Date(this.now * 1000).toISOString().slice(0, 10)})`,
        );
        return [];
      }
      try {
        const jwk = createPublicKey(text).export({ format: "jwk" }) as Record<string, unknown>;
        return [{ ...jwk, kid }];
      } catch (e) {
        this.at([...at, "file"], `${file} is not a readable PEM public key (${(e as Error).message})`);
        return [];
      }
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      this.at([...at, "file"], `${file} is neither JSON (a JWK or JWKS) nor a PEM public key: ${(e as Error).message}`);
      return [];
    }
    const keys = isRecord(json) && Array.isArray(json.keys) ? (json.keys as unknown[]) : [json];
    if (!keys.every(isRecord)) {
      this.at([...at, "file"], `${file} must hold a JWK object or a JWKS {keys: [...]}`);
      return [];
    }
    if (kid !== undefined) {
      if (keys.length !== 1) {
        this.at(
          [...at, "kid"],
          `${file} holds ${keys.length} keys: \`kid\` beside \`file\` names a single key; remove it and give each key its kid in the file`,
        );
        return keys;
      }
      const own = keys[0]!.kid;
      if (own !== undefined && own !== kid) {
        this.at(
          [...at, "kid"],
          `is "${kid}", but the key in ${file} has kid "${String(own)}": remove \`kid:\` here, or make them the same`,
        );
        return keys;
      }
      return [{ ...keys[0]!, kid }];
    }
    return keys;
  }

  // ---------- API scopes and their consumers

  private apiScopes(entries: Record<string, unknown>): void {
    const allowed: string[] = [...Object.keys(scopeWireNames), ...apiScopeStackKeys];
    const byScope = new Map<string, Path>();
    for (const [name, raw] of Object.entries(entries)) {
      const base: Path = ["apiScopes", name];
      if (!this.checkName("apiScopes", name)) continue;
      const decl = this.parse(apiScopeSchema, raw, base);
      if (!decl) continue;
      const args: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(decl)) {
        if ((apiScopeStackKeys as readonly string[]).includes(k)) continue;
        if (k === "name" || k === "scope")
          this.at(
            [...base, k],
            "the scope's name is prefix:subscope: write it as `prefix:` (the one Digdir assigned to the organisation) and `subscope:`",
            "key",
          );
        else if (!allowed.includes(k)) this.at([...base, k], unknownKey(k, allowed), "key");
        else args[k] = v;
      }
      const { inputs, failures } = checkApiScopeInputs(args);
      this.failures(failures, new Origins(base));
      if (typeof args.delegationSource === "string") this.guardUrl(args.delegationSource, [...base, "delegationSource"]);

      const named =
        typeof args.prefix === "string" &&
        typeof args.subscope === "string" &&
        !failures.some((f) => f.property === "prefix" || f.property === "subscope");
      let scope = named ? scopeNameOf(args as { prefix: string; subscope: string }) : undefined;
      if (scope) {
        const first = byScope.get(scope);
        if (first) {
          this.at(
            [...base, "subscope"],
            `${scope} is also declared as apiScopes.${String(first[1])} (line ${this.src.locate(first).line}): a scope is declared once; remove one, or choose another subscope`,
          );
          scope = undefined;
        } else {
          byScope.set(scope, base);
        }
      }

      const protect = decl.protect ?? this.opts.environment === "prod";
      const consumers = this.consumers(name, scope, decl.consumers ?? [], protect);
      if (scope) {
        this.declaredScopes.set(scope, {
          entry: name,
          ...(!failures.length && { allowedIntegrationTypes: inputs.allowedIntegrationTypes }),
          accessibleForAll: args.accessibleForAll === true,
          consumers: new Set(consumers.map((c) => c.orgNo)),
        });
      }
      this.plan.apiScopes.push({ name, scope: scope ?? "", args, consumers, protect });
    }
  }

  /** A scope's consumers: one ScopeAccess each, the organisation number judged by scope-access-model.ts. */
  private consumers(entry: string, scope: string | undefined, list: unknown[], protect: boolean): PlannedConsumer[] {
    const out: PlannedConsumer[] = [];
    const seen = new Map<string, Path>();
    list.forEach((raw, i) => {
      const at: Path = ["apiScopes", entry, "consumers", i];
      const c = this.parse(consumerSchema, raw, at);
      if (!c) return;
      const { failures } = checkScopeAccessInputs({ scope: scope ?? unknownValue, consumerOrgNo: c.orgNo });
      for (const f of failures) {
        if (f.property === "consumerOrgNo")
          this.at(isRecord(raw) ? [...at, "orgNo"] : at, `the consumer's organisation number: ${f.reason}`);
        else this.at(["apiScopes", entry], f.reason);
      }
      if (failures.length) return;
      const first = seen.get(c.orgNo);
      if (first) {
        this.at(
          at,
          `consumer ${c.orgNo} is also listed at line ${this.src.locate(first).line}: an organisation is granted a scope once; remove one`,
        );
        return;
      }
      seen.set(c.orgNo, at);
      out.push({
        orgNo: c.orgNo,
        ...(c.name !== undefined && { name: c.name }),
        resourceName: `${entry}/${c.orgNo}`,
        protect: c.protect ?? protect,
      });
    });
    return out;
  }

  /**
   * Clients that list a scope declared under `apiScopes` use it: they are registered after it (the program wires
   * the dependency), their integration type must be one the scope allows, and the organisation must be among its
   * consumers, as Digdir lets an organisation register only scopes it has been granted, its own ones included.
   */
  private scopeReferences(orgNo: string | undefined): void {
    for (const c of this.plan.clients) {
      const scopes = Array.isArray(c.args.scopes) ? c.args.scopes : [];
      scopes.forEach((s, i) => {
        const declared = typeof s === "string" ? this.declaredScopes.get(s) : undefined;
        if (!declared) return;
        if (!c.usesScopes.includes(declared.entry)) c.usesScopes.push(declared.entry);
        const at: Path = ["clients", c.name, "scopes", i];
        const type = this.checkedClients.get(c.name)?.integrationType;
        const types = declared.allowedIntegrationTypes;
        if (type && types && !types.includes(type)) {
          this.at(
            at,
            `${String(s)} (apiScopes.${declared.entry}) allows ${types.join(", ")} clients, and \`${c.name}\` is a client of integration type ${type}: add ${type} to the scope's allowedIntegrationTypes, or remove the scope here`,
          );
        }
        if (orgNo && !declared.accessibleForAll && !declared.consumers.has(orgNo)) {
          this.at(
            at,
            `${String(s)} is declared under apiScopes.${declared.entry}, but the organisation (${orgNo}) is not among its consumers: Digdir lets an organisation use a scope only once it is granted, its own ones too; add "${orgNo}" to apiScopes.${declared.entry}.consumers`,
          );
        }
      });
    }
  }

  // ---------- systems

  private systemsSection(entries: Record<string, unknown>, orgNo: string | undefined): void {
    const clientOwner = new Map<string, string>();
    const systemIds = new Map<string, string>();
    const allowed: string[] = [...systemFields.filter((f) => f !== "vendorOrgNo"), ...systemStackKeys];
    for (const [name, raw] of Object.entries(entries)) {
      const base: Path = ["systems", name];
      this.systems.set(name, { name, path: base });
      if (!this.checkName("systems", name)) continue;
      const decl = this.parse(systemSchema, raw, base);
      if (!decl) continue;
      const origins = new Origins(base);
      const args: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(decl)) {
        if ((systemStackKeys as readonly string[]).includes(k)) continue;
        if (k === "vendorOrgNo" || k === "vendor") {
          this.at([...base, k], `the vendor is the stack's organisation (organisation.orgNo): remove ${k}`, "key");
        } else if (!allowed.includes(k)) {
          this.at([...base, k], unknownKey(k, allowed), "key");
        } else if (k === "rights") {
          args.rights = compactRights(v, [...base, "rights"], origins, "rights");
        } else if (k === "accessPackages") {
          args.accessPackages = compactPackages(v, [...base, "accessPackages"], origins, "accessPackages");
        } else {
          args[k] = v;
        }
      }

      let systemId: string | undefined = decl.systemId;
      if (systemId === undefined) {
        systemId = orgNo ? `${orgNo}_${name}` : undefined;
        origins.map("systemId", base, false);
      } else if (orgNo && !systemId.startsWith(`${orgNo}_`)) {
        this.at(
          [...base, "systemId"],
          `"${systemId}" must start with the organisation's number and _ (${orgNo}_...): a vendor registers systems under its own number (organisation.orgNo)`,
        );
        systemId = undefined;
      }
      args.systemId = systemId ?? unknownValue;

      const clients = decl.clients ?? [];
      clients.forEach((c, i) => this.systemClient(name, c, [...base, "clients", i], clientOwner));
      if (clients.length || args.clientIds !== undefined) {
        const literal = Array.isArray(args.clientIds) ? args.clientIds : args.clientIds === undefined ? [] : undefined;
        // Declared clients' ids are known only once they exist; their place in the list is not judged here.
        args.clientIds = literal ? [...literal, ...clients.map(() => unknownValue)] : args.clientIds;
      }

      const { failures } = checkSystemInputs(args, {});
      this.failures(failures, origins);
      const idValid = systemId !== undefined && !failures.some((f) => f.property === "systemId");
      if (idValid) {
        const other = systemIds.get(systemId!);
        if (other)
          this.at(
            decl.systemId !== undefined ? [...base, "systemId"] : base,
            `the system id ${systemId} is also the id of system \`${other}\`: every system needs its own id`,
            decl.systemId !== undefined ? "value" : "key",
          );
        systemIds.set(systemId!, name);
      }

      // What the requests may ask for: the System's declarations, as the request check compares them.
      this.systems.set(name, {
        name,
        path: base,
        ...(idValid && { systemId }),
        offer: {
          ...(Array.isArray(args.rights) && { rights: args.rights }),
          ...(Array.isArray(args.accessPackages) && { accessPackages: args.accessPackages }),
          allowedRedirectUrls: Array.isArray(args.allowedRedirectUrls) ? args.allowedRedirectUrls : [],
        },
      });
      const planArgs: Record<string, unknown> = { ...args, systemId };
      if (Array.isArray(args.clientIds)) planArgs.clientIds = args.clientIds.filter((c) => c !== unknownValue);
      this.plan.systems.push({ name, args: planArgs, clients, protect: decl.protect ?? this.opts.environment === "prod" });
    }
  }

  private systemClient(system: string, ref: string, at: Path, owner: Map<string, string>): void {
    if (!this.clientTypes.has(ref)) {
      this.at(
        at,
        `no client \`${ref}\` under \`clients\`${didYouMean(ref, this.clientTypes.keys()) || ": declare it there, or list its id under clientIds if it is managed elsewhere"}`,
      );
      return;
    }
    const type = this.clientTypes.get(ref);
    if (typeof type === "string" && (clientTypesList as readonly string[]).includes(type) && type !== "maskinporten") {
      this.at(
        at,
        `\`${ref}\` is a ${type} client: a system's clients get system user tokens from Maskinporten, so they must be of type maskinporten`,
      );
      return;
    }
    const other = owner.get(ref);
    if (other && other !== system) {
      this.at(
        at,
        `client \`${ref}\` is also a client of system \`${other}\`: Altinn lets a client belong to one system only (AUTH.VLD-00004); declare another client`,
      );
      return;
    }
    owner.set(ref, system);
  }

  // ---------- system user requests

  private requestGroups(sectionName: "requests" | "agentRequests", entries: Record<string, unknown>): void {
    const agent = sectionName === "agentRequests";
    const kind: RequestKind = agent ? "AgentSystemUserRequest" : "SystemUserRequest";
    const seen = new Map<string, Path | string>();
    for (const [group, raw] of Object.entries(entries)) {
      const base: Path = [sectionName, group];
      const decl = this.parse(requestGroupSchema, raw, base);
      if (!decl) continue;
      const systemName = decl.system ?? group;
      const systemAt: Path = decl.system !== undefined ? [...base, "system"] : base;
      const system = this.systems.get(systemName);
      // A `system:` that is not a name was reported already; it does not default to the group's name.
      const systemBroken = decl.system === undefined && isRecord(raw) && raw.system !== undefined;
      if (!system && !systemBroken) {
        const hint = didYouMean(systemName, this.systems.keys());
        this.at(
          systemAt,
          decl.system !== undefined
            ? `no system \`${systemName}\` under \`systems\`${hint || ": declare it there"}`
            : `no system \`${systemName}\` under \`systems\` (a group's system defaults to the group's name): set \`system:\`${hint ? `, or rename the group${hint}` : " to one of the systems"}`,
          decl.system !== undefined ? "value" : "key",
        );
      }
      const ctx: GroupContext = { kind, group, groupAt: base, decl, systemName, system, systemAt };
      (decl.customers ?? []).forEach((raw, i) => {
        const at: Path = [...base, "customers", i];
        const c = this.parse(customerSchema, raw, at);
        if (c) this.request(ctx, c, at, isRecord(raw), seen);
      });
      if (decl.customersFile !== undefined) this.customersFile(ctx, decl.customersFile, seen);
      if (isRecord(raw) && raw.customers === undefined && raw.customersFile === undefined)
        this.at(base, "a group needs `customers:` (a list), `customersFile:` (a CSV file beside the stack file), or both", "key");
      const groupArgs: Record<string, unknown> = {};
      const scratch = new Origins(base);
      for (const field of ["integrationTitle", "rights", "accessPackages", "redirectUrl"] as const) {
        const value = (decl as Record<string, unknown>)[field];
        if (value === undefined) continue;
        groupArgs[field] =
          field === "rights"
            ? compactRights(value, base, scratch, field)
            : field === "accessPackages"
              ? compactPackages(value, base, scratch, field)
              : value;
      }
      this.plan.requestGroups.push({
        section: sectionName,
        name: group,
        kind,
        system: systemName,
        args: groupArgs,
        ...(decl.shards !== undefined && { shards: decl.shards }),
        ...(decl.concurrency !== undefined && { concurrency: decl.concurrency }),
      });
    }
  }

  /** A group's customers from its CSV file: each row judged as a customer entry, problems at the file's cells. */
  private customersFile(ctx: GroupContext, file: string, seen: Map<string, Path | string>): void {
    const shown = path.join(path.dirname(this.src.file), file);
    const { customers, problems } = readCustomersFile(path.resolve(this.dir, file), shown);
    this.problems.push(...problems);
    for (const row of customers) {
      const c = customerSchema.safeParse(row.decl);
      if (!c.success) continue; // the CSV reader gives text cells only: nothing zod could refuse
      this.request(ctx, c.data, [...ctx.groupAt, "customersFile"], true, seen, { file: shown, row });
    }
  }

  private request(
    ctx: GroupContext,
    customer: CustomerDecl,
    at: Path,
    objectForm: boolean,
    seen: Map<string, Path | string>,
    csv?: { file: string; row: CsvCustomer },
  ): void {
    const { kind, groupAt, systemName, system } = ctx;
    const origins = new Origins(at)
      .map("systemId", ctx.systemAt, false)
      .map("systemOffer", ctx.systemAt, false)
      .map("partyOrgNo", objectForm ? [...at, "orgNo"] : at, false);
    const args: Record<string, unknown> = { partyOrgNo: customer.orgNo };
    if (customer.externalRef !== undefined) {
      args.externalRef = customer.externalRef;
      origins.map("externalRef", [...at, "externalRef"]);
    }
    // A customer's own value replaces the group's (lists are not merged: what is written is what is asked for).
    for (const field of ["integrationTitle", "rights", "accessPackages", "redirectUrl"] as const) {
      const own = (customer as Record<string, unknown>)[field];
      const value = own !== undefined ? own : (ctx.decl as Record<string, unknown>)[field];
      // Agent requests take no rights: passed only when written, for the request check to say so.
      if (kind === "AgentSystemUserRequest" && field === "rights" && value === undefined) continue;
      const where: Path = own !== undefined ? [...at, field] : [...groupAt, field];
      if (field === "rights") args.rights = compactRights(value ?? [], where, origins, "rights");
      else if (field === "accessPackages") args.accessPackages = compactPackages(value ?? [], where, origins, "accessPackages");
      else {
        origins.map(field, where);
        if (value !== undefined) args[field] = value;
      }
    }

    const { failures } = checkRequestInputs(
      kind,
      { ...args, systemId: system?.systemId ?? unknownValue, ...(system?.offer && { systemOffer: system.offer }) },
      {},
    );
    // A CSV row's own cells: its problems at the cell; the group's fields (and the system) stay in the YAML.
    const cellOf = (property: string) => {
      const field = /^[a-zA-Z]+/.exec(property)?.[0];
      const column: CsvColumn | undefined = field === "partyOrgNo" ? "orgNo" : (field as CsvColumn | undefined);
      return csv && column ? csv.row.cells[column] : undefined;
    };
    for (const f of failures) {
      const cell = cellOf(f.property);
      if (cell && csv)
        this.problems.push({
          file: csv.file,
          line: cell.line,
          col: cell.col,
          path: "",
          message: `${f.property === "partyOrgNo" ? "orgNo" : f.property}: ${f.reason}`,
        });
      else this.at(origins.resolve(f.property), f.reason);
    }
    this.guardUrl(typeof args.redirectUrl === "string" ? args.redirectUrl : undefined, origins.resolve("redirectUrl"));

    const orgNoValid = !failures.some((f) => f.property === "partyOrgNo");
    const externalRef = typeof customer.externalRef === "string" ? customer.externalRef : customer.orgNo;
    const key = `${systemName}\u0000${customer.orgNo}\u0000${externalRef}`;
    const first = seen.get(key);
    const here = csv ? `${csv.file}:${csv.row.line}` : at;
    if (first && orgNoValid) {
      const where = typeof first === "string" ? first : `line ${this.src.locate(first).line}`;
      const message = `customer ${customer.orgNo} (externalRef ${externalRef}) of system \`${systemName}\` is also requested at ${where}: Altinn keeps one request per system, customer and externalRef; remove one, or give each its own externalRef`;
      if (csv) this.problems.push({ file: csv.file, line: csv.row.line, col: 1, path: "", message });
      else this.at(at, message);
      return;
    }
    seen.set(key, here);
    // Altinn keys agent and standard requests together: an agent request is refused while a standard request holds
    // the key (altinn-api.md Corrections 1), so both in one stack cannot work.
    const other = this.requestKeys.get(key);
    if (other && other.kind !== kind && orgNoValid) {
      const where = typeof other.at === "string" ? other.at : `line ${this.src.locate(other.at).line}`;
      const message =
        `customer ${customer.orgNo} (externalRef ${externalRef}) of system \`${systemName}\` is requested both under \`requests\` and \`agentRequests\` (also at ${where}): ` +
        "Altinn keys agent and standard requests together and refuses the agent request while the standard one exists; give one of them its own externalRef";
      if (csv) this.problems.push({ file: csv.file, line: csv.row.line, col: 1, path: "", message });
      else this.at(at, message);
      return;
    }
    if (!other) this.requestKeys.set(key, { at: here, kind });
    const name = `${systemName}/${customer.orgNo}${customer.externalRef !== undefined ? `/${String(customer.externalRef)}` : ""}`;
    this.plan.requests.push({
      name,
      kind,
      system: systemName,
      group: ctx.group,
      customer: { orgNo: customer.orgNo, ...(customer.name !== undefined && { name: customer.name }) },
      args,
      own: ["externalRef", "integrationTitle", "rights", "accessPackages", "redirectUrl"].filter(
        (k) => (customer as Record<string, unknown>)[k] !== undefined,
      ),
    });
  }

  // ---------- promotion, guardrails

  private promotion(raw: unknown): void {
    if (raw === undefined || raw === null) return;
    const decl = this.parse(promotionSchema, raw, ["promotion"]);
    if (decl) this.plan.promotionIgnore = decl.ignore;
  }

  /** Production guardrail: no address that only makes sense in test (this machine, the simulator, a test environment). */
  guardUrl(url: string | undefined, at: Path): void {
    if (this.opts.environment !== "prod" || url === undefined) return;
    const reason = testOnlyUrl(url);
    if (reason) this.at(at, `${reason}: a production stack may only point at production addresses; move this value to a test stack`);
  }

  /** Runs the guardrail over the URL fields of clients and systems (requests are guarded as they are read). */
  guardAll(): void {
    if (this.opts.environment !== "prod") return;
    for (const c of this.plan.clients)
      if (typeof c.args.clientUri === "string") this.guardUrl(c.args.clientUri, ["clients", c.name, "clientUri"]);
    for (const s of this.plan.systems) {
      const urls = s.args.allowedRedirectUrls;
      if (Array.isArray(urls))
        urls.forEach((u, i) => typeof u === "string" && this.guardUrl(u, ["systems", s.name, "allowedRedirectUrls", i]));
    }
  }
}

/** Hosts of this machine and of the test environments (digdir-api.md §1, altinn-api.md §1.1). */
const testHosts = [
  /(^|\.)tt02\.altinn\.no$/,
  /(^|\.)at2\d\.altinn\.(no|cloud)$/,
  /^test\.maskinporten\.no$/,
  /(^|\.)test\.samarbeid\.digdir\.no$/,
  /^test\.idporten\.no$/,
  /^test\.kontaktregisteret\.no$/,
  /^test\.ansattporten\.no$/,
];

/** Why a URL belongs in test only, or undefined. */
export function testOnlyUrl(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined; // the resource's own check says what is wrong with it
  }
  const host = u.hostname.replace(/^\[|\]$/g, "");
  if (host === "localhost" || host.endsWith(".localhost") || /^127\./.test(host) || host === "::1" || host === "0.0.0.0") {
    return `"${url}" points at this machine (a localhost or simulator address)`;
  }
  if (testHosts.some((re) => re.test(host))) return `"${url}" is an address in a test environment`;
  if (u.protocol === "http:") return `"${url}" uses http://; production needs https://`;
  return undefined;
}

/** `ske-krav-og-betalinger` is short for the right `{resource: [{id: urn:altinn:resource, value: ske-krav-og-betalinger}]}`. */
function compactRights(v: unknown, at: Path, origins: Origins, prop: string): unknown {
  if (!Array.isArray(v)) {
    origins.map(prop, at);
    return v;
  }
  origins.map(prop, at);
  return v.map((item, i) => {
    origins.map(`${prop}[${i}]`, [...at, i], typeof item !== "string");
    return rightFrom(item);
  });
}

/** `skattegrunnlag` and `urn:altinn:accesspackage:skattegrunnlag` are short for `{urn: urn:altinn:accesspackage:skattegrunnlag}`. */
function compactPackages(v: unknown, at: Path, origins: Origins, prop: string): unknown {
  origins.map(prop, at);
  if (!Array.isArray(v)) return v;
  return v.map((item, i) => {
    origins.map(`${prop}[${i}]`, [...at, i], typeof item !== "string");
    return accessPackageFrom(item);
  });
}

function section(v: Validator, data: Record<string, unknown>, name: string): Record<string, unknown> {
  const s = data[name];
  if (s === undefined || s === null) return {};
  if (!isRecord(s)) {
    const what = { clients: "clients", apiScopes: "API scopes", systems: "systems" }[name] ?? "request groups";
    v.at([name], `must be a map of named ${what} (name: {...}), not ${describe(s)}`);
    return {};
  }
  return s;
}

function unknownKey(key: string, allowed: readonly string[], what = "key"): string {
  const near = nearest(key, allowed);
  return near
    ? `unknown ${what} \`${key}\`: did you mean \`${near}\`?`
    : `unknown ${what} \`${key}\`: expected one of ${allowed.join(", ")}`;
}

function valueAt(data: unknown, p: readonly (string | number)[]): unknown {
  let v = data;
  for (const seg of p) {
    if (Array.isArray(v) && typeof seg === "number") v = v[seg];
    else if (isRecord(v)) v = v[String(seg)];
    else return undefined;
  }
  return v;
}

function describe(v: unknown): string {
  if (v === null) return "an empty value";
  if (Array.isArray(v)) return "a list";
  if (isRecord(v)) return "a map";
  if (typeof v === "string") return `the text "${v}"`;
  return `${typeof v === "number" ? "the number" : typeof v === "boolean" ? "the value" : typeof v} ${String(v)}`;
}

/** zod's messages, in the stack file's words, where a schema gives none of its own. */
function defaultMessage(issue: { code: string; expected?: string; input?: unknown; origin?: string }): string | undefined {
  if (issue.code === "invalid_type") {
    const expected =
      { string: "text", number: "a number", boolean: "true or false", object: "a map", array: "a list" }[issue.expected ?? ""] ??
      issue.expected;
    return issue.input === undefined ? `must be ${expected}` : `must be ${expected}, not ${describe(issue.input)}`;
  }
  if (issue.code === "too_small" && issue.origin === "string") return "must not be empty";
  return undefined;
}
