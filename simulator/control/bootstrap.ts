import type { SimContext } from "../context";
import type { AdminCredentials, PrivateJwk } from "../registry/registry";

/** The credentials shape of GET /_sim/bootstrap, bootstrap.json and POST /_sim/orgs with vendor: true. */
export interface BootstrapCredentials {
  url: string;
  issuer: string;
  tokenEndpoint: string;
  orgNo: string;
  clientId: string;
  kid: string;
  privateJwk: PrivateJwk;
  scopes: string[];
}

export function credentialsShape(ctx: SimContext, creds: AdminCredentials): BootstrapCredentials {
  const client = ctx.registry.client(creds.clientId);
  return {
    url: ctx.url(),
    issuer: ctx.maskinporten.issuer(),
    tokenEndpoint: ctx.maskinporten.tokenEndpoint(),
    orgNo: creds.orgNo,
    clientId: creds.clientId,
    kid: creds.kid,
    privateJwk: { ...creds.privateJwk },
    scopes: client ? [...client.fields.scopes] : ctx.registry.adminScopes(),
  };
}
