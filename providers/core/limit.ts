/**
 * A bound on how many calls run at once, shared by every resource in one provider host (the engine runs
 * several resources at a time, each of which may run many calls). Waiters are served in arrival order.
 */
export class Limiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private limit: number) {}

  /** Raises or lowers the bound; calls already running finish. */
  setLimit(limit: number): void {
    this.limit = Math.max(1, Math.floor(limit));
    this.drain();
  }

  get size(): number {
    return this.limit;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private release(): void {
    this.running--;
    this.drain();
  }

  private drain(): void {
    while (this.running < this.limit && this.waiting.length) {
      this.running++;
      this.waiting.shift()!();
    }
  }
}

/** Runs `fn` for every item through the limiter; every outcome is kept (a failure for one does not stop the rest). */
export async function settleAll<T, R>(
  limiter: Limiter,
  items: readonly T[],
  fn: (item: T) => Promise<R>,
): Promise<Array<{ item: T; value?: R; error?: unknown }>> {
  return Promise.all(
    items.map((item) =>
      limiter.run(fn.bind(null, item)).then(
        (value) => ({ item, value }),
        (error: unknown) => ({ item, error }),
      ),
    ),
  );
}
