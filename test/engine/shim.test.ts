import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { GrpcError, ProviderHost, providerTextOf, urnOf } from "../support/provider-host";
import { startSim, type Simulator } from "../support/sim";

/**
 * The text earlier builds wrote into `__provider` (providers/core/shim.ts before the 200-byte shim), kept verbatim:
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

describe("the provider text each resource stores (__provider)", () => {
  let sim: Simulator;
  let host: ProviderHost;
  beforeAll(async () => {
    sim = await startSim();
    host = await ProviderHost.start();
    await host.configure({ "digdir:environment": "local", "digdir:simulatorUrl": sim.url });
  });
  afterAll(async () => {
    host?.close();
    await sim?.close();
  });

  test("is a couple of hundred bytes naming the kind and the compiled providers, for every kind", () => {
    for (const kind of ["MaskinportenClient", "KrrClient", "IdportenClient", "ClientKeys", "ApiScope", "ScopeAccess", "System", "SystemUserRequest", "AgentSystemUserRequest", "SystemUserRequestGroup", "AgentSystemUserRequestGroup"]) {
      const text = providerTextOf(kind);
      expect(Buffer.byteLength(text), kind).toBeLessThanOrEqual(300);
      expect(text).toContain(`r.shim(${JSON.stringify(kind)})`);
      expect(text).toContain('require("./dist/providers/runtime.js")');
    }
    expect(Buffer.byteLength(earlierShim("AgentSystemUserRequest"))).toBeGreaterThan(600);
  });

  test("a client created with the earlier text: after the upgrade no diff, then read and delete with what state holds", async () => {
    const urn = urnOf("MaskinportenClient", "upgraded");
    const props = { name: "upgraded", scopes: ["krr:global/kontaktinformasjon.read"] };
    const before = await host.check(urn, {}, { __provider: earlierShim("MaskinportenClient"), ...props });
    expect(before.failures).toEqual([]);
    const created = await host.create(urn, before.inputs);
    expect(created.outs.__provider).toBe(earlierShim("MaskinportenClient"));

    // The next `pulumi up` after upgrading: the program registers the new text; the engine diffs it against the outputs in state.
    const after = await host.check(urn, created.outs, { __provider: providerTextOf("MaskinportenClient"), ...props });
    expect(after.failures).toEqual([]);
    expect(await host.diff(urn, created.id, created.outs, after.inputs)).toEqual({ changes: "none", replaces: [], deleteBeforeReplace: false });

    // `pulumi refresh` and `destroy` load the provider from the outputs in state: still the earlier text.
    const read = await host.read(urn, created.id, created.outs);
    expect(read.props).toMatchObject({ clientId: created.id, __provider: earlierShim("MaskinportenClient") });
    await host.delete(urn, created.id, read.props);
    expect((await host.read(urn, created.id, read.props)).id).toBe(""); // gone: what the engine drops from state on refresh
  });

  test("without a build, refresh or destroy (no program run to refuse it) says what to run", async () => {
    const bare = mkdtempSync(join(tmpdir(), "pulumi-digdir-no-build-"));
    const elsewhere = await ProviderHost.start(process.env, bare);
    try {
      const urn = urnOf("MaskinportenClient", "orphan");
      const err = await elsewhere.read(urn, "some-client-id", { __provider: providerTextOf("MaskinportenClient"), name: "orphan" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GrpcError);
      expect((err as GrpcError).details).toMatch(/^pulumi-digdir could not load its providers from .*pulumi-digdir-no-build-.* \(Cannot find module '\.\/dist\/providers\/runtime\.js'/);
      expect((err as GrpcError).details).toMatch(/run npm ci and npm run build in the project$/);
    } finally {
      elsewhere.close();
      rmSync(bare, { recursive: true, force: true });
    }
  });
});
