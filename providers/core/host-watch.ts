import { connect } from "node:net";

/**
 * The SDK's dynamic provider host never exits by itself: when `pulumi` is killed (`kill -9`, a CI job
 * cancelled), the host it started keeps running, holding connections and memory. Loaded inside that host, this
 * ends it when its engine is gone: when the host's parent (the engine, which execs it through the plugin's
 * launcher) is no longer its parent, or when the engine's address, once seen answering, refuses connections.
 * Both checks run on unreferenced timers, so they never keep a process alive that would otherwise end.
 */
export function exitWithEngine(opts: { argv?: string[]; intervalMs?: number; exit?: () => void } = {}): () => void {
  const argv = opts.argv ?? process.argv;
  const exit = opts.exit ?? (() => process.exit(0));
  const parent = process.ppid;
  const engine = /^(?:127\.0\.0\.1|localhost|\[::1\]):(\d+)$/.exec(argv.find((a, i) => i >= 2 && /:\d+$/.test(a)) ?? "");
  let engineSeen = false;
  let probing = false;
  const probe = () => {
    if (!engine || probing) return;
    probing = true;
    const socket = connect({ host: "127.0.0.1", port: Number(engine[1]) });
    socket.setTimeout(2000);
    const done = (alive: boolean | undefined) => {
      probing = false;
      socket.destroy();
      if (alive === true) engineSeen = true;
      else if (alive === false && engineSeen) stop(true);
    };
    socket.once("connect", () => done(true));
    socket.once("timeout", () => done(undefined));
    socket.once("error", (e: NodeJS.ErrnoException) => done(e.code === "ECONNREFUSED" ? false : undefined));
  };
  let ticks = 0;
  const timer = setInterval(() => {
    if (process.ppid !== parent) stop(true);
    else if (++ticks % 10 === 0) probe();
  }, opts.intervalMs ?? 1000);
  timer.unref();
  const stop = (gone: boolean) => {
    clearInterval(timer);
    if (gone) exit();
  };
  probe();
  return () => stop(false);
}

/** Whether this process is the SDK's dynamic provider host (the engine's plugin, or a test's). */
export function inProviderHost(argv = process.argv): boolean {
  return /[\\/]dynamic-provider(?:[\\/]index\.js)?$/.test(argv[1] ?? "");
}
