import { spawn, type ChildProcess } from "node:child_process";
import * as grpc from "@grpc/grpc-js";
import * as providerGrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as providerPb from "@pulumi/pulumi/proto/provider_pb";
import * as statusPb from "@pulumi/pulumi/proto/status_pb";
import { specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { providerModuleFor } from "../../providers/core/shim";

/**
 * Drives the SDK's own dynamic provider host (`@pulumi/pulumi/cmd/dynamic-provider`) over gRPC, as the engine
 * does (the SDK's dynamic provider host, `@pulumi/pulumi/cmd/dynamic-provider`): the provider text the resource stores in `__provider`, secrets
 * stripped before CRUD calls (the host answers acceptSecrets=false), `__provider` in every property bag.
 */

type Props = Record<string, unknown>;

export interface HostFailure {
  property: string;
  reason: string;
}

export interface DiffAnswer {
  changes: "unknown" | "none" | "some";
  replaces: string[];
  deleteBeforeReplace: boolean;
}

export class GrpcError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
    readonly initFailure?: { id: string; properties: Props },
  ) {
    super(`gRPC ${code}: ${details}`);
  }
}

/** The `__provider` text a resource of this kind stores (providers/core/shim.ts), which the host loads. */
export function providerTextOf(kind: string): string {
  return providerModuleFor(kind);
}

/** What the engine does with a secret before it reaches a provider that does not accept secrets. */
export function stripSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripSecrets);
  if (v && typeof v === "object") {
    const o = v as Props;
    if (o[specialSigKey] === specialSecretSig) return stripSecrets(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, stripSecrets(x)]));
  }
  return v;
}

/** The engine marshals `undefined` away; the harness does the same so that Struct.fromJavaScript accepts it. */
function struct(v: Props): Struct {
  return Struct.fromJavaScript(JSON.parse(JSON.stringify(stripSecrets(v))) as never);
}

export class ProviderHost {
  private constructor(
    private readonly proc: ChildProcess,
    private readonly client: providerGrpc.ResourceProviderClient,
    readonly stderr: () => string,
    /** The loopback port the host listens on (for other clients, e.g. the benchmark's Go one). */
    readonly port: number,
  ) {}

