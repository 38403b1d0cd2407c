import type * as pulumi from "@pulumi/pulumi";
import { Output, output } from "@pulumi/pulumi";
import { ShimResource } from "../core/shim";
import type { AccessPackage, Right } from "./model";
import type { CustomerFields, CustomerState, GroupKind } from "./request-group-model";
import { requestGroupProvider } from "./request-group-provider";
import type { RequestSystemArg } from "./request-resource";
import { expandAccessPackages, expandRights } from "./shorthand";
import type { AccessPackageArg, RightArg } from "./system";

/** The stack file's shorthands in `rights` and `accessPackages` (shorthand.ts), of the group and of each customer. */
function expandShorthands<T extends { rights?: unknown; accessPackages?: unknown }>(o: T): T {
  return {
    ...o,
    ...(o.rights !== undefined && { rights: expandRights(o.rights as pulumi.Input<pulumi.Input<unknown>[]>) }),
    ...(o.accessPackages !== undefined && {
      accessPackages: expandAccessPackages(o.accessPackages as pulumi.Input<pulumi.Input<unknown>[]>),
    }),
  };
}

function expandCustomers(customers: RequestGroupArgs["customers"]): RequestGroupArgs["customers"] {
  const one = (c: pulumi.Input<GroupCustomerArg>) =>
    Output.isInstance(c) || c instanceof Promise
      ? output(c).apply((v) => expandShorthands(v as GroupCustomerArg))
      : expandShorthands(c as GroupCustomerArg);
  if (Output.isInstance(customers) || customers instanceof Promise)
    return output(customers).apply((all) =>
      Object.fromEntries(Object.entries(all).map(([k, c]) => [k, expandShorthands(c as GroupCustomerArg)])),
    ) as RequestGroupArgs["customers"];
  return Object.fromEntries(Object.entries(customers).map(([k, c]) => [k, one(c)]));
}

/** A customer's own fields in a group; each replaces the group's field of the same name. */
export interface GroupCustomerArg {
  /** For readers and reports (the customer's company name); never sent. */
  name?: pulumi.Input<string>;
  integrationTitle?: pulumi.Input<string>;
  /** As the group's: a right or its resource id, a package or its name. */
  rights?: pulumi.Input<pulumi.Input<RightArg | string>[]>;
  accessPackages?: pulumi.Input<pulumi.Input<AccessPackageArg | string>[]>;
  redirectUrl?: pulumi.Input<string>;
}

export type RequestGroupArgs = RequestSystemArg & {
  /** Every customer's default: the system user's name in Altinn (default the system's `nb` name). */
  integrationTitle?: pulumi.Input<string>;
  /** Every customer's default rights (standard groups only): a right, or its resource id (`"ske-krav-og-betalinger"`). */
  rights?: pulumi.Input<pulumi.Input<RightArg | string>[]>;
  /** Every customer's default access packages (agent groups: client packages, at least one): `{urn}`, or the name or urn as text. */
  accessPackages?: pulumi.Input<pulumi.Input<AccessPackageArg | string>[]>;
  redirectUrl?: pulumi.Input<string>;
  /** Customers handled at once per provider host (1–256, default 16). */
  concurrency?: pulumi.Input<number>;
  /** `"<orgNo>"` (externalRef = orgNo) or `"<orgNo>/<externalRef>"` → the customer's own fields (`{}` for none). */
  customers: pulumi.Input<Record<string, pulumi.Input<GroupCustomerArg>>>;
};

const outputNames = [
  "systemId",
  "integrationTitle",
  "rights",
  "accessPackages",
  "redirectUrl",
  "concurrency",
  "customers",
  "requests",
  "confirmUrlTemplate",
  "changeRequestUrlTemplate",
];

abstract class RequestGroupResource extends ShimResource {
  declare readonly systemId: pulumi.Output<string>;
  declare readonly rights: pulumi.Output<Right[] | undefined>;
  declare readonly accessPackages: pulumi.Output<AccessPackage[] | undefined>;
  /** What was last asked of each customer (its own fields; the group's apply to the rest). */
  declare readonly customers: pulumi.Output<Record<string, CustomerFields>>;
  /** Customer key → request id, status, system user id, timedOut, escalated, change request, and the last error. */
  declare readonly requests: pulumi.Output<Record<string, CustomerState>>;
  /** The confirm page of a request, `{id}` standing for its request id. */
  declare readonly confirmUrlTemplate: pulumi.Output<string>;
  declare readonly changeRequestUrlTemplate: pulumi.Output<string | undefined>;

  protected constructor(kind: GroupKind, name: string, args: RequestGroupArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Record<string, unknown> = Object.fromEntries(outputNames.map((k) => [k, undefined]));
    const { system, ...rest } = args as RequestGroupArgs & { system?: import("./system").System };
    Object.assign(props, expandShorthands(rest));
    if (rest.customers !== undefined) props.customers = expandCustomers(rest.customers);
    if (system) {
      props.systemId = system.systemId;
      props.systemOffer = { rights: system.rights, accessPackages: system.accessPackages, allowedRedirectUrls: system.allowedRedirectUrls };
    }
    super("altinn", kind, name, props, opts);
  }
}

/**
 * Many customers' system user requests for one system, as one resource: what a vendor with hundreds or thousands
 * of customers declares instead of one `SystemUserRequest` each. Each customer is handled on its own (added,
 * removed or changed customers only, `concurrency` at a time); a failure for some records the others' progress.
 */
export class SystemUserRequestGroup extends RequestGroupResource {
  constructor(name: string, args: RequestGroupArgs, opts?: pulumi.CustomResourceOptions) {
    super("SystemUserRequestGroup", name, args, opts);
  }
}

/** The same for agent system users (klientdelegering): access packages only. */
export class AgentSystemUserRequestGroup extends RequestGroupResource {
  constructor(name: string, args: RequestGroupArgs, opts?: pulumi.CustomResourceOptions) {
    super("AgentSystemUserRequestGroup", name, args, opts);
  }
}

export const systemUserRequestGroupProvider = () => requestGroupProvider("SystemUserRequestGroup");
export const agentSystemUserRequestGroupProvider = () => requestGroupProvider("AgentSystemUserRequestGroup");
