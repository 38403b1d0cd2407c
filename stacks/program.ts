import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
  ApiScope,
  ClientKeys,
  IdportenClient,
  KrrClient,
  MaskinportenClient,
  ScopeAccess,
  System,
  type ClientKeysArgs,
  type SystemArgs,
} from "../providers";
import type { EnvironmentName } from "../providers/core/environments";
import { resolveEnvironment, settingFrom } from "../providers/core/settings";
import { usesClientSecret } from "../providers/digdir/client-model";
import { staleBuildMessage, staleBuildReason } from "./build-check";
import { consequences, manifestFrom, manifestOf, packManifest, type Manifest } from "./manifest";
import { applyWithUnknowns, defineGroups, isKnown, type LastRun, type MaybeKnown, type RequestOutput } from "./groups";
import { formatProblem } from "./source";
import { groupKey, validateStackFile, type StackPlan } from "./validate";

/**
 * The Pulumi program: `stacks/<stack>.yaml` in, one resource per declared object, the outputs people use.
 * Everything is validated before the first resource is registered (a registration that fails under the engine
 * leaves the program waiting on outputs that never resolve).
 */

export interface ProgramOptions {
  /** The stack's name: the file is `stacks/<stack>.yaml`. */
  stack: string;
  /** The project root (the engine runs the program there). */
  root: string;
  /** Plain `digdir:*` stack config values (as `pulumi.Config("digdir").get` gives them). */
  config: { get(key: string): string | undefined };
  /** Skip the check of the compiled providers (tests that build nothing). */
  skipBuildCheck?: boolean;
  warn?: (message: string, resource?: pulumi.Resource) => void;
  /**
   * The stack's outputs as the last update left them (stacks/manifest.ts, `readOwnOutputs`), or why they could not
   * be read: their `manifest` says what this run deletes, replaces or changes.
   */
  last?: { outputs?: Record<string, unknown>; problem?: string };
}

/** Validates the stack's file and declares its resources; throws one error listing every problem. */
export function runStack(opts: ProgramOptions): StackOutputs {
  if (!opts.skipBuildCheck) {
    const stale = staleBuildReason(opts.root);
    if (stale) throw new pulumi.RunError(staleBuildMessage(stale));
  }
  const config = (key: string) => opts.config.get(key.replace(/^digdir:/, ""));
  const configName = `Pulumi.${opts.stack}.yaml`;
  const { environment } = resolveEnvironment(settingFrom("environment", config, configName), undefined, (m) => new pulumi.RunError(m));
  const shown = `stacks/${opts.stack}.yaml`;
  const file = path.join(opts.root, shown);
  if (!existsSync(file)) {
    throw new pulumi.RunError(
      `the stack ${opts.stack} has no stack file ${shown}: write one (see stacks/README.md, or copy stacks/examples/quickstart.yaml), or select another stack`,
    );
  }
  const orgNo = settingFrom("orgNo", config, configName);
  const { problems, plan } = validateStackFile(file, {
    environment,
    displayName: shown,
    ...(orgNo && { configuredOrgNo: orgNo }),
  });
  if (problems.length) {
    throw new pulumi.RunError(
      `${shown} has ${problems.length} problem${problems.length > 1 ? "s" : ""}; nothing was changed:\n${problems.map(formatProblem).join("\n")}`,
    );
  }
  const warn = opts.warn ?? ((m: string, r?: pulumi.Resource) => void pulumi.log.warn(m, r));
  // Only the demo's stack (`local`) uses .sim-state/ (scripts/demo.sh): another local stack runs its own simulator.
  if (environment === "local" && opts.stack === "local") {
    const warning = simulatorMismatch(opts.root, opts.config.get("simulatorUrl") ?? process.env.DIGDIR_SIMULATOR_URL);
    if (warning) warn(warning);
  }
  // A stack whose requests were one resource per customer must move to groups first, or this run would delete
  // every customer's request after the groups adopted them (stacks/README.md, "Migrating to request groups").
  const lastRequests = opts.last?.outputs?.requests;
  if (lastRequests && typeof lastRequests === "object" && Object.keys(lastRequests).length && opts.last?.outputs?.requestGroups !== true) {
    throw new pulumi.RunError(
      `the stack ${opts.stack} holds one request resource per customer, from before request groups; this version declares them in groups, and ` +
        `running as is would delete every customer's request at Altinn. Nothing was changed. Move the state first, which deletes and posts nothing: ` +
        `\`npm run migrate-requests -- --stack ${opts.stack}\`, then \`pulumi up\` (stacks/README.md, "Migrating to request groups").`,
    );
  }
  // A stack deployed for the first time has no outputs: everything is new. One deployed before manifests existed
  // has outputs without one: nothing is known of what it holds.
  const outputs = opts.last?.outputs;
  const previous: Manifest | undefined =
    outputs && !Object.keys(outputs).length
      ? manifestOf({ ...plan, clients: [], apiScopes: [], systems: [], requests: [] })
      : manifestFrom(outputs);
  if (opts.last?.problem)
    warn(
      `${opts.last.problem}: what this run deletes or replaces is not checked against protection here (Pulumi's own protect still applies)`,
    );
  const { refusals, warnings } = consequences(previous, plan, shown);
  if (refusals.length) {
    throw new pulumi.RunError(
      `${refusals.length === 1 ? "a protected object" : `${refusals.length} protected objects`} would be deleted or replaced; nothing was changed:\n${refusals.map((r) => `  - ${r}`).join("\n")}`,
    );
  }
  const byObject = new Map<string, string[]>();
  for (const w of warnings) {
    if (w.object === "") warn(w.message);
    else byObject.set(w.object, [...(byObject.get(w.object) ?? []), w.message]);
  }
  // What the last run left, so that a preview keeps unchanged customers' values known (stacks/groups.ts).
  const lastOutputs = outputs?.requests;
  const last: LastRun = {
    ...(lastOutputs !== null && typeof lastOutputs === "object" && { requests: lastOutputs as LastRun["requests"] }),
    ...(previous && { manifest: previous }),
  };
  return defineStack(
    plan,
    (key, resource) => {
      for (const m of byObject.get(key) ?? []) warn(m, resource);
    },
    last,
  );
}

