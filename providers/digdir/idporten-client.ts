import type * as pulumi from "@pulumi/pulumi";
import { clientProvider } from "./client-provider";
import { clientResourceProps, DigdirClientResource } from "./client-resource";

export interface IdportenClientArgs {
  /**
   * Take over this existing client of your organisation (its Digdir client id) instead of creating one; left out,
   * a new client is created. Another organisation's client or a deactivated one is refused in preview.
   */
  clientId?: pulumi.Input<string>;
  /** `client_name`: shown to people when they log in. */
  name: pulumi.Input<string>;
  description?: pulumi.Input<string>;
  /** `idporten` (login), `api_klient` (login plus third-party API scopes) or `ansattporten`. Changing it replaces the client. */
  integrationType?: pulumi.Input<"idporten" | "api_klient" | "ansattporten">;
  /** `web` (default), `browser` or `native`. */
  applicationType?: pulumi.Input<"web" | "browser" | "native">;
  /** Default `private_key_jwt` for web clients, `none` for browser and native. `client_secret_*` yields `clientSecret`. */
  tokenEndpointAuthMethod?: pulumi.Input<"client_secret_basic" | "client_secret_post" | "private_key_jwt" | "none">;
  grantTypes?: pulumi.Input<pulumi.Input<"authorization_code" | "refresh_token">[]>;
  /** Default `openid profile`. */
  scopes?: pulumi.Input<pulumi.Input<string>[]>;
  redirectUris: pulumi.Input<pulumi.Input<string>[]>;
  /** Default: `[clientUri]`. */
  postLogoutRedirectUris?: pulumi.Input<pulumi.Input<string>[]>;
  /** Must be on the domain of a redirect URI. */
  frontchannelLogoutUri?: pulumi.Input<string>;
  frontchannelLogoutSessionRequired?: pulumi.Input<boolean>;
  clientUri?: pulumi.Input<string>;
  authorizationLifetime?: pulumi.Input<number>;
  accessTokenLifetime?: pulumi.Input<number>;
  refreshTokenLifetime?: pulumi.Input<number>;
  refreshTokenUsage?: pulumi.Input<"ONETIME" | "REUSE">;
  ssoDisabled?: pulumi.Input<boolean>;
  codeChallengeMethod?: pulumi.Input<"S256" | "none">;
  /**
   * Secret-based clients: any string whose change gets a new `clientSecret` (an in-place update). Use a date
   * or version to rotate on your schedule. Digdir may stop accepting the old secret at once: roll the new one
   * out promptly.
   */
  rotationTrigger?: pulumi.Input<string>;
}

/** An ID-porten, API or Ansattporten login client: what Samarbeidsportalen's ID-porten pages set up by hand. */
export class IdportenClient extends DigdirClientResource {
  /** The client secret of `client_secret_*` clients: a secret output. */
  declare readonly clientSecret: pulumi.Output<string | undefined>;

  constructor(name: string, args: IdportenClientArgs, opts?: pulumi.CustomResourceOptions) {
    super("IdportenClient", name, clientResourceProps(args, ["clientSecret"]), {
      ...opts,
      additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "clientSecret"],
    });
  }
}

export const idportenClientProvider = () => clientProvider("IdportenClient");
