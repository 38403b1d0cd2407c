import { generateKeyPair } from "node:crypto";
import { promisify } from "node:util";
import type { Clock } from "../core/clock";
import { newUuid } from "../core/ids";
import type { Slice, StateStore } from "../core/store";
import { INTEGRATION_TYPES, type IntegrationType, type Seed, type SeedOrganisation, type SeedScope } from "../seed/schema";

// The registers several services share: organisations (seed + POST /_sim/orgs), the Maskinporten scope
// catalogue (the seed's scopes plus the API scopes organisations create with /samarbeid/api/v1/scopes) and who
// may consume which scope (the seed's consumable scopes plus the scopes' access lists), and the Maskinporten
// clients with their keys (written by the self-service API, read by the token endpoint and Altinn's system
// register).

const generateKeyPairAsync = promisify(generateKeyPair);

export interface PublicJwk {
  kty: "RSA";
  kid: string;
  alg: string;
  use: "sig";
  n: string;
  e: string;
  x5c?: string[];
}

export interface PrivateJwk extends PublicJwk {
  d: string;
  p: string;
  q: string;
  dp: string;
  dq: string;
  qi: string;
}

export interface RegisteredKey {
  jwk: PublicJwk;
  /** Expiry, epoch seconds (simulator clock); undefined = never (the admin clients' keys). */
  exp?: number;
  /** When the key works at the token endpoint (activation delay), epoch seconds. */
  activeFrom: number;
}

export interface ClientJwks {
  keys: RegisteredKey[];
  created: string;
  last_updated: string;
}

/** The writable fields of a ClientRegistration, as the wire spells them (the self-service OpenAPI's ClientRegistration). */
export interface ClientFields {
  client_name?: string;
  description?: string;
  client_uri?: string;
  integration_type: IntegrationType;
  application_type?: string;
  token_endpoint_auth_method?: string;
  grant_types: string[];
  scopes: string[];
  redirect_uris?: string[];
  post_logout_redirect_uris?: string[];
  frontchannel_logout_uri?: string;
  frontchannel_logout_session_required?: boolean;
  authorization_lifetime?: number;
  access_token_lifetime?: number;
  refresh_token_lifetime?: number;
  refresh_token_usage?: string;
  sso_disabled?: boolean;
  code_challenge_method?: string;
}

export interface ClientRecord {
  client_id: string;
  client_orgno: string;
  fields: ClientFields;
  created: string;
  last_updated: string;
  active: boolean;
  /** When the client becomes known to the token endpoint (activation delay), epoch seconds. */
  activeFrom: number;
  /** Provisioned by Digdir (bootstrap, POST /_sim/orgs): holds adminScopes without consuming them. */
  admin: boolean;
  /** sha256 of the client secret; the secret itself is shown once and never stored. */
  secretHash?: string;
  jwks?: ClientJwks;
}

export interface AdminCredentials {
  orgNo: string;
  clientId: string;
  kid: string;
  privateJwk: PrivateJwk;
}

export interface Organisation {
  orgNo: string;
  name: string;
  vendor: boolean;
  consumableScopes: string[];
  /** API scope prefixes Digdir assigned to the organisation (absent: none). */
  scopePrefixes?: string[];
}

export type ScopeVisibility = "PUBLIC" | "PRIVATE" | "INTERNAL";
export type ScopeTokenType = "SELF_CONTAINED" | "OPAQUE";

/** An API scope created with POST /scopes: a ScopeRegistration as the wire spells it (the self-service OpenAPI's ScopeRegistration). */
export interface ScopeRecord {
  prefix: string;
  subscope: string;
  name: string;
  description: string;
  long_description?: string;
  active: boolean;
  visibility: ScopeVisibility;
  /** Absent: every integration type may use the scope. */
  allowed_integration_types?: IntegrationType[];
  accessible_for_all: boolean;
  at_max_age?: number;
  authorization_max_lifetime?: number;
  delegation_source?: string;
  token_type: ScopeTokenType;
  requires_user_consent: boolean;
  requires_user_authentication: boolean;
  requires_pseudonymous_tokens: boolean;
  owner_orgno: string;
  created: string;
  last_updated: string;
}

export type ConsumerState = "APPROVED" | "REQUESTED" | "DENIED";

