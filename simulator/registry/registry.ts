import { generateKeyPair } from "node:crypto";
import { promisify } from "node:util";
import type { Clock } from "../core/clock";
import { newUuid } from "../core/ids";
import type { Slice, StateStore } from "../core/store";
import type { IntegrationType, Seed, SeedOrganisation, SeedScope } from "../seed/schema";

// The registers several services share: organisations (seed + POST /_sim/orgs), the Maskinporten scope
// catalogue and who may consume which scope, and the Maskinporten clients with their keys (written by the
// self-service API, read by the token endpoint, and later by Altinn's system register).

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

/** The writable fields of a ClientRegistration, as the wire spells them (digdir-api.md §2.3). */
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
}

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

  /** Add (or update) an organisation in the register. */
  putOrganisation(org: Organisation): void {
    const list = this.orgsSlice.value.filter((o) => o.orgNo !== org.orgNo);
    list.push(org);
    this.orgsSlice.value = list;
    this.store.changed();
  }

  // --- scopes ---

  scope(name: string): SeedScope | undefined {
    return this.seed.scopes.find((s) => s.name === name);
  }

  /** May `orgNo` register `scope` on its own clients (and use it in tokens)? */
  mayConsume(orgNo: string, scope: string): boolean {
    const def = this.scope(scope);
    if (!def) return false;
    if (def.accessibleForAll) return true;
    const org = this.organisation(orgNo);
    if (!org) return false;
    return org.consumableScopes.includes(scope) || (org.vendor && this.seed.vendorConsumableScopes.includes(scope));
  }

  adminScopes(): string[] {
    return [...this.seed.adminScopes];
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

function fromSeed(o: SeedOrganisation): Organisation {
  return { orgNo: o.orgNo, name: o.name, vendor: o.vendor, consumableScopes: [...o.consumableScopes] };
}
