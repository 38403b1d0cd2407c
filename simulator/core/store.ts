import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

// The state store: named slices of plain JSON data, one per module concern ("registry.clients",
// "maskinporten.jtis", ...). Modules mutate `slice.value` in place. With a state directory the whole store
// is written to <dir>/state.json (on close, and shortly after each change that a module reports with
// `changed()`), and read back on the next start. Slices saved by a module that is not loaded this time are
// carried over untouched, so a later module (e.g. Altinn) never loses data because an older build ran.

export interface Slice<T> {
  readonly name: string;
  value: T;
}

export interface SliceOptions<T> {
  /** The value of a fresh slice (first start, or after POST /_sim/reset unless keepOnReset). */
  initial: () => T;
  /** Kept by POST /_sim/reset (the bootstrap credentials, the simulator's own signing key). */
  keepOnReset?: boolean;
  /** Checks and converts a value read from state.json; throw with a clear message when it is unusable. */
  parse?: (raw: unknown) => T;
}

interface SliceEntry {
  slice: Slice<unknown>;
  options: SliceOptions<unknown>;
}

const STATE_FILE = "state.json";
const STATE_VERSION = 1;

export class StateStore {
  private readonly entries = new Map<string, SliceEntry>();
  private saved: Record<string, unknown> = {};
  private saveTimer: NodeJS.Timeout | undefined;

  constructor(readonly dir?: string) {
    if (dir) this.saved = readStateFile(dir);
  }

  define<T>(name: string, options: SliceOptions<T>): Slice<T> {
    if (this.entries.has(name)) throw new Error(`state slice "${name}" is defined twice`);
    const raw = this.saved[name];
    let value: T;
    if (raw === undefined) value = options.initial();
    else {
      try {
        value = options.parse ? options.parse(raw) : (raw as T);
      } catch (err) {
        throw new Error(`state file ${join(this.dir ?? "", STATE_FILE)}: slice "${name}" is unusable: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
    const slice: Slice<T> = { name, value };
    this.entries.set(name, { slice: slice as Slice<unknown>, options: options as SliceOptions<unknown> });
    return slice;
  }

  /** Forget everything except the slices marked keepOnReset. */
  reset(): void {
    for (const { slice, options } of this.entries.values()) {
      if (!options.keepOnReset) slice.value = options.initial();
    }
    for (const name of Object.keys(this.saved)) {
      if (!this.entries.has(name)) delete this.saved[name];
    }
    this.changed();
  }

  /** Schedule a write of the state file soon (no-op without a state directory). */
  changed(): void {
    if (!this.dir || this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.save();
    }, 50);
    this.saveTimer.unref();
  }

  save(): void {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
    }
    if (!this.dir) return;
    const slices: Record<string, unknown> = { ...this.saved };
    for (const [name, { slice }] of this.entries) slices[name] = slice.value;
    writeFileAtomically(join(this.dir, STATE_FILE), JSON.stringify({ version: STATE_VERSION, slices }, null, 2));
  }
}

function readStateFile(dir: string): Record<string, unknown> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, STATE_FILE);
  if (!existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`state file ${file} is not valid JSON (${(err as Error).message}); move it away to start fresh`, { cause: err });
  }
  const doc = parsed as { version?: unknown; slices?: unknown };
  if (doc.version !== STATE_VERSION || typeof doc.slices !== "object" || doc.slices === null) {
    throw new Error(`state file ${file} has an unknown format (expected version ${STATE_VERSION}); move it away to start fresh`);
  }
  return { ...(doc.slices as Record<string, unknown>) };
}

export function writeFileAtomically(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600 });
  renameSync(tmp, file);
}