/** One row of a scope's access list: a ConsumerRegistration as the wire spells it (the self-service OpenAPI's ScopeRegistration). */
export interface ConsumerRecord {
  scope: string;
  consumer_orgno: string;
  owner_orgno: string;
  state: ConsumerState;
  created: string;
  last_updated: string;
}

/** What Maskinporten needs to know of any scope, from the seed catalogue or created through the API. */
export interface ScopeDef {
  name: string;
  allowedIntegrationTypes: IntegrationType[];
  /** Caps the access token lifetime of tokens holding the scope. */
  atMaxAge?: number;
  accessibleForAll: boolean;
  /** false once the owner has deactivated it (DELETE /scopes); seed scopes are always active. */
  active: boolean;
  /** "seed": Digdir's and Altinn's catalogue; "api": created by an organisation with POST /scopes. */
  source: "seed" | "api";
}

/**
 * The owner shown for the seed catalogue's scopes (Digdir's and Altinn's own: idporten, krr, altinn). Digdir's
 * real organisation number is the default seed's vendor, so a synthetic number (valid check digit) stands in.
 */
export const CATALOGUE_OWNER_ORGNO = "910000004";
/** `created`/`last_updated` of the access rows that stand for the seed's consumable scopes. */
export const SEED_TIMESTAMP = "2024-01-01T00:00:00.000Z";

interface BootstrapState {
  credentials: AdminCredentials;
  client: ClientRecord;
}

export const JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";

export class Registry {
  private readonly bootstrapSlice: Slice<BootstrapState | null>;
  private readonly clientsSlice: Slice<Record<string, ClientRecord>>;
  private readonly orgsSlice: Slice<Organisation[]>;
  private readonly vendorAdminsSlice: Slice<Record<string, AdminCredentials>>;
  private readonly apiScopesSlice: Slice<Record<string, ScopeRecord>>;
  /** Access rows by scope name, then consumer orgno. */
  private readonly scopeAccessSlice: Slice<Record<string, Record<string, ConsumerRecord>>>;

  constructor(
    private readonly store: StateStore,
    private readonly seed: Seed,
    private readonly clock: Clock,
  ) {
    this.bootstrapSlice = store.define<BootstrapState | null>("registry.bootstrap", { initial: () => null, keepOnReset: true });
    this.clientsSlice = store.define<Record<string, ClientRecord>>("registry.clients", {
      initial: () => {
        const boot = this.bootstrapSlice.value;
        return boot ? { [boot.client.client_id]: structuredClone(boot.client) } : {};
      },
    });
    this.orgsSlice = store.define<Organisation[]>("registry.addedOrganisations", { initial: () => [] });
    this.vendorAdminsSlice = store.define<Record<string, AdminCredentials>>("registry.vendorAdmins", { initial: () => ({}) });
    this.apiScopesSlice = store.define<Record<string, ScopeRecord>>("registry.apiScopes", { initial: () => ({}) });
    this.scopeAccessSlice = store.define<Record<string, Record<string, ConsumerRecord>>>("registry.scopeAccess", { initial: () => ({}) });
  }

  // --- organisations ---

  organisations(): Organisation[] {
    const byNo = new Map<string, Organisation>();
    for (const o of this.seed.organisations) byNo.set(o.orgNo, fromSeed(o));
    for (const o of this.orgsSlice.value) byNo.set(o.orgNo, o);
    return [...byNo.values()];
  }

  organisation(orgNo: string): Organisation | undefined {
    return this.organisations().find((o) => o.orgNo === orgNo);
  }

  /** Add (or update) an organisation in the register. Its scope prefixes stay unless `org` names them. */
  putOrganisation(org: Organisation): void {
    const prefixes = org.scopePrefixes ?? this.organisation(org.orgNo)?.scopePrefixes;
    const list = this.orgsSlice.value.filter((o) => o.orgNo !== org.orgNo);
    list.push(prefixes && prefixes.length > 0 ? { ...org, scopePrefixes: [...prefixes] } : org);
    this.orgsSlice.value = list;
    this.store.changed();
  }

  // --- scopes ---

