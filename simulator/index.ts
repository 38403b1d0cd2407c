import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Clock, type ClockState } from "./core/clock";
import { FaultInjector } from "./core/faults";
import { Router } from "./core/router";
import { createSimServer } from "./core/server";
import { Stats } from "./core/stats";
import { StateStore, writeFileAtomically } from "./core/store";
import { altinnModule } from "./altinn/index";
import type { SimConfig, SimContext, SimModule } from "./context";
import { credentialsShape, type BootstrapCredentials } from "./control/bootstrap";
import { controlModule } from "./control/routes";
import { krrModule } from "./krr/routes";
import { maskinportenModule } from "./maskinporten/routes";
import { MaskinportenService } from "./maskinporten/service";
import { Registry } from "./registry/registry";
import { samarbeidModule } from "./samarbeid/routes";
import { loadSeed, seedFromObject, type Seed } from "./seed/schema";

// The simulator: one HTTP server on 127.0.0.1 standing in for Maskinporten, Digdir's self-service API, KRR and
// Altinn (system register, system user requests, the customer's confirm pages). See README.md beside this file.

export type { SimConfig, SimContext, SimModule } from "./context";
export type { BootstrapCredentials } from "./control/bootstrap";
export type { SimReply, SimRequest, Handler } from "./core/http";
export type {
  AccessTokenClaims,
  AuthorizationDetailsHandler,
  AuthorizationDetailsRequest,
  AuthorizationDetailsResult,
  BearerCheck,
  VerifiedToken,
} from "./maskinporten/service";

/** The service modules every simulator runs. */
export const builtInModules: readonly SimModule[] = [maskinportenModule, samarbeidModule, krrModule, altinnModule];

export interface StartOptions {
  /** 0 or absent: a free port. */
  port?: number;
  /** Keep state (clients, keys, the admin key, ...) in this directory across restarts. */
  stateDir?: string;
  /** Seed files extending the default seed, or an in-memory extension (same shape as a seed file). */
  seed?: string | string[] | Record<string, unknown>;
  /** false: do not reproduce the references' [observation] quirks (--no-quirks). Default true. */
  quirks?: boolean;
  /** Default 0. */
  keyActivationDelaySeconds?: number;
  /** Default 200 (Digdir's docs); 201 to prove a caller accepts either. */
  clientCreateStatus?: 200 | 201;
  /** Default "hidden". */
  deletedClients?: "hidden" | "inactive";
  /** Default "inactive". */
  deactivatedScopeRead?: "inactive" | "hidden";
  /** Extra modules after the built-in ones (tests, experiments). */
  modules?: SimModule[];
  /** Diagnostics; default stderr. */
  log?: (message: string) => void;
}

export interface RunningSimulator {
  url: string;
  bootstrap: BootstrapCredentials;
  context: SimContext;
  /** Stop serving and, with a state directory, write the state. */
  close(): Promise<void>;
}

export async function startSimulator(options: StartOptions = {}): Promise<RunningSimulator> {
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const seed = resolveSeed(options.seed);
  const store = new StateStore(options.stateDir);
  const clockSlice = store.define<ClockState>("clock", { initial: () => ({ offsetMs: 0 }) });
  const clock = new Clock(() => clockSlice.value);
  const startConfig: SimConfig = {
    keyActivationDelaySeconds: options.keyActivationDelaySeconds ?? 0,
    clientCreateStatus: options.clientCreateStatus ?? 200,
    deletedClients: options.deletedClients ?? "hidden",
    deactivatedScopeRead: options.deactivatedScopeRead ?? "inactive",
    quirks: options.quirks ?? true,
  };
  const config: SimConfig = { ...startConfig };
  let baseUrl = "";
  const url = () => baseUrl;
  const router = new Router();
  const faults = new FaultInjector();
  const stats = new Stats(() => clock.iso());
  const registry = new Registry(store, seed, clock);
  const maskinporten = await MaskinportenService.create(store, clock, url);
  const resetHooks: (() => void)[] = [];

  const ctx: SimContext = {
    clock,
    store,
    seed,
    config,
    router,
    faults,
    stats,
    registry,
    maskinporten,
    url,
    onReset: (fn) => resetHooks.push(fn),
    log,
  };
  const reset = () => {
    store.reset();
    faults.clear();
    stats.reset();
    Object.assign(config, startConfig);
    for (const fn of resetHooks) fn();
  };
  for (const module of [...builtInModules, controlModule(reset), ...(options.modules ?? [])]) module.register(ctx);
  await registry.ensureBootstrap();

  const server = createSimServer({ router, faults, stats, onMutation: () => store.changed(), logError: log, now: () => clock.date() });
  server.listen(options.port ?? 0, "127.0.0.1");
  await once(server, "listening");
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const bootstrap = credentialsShape(ctx, registry.bootstrapCredentials());
  if (options.stateDir) {
    writeFileAtomically(join(options.stateDir, "bootstrap.json"), `${JSON.stringify(bootstrap, null, 2)}\n`);
    store.save();
  }

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }).then(() => store.save());
    return closing;
  };
  return { url: baseUrl, bootstrap, context: ctx, close };
}

function resolveSeed(seed: StartOptions["seed"]): Seed {
  if (seed === undefined) return loadSeed();
  if (typeof seed === "string") return loadSeed([seed]);
  if (Array.isArray(seed)) return loadSeed(seed);
  return seedFromObject(seed);
}
