import type * as pulumi from "@pulumi/pulumi";
import { clientProvider } from "./client-provider";
import { clientResourceProps, DigdirClientResource } from "./client-resource";

export interface KrrClientArgs {
  /**
   * Take over this existing client of your organisation (its Digdir client id) instead of creating one; left out,
   * a new client is created. Another organisation's client or a deactivated one is refused in preview.
   */
  clientId?: pulumi.Input<string>;
  name: pulumi.Input<string>;
  description?: pulumi.Input<string>;
  /**
   * Defaults to both KRR scopes, `krr:global/kontaktinformasjon.read` and `krr:global/digitalpost.read`,
   * which is what KRR's own guide sets up; a subset is allowed, nothing else.
   */
  scopes?: pulumi.Input<pulumi.Input<string>[]>;
  clientUri?: pulumi.Input<string>;
  accessTokenLifetime?: pulumi.Input<number>;
}

/** A client for KRR's lookup (Kontakt- og reservasjonsregisteret), integration type `krr`. */
export class KrrClient extends DigdirClientResource {
  constructor(name: string, args: KrrClientArgs, opts?: pulumi.CustomResourceOptions) {
    super("KrrClient", name, clientResourceProps(args), opts);
  }
}

export const krrClientProvider = () => clientProvider("KrrClient");
