/** The resources, for Pulumi programs written in TypeScript. */
export { MaskinportenClient, type MaskinportenClientArgs } from "./digdir/maskinporten-client";
export { KrrClient, type KrrClientArgs } from "./digdir/krr-client";
export { IdportenClient, type IdportenClientArgs } from "./digdir/idporten-client";
export { ClientKeys, type ClientKeysArgs, type PublicJwkArg, type GeneratedKeyInfo } from "./digdir/client-keys";
export { ApiScope, type ApiScopeArgs } from "./digdir/api-scope";
export { ScopeAccess, type ScopeAccessArgs } from "./digdir/scope-access";
export { System, type SystemArgs, type LocalizedTextArg, type RightArg, type AccessPackageArg } from "./altinn/system";
export { SystemUserRequest, type SystemUserRequestArgs } from "./altinn/system-user-request";
export { AgentSystemUserRequest, type AgentSystemUserRequestArgs } from "./altinn/agent-system-user-request";
export type { SystemOfferArg } from "./altinn/request-resource";
export { SystemUserRequestGroup, AgentSystemUserRequestGroup, type RequestGroupArgs, type GroupCustomerArg } from "./altinn/request-group";