  /** Any scope Maskinporten knows: the seed catalogue's or an API scope (deactivated ones included). */
  scope(name: string): ScopeDef | undefined {
    const seeded = this.seedScope(name);
    if (seeded) {
      const def: ScopeDef = {
        name: seeded.name,
        allowedIntegrationTypes: [...seeded.allowedIntegrationTypes],
        accessibleForAll: seeded.accessibleForAll,
        active: true,
        source: "seed",
      };
      if (seeded.atMaxAge !== undefined) def.atMaxAge = seeded.atMaxAge;
      return def;
    }
    const api = this.apiScope(name);
    if (!api) return undefined;
    const def: ScopeDef = {
      name: api.name,
      allowedIntegrationTypes: api.allowed_integration_types ? [...api.allowed_integration_types] : [...INTEGRATION_TYPES],
      accessibleForAll: api.accessible_for_all,
      active: api.active,
      source: "api",
    };
    if (api.at_max_age !== undefined) def.atMaxAge = api.at_max_age;
    return def;
  }

  seedScope(name: string): SeedScope | undefined {
    return this.seed.scopes.find((s) => s.name === name);
  }

  seedScopes(): SeedScope[] {
    return [...this.seed.scopes];
  }

  /**
   * May `orgNo` register `scope` on its own clients and get tokens for it? Yes for an `accessible_for_all` scope;
   * for a seed scope when the seed lets the organisation consume it; for an API scope when its access list has
   * the organisation APPROVED (the owner too needs a row). Whether the scope is active is asked separately.
   */
  mayConsume(orgNo: string, scope: string): boolean {
    const def = this.scope(scope);
    if (!def) return false;
    if (def.accessibleForAll) return true;
    if (def.source === "api") return this.accessRow(scope, orgNo)?.state === "APPROVED";
    return this.seedConsumableScopes(orgNo).includes(scope);
  }

  /** The seed catalogue's scopes the organisation may consume (its own list, plus the vendor list for vendors). */
  seedConsumableScopes(orgNo: string): string[] {
    const org = this.organisation(orgNo);
    if (!org) return [];
    const scopes = new Set(org.consumableScopes);
    if (org.vendor) for (const s of this.seed.vendorConsumableScopes) scopes.add(s);
    return [...scopes].filter((s) => this.seedScope(s) !== undefined);
  }

  adminScopes(): string[] {
    return [...this.seed.adminScopes];
  }

  /** The organisation that owns a scope prefix (assigned in the seed), if any. */
  prefixOwner(prefix: string): string | undefined {
    return this.organisations().find((o) => o.scopePrefixes?.includes(prefix))?.orgNo;
  }

  /** The prefixes assigned to an organisation. */
  prefixesOf(orgNo: string): string[] {
    return [...(this.organisation(orgNo)?.scopePrefixes ?? [])].sort();
  }

  /** Every assigned prefix with its organisation. */
  allPrefixes(): { prefix: string; owner: string }[] {
    return this.organisations()
      .flatMap((o) => (o.scopePrefixes ?? []).map((prefix) => ({ prefix, owner: o.orgNo })))
      .sort((a, b) => a.prefix.localeCompare(b.prefix));
  }

  apiScope(name: string): ScopeRecord | undefined {
    return this.apiScopesSlice.value[name];
  }

  apiScopes(): ScopeRecord[] {
    return Object.values(this.apiScopesSlice.value);
  }

  putApiScope(scope: ScopeRecord): void {
    this.apiScopesSlice.value[scope.name] = scope;
    this.store.changed();
  }

  /** The access list of an API scope, oldest row first. */
  scopeAccess(scope: string): ConsumerRecord[] {
    return Object.values(this.scopeAccessSlice.value[scope] ?? {}).sort(byCreated);
  }

  accessRow(scope: string, consumerOrgNo: string): ConsumerRecord | undefined {
    return this.scopeAccessSlice.value[scope]?.[consumerOrgNo];
  }

  putAccessRow(row: ConsumerRecord): void {
    (this.scopeAccessSlice.value[row.scope] ??= {})[row.consumer_orgno] = row;
    this.store.changed();
  }

  /** Every access row naming the organisation as consumer (API scopes only). */
  accessRowsOf(consumerOrgNo: string): ConsumerRecord[] {
    return Object.values(this.scopeAccessSlice.value)
      .flatMap((rows) => (rows[consumerOrgNo] ? [rows[consumerOrgNo]] : []))
      .sort(byCreated);
  }

  // --- clients ---

  /** A client by id, deleted (inactive) ones included. */
  client(clientId: string): ClientRecord | undefined {
    return this.clientsSlice.value[clientId];
  }

