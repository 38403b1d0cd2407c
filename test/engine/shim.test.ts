import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { engineAgainstSim, type EngineAgainstSim } from "../support/engine";
import { GrpcError, ProviderHost, providerTextOf, urnOf, withHost } from "../support/provider-host";
import { localConfig, type Simulator } from "../support/sim";
import { providerModule, runtimeSpecifiers } from "../../providers/core/shim";

const repo = resolve(__dirname, "..", "..");

/**
 * The text earlier builds wrote into `__provider` (providers/core/shim.ts before the short shims), kept verbatim:
 * stacks created with it must keep working after an upgrade, with no diff and no replacement.
 */
function earlierShim(kind: string, p = "./dist/providers/runtime.js"): string {
  const missing = `" was not found from "+process.cwd()+". Run \`npm run build\` in the project (it compiles providers/ to dist/), then run the command again."`;
  return [
    `exports.handler=function(){var k=${JSON.stringify(kind)},p=${JSON.stringify(p)};`,
    `function l(){try{return require(p)}catch(e){if(e.code!=="MODULE_NOT_FOUND")throw e;throw new Error("pulumi-digdir: the provider implementation "+p+${missing})}}`,
    `function m(n){return function(){var r=l().provider(k);return r[n].apply(r,arguments)}}`,
    `return{configure:function(q){l().configure(k,q.config)},check:m("check"),diff:m("diff"),create:m("create"),read:m("read"),update:m("update"),delete:m("delete")}};`,
  ].join("\n");
}

/** The 263-byte text of the build before the package name (a path relative to the host's working directory). */
function pathShim(kind: string, p = "./dist/providers/runtime.js"): string {
  return (
    `exports.handler=function(){try{var r=require(${JSON.stringify(p)})}` +
    `catch(e){throw Error("pulumi-digdir could not load its providers from "+process.cwd()+" ("+e.message+"): run npm ci and npm run build in the project")}` +
    `return r.shim(${JSON.stringify(kind)})}`
  );
}

/** A program's folder with pulumi-digdir in node_modules as `npm install <folder>` leaves it: a symlink to this checkout. */
function programWithSymlinkedPackage(parent: string, name = "program"): string {
  const program = join(parent, name);
  mkdirSync(join(program, "node_modules"), { recursive: true });
  symlinkSync(repo, join(program, "node_modules", "pulumi-digdir"), "dir");
  return program;
}

