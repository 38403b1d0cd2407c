import { startSimulator, type StartOptions } from "./index";
import { SeedError } from "./seed/schema";

// npm run sim -- --port <n> [--state <dir>] [--seed <file>]... [--no-quirks] [--key-activation-delay <s>]
// The first thing on stdout is exactly "simulator listening on http://127.0.0.1:<port>" (simulator/README.md, "Starting it").

const USAGE = "usage: npm run sim -- --port <n> [--state <dir>] [--seed <file>]... [--no-quirks] [--key-activation-delay <seconds>]";

function parseArgs(argv: string[]): StartOptions {
  const options: StartOptions = {};
  const seeds: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new Error(`${arg} needs a value`);
      return v;
    };
    const integer = (v: string, min: number, max: number) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${arg} must be a whole number from ${min} to ${max}`);
      return n;
    };
    switch (arg) {
      case "--port":
        options.port = integer(value(), 0, 65535);
        break;
      case "--state":
        options.stateDir = value();
        break;
      case "--seed":
        seeds.push(value());
        break;
      case "--no-quirks":
        options.quirks = false;
        break;
      case "--key-activation-delay":
        options.keyActivationDelaySeconds = integer(value(), 0, 86_400);
        break;
      default:
        throw new Error(`unknown argument ${arg}`);
    }
  }
  if (seeds.length) options.seed = seeds;
  return options;
}

async function main(): Promise<void> {
  let options: StartOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  const sim = await startSimulator(options);
  process.stdout.write(`simulator listening on ${sim.url}\n`);
  const stop = () => {
    sim.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`simulator: could not write state: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  if (process.env.npm_lifecycle_event) stopWhenOrphaned(stop);
}

// Under `npm run sim`, npm forwards SIGTERM/SIGINT to the shell that runs the script, not to this process. When
// that shell dies of the signal without passing it on, stop as if the signal had come here (write state, exit
// 0) instead of living on as an orphan holding the port.
function stopWhenOrphaned(stop: () => void): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      stop();
    }
  }, 250);
  timer.unref();
}

main().catch((err: unknown) => {
  process.stderr.write(err instanceof SeedError ? `${err.message}\n` : `simulator failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