  clientsOwnedBy(orgNo: string): ClientRecord[] {
    return Object.values(this.clientsSlice.value).filter((c) => c.client_orgno === orgNo);
  }

  putClient(client: ClientRecord): void {
    this.clientsSlice.value[client.client_id] = client;
    this.store.changed();
  }

  // --- admin clients (bootstrap and POST /_sim/orgs vendors) ---

  bootstrapCredentials(): AdminCredentials {
    const boot = this.bootstrapSlice.value;
    if (!boot) throw new Error("bootstrap credentials are not created yet");
    return boot.credentials;
  }

  /** Create the bootstrap vendor's admin client and key on first start; later starts keep them. */
  async ensureBootstrap(): Promise<AdminCredentials> {
    const existing = this.bootstrapSlice.value;
    if (existing) {
      if (!this.client(existing.client.client_id)) this.putClient(structuredClone(existing.client));
      return existing.credentials;
    }
    const { credentials, client } = await this.newAdminClient(this.seed.bootstrapOrgNo);
    this.bootstrapSlice.value = { credentials, client: structuredClone(client) };
    this.putClient(client);
    return credentials;
  }

  /** The admin credentials of a vendor: the bootstrap's, or those created by POST /_sim/orgs. */
  adminCredentials(orgNo: string): AdminCredentials | undefined {
    const boot = this.bootstrapSlice.value;
    if (boot && boot.credentials.orgNo === orgNo) return boot.credentials;
    return this.vendorAdminsSlice.value[orgNo];
  }

  async createVendorAdmin(orgNo: string): Promise<AdminCredentials> {
    const { credentials, client } = await this.newAdminClient(orgNo);
    this.putClient(client);
    this.vendorAdminsSlice.value[orgNo] = credentials;
    this.store.changed();
    return credentials;
  }

  private async newAdminClient(orgNo: string): Promise<{ credentials: AdminCredentials; client: ClientRecord }> {
    const privateJwk = await generateRsaJwk(newUuid());
    const now = this.clock.iso();
    const client: ClientRecord = {
      client_id: newUuid(),
      client_orgno: orgNo,
      fields: {
        client_name: `Admin client ${orgNo} (simulator)`,
        description: "Self-service admin client provisioned by the simulator (stands for Digdir's manual provisioning)",
        integration_type: "maskinporten",
        application_type: "web",
        token_endpoint_auth_method: "private_key_jwt",
        grant_types: [JWT_BEARER_GRANT],
        scopes: this.adminScopes(),
        access_token_lifetime: 120,
      },
      created: now,
      last_updated: now,
      active: true,
      activeFrom: 0,
      admin: true,
      jwks: { keys: [{ jwk: publicPart(privateJwk), activeFrom: 0 }], created: now, last_updated: now },
    };
    return { credentials: { orgNo, clientId: client.client_id, kid: privateJwk.kid, privateJwk }, client };
  }
}

export async function generateRsaJwk(kid: string): Promise<PrivateJwk> {
  const { privateKey } = await generateKeyPairAsync("rsa", { modulusLength: 2048 });
  const jwk = privateKey.export({ format: "jwk" }) as Record<string, string>;
  return {
    kty: "RSA",
    kid,
    alg: "RS256",
    use: "sig",
    n: jwk.n!,
    e: jwk.e!,
    d: jwk.d!,
    p: jwk.p!,
    q: jwk.q!,
    dp: jwk.dp!,
    dq: jwk.dq!,
    qi: jwk.qi!,
  };
}

export function publicPart(jwk: PrivateJwk): PublicJwk {
  return { kty: "RSA", kid: jwk.kid, alg: jwk.alg, use: "sig", n: jwk.n, e: jwk.e };
}

function byCreated(a: ConsumerRecord, b: ConsumerRecord): number {
  return a.created.localeCompare(b.created) || a.scope.localeCompare(b.scope) || a.consumer_orgno.localeCompare(b.consumer_orgno);
}

function fromSeed(o: SeedOrganisation): Organisation {
  const org: Organisation = { orgNo: o.orgNo, name: o.name, vendor: o.vendor, consumableScopes: [...o.consumableScopes] };
  if (o.scopePrefixes.length > 0) org.scopePrefixes = [...o.scopePrefixes];
  return org;
}