/**
 * `npm run sim -- --state .sim-state` records where it listens in `.sim-state/bootstrap.json`; a different
 * digdir:simulatorUrl means the providers would talk to another (or no) simulator.
 */
export function simulatorMismatch(root: string, configured: string | undefined): string | undefined {
  const file = path.join(root, ".sim-state", "bootstrap.json");
  if (!existsSync(file)) return undefined;
  try {
    const { url } = JSON.parse(readFileSync(file, "utf8")) as { url?: string };
    const norm = (u: string) => u.replace(/\/+$/, "");
    if (url && (!configured || norm(url) !== norm(configured))) {
      return `the simulator in .sim-state listened at ${url}, but digdir:simulatorUrl is ${configured ?? "not set"}: start it with \`npm run sim -- --port ${new URL(url).port} --state .sim-state\`, or \`pulumi config set digdir:simulatorUrl ${url}\``;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

export type { RequestOutput } from "./groups";

export interface ClientKeysOutput {
  /** The key to sign with: the current generated key, else the last declared key. */
  currentKid: pulumi.Output<string | undefined>;
  /** Every registered key id (during a rotation, the previous generated key too). */
  kids: pulumi.Output<string[]>;
  /** kid → when Digdir stops accepting the key (ISO 8601). */
  expiresAt: pulumi.Output<Record<string, string>>;
  /** When the next rotation, retirement or renewal falls due (ISO 8601): the first `pulumi up` after it performs it. */
  nextStepAt: pulumi.Output<string | undefined>;
}

export interface ApiScopeOutput {
  /** `prefix:subscope`, the scope consumers ask for. */
  scope: pulumi.Output<string>;
  /** Consumer orgNo → the grant's state (`APPROVED`). */
  consumers: Record<string, pulumi.Output<string>>;
}

export interface StackOutputs {
  environment: EnvironmentName;
  /** Client name → Digdir's client id. */
  clientIds: Record<string, pulumi.Output<string>>;
  /** Client name → its key set's public facts, for each client that declares keys. */
  clientKeys: Record<string, ClientKeysOutput>;
  /**
   * Client name → the current generated key's private JWK (JSON: ClientKeys' `currentPrivateJwk`), for each
   * client with `generate: true`: a secret output, encrypted in the state with the stack's secrets provider, shown
   * only with `--show-secrets`.
   */
  currentPrivateJwks: Record<string, pulumi.Output<string | undefined>>;
  /** The name earlier versions gave `currentPrivateJwks`, kept for pipelines that read it: the same secret values. */
  privateKeys: Record<string, pulumi.Output<string | undefined>>;
  /**
   * Client name → its client secret (IdportenClient's `clientSecret`), for each ID-porten client whose
   * `tokenEndpointAuthMethod` is `client_secret_basic` or `client_secret_post`: a secret output, like generated keys.
   */
  clientSecrets: Record<string, pulumi.Output<string | undefined>>;
  /** Scope entry name → the scope's name and its consumers' grants. */
  apiScopes: Record<string, ApiScopeOutput>;
  /** System name → Altinn's system id. */
  systemIds: Record<string, pulumi.Output<string>>;
  /**
   * Request name (`<system>/<customer>[/<externalRef>]`) → where it stands. In a preview, a customer the `up` adds
   * or changes is unknown; the others keep their values.
   */
  requests: pulumi.Input<Record<string, pulumi.Input<RequestOutput>>>;
  /** System name → the customers who have not answered a request or change request yet, with the page to send each. */
  awaitingApproval: pulumi.Input<Record<string, pulumi.Input<AwaitingCustomer[]>>>;
  /** Status (New, Accepted, Rejected, ...) → request names. */
  requestsByStatus: pulumi.Output<Record<string, string[]>>;
  /**
   * Request group (`requests.<group>`, `agentRequests.<group>`) → how many customers stand where. The only output of
   * a group with `outputs: counts`, whose customers are in none of the three above.
   */
  requestCounts: pulumi.Input<Record<string, pulumi.Input<RequestCounts>>>;
  /**
   * What this run declared (stacks/manifest.ts), packed (`packManifest`): the next run reads it back to tell what it
   * deletes or changes.
   */
  manifest: pulumi.Output<string>;
  /** The stack's requests are in groups (the migration's mark: stacks/migrate.ts). */
  requestGroups: true;
}

/** A request group's customers counted: by status (`""` when no request was made yet), and the flags that matter. */
export interface RequestCounts {
  customers: number;
  byStatus: Record<string, number>;
  /** Requests still `New`, and accepted ones whose change request is still `New`: the customers to remind. */
  awaitingApproval: number;
  timedOut: number;
  escalated: number;
  /** Customers the last `up` failed for (the next one tries again). */
  failed: number;
}

export interface AwaitingCustomer {
  customer: string;
  name?: string;
  externalRef: string;
  /** An agent request; absent for a standard one. */
  agent?: true;
  /** The customer has a system user, and is asked to approve changed rights; absent for a request. */
  changeRequest?: true;
  /** The page to send the customer. */
  confirmUrl: string;
  /** Older than Altinn's time-out (180 days): the link may no longer work; delete and request again. */
  timedOut?: true;
}

type ClientResource = MaskinportenClient | KrrClient | IdportenClient;

/** One resource per planned object; references by name become outputs, so the engine orders and wires them. */
export function defineStack(
  plan: StackPlan,
  registered: (key: string, resource: pulumi.Resource) => void = () => {},
  last: LastRun = {},
): StackOutputs {
  // Scopes first: a client that lists one of them is registered after it and after the organisation's own grant.
  const scopes = new Map<string, { scope: ApiScope; grants: Map<string, ScopeAccess> }>();
  const apiScopes: Record<string, ApiScopeOutput> = {};
  for (const s of plan.apiScopes) {
    const scope = new ApiScope(s.name, s.args, { protect: s.protect });
    registered(`ApiScope::${s.name}`, scope);
    const grants = new Map<string, ScopeAccess>();
    // `scope.name` is an output: each grant waits for its scope.
    for (const c of s.consumers) {
      const grant = new ScopeAccess(c.resourceName, { scope: scope.name, consumerOrgNo: c.orgNo }, { protect: c.protect });
      registered(`ScopeAccess::${c.resourceName}`, grant);
      grants.set(c.orgNo, grant);
    }
    scopes.set(s.name, { scope, grants });
    apiScopes[s.name] = { scope: scope.name, consumers: Object.fromEntries([...grants].map(([orgNo, g]) => [orgNo, g.state])) };
  }

  const clients = new Map<string, ClientResource>();
  const clientKeys: Record<string, ClientKeysOutput> = {};
  const currentPrivateJwks: Record<string, pulumi.Output<string | undefined>> = {};
  const clientSecrets: Record<string, pulumi.Output<string | undefined>> = {};
  for (const c of plan.clients) {
    const uses = c.usesScopes.flatMap((n) => {
      const s = scopes.get(n)!;
      const own = s.grants.get(plan.organisation.orgNo);
      return own ? [s.scope, own] : [s.scope];
    });
    const opts: pulumi.CustomResourceOptions = { protect: c.protect, ...(uses.length && { dependsOn: uses }) };
    const client =
      c.kind === "MaskinportenClient"
        ? new MaskinportenClient(c.name, c.args, opts)
        : c.kind === "KrrClient"
          ? new KrrClient(c.name, c.args, opts)
          : new IdportenClient(c.name, c.args, opts);
    clients.set(c.name, client);
    registered(`${c.kind}::${c.name}`, client);
    if (c.kind === "IdportenClient" && client instanceof IdportenClient && usesClientSecret(c.args.tokenEndpointAuthMethod))
      clientSecrets[c.name] = pulumi.secret(client.clientSecret);
    // Protected with its client: otherwise removing a protected client from the file would delete its keys
    // (dependents go first) and then stop at the client, leaving it without keys.
    if (c.keySet) {
      const args: ClientKeysArgs = {
        ...c.keySet.policy,
        clientId: client.clientId,
        keys: c.keySet.keys,
      };
      const keys = new ClientKeys(c.name, args, { protect: c.protect });
      registered(`ClientKeys::${c.name}`, keys);
      clientKeys[c.name] = { currentKid: keys.currentKid, kids: keys.kids, expiresAt: keys.expiresAt, nextStepAt: keys.nextStepAt };
      // The provider lists it as a secret output already; pulumi.secret keeps it one whatever reads it.
      if (c.keySet.policy.generate === true) currentPrivateJwks[c.name] = pulumi.secret(keys.currentPrivateJwk);
    }
  }

  const systems = new Map<string, System>();
  for (const s of plan.systems) {
    const literal = s.args.clientIds ?? [];
    const args: SystemArgs = { ...s.args };
    if (s.clients.length || s.args.clientIds !== undefined)
      args.clientIds = [...literal, ...s.clients.map((n) => clients.get(n)!.clientId)];
    const system = new System(s.name, args, { protect: s.protect });
    registered(`System::${s.name}`, system);
    systems.set(s.name, system);
  }

  // Requests in groups: a bounded number of resources whatever the number of customers (stacks/groups.ts); their
  // outputs are one output, from which the summaries are taken.
  const requests = defineGroups(plan, systems, registered, last);
  const known = <T>(v: MaybeKnown<Record<string, T>>): Record<string, T> => (isKnown(v) ? v : {});
  // What the `up` decides (an added or changed customer's status) is unknown in a preview, and so is every summary it
  // enters: a saved plan (`pulumi up --plan`) holds the `up` to each value the preview knew.
  const statusesOf = (outputs: pulumi.Output<Record<string, MaybeKnown<RequestOutput>>>) =>
    applyWithUnknowns(outputs, (all): MaybeKnown<Record<string, string>> => {
      const values = Object.values(known(all));
      if (!isKnown(all) || values.some((r) => !isKnown(r))) return pulumi.unknown;
      return Object.fromEntries(Object.entries(known(all)).map(([n, r]) => [n, (r as RequestOutput).status]));
    });
  const statuses = statusesOf(requests);

  // Groups with `outputs: counts` are in `requestCounts` only (stacks/README.md, "Outputs").
  const countsOnly = new Set(plan.requestGroups.filter((g) => g.outputs === "counts").map((g) => groupKey(g.kind, g.name)));
  const listed = new Set(plan.requests.filter((r) => !countsOnly.has(groupKey(r.kind, r.group))).map((r) => r.name));
  const perCustomer = countsOnly.size
    ? applyWithUnknowns(requests, (all): MaybeKnown<Record<string, MaybeKnown<RequestOutput>>> =>
        isKnown(all) ? Object.fromEntries(Object.entries(all).filter(([n]) => listed.has(n))) : all,
      )
    : requests;
  // Of the listed customers only: a counted group's change leaves it known.
  const listedStatuses = countsOnly.size ? statusesOf(perCustomer) : statuses;

  return {
    environment: plan.environment,
    clientIds: Object.fromEntries([...clients].map(([n, c]) => [n, c.clientId])),
    clientKeys,
    currentPrivateJwks,
    privateKeys: currentPrivateJwks,
    clientSecrets,
    apiScopes,
    systemIds: Object.fromEntries([...systems].map(([n, s]) => [n, s.systemId])),
    requests: stackValue(perCustomer) as StackOutputs["requests"],
    awaitingApproval: stackValue(
      applyWithUnknowns(perCustomer, (all) => awaitingApproval(plan, known(all))),
    ) as StackOutputs["awaitingApproval"],
    requestsByStatus: listedStatuses.apply(byStatus),
    requestCounts: stackValue(applyWithUnknowns(requests, (all) => requestCounts(plan, known(all)))) as StackOutputs["requestCounts"],
    // Nothing in it is secret: a secret output only so that Pulumi shows it as one line (`[secret]`) instead of
    // printing it under Outputs whenever one entry changes.
    manifest: pulumi.secret(statuses.apply((st) => packManifest(manifestOf(plan, st)))),
    requestGroups: true,
  };
}

/**
 * A stack output from a value that a preview may know only in part. In an `up` every value is known: the output as
 * it is. In a preview the SDK knows no partly known output, so the value becomes plain objects and arrays with an
 * unknown output in each place that is not known yet; Pulumi then shows (and `pulumi preview --json` gives) every
 * known customer's value, and only the rest as unknown.
 */
function stackValue<T>(o: pulumi.Output<T>): pulumi.Input<unknown> {
  if (!pulumi.runtime.isDryRun()) return o;
  const leaves = (v: unknown): unknown =>
    pulumi.isUnknown(v)
      ? pulumi.output(pulumi.unknown)
      : Array.isArray(v)
        ? v.map(leaves)
        : v !== null && typeof v === "object"
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, leaves(x)]))
          : v;
  return new Promise((resolve) => applyWithUnknowns(o, (v) => resolve(leaves(v))));
}

