import { parsePath, type Path } from "../../providers/core/path";

/** Maps a resource's failure properties back to where the value came from in the stack file. */
export class Origins {
  // Parsed when a failure is resolved: most objects have none, and a vendor's file has thousands of customers.
  private readonly entries: { prop: string; path: Path; deep: boolean }[] = [];
  constructor(private readonly base: Path) {}

  /** Failures on `prop` (and below it, when `deep`) are reported at `path`. */
  map(prop: string, at: Path, deep = true): this {
    this.entries.push({ prop, path: at, deep });
    return this;
  }

  resolve(property: string): Path {
    const segs = parsePath(property);
    let best: { prop: (string | number)[]; path: Path; deep: boolean } = { prop: [], path: this.base, deep: true };
    for (const e of this.entries) {
      const prop = parsePath(e.prop);
      if (prop.length >= best.prop.length && prop.every((s, i) => segs[i] === s)) best = { prop, path: e.path, deep: e.deep };
    }
    return best.deep ? [...best.path, ...segs.slice(best.prop.length)] : best.path;
  }
}
