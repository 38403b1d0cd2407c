import type * as pulumi from "@pulumi/pulumi";
import { clientProvider } from "./client-provider";
import { clientResourceProps, DigdirClientResource } from "./client-resource";

export interface MaskinportenClientArgs {
  /**
   * Take over this existing client of your organisation (its Digdir client id) instead of creating one; left out,
   * a new client is created. Another organisation's client or a deactivated one is refused in preview.
   */
  clientId?: pulumi.Input<string>;
  /** `client_name`: shown in Samarbeidsportalen. */
  name: pulumi.Input<string>;
  /** Free text; defaults to `name`. */
  description?: pulumi.Input<string>;
  /** Maskinporten scopes the client may ask for (at least one), e.g. `altinn:authentication/systemregister.write`. */
  scopes: pulumi.Input<pulumi.Input<string>[]>;
  clientUri?: pulumi.Input<string>;
  /** Access token lifetime in seconds (1–3600, default 120); a scope's `at_max_age` may cap it. */
  accessTokenLifetime?: pulumi.Input<number>;
}

/** A Maskinporten client (integration type `maskinporten`): machine-to-machine, `private_key_jwt`, jwt-bearer. */
export class MaskinportenClient extends DigdirClientResource {
  constructor(name: string, args: MaskinportenClientArgs, opts?: pulumi.CustomResourceOptions) {
    super("MaskinportenClient", name, clientResourceProps(args), opts);
  }
}

export const maskinportenClientProvider = () => clientProvider("MaskinportenClient");
