import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:net";
import * as path from "node:path";
import { describe, expect, test } from "vitest";
import { alive, until } from "../support/processes";

/**
 * scripts/pulumi-cli/language-host.js (the Node.js language host the CLI built here uses) does not outlive the
 * engine that started it: `kill -9` of `pulumi` leaves it without a parent, or with an engine address that refuses
 * connections, and it exits. Run as the engine runs it: `pulumi-language-nodejs <engine address>`, from the project
 * folder, printing its port first.
 */
const repo = path.resolve(__dirname, "../..");
const languageHost = path.join(repo, "scripts/pulumi-cli/language-host.js");

const firstLine = (child: ChildProcess) =>
  new Promise<string>((resolve, reject) => {
    let text = "";
    child.stdout!.on("data", (d: Buffer) => {
      text += d.toString();
      if (text.includes("\n")) resolve(text.split("\n")[0]!.trim());
    });
    child.once("exit", (code) => reject(new Error(`exited ${code} before its first line`)));
  });

async function listening(): Promise<{ server: Server; address: string }> {
  const server = createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, address: `127.0.0.1:${(server.address() as { port: number }).port}` };
}

describe("the language host does not outlive its engine", { timeout: 60_000 }, () => {
  test("the engine (its parent) killed with SIGKILL while its address still answers: the host exits within seconds", async () => {
    // The address stays up, so only the parent check can end the host: `pulumi` → the language host, and the
    // parent then killed as `kill -9 pulumi` would be.
    const { server, address } = await listening();
    const parent = spawn(
      process.execPath,
      [
        "-e",
        `const c = require("node:child_process").spawn(process.execPath, [${JSON.stringify(languageHost)}, ${JSON.stringify(address)}], {stdio: ["ignore", "pipe", "inherit"]});
         c.stdout.once("data", () => console.log(c.pid)); setInterval(() => {}, 1000);`,
      ],
      { cwd: repo, stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      const hostPid = Number(await firstLine(parent));
      expect(alive(hostPid)).toBe(true);
      await new Promise((r) => setTimeout(r, 1500));
      expect(alive(hostPid)).toBe(true);
      parent.kill("SIGKILL");
      expect(await until(() => !alive(hostPid), 10_000)).toBe(true);
    } finally {
      parent.kill("SIGKILL");
      server.close();
    }
  });

  test("an engine address that answered and then refuses ends the host; while it answers, the host stays", async () => {
    const { server, address } = await listening();
    const host = spawn(process.execPath, [languageHost, address], { cwd: repo, stdio: ["ignore", "pipe", "inherit"] });
    try {
      expect(Number(await firstLine(host))).toBeGreaterThan(0); // its port: serving
      await new Promise((r) => setTimeout(r, 6000)); // past a probe every 5 s
      expect(alive(host.pid!)).toBe(true);
      await new Promise<void>((r) => server.close(() => r()));
      expect(await until(() => !alive(host.pid!), 15_000)).toBe(true);
    } finally {
      host.kill("SIGKILL");
    }
  });
});
