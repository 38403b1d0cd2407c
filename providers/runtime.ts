import type * as pulumi from "@pulumi/pulumi";
import { isUnknown } from "./core/check";
import { configureContext, context } from "./core/context";
import { exitWithEngine, inProviderHost } from "./core/host-watch";
import type { ConfigSource } from "./core/settings";
import { agentSystemUserRequestProvider } from "./altinn/agent-system-user-request";
import { systemProvider } from "./altinn/system";
import { systemUserRequestProvider } from "./altinn/system-user-request";
import { agentSystemUserRequestGroupProvider, systemUserRequestGroupProvider } from "./altinn/request-group";
import { apiScopeProvider } from "./digdir/api-scope";
import { clientKeysProvider } from "./digdir/client-keys";
import { idportenClientProvider } from "./digdir/idporten-client";
import { krrClientProvider } from "./digdir/krr-client";
import { maskinportenClientProvider } from "./digdir/maskinporten-client";
import { scopeAccessProvider } from "./digdir/scope-access";

/**
 * What the provider host loads (compiled to dist/providers/runtime.js): the implementation behind every
 * resource kind's shim (core/shim.ts). One module instance per host process, so all kinds share one HTTP
 * pool and one token cache.
 */
const factories: Record<string, () => pulumi.dynamic.ResourceProvider> = {
  MaskinportenClient: maskinportenClientProvider,
  KrrClient: krrClientProvider,
  IdportenClient: idportenClientProvider,
  ClientKeys: clientKeysProvider,
  ApiScope: apiScopeProvider,
  ScopeAccess: scopeAccessProvider,
  System: systemProvider,
  SystemUserRequest: systemUserRequestProvider,
  AgentSystemUserRequest: agentSystemUserRequestProvider,
  SystemUserRequestGroup: systemUserRequestGroupProvider,
  AgentSystemUserRequestGroup: agentSystemUserRequestGroupProvider,
};

const providers = new Map<string, pulumi.dynamic.ResourceProvider>();

// The host does not outlive the engine that started it (core/host-watch.ts).
if (inProviderHost()) exitWithEngine();

export function provider(kind: string): pulumi.dynamic.ResourceProvider {
  let p = providers.get(kind);
  if (!p) {
    const factory = factories[kind];
    if (!factory)
      throw new Error(
        `pulumi-digdir: unknown resource kind ${kind}; the state was written by a newer pulumi-digdir: update this project's pulumi-digdir and run \`npm run build\``,
      );
    providers.set(kind, (p = factory()));
  }
  return p;
}

/** The host's Configure: the stack's config, with namespaces (`digdir:clientId`, ...). */
export function configure(_kind: string, config: ConfigSource): void {
  configureContext(config);
}

type Method = "check" | "diff" | "create" | "read" | "update" | "delete";
type Props = Record<string, unknown>;

/**
 * What the shim's `handler()` returns to the host (core/shim.ts): the kind's provider, and `configure`, which the
 * host calls once with the stack config. `provider` and `configure` above stay exported as they are: the longer
 * shim that earlier builds wrote into state (test/engine/shim.test.ts keeps its text) calls them.
 *
 * The stored provider text itself is kept current: `pulumi refresh` and `destroy` load the text in the state's
 * outputs, and the engine keeps a resource's old outputs when its diff finds no change. So a text that differs
 * from the one the program now registers (a project moved, an upgrade, an earlier build's path) is a change of
 * its own: `diff` reports it and `update` writes the new text into the outputs without calling any service.
 */
export function shim(kind: string): pulumi.dynamic.ResourceProvider & { configure(req: { config: ConfigSource }): void } {
  const p = provider(kind) as pulumi.dynamic.ResourceProvider & Record<Method, ((...a: unknown[]) => Promise<unknown>) | undefined>;
  const out: Record<string, unknown> = { configure: (req: { config: ConfigSource }) => configure(kind, req.config) };
  const explained = <T>(f: () => Promise<T>): Promise<T> => f().catch((e: unknown) => Promise.reject(context().explain(e)));
  for (const m of ["check", "create", "read", "delete"] as Method[]) {
    const f = p[m];
    if (f) out[m] = (...a: unknown[]) => explained(() => f.apply(p, a));
  }
  out.diff = (id: string, olds: Props, news: Props) =>
    explained(async () => {
      const d: pulumi.dynamic.DiffResult = p.diff ? await p.diff(id, olds, news) : { changes: false };
      return d.changes === false && providerTextChanged(olds, news) ? { ...d, changes: true } : d;
    });
  out.update = (id: string, olds: Props, news: Props) =>
    explained(async () => {
      if (providerTextChanged(olds, news) && (!p.diff || (await p.diff(id, olds, news)).changes === false))
        return { outs: { ...olds, __provider: news.__provider } };
      return p.update ? p.update(id, olds, news) : {};
    });
  return out as unknown as ReturnType<typeof shim>;
}

/** Whether the outputs in state hold another provider text than the one the program registers now. */
export function providerTextChanged(olds: Props, news: Props): boolean {
  return (
    typeof olds.__provider === "string" &&
    typeof news.__provider === "string" &&
    !isUnknown(news.__provider) &&
    olds.__provider !== news.__provider
  );
}
