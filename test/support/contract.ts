import { afterAll, afterEach, beforeAll } from "vitest";
import { configureContext, type Context } from "../../providers/core/context";
import { DigdirClientApi } from "../../providers/digdir/api";
import { control, localConfig, startSim, type Simulator } from "./sim";

export interface SimulatorContext {
  sim: Simulator;
  /** The providers' context, configured for the simulator (the local settings and `config`). */
  ctx: Context;
  api: DigdirClientApi;
}

/**
 * For a describe block that drives the providers against a simulator over a socket: a fresh simulator and a
 * provider context for it, with fast back-off (a server's Retry-After still rules); the simulator's faults are
 * cleared after each test, and both are closed after the last. `use` receives them before the first test.
 */
export function withSimulatorContext(use: (s: SimulatorContext) => void, config: Record<string, string> = {}): void {
  let s: SimulatorContext | undefined;
  beforeAll(async () => {
    const sim = await startSim();
    const ctx = configureContext({ get: (k) => ({ ...localConfig(sim), ...config })[k] });
    (ctx.http.options as { baseDelayMs: number }).baseDelayMs = 10;
    s = { sim, ctx, api: new DigdirClientApi(ctx) };
    use(s);
  });
  afterEach(async () => {
    if (s) await control(s.sim, "DELETE", "/faults");
  });
  afterAll(async () => {
    await s?.ctx.http.close();
    await s?.sim.close();
  });
}
