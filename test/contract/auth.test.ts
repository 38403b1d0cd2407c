import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { MaskinportenTokens } from "../../providers/core/auth";
import { ProtocolError } from "../../providers/core/errors";
import { HttpClient } from "../../providers/core/http";

/**
 * Maskinporten's metadata (`/.well-known/oauth-authorization-server`) read over a socket from a server that does
 * not serve it: the address of another service, a proxy's page, a half-configured simulator.
 */

const answers: Record<string, { type: string; body: string }> = {
  "/no-token-endpoint": { type: "application/json", body: JSON.stringify({ issuer: "https://test.maskinporten.no/" }) },
  "/no-issuer": { type: "application/json", body: JSON.stringify({ token_endpoint: "https://test.maskinporten.no/token" }) },
  "/empty-object": { type: "application/json", body: "{}" },
  "/html": { type: "text/html", body: "<html><body>Welcome to nginx!</body></html>" },
  "/metadata": {
    type: "application/json",
    body: JSON.stringify({ issuer: "https://test.maskinporten.no/", token_endpoint: "https://test.maskinporten.no/token" }),
  },
};

let server: Server;
let base: string;
let served = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    served++;
    const answer = answers[req.url ?? ""];
    if (!answer) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": answer.type }).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const tokensAt = (path: string) => new MaskinportenTokens(new HttpClient({ baseDelayMs: 10 }), `${base}${path}`);

describe("Maskinporten's metadata from an address that does not serve it", () => {
  test.each([
    ["/no-token-endpoint", "answered without issuer or token_endpoint"],
    ["/no-issuer", "answered without issuer or token_endpoint"],
    ["/empty-object", "answered without issuer or token_endpoint"],
    ["/html", "answered with something other than JSON"],
  ])("%s is a ProtocolError naming the call, what was wrong and what to check", async (path, problem) => {
    const e = await tokensAt(path)
      .metadata()
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(e).toBeInstanceOf(ProtocolError);
    const message = (e as ProtocolError).message;
    expect(message).toContain(`GET ${base}${path} ${problem}`);
    expect(message).toMatch(/check digdir:environment, or digdir:simulatorUrl for the simulator/);
  });

  test("a failed read is not cached: the next one asks again", async () => {
    const tokens = tokensAt("/html");
    await expect(tokens.metadata()).rejects.toBeInstanceOf(ProtocolError);
    const before = served;
    await expect(tokens.metadata()).rejects.toBeInstanceOf(ProtocolError);
    expect(served).toBe(before + 1);
  });

  test("metadata with both fields is read (the same server, so the failures above are the answers' doing)", async () => {
    const meta = await tokensAt("/metadata").metadata();
    expect(meta).toMatchObject({ issuer: "https://test.maskinporten.no/", token_endpoint: "https://test.maskinporten.no/token" });
  });
});
