import * as pulumi from "@pulumi/pulumi";
import { ProviderHost, providerTextOf } from "./provider-host";
import { localConfig, startSim, type Simulator } from "./sim";

/** A simulator, a provider host configured for it, and the serialized providers of the kinds a test uses. */
export interface EngineAgainstSim {
  sim: Simulator;
  host: ProviderHost;
  /** kind → the `__provider` text dynamic.Resource would store. */
  P: Record<string, string>;
  close(): Promise<void>;
}

export async function engineAgainstSim(kinds: string[], options: Parameters<typeof startSim>[0] = {}): Promise<EngineAgainstSim> {
  const sim = await startSim(options);
  const host = await ProviderHost.start();
  await host.configure(localConfig(sim));
  const P: Record<string, string> = {};
  for (const kind of kinds) P[kind] = providerTextOf(kind);
  return {
    sim,
    host,
    P,
    async close() {
      host.close();
      await sim.close();
    },
  };
}

/** What a program registered with the engine, as the SDK's mock monitor received it. */
export interface Registration {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  secretOutputs: string[];
}

type RegisterRequest = {
  getType(): string;
  getName(): string;
  getAdditionalsecretoutputsList(): string[];
  getObject(): { toJavaScript(): Record<string, unknown> };
};

/**
 * Runs a program under the SDK's mocks and records every registration, including what the mocks' own
 * arguments leave out (additionalSecretOutputs). `preview`: as `pulumi preview` runs it (outputs the engine does
 * not give are unknown).
 */
export async function captureRegistrations(
  newResource: pulumi.runtime.Mocks["newResource"],
  program: () => Promise<void>,
  opts: { preview?: boolean } = {},
): Promise<Registration[]> {
  await pulumi.runtime.setMocks({ newResource, call: () => ({}) }, "pulumi-digdir", "test", opts.preview ?? false);
  const registrations: Registration[] = [];
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: (req: RegisterRequest, cb: unknown) => unknown };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    registrations.push({
      type: req.getType(),
      name: req.getName(),
      inputs: req.getObject().toJavaScript(),
      secretOutputs: req.getAdditionalsecretoutputsList(),
    });
    return original(req, cb);
  };
  await program();
  return registrations;
}