/**
 * Per system, the customers to remind: requests still `New`, and accepted ones with a change request still `New`.
 * In a preview, a system with a customer whose value the `up` decides has its list unknown; the others are known.
 */
function awaitingApproval(plan: StackPlan, all: Record<string, MaybeKnown<RequestOutput>>): Record<string, MaybeKnown<AwaitingCustomer[]>> {
  const planned = new Map(plan.requests.map((r) => [r.name, r]));
  const out: Record<string, MaybeKnown<AwaitingCustomer[]>> = {};
  const undecided = new Set(
    Object.entries(all)
      .filter(([, r]) => !isKnown(r))
      .map(([name]) => planned.get(name)!.system),
  );
  for (const system of undecided) out[system] = pulumi.unknown;
  for (const [name, r] of Object.entries(all)) {
    const p = planned.get(name)!;
    if (undecided.has(p.system) || !isKnown(r)) continue;
    const awaits = awaitedAnswer(r);
    if (!awaits) continue;
    const change = awaits === "changeRequest";
    if (out[p.system] === undefined) out[p.system] = [];
    (out[p.system] as AwaitingCustomer[]).push({
      customer: p.customer.orgNo,
      ...(p.customer.name !== undefined && { name: p.customer.name }),
      externalRef: typeof p.args.externalRef === "string" ? p.args.externalRef : p.customer.orgNo,
      ...(p.kind === "AgentSystemUserRequest" && { agent: true as const }),
      ...(change && { changeRequest: true as const }),
      confirmUrl: change ? r.changeRequestConfirmUrl! : r.confirmUrl,
      ...(!change && r.timedOut && { timedOut: true as const }),
    });
  }
  // In the order the systems' customers come in the file (an unknown list where it first would).
  const order = [...new Set(plan.requests.map((r) => r.system))];
  return Object.fromEntries(order.filter((sys) => sys in out).map((sys) => [sys, out[sys]!]));
}

