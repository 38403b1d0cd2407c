import * as pulumi from "@pulumi/pulumi";
import { ShimResource } from "../core/shim";
import type { AccessPackage } from "./model";
import type { RequestKind } from "./request-model";
import { expandAccessPackages, expandRights } from "./shorthand";
import type { AccessPackageArg, RightArg, System } from "./system";

/** What the system declares, for offline checks: the System's `rights`, `accessPackages`, `allowedRedirectUrls` outputs. */
export interface SystemOfferArg {
  rights?: pulumi.Input<pulumi.Input<RightArg>[]>;
  accessPackages?: pulumi.Input<pulumi.Input<AccessPackageArg>[]>;
  allowedRedirectUrls?: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * Which system a request is for: a System resource of the same program (its id and declarations are wired in,
 * so `check` can compare offline), or its id, with what it declares when known.
 */
export type RequestSystemArg =
  | { system: System; systemId?: never; systemOffer?: never }
  | { systemId: pulumi.Input<string>; systemOffer?: pulumi.Input<SystemOfferArg>; system?: never };

export interface RequestCommonArgs {
  /** The customer's organisation number (9 digits; for an agent request the facilitator, e.g. the accounting firm). */
  partyOrgNo: pulumi.Input<string>;
  /**
   * Your reference for this customer's system user; with the system and the customer it is the key. Defaults to
   * `partyOrgNo`. System user tokens name it in `authorization_details` (unless it is the default).
   */
  externalRef?: pulumi.Input<string>;
  /** The system user's name in Altinn; defaults to the system's `nb` name. */
  integrationTitle?: pulumi.Input<string>;
  /** Where the customer lands after answering: one of the system's allowedRedirectUrls. */
  redirectUrl?: pulumi.Input<string>;
}

const outputNames = [
  "systemId",
  "partyOrgNo",
  "externalRef",
  "integrationTitle",
  "accessPackages",
  "redirectUrl",
  "requestId",
  "status",
  "confirmUrl",
  "timedOut",
  "escalated",
  "created",
  "systemUserId",
];

/** The props of a request resource: outputs present (as undefined), `system` turned into `systemId` + `systemOffer`. */
export function requestResourceProps(
  args: RequestSystemArg & Record<string, unknown>,
  extraOutputs: readonly string[],
): Record<string, unknown> {
  const props: Record<string, unknown> = Object.fromEntries([...outputNames, ...extraOutputs].map((k) => [k, undefined]));
  const { system, ...given } = args;
  // The stack file's shorthands: a right as its resource id, a package as its name (model.ts).
  const rest = {
    ...given,
    ...(given.rights !== undefined && { rights: expandRights(given.rights as pulumi.Input<pulumi.Input<unknown>[]>) }),
    ...(given.accessPackages !== undefined && {
      accessPackages: expandAccessPackages(given.accessPackages as pulumi.Input<pulumi.Input<unknown>[]>),
    }),
  };
  if (system) {
    return {
      ...props,
      ...rest,
      systemId: system.systemId,
      systemOffer: { rights: system.rights, accessPackages: system.accessPackages, allowedRedirectUrls: system.allowedRedirectUrls },
    };
  }
  return { ...props, ...rest };
}

export abstract class SystemUserRequestResource extends ShimResource {
  declare readonly systemId: pulumi.Output<string>;
  declare readonly partyOrgNo: pulumi.Output<string>;
  declare readonly externalRef: pulumi.Output<string>;
  declare readonly integrationTitle: pulumi.Output<string | undefined>;
  declare readonly accessPackages: pulumi.Output<AccessPackage[]>;
  declare readonly redirectUrl: pulumi.Output<string | undefined>;
  /** Altinn's id of the current request ("" for a system user adopted without one); changes when the request is posted again. */
  declare readonly requestId: pulumi.Output<string>;
  /** `New`, `Accepted`, `Rejected` or `Denied` (`Timedout` from older Altinn builds). */
  declare readonly status: pulumi.Output<string>;
  /** The page to send the customer to, to approve the request ("" once there is none). */
  declare readonly confirmUrl: pulumi.Output<string>;
  /** true once the request is older than Altinn's time-out (180 days); the status stays as it was. */
  declare readonly timedOut: pulumi.Output<boolean>;
  /** true when a customer user without access-manager rights forwarded the request to the organisation's access managers. */
  declare readonly escalated: pulumi.Output<boolean>;
  declare readonly created: pulumi.Output<string | undefined>;
  /** The system user's id, once the customer has accepted. */
  declare readonly systemUserId: pulumi.Output<string | undefined>;

  protected constructor(kind: RequestKind, name: string, props: Record<string, unknown>, opts?: pulumi.CustomResourceOptions) {
    super("altinn", kind, name, props, opts);
  }
}
