import { createServer, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { GrpcError, providerTextOf, urnOf, withHost } from "../support/provider-host";
import { type Bootstrap, control, localConfig, type Simulator, startSim } from "../support/sim";

/**
 * What a new user meets first, through the SDK's provider host as the engine drives it: a simulator that is not
 * running, and an admin key configured without its kid or with a kid Maskinporten does not know. Each reads as
 * what it is, with what to do.
 */

/** A loopback port nothing listens on: one the system just gave out and took back. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function failure(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(GrpcError);
  return (e as GrpcError).details;
}

describe("the simulator not running", () => {
  test("is said once, with how to start it; every other resource of the run gets a one-line pointer", async () => {
    const port = await closedPort();
    await withHost({ "digdir:environment": "local", "digdir:simulatorUrl": `http://127.0.0.1:${port}` }, async (host) => {
      const kinds = ["MaskinportenClient", "KrrClient", "System"] as const;
      const messages: string[] = [];
      for (const kind of kinds) {
        const urn = urnOf(kind, `${kind.toLowerCase()}-x`);
        messages.push(await failure(host.read(urn, "some-id", { __provider: providerTextOf(kind), name: "x" })));
      }
      expect(messages[0]).toMatch(
        new RegExp(
          `^The simulator at http://127\\.0\\.0\\.1:${port} \\(digdir:simulatorUrl\\) is not running: nothing answers there \\(ECONNREFUSED`,
        ),
      );
      expect(messages[0]).toContain(`npm run sim -- --port ${port} --state .sim-state`);
      for (const m of messages.slice(1))
        expect(m).toBe(`The simulator at http://127.0.0.1:${port} is not running (see the first error of this run).`);
      // Not a network puzzle: no advice about proxies or retries.
      expect(messages.join("\n")).not.toMatch(/proxy|got no answer/i);
    });
  });
});

describe("the admin client's key id", () => {
  let sim: Simulator;
  let admin: Bootstrap;
  beforeAll(async () => {
    sim = await startSim();
    admin = await control<Bootstrap>(sim, "POST", "/orgs", { orgNo: "974761076", name: "Andre Simulerte Leverandør AS", vendor: true });
  });
  afterAll(async () => {
    await sim?.close();
  });

  function createWith(config: Record<string, string>): Promise<string> {
    return withHost({ ...localConfig(sim), "digdir:clientId": admin.clientId, ...config }, async (host) => {
      const urn = urnOf("KrrClient", "kid");
      const checked = await host.check(urn, {}, { __provider: providerTextOf("KrrClient"), name: "kid" });
      return failure(host.create(urn, checked.inputs));
    });
  }

  test("missing (a JWK without kid, no digdir:keyId) is a configuration error naming the settings, before any request", async () => {
    const { kid: _kid, ...withoutKid } = admin.privateJwk as unknown as Record<string, unknown>;
    const message = await createWith({ "digdir:privateKey": JSON.stringify(withoutKid) });
    expect(message).toBe(
      `No key id for client ${admin.clientId}: set digdir:keyId (DIGDIR_KEY_ID) to the kid the key is registered under, or give the private key as a JWK with its \`kid\`, or set digdir:certificateChain.`,
    );
  });

  test("unknown to Maskinporten is a configuration error saying which kid and where it is set, not an expired key", async () => {
    const message = await createWith({ "digdir:privateKey": JSON.stringify(admin.privateJwk), "digdir:keyId": "no-such-kid" });
    expect(message).toContain("Unknown key identifier (kid)");
    expect(message).toContain(
      `Maskinporten knows no key with kid no-such-kid on client ${admin.clientId}: the kid must be one registered on the client (for the admin client digdir:keyId`,
    );
    expect(message).not.toMatch(/MP-121|expired/);
  });
});
