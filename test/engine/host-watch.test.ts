import { spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { alive, until } from "../support/processes";

const watch = join(__dirname, "../../dist/providers/core/host-watch.js");

/** A process that runs the watch as the provider host does and otherwise never ends by itself. */
const hostScript = (extra: string) =>
  `require(${JSON.stringify(watch)}).exitWithEngine({intervalMs: 100${extra}}); setInterval(() => {}, 1000);`;

describe("the provider host does not outlive its engine", { timeout: 60_000 }, () => {
  test("killing the engine (the host's parent) with SIGKILL ends the host", async () => {
    // parent → host, as `pulumi` → the plugin it execs; the parent is then killed as `kill -9 pulumi` would.
    // The host prints its pid once the watch runs (a loaded machine may take seconds to start node).
    const host = hostScript("").replace("setInterval", "console.log(process.pid); setInterval");
    const parent = spawn(
      process.execPath,
      [
        "-e",
        `require("node:child_process").spawn(process.execPath, ["-e", ${JSON.stringify(host)}], {stdio: ["ignore", "inherit", "ignore"]}); setInterval(() => {}, 1000);`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const hostPid = await new Promise<number>((resolve) => parent.stdout!.once("data", (d: Buffer) => resolve(Number(String(d).trim()))));
    await new Promise((r) => setTimeout(r, 500));
    expect(alive(hostPid)).toBe(true);
    parent.kill("SIGKILL");
    expect(await until(() => !alive(hostPid), 15_000)).toBe(true);
  });

  test("an engine address that answered and then refuses ends the host; one never seen answering does not", async () => {
    let probes = 0;
    const server: Server = createServer((s) => {
      probes++;
      s.destroy();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const host = spawn(process.execPath, ["-e", hostScript(""), "host", `127.0.0.1:${port}`], { stdio: "ignore" });
    const never = spawn(process.execPath, ["-e", hostScript(""), "host", "127.0.0.1:1"], { stdio: "ignore" });
    try {
      // Seen answering once (the host's first probe), then gone.
      expect(await until(() => probes > 0, 15_000)).toBe(true);
      expect(alive(host.pid!)).toBe(true);
      await new Promise<void>((r) => server.close(() => r()));
      expect(await until(() => !alive(host.pid!), 15_000)).toBe(true);
      expect(alive(never.pid!)).toBe(true);
    } finally {
      host.kill("SIGKILL");
      never.kill("SIGKILL");
    }
  });
});
