import type * as pulumi from "@pulumi/pulumi";
import { requestProvider } from "./request-provider";
import { requestResourceProps, SystemUserRequestResource, type RequestCommonArgs, type RequestSystemArg } from "./request-resource";

export type AgentSystemUserRequestArgs = RequestSystemArg &
  RequestCommonArgs & {
    /** Client packages to ask for (at least one): `{urn}`, or the name or urn as text, e.g. `"regnskapsforer-med-signeringsrettighet"`. */
    accessPackages: pulumi.Input<pulumi.Input<{ urn: pulumi.Input<string> } | string>[]>;
  };

/**
 * A request to a facilitator (an accounting, auditing or business-management firm) for an agent system user
 * (klientdelegering): access packages only, on the agent routes. After acceptance the facilitator assigns its
 * clients in Altinn. Altinn has no change requests for agent system users: other packages need a new request
 * (a new externalRef).
 *
 * Deleting this resource deletes the request, never the system user: only the facilitator can remove it.
 */
export class AgentSystemUserRequest extends SystemUserRequestResource {
  constructor(name: string, args: AgentSystemUserRequestArgs, opts?: pulumi.CustomResourceOptions) {
    super("AgentSystemUserRequest", name, requestResourceProps(args as AgentSystemUserRequestArgs & Record<string, unknown>, []), opts);
  }
}

export const agentSystemUserRequestProvider = () => requestProvider("AgentSystemUserRequest");
