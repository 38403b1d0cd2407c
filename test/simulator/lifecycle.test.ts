import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminToken, advanceClock, call, createClient, newRsaKey, registerKeys, simNow, start, tokenFor } from "./helpers";

const repo = resolve(__dirname, "..", "..");
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sim-state-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("npm run sim", () => {
  it("prints exactly the listening line first, serves the bootstrap, and exits 0 on SIGTERM after writing bootstrap.json", async () => {
    const stateDir = join(dir, "cli");
    // The project's .npmrc keeps npm's banner off stdout; a log level inherited from an outer npm would win.
    const env = { ...process.env };
    delete env.npm_config_loglevel;
    const child = spawn("npm", ["run", "sim", "--", "--port", "0", "--state", stateDir], {
      cwd: repo,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolveExit) => child.on("exit", (code) => resolveExit(code)));
    try {
      const firstLine = await new Promise<string>((resolveLine, rejectLine) => {
        const lines = createInterface({ input: child.stdout });
        lines.once("line", resolveLine);
        child.once("exit", (code) => rejectLine(new Error(`exited ${code} before printing: ${stderr}`)));
      });
      expect(firstLine).toMatch(/^simulator listening on http:\/\/127\.0\.0\.1:\d+$/);
      const url = firstLine.slice("simulator listening on ".length);
      const boot = (await (await fetch(`${url}/_sim/bootstrap`)).json()) as { privateJwk: { d?: string } };
      expect(boot).toMatchObject({ url, issuer: `${url}/maskinporten/`, tokenEndpoint: `${url}/maskinporten/token`, orgNo: "991825827" });
      expect(boot.privateJwk.d).toBeTruthy();
      expect(JSON.parse(readFileSync(join(stateDir, "bootstrap.json"), "utf8"))).toEqual(boot);
    } finally {
      child.kill("SIGTERM");
    }
    const code = await exited;
    // npm forwards SIGTERM to the shell running the script; only `exec node dist/simulator/cli.js` in the sim
    // script lets it reach the simulator, so that npm sees the simulator's own exit code.
    expect(code, "npm run sim must exit 0 on SIGTERM (package.json sim script: `... && exec node dist/simulator/cli.js`)").toBe(0);
    expect(existsSync(join(stateDir, "state.json"))).toBe(true);
  }, 60_000);
});

describe("state directory", () => {
  it("keeps the admin key, clients, keys and the clock across a restart", async () => {
    const stateDir = join(dir, "restart");
    const first = await start({ stateDir });
    const key = await newRsaKey("kept");
    let clientId: string;
    let clockBefore: number;
    try {
      const admin = await adminToken(first);
      clientId = (await createClient(first, admin, { client_name: "survivor" })).client_id;
      expect((await registerKeys(first, admin, clientId, [key.publicJwk])).status).toBe(200);
      await advanceClock(first, 86400);
      clockBefore = await simNow(first);
    } finally {
      await first.close();
    }

    const second = await start({ stateDir });
    try {
      expect(second.bootstrap.clientId).toBe(first.bootstrap.clientId);
      expect(second.bootstrap.kid).toBe(first.bootstrap.kid);
      expect(second.bootstrap.privateJwk).toEqual(first.bootstrap.privateJwk);
      expect(await simNow(second)).toBeGreaterThanOrEqual(clockBefore);
      const admin = await adminToken(second);
      const read = await call(second, "GET", `/samarbeid/api/v1/clients/${clientId}`, { token: admin });
      expect(read.status).toBe(200);
      expect(read.body.client_name).toBe("survivor");
      const token = await tokenFor(second, { clientId, key: key.privateJwk, scope: "krr:global/kontaktinformasjon.read" });
      expect(token.status).toBe(200);
      expect(JSON.parse(readFileSync(join(stateDir, "bootstrap.json"), "utf8")).url).toBe(second.url);
    } finally {
      await second.close();
    }
  });

  it("without a state directory, a restart starts from scratch", async () => {
    const a = await start();
    await a.close();
    const b = await start();
    await b.close();
    expect(b.bootstrap.clientId).not.toBe(a.bootstrap.clientId);
  });
});
