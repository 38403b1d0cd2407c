import { spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { describe, expect, test } from "vitest";

const watch = join(__dirname, "../../dist/providers/core/host-watch.js");

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(what: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (what()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return what();
}

/** A process that runs the watch as the provider host does and otherwise never ends by itself. */
const hostScript = (extra: string) =>
  `require(${JSON.stringify(watch)}).exitWithEngine({intervalMs: 100${extra}}); setInterval(() => {}, 1000);`;

describe("the provider host does not outlive its engine", () => {
  test("killing the engine (the host's parent) with SIGKILL ends the host", async () => {
    // parent → host, as `pulumi` → the plugin it execs; the parent is then killed as `kill -9 pulumi` would.
    const parent = spawn(process.execPath, ["-e", `const c = require("node:child_process").spawn(process.execPath, ["-e", ${JSON.stringify(hostScript(""))}], {stdio: "ignore"}); console.log(c.pid); setInterval(() => {}, 1000);`], { stdio: ["ignore", "pipe", "inherit"] });
    const hostPid = await new Promise<number>((resolve) => parent.stdout!.once("data", (d: Buffer) => resolve(Number(String(d).trim()))));
    expect(await until(() => alive(hostPid), 2000)).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    expect(alive(hostPid)).toBe(true);
    parent.kill("SIGKILL");
    expect(await until(() => !alive(hostPid), 5000)).toBe(true);
  });

  test("an engine address that answered and then refuses ends the host; one never seen answering does not", async () => {
    const server: Server = createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const host = spawn(process.execPath, ["-e", hostScript(""), "host", `127.0.0.1:${port}`], { stdio: "ignore" });
    const never = spawn(process.execPath, ["-e", hostScript(""), "host", "127.0.0.1:1"], { stdio: "ignore" });
    try {
      await new Promise((r) => setTimeout(r, 1500));
      expect(alive(host.pid!)).toBe(true);
      await new Promise<void>((r) => server.close(() => r()));
      expect(await until(() => !alive(host.pid!), 5000)).toBe(true);
      expect(alive(never.pid!)).toBe(true);
    } finally {
      host.kill("SIGKILL");
      never.kill("SIGKILL");
    }
  });
});
