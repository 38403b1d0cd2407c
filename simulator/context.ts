import type { Clock } from "./core/clock";
import type { FaultInjector } from "./core/faults";
import type { Router } from "./core/router";
import type { Stats } from "./core/stats";
import type { StateStore } from "./core/store";
import type { MaskinportenService } from "./maskinporten/service";
import type { Registry } from "./registry/registry";
import type { Seed } from "./seed/schema";

// What every service module receives. A module (maskinporten, samarbeid, krr, control, and later altinn)
// registers its routes on `router` (control routes are simply routes below /_sim), keeps its data in
// `store` slices, reads time from `clock`, and uses the shared `registry` (organisations, Maskinporten
// clients and keys, scopes) and `maskinporten` (token issuance and bearer-token checks).

export interface SimConfig {
  /** Seconds (simulator clock) before a newly created client or newly registered key works at /maskinporten/token. */
  keyActivationDelaySeconds: number;
  /** Status of a successful POST /samarbeid/api/v1/clients (UNCERTAIN in the reference; Digdir's docs show 200). */
  clientCreateStatus: 200 | 201;
  /** After DELETE of a client: "hidden" (404 on GET, absent from the list) or "inactive" (still listed, active:false). */
  deletedClients: "hidden" | "inactive";
  /** A deactivated scope at GET /scopes/scope?scope= (UNDOCUMENTED): "inactive" (shown, active:false) or "hidden" (404). */
  deactivatedScopeRead: "inactive" | "hidden";
  /** Reproduce behaviours the references mark as [observation] (unintended-looking). Off with --no-quirks. */
  quirks: boolean;
}

export interface SimContext {
  readonly clock: Clock;
  readonly store: StateStore;
  readonly seed: Seed;
  readonly config: SimConfig;
  readonly router: Router;
  readonly faults: FaultInjector;
  readonly stats: Stats;
  readonly registry: Registry;
  readonly maskinporten: MaskinportenService;
  /** The simulator's base URL, e.g. http://127.0.0.1:41234 (known once it listens). */
  url(): string;
  /** Run after POST /_sim/reset has reset the store (to clear in-memory caches). */
  onReset(fn: () => void): void;
  /** Diagnostics to stderr. Never pass tokens, keys, secrets or request bodies. */
  log(message: string): void;
}

export interface SimModule {
  readonly name: string;
  register(ctx: SimContext): void;
}
