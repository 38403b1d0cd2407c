import type * as pulumi from "@pulumi/pulumi";
import type { Right } from "./model";
import { requestProvider } from "./request-provider";
import { requestResourceProps, SystemUserRequestResource, type RequestCommonArgs, type RequestSystemArg } from "./request-resource";
import type { RightArg } from "./system";

export type SystemUserRequestArgs = RequestSystemArg &
  RequestCommonArgs & {
    /** Rights to ask for: each must be one of the system's rights; a right, or its resource id (`"ske-krav-og-betalinger"`). */
    rights?: pulumi.Input<pulumi.Input<RightArg | string>[]>;
    /** Access packages to ask for: each must be on the system, and assignable (not a client package); `{urn}`, or the name or urn as text. */
    accessPackages?: pulumi.Input<pulumi.Input<{ urn: pulumi.Input<string> } | string>[]>;
  };

/**
 * A request to a customer for a (standard) system user (systembruker) of one of the vendor's systems. The vendor
 * sends the customer `confirmUrl`; once the customer accepts, `systemUserId` is set. Changing rights or packages
 * afterwards goes through a change request the customer approves (`changeRequestStatus`, `changeRequestConfirmUrl`).
 *
 * Deleting this resource deletes the request, never the system user: a vendor cannot remove a system user; only
 * the customer can, in Altinn.
 */
export class SystemUserRequest extends SystemUserRequestResource {
  declare readonly rights: pulumi.Output<Right[]>;
  /** The latest change request's id, status (`New`, `Accepted`, `Rejected`, `NoChangeNeeded`, ...) and confirm page. */
  declare readonly changeRequestId: pulumi.Output<string | undefined>;
  declare readonly changeRequestStatus: pulumi.Output<string | undefined>;
  declare readonly changeRequestConfirmUrl: pulumi.Output<string | undefined>;

  constructor(name: string, args: SystemUserRequestArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "SystemUserRequest",
      name,
      requestResourceProps(args as SystemUserRequestArgs & Record<string, unknown>, [
        "rights",
        "changeRequestId",
        "changeRequestStatus",
        "changeRequestConfirmUrl",
      ]),
      opts,
    );
  }
}

export const systemUserRequestProvider = () => requestProvider("SystemUserRequest");