describe("the provider text each resource stores (__provider)", () => {
  let engine: EngineAgainstSim;
  let sim: Simulator;
  let host: ProviderHost;
  beforeAll(async () => {
    engine = await engineAgainstSim([]);
    ({ sim, host } = engine);
  });
  afterAll(() => engine?.close());

  test("is a few hundred bytes naming the kind and the package, with this checkout's dist/ as the fallback, for every kind", () => {
    for (const kind of [
      "MaskinportenClient",
      "KrrClient",
      "IdportenClient",
      "ClientKeys",
      "ApiScope",
      "ScopeAccess",
      "System",
      "SystemUserRequest",
      "AgentSystemUserRequest",
      "SystemUserRequestGroup",
      "AgentSystemUserRequestGroup",
    ]) {
      const text = providerTextOf(kind);
      expect(Buffer.byteLength(text), kind).toBeLessThanOrEqual(340);
      expect(text).toContain(`r.shim(${JSON.stringify(kind)})`);
      // The tests run in the repository's root, where the name cannot lead to the package itself.
      expect(text).toContain('["pulumi-digdir/runtime","./dist/providers/runtime.js"]');
    }
    expect(Buffer.byteLength(earlierShim("AgentSystemUserRequest"))).toBeGreaterThan(600);
  });

  test("names the package alone where the program finds it by name: installed, symlinked, hoisted, from a subfolder", () => {
    const dir = mkdtempSync(join(tmpdir(), "pulumi-digdir-resolve-"));
    try {
      expect(runtimeSpecifiers(join(repo, "stacks"))).toEqual(["pulumi-digdir/runtime", "../dist/providers/runtime.js"]);
      const program = programWithSymlinkedPackage(dir);
      expect(runtimeSpecifiers(program)).toEqual(["pulumi-digdir/runtime"]);
      mkdirSync(join(program, "packages", "infra"), { recursive: true }); // hoisted to a workspace's root
      expect(runtimeSpecifiers(join(program, "packages", "infra"))).toEqual(["pulumi-digdir/runtime"]);
      expect(runtimeSpecifiers(dir)).toEqual(["pulumi-digdir/runtime", expect.stringMatching(/dist\/providers\/runtime\.js$/)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a client created with the earlier text: refresh reads it, the next up rewrites the text without calling a service, then no diff; delete", async () => {
    const urn = urnOf("MaskinportenClient", "upgraded");
    const props = { name: "upgraded", scopes: ["krr:global/kontaktinformasjon.read"] };
    const before = await host.check(urn, {}, { __provider: earlierShim("MaskinportenClient"), ...props });
    expect(before.failures).toEqual([]);
    const created = await host.create(urn, before.inputs);
    expect(created.outs.__provider).toBe(earlierShim("MaskinportenClient"));

    // `pulumi refresh` before the next up loads the provider from the outputs in state: still the earlier text.
    const read = await host.read(urn, created.id, created.outs);
    expect(read.props).toMatchObject({ clientId: created.id, __provider: earlierShim("MaskinportenClient") });

    // The next `pulumi up` after upgrading: the program registers the new text; the engine diffs it against the
    // outputs in state. The text differs, so it is an update (no replacement) that only writes the new text.
    const after = await host.check(urn, read.props, { __provider: providerTextOf("MaskinportenClient"), ...props });
    expect(after.failures).toEqual([]);
    expect(await host.diff(urn, created.id, read.props, after.inputs)).toEqual({
      changes: "some",
      replaces: [],
      deleteBeforeReplace: false,
    });
    const updated = await rewriteWithoutServices(urn, created.id, read.props, after.inputs);
    expect(updated).toEqual({ ...read.props, __provider: providerTextOf("MaskinportenClient") });
    expect(await host.diff(urn, created.id, updated, after.inputs)).toEqual({ changes: "none", replaces: [], deleteBeforeReplace: false });

    await host.delete(urn, created.id, updated);
    expect((await host.read(urn, created.id, read.props)).id).toBe(""); // gone: what the engine drops from state on refresh
  });

  test("a program moved after an up from a symlinked install: the path-based text fails, the next up rewrites it, refresh works from anywhere", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pulumi-digdir-moved-"));
    // A host per program folder (its cwd), each kept open for the steps run from there; all closed at the end.
    const hosts: ProviderHost[] = [];
    const hostIn = async (cwd: string) => {
      const h = await ProviderHost.start(process.env, cwd);
      hosts.push(h);
      await h.configure(localConfig(sim));
      return h;
    };
    try {
      const before = programWithSymlinkedPackage(dir, "before");
      const urn = urnOf("KrrClient", "moved");
      // What the build before this one stored from a symlinked install: the path from the program to the checkout.
      const oldText = pathShim("KrrClient", runtimeSpecifiersRelative(before));
      const first = await hostIn(before);
      const checked = await first.check(urn, {}, { __provider: oldText, name: "moved" });
      const created = await first.create(urn, checked.inputs);

      const after = join(dir, "elsewhere", "after");
      mkdirSync(join(dir, "elsewhere"));
      renameSync(before, after);
      const moved = await hostIn(after);
      const err = await moved.read(urn, created.id, created.outs).catch((e: unknown) => e);
      expect((err as GrpcError).details).toMatch(/could not load its providers/);

      // `pulumi up` from the new place: the program registers the text this build writes there.
      const text = providerModule("KrrClient", runtimeSpecifiers(after));
      expect(text).toContain('["pulumi-digdir/runtime"]');
      const rechecked = await moved.check(urn, created.outs, { __provider: text, name: "moved" });
      expect(await moved.diff(urn, created.id, created.outs, rechecked.inputs)).toMatchObject({ changes: "some", replaces: [] });
      const updated = (await moved.update(urn, created.id, created.outs, rechecked.inputs)).outs;
      expect(updated.__provider).toBe(text);

      // Refresh now works from the new place, from a subfolder of it, and after another move.
      mkdirSync(join(after, "stacks"));
      expect((await (await hostIn(join(after, "stacks"))).read(urn, created.id, updated)).id).toBe(created.id);
      renameSync(after, join(dir, "third"));
      const third = await hostIn(join(dir, "third"));
      expect((await third.read(urn, created.id, updated)).props).toMatchObject({ __provider: text });
      await third.delete(urn, created.id, updated);
    } finally {
      for (const h of hosts) h.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("without a build, refresh or destroy (no program run to refuse it) says what to run", async () => {
    const bare = mkdtempSync(join(tmpdir(), "pulumi-digdir-no-build-"));
    // In a folder without the package (withHost starts in the project root); unconfigured, as loading fails before any setting is read.
    const elsewhere = await ProviderHost.start(process.env, bare);
    try {
      const urn = urnOf("MaskinportenClient", "orphan");
      const err = await elsewhere
        .read(urn, "some-client-id", { __provider: providerTextOf("MaskinportenClient"), name: "orphan" })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GrpcError);
      expect((err as GrpcError).details).toMatch(
        /^pulumi-digdir could not load its providers from .*pulumi-digdir-no-build-.* \(Cannot find module 'pulumi-digdir\/runtime'\): run npm ci in the project$/,
      );
    } finally {
      elsewhere.close();
      rmSync(bare, { recursive: true, force: true });
    }
  });
});

/** An update through a host whose simulator is gone: it succeeds only if it calls no service. */
async function rewriteWithoutServices(
  urn: string,
  id: string,
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const gone = await new Promise<number>((done) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => done(port));
    });
  });
  const config = { "digdir:environment": "local", "digdir:simulatorUrl": `http://127.0.0.1:${gone}` };
  return withHost(config, async (offline) => (await offline.update(urn, id, olds, news)).outs);
}

/** The path from a program's folder to this checkout's runtime, as the build before the package name stored it. */
function runtimeSpecifiersRelative(program: string): string {
  return relative(program, join(repo, "dist", "providers", "runtime.js"));
}
