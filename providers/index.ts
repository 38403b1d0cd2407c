/** The resources, for Pulumi programs written in TypeScript. */
export { MaskinportenClient, type MaskinportenClientArgs } from "./digdir/maskinporten-client";
export { KrrClient, type KrrClientArgs } from "./digdir/krr-client";
export { IdportenClient, type IdportenClientArgs } from "./digdir/idporten-client";
export { ClientKeys, type ClientKeysArgs, type PublicJwkArg } from "./digdir/client-keys";