  /** Starts a host in the project root (whose node_modules and dist/ it resolves from), or in `cwd`. */
  static async start(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Promise<ProviderHost> {
    // PROVIDER_HOST_NODE_ARGS (e.g. "--cpu-prof"): node flags for the host, for profiling it.
    const nodeArgs = process.env.PROVIDER_HOST_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
    const proc = spawn(process.execPath, [...nodeArgs, require.resolve("@pulumi/pulumi/cmd/dynamic-provider"), "127.0.0.1:1"], {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    proc.stderr!.on("data", (d) => (err += d));
    const port = await new Promise<number>((resolve, reject) => {
      let buf = "";
      proc.stdout!.on("data", (d) => {
        buf += d;
        const nl = buf.indexOf("\n");
        if (nl >= 0) resolve(Number(buf.slice(0, nl)));
      });
      proc.once("exit", (code) => reject(new Error(`provider host exited ${code}: ${err}`)));
    });
    const client = new providerGrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    return new ProviderHost(proc, client, () => err, port);
  }

  /** The host process's pid (its memory is read from /proc by the benchmark). */
  get pid(): number {
    return this.proc.pid!;
  }

  close(): void {
    this.client.close();
    this.proc.kill();
  }

  private rpc<Req, Res>(method: string, req: Req): Promise<Res> {
    return new Promise((resolve, reject) => {
      (this.client as unknown as Record<string, (r: Req, cb: (e: grpc.ServiceError | null, r: Res) => void) => void>)[method](
        req,
        (e, r) => {
          if (e) reject(toGrpcError(e));
          else resolve(r);
        },
      );
    });
  }

  async pluginVersion(): Promise<string> {
    const res = await this.rpc<Empty, { getVersion(): string }>("getPluginInfo", new Empty());
    return res.getVersion();
  }

  /** Configure with the stack config, keys with namespaces (`digdir:environment`); secrets arrive unwrapped. */
  async configure(config: Record<string, string>): Promise<void> {
    const req = new providerPb.ConfigureRequest();
    req.setArgs(struct(config));
    req.setAcceptsecrets(false);
    await this.rpc("configure", req);
  }

  async check(urn: string, olds: Props, news: Props): Promise<{ inputs: Props; failures: HostFailure[] }> {
    const req = new providerPb.CheckRequest();
    req.setUrn(urn);
    req.setOlds(struct(olds));
    req.setNews(struct(news));
    const res = await this.rpc<providerPb.CheckRequest, providerPb.CheckResponse>("check", req);
    return {
      inputs: (res.getInputs()?.toJavaScript() ?? {}) as Props,
      failures: res.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  async diff(urn: string, id: string, olds: Props, news: Props): Promise<DiffAnswer> {
    const req = new providerPb.DiffRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setOlds(struct(olds));
    req.setNews(struct(news));
    const res = await this.rpc<providerPb.DiffRequest, providerPb.DiffResponse>("diff", req);
    const changes = (["unknown", "none", "some"] as const)[res.getChanges()];
    return { changes, replaces: res.getReplacesList(), deleteBeforeReplace: res.getDeletebeforereplace() };
  }

  async create(urn: string, props: Props): Promise<{ id: string; outs: Props }> {
    const req = new providerPb.CreateRequest();
    req.setUrn(urn);
    req.setProperties(struct(props));
    const res = await this.rpc<providerPb.CreateRequest, providerPb.CreateResponse>("create", req);
    return { id: res.getId(), outs: (res.getProperties()?.toJavaScript() ?? {}) as Props };
  }

  async read(urn: string, id: string, props: Props, inputs?: Props): Promise<{ id: string; props: Props; inputs?: Props }> {
    const req = new providerPb.ReadRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setProperties(struct(props));
    if (inputs) req.setInputs(struct(inputs));
    const res = await this.rpc<providerPb.ReadRequest, providerPb.ReadResponse>("read", req);
    return {
      id: res.getId(),
      props: (res.getProperties()?.toJavaScript() ?? {}) as Props,
      inputs: res.hasInputs() ? (res.getInputs()!.toJavaScript() as Props) : undefined,
    };
  }

  async update(urn: string, id: string, olds: Props, news: Props): Promise<{ outs: Props }> {
    const req = new providerPb.UpdateRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setOlds(struct(olds));
    req.setNews(struct(news));
    const res = await this.rpc<providerPb.UpdateRequest, providerPb.UpdateResponse>("update", req);
    return { outs: (res.getProperties()?.toJavaScript() ?? {}) as Props };
  }

  async delete(urn: string, id: string, props: Props): Promise<void> {
    const req = new providerPb.DeleteRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setProperties(struct(props));
    await this.rpc("delete", req);
  }
}

export interface HostOptions {
  /** The host's environment (default process.env), e.g. credentials given as environment variables. */
  env?: NodeJS.ProcessEnv;
  /** Gets the host's stderr when it closes, for a later check that no secret reached a log. */
  stderr?: string[];
}

/**
 * One host for one run, as the CLI starts one per `pulumi up`/`preview`: starts it in the project root, configures it
 * with `config` (stack config, keys with namespaces), runs `fn` and always closes it.
 */
export async function withHost<T>(
  config: Record<string, string>,
  fn: (host: ProviderHost) => Promise<T>,
  opts: HostOptions = {},
): Promise<T> {
  const host = await ProviderHost.start(opts.env);
  try {
    await host.configure(config);
    return await fn(host);
  } finally {
    opts.stderr?.push(host.stderr());
    host.close();
  }
}

function toGrpcError(e: grpc.ServiceError): GrpcError {
  let init: GrpcError["initFailure"];
  const bin = e.metadata?.get("grpc-status-details-bin")?.[0];
  if (bin) {
    const { Status } = statusPb as unknown as {
      Status: { deserializeBinary(b: Uint8Array): { getDetailsList(): Array<{ getValue_asU8(): Uint8Array }> } };
    };
    const detail = Status.deserializeBinary(bin as Buffer).getDetailsList()[0];
    if (detail) {
      const f = providerPb.ErrorResourceInitFailed.deserializeBinary(detail.getValue_asU8());
      init = { id: f.getId(), properties: (f.getProperties()?.toJavaScript() ?? {}) as Props };
    }
  }
  return new GrpcError(e.code, e.details, init);
}

/** A system registered through the host (check, then create), as a System resource of the stack would be. */
export async function createSystem(host: ProviderHost, name: string, systemId: string, rights: unknown[]): Promise<{ id: string }> {
  const urn = urnOf("System", name);
  const checked = await host.check(
    urn,
    {},
    {
      __provider: providerTextOf("System"),
      systemId,
      name: { nb: name, nn: name, en: name },
      description: { nb: "d", nn: "d", en: "d" },
      rights,
      isVisible: true,
    },
  );
  return host.create(urn, checked.inputs);
}

export function urnOf(kind: string, name: string): string {
  return `urn:pulumi:test::pulumi-digdir::pulumi-nodejs:dynamic/digdir:${kind}::${name}`;
}

export { unknownValue };
