import type * as pulumi from "@pulumi/pulumi";
import type {
  ApiScopeArgs,
  ClientKeysArgs,
  IdportenClientArgs,
  KrrClientArgs,
  MaskinportenClientArgs,
  PublicJwkArg,
  RequestGroupArgs,
  SystemArgs,
} from "../../providers";
import type { RequestKind } from "../../providers/altinn/request-model";
import type { EnvironmentName } from "../../providers/core/environments";

/**
 * The plan: what the program registers, one entry per resource, with its inputs as the stack file writes them
 * (defaults stay the provider's to fill in, so the state records what its check completed) and its references by
 * name. The inputs are typed as the resource's own arguments: a plan is registered only when the validation found
 * no problem, that is when each provider's check accepted the fields (stacks/validate/index.ts).
 */

/** A resource's arguments as plain values: what a stack file can hold (no outputs, no promises). */
export type Plain<Args> = pulumi.Unwrap<Args>;

interface PlannedClientCommon {
  name: string;
  /** The client's key set, when it declares keys: one ClientKeys resource. */
  keySet?: PlannedKeySet;
  /**
   * The entries under `apiScopes` whose scope the client lists: the client is registered after each of them and
   * after the organisation's own grant (an organisation needs access to its own scope to use it).
   */
  usesScopes: string[];
  protect: boolean;
}

/** A client: its resource kind, and that resource's inputs as declared. */
export type PlannedClient = PlannedClientCommon &
  (
    | { kind: "MaskinportenClient"; args: Plain<MaskinportenClientArgs> }
    | { kind: "KrrClient"; args: Plain<KrrClientArgs> }
    | { kind: "IdportenClient"; args: Plain<IdportenClientArgs> }
  );

/** Any client's inputs: the fields every kind shares are readable without knowing the kind. */
export type PlannedClientArgs = PlannedClient["args"];

/** ClientKeys' policy inputs: everything but the client and its declared keys. */
export type KeyPolicyArgs = Omit<Plain<ClientKeysArgs>, "clientId" | "keys">;

export interface PlannedKeySet {
  /** Public JWKs the file brings (inline and from committed files). */
  keys: PublicJwkArg[];
  /**
   * The generated key's settings as written (`generate`, `rotateAfterDays`, ...): ClientKeys' policy inputs, their
   * defaults the provider's. Empty when the file brings its own keys only.
   */
  policy: KeyPolicyArgs;
}

export interface PlannedApiScope {
  /** The entry's name under `apiScopes`: the ApiScope's resource name. */
  name: string;
  /** `prefix:subscope`, what clients list in their scopes. */
  scope: string;
  /** ApiScope inputs as declared. */
  args: Plain<ApiScopeArgs>;
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
  args: Plain<SystemArgs>;
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

/**
 * A request group's identity: its kind and name (a standard and an agent group may share a name). A planned
 * request's group is `groupKey(r.kind, r.group)`.
 */
export function groupKey(kind: RequestKind, name: string): string {
  return `${kind}\u0000${name}`;
}

/** What a group sets for each of its customers' requests (a customer's own value replaces the group's). */
export type RequestGroupFields = Pick<RequestGroupArgs, "integrationTitle" | "rights" | "accessPackages" | "redirectUrl">;

/** A request group as declared: one `SystemUserRequestGroup` (or agent group) per non-empty shard (stacks/groups.ts). */
export interface PlannedRequestGroup {
  /** `requests` or `agentRequests`. */
  section: "requests" | "agentRequests";
  name: string;
  kind: RequestKind;
  system: string;
  /** The group's own fields as request inputs (`integrationTitle`, `rights`, `accessPackages`, `redirectUrl`). */
  args: Plain<RequestGroupFields>;
  shards?: number;
  concurrency?: number;
  /** What the stack outputs say of its customers (stacks/README.md, "Outputs"): each one, or counts only. */
  outputs: "customers" | "counts";
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

export function emptyPlan(environment: EnvironmentName): StackPlan {
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

/**
 * The fields as the stack file writes them, typed as the resource's arguments: the provider's check has judged
 * every one of them (reporting what it refused), and a plan is registered only when nothing was refused.
 *
 * The one cast from the file's values to the arguments' types, kept on purpose: what makes the values fit is the
 * run's verdict (no problem), which the type system cannot see. The plan is built whatever the verdict (one run
 * reports every problem, and `npm run plan` shows what was read). The checks' typed results cannot stand in: they
 * are the completed inputs (defaults written in, a placeholder where an id is known only once deployed), not the
 * fields as written, and they are wider than the arguments (`string` where the arguments take a union).
 */
export function judgedArgs<Args>(fields: Record<string, unknown>): Plain<Args> {
  return fields as Plain<Args>;
}