/** What a customer has not answered yet: its request (still `New`), or the change request of its accepted one. */
function awaitedAnswer(r: RequestOutput): "request" | "changeRequest" | undefined {
  if (r.status === "New") return "request";
  if (r.status === "Accepted" && r.changeRequestStatus === "New" && !!r.changeRequestConfirmUrl) return "changeRequest";
  return undefined;
}

/**
 * Request group → its customers counted. In a preview, a group with a customer whose value the `up` decides has its
 * counts unknown; the others are known.
 */
function requestCounts(plan: StackPlan, all: Record<string, MaybeKnown<RequestOutput>>): Record<string, MaybeKnown<RequestCounts>> {
  const out: Record<string, MaybeKnown<RequestCounts>> = {};
  const sections = new Map(plan.requestGroups.map((g) => [groupKey(g.kind, g.name), `${g.section}.${g.name}`]));
  for (const r of plan.requests) {
    const group = sections.get(groupKey(r.kind, r.group));
    if (group === undefined) continue;
    const o = all[r.name];
    if (o === undefined || !isKnown(o)) {
      out[group] = pulumi.unknown;
      continue;
    }
    const c = out[group] ?? { customers: 0, byStatus: {}, awaitingApproval: 0, timedOut: 0, escalated: 0, failed: 0 };
    if (!isKnown(c)) continue;
    out[group] = c;
    c.customers++;
    c.byStatus[o.status] = (c.byStatus[o.status] ?? 0) + 1;
    if (awaitedAnswer(o)) c.awaitingApproval++;
    if (o.timedOut) c.timedOut++;
    if (o.escalated) c.escalated++;
    if (o.error) c.failed++;
  }
  return out;
}

/** Status → request names. */
function byStatus(statuses: Record<string, string>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, status] of Object.entries(statuses)) (out[status || "unknown"] ??= []).push(name);
  return out;
}
