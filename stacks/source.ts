import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair } from "yaml";

/**
 * A stack file parsed with the yaml library, keeping where every value came from, so that a problem found in
 * the data is reported at its line and column. Paths are the data's keys and indexes (`["clients", "mp",
 * "scopes", 1]`); shown to people as `clients.mp.scopes[1]`.
 */

export type Path = readonly (string | number)[];

export interface Position {
  line: number;
  col: number;
}

/** One thing wrong with a stack file: where, which value, and what to do. */
export interface Problem {
  file: string;
  line: number;
  col: number;
  path: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.col} ${p.path ? `${p.path}: ` : ""}${p.message}`;
}

/** Problems in file order, each once (a group-level value shared by many requests is reported once). */
export function sortProblems(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems
    .filter((p) => {
      const k = formatProblem(p);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col || a.path.localeCompare(b.path));
}

export function pathString(path: Path): string {
  return path.reduce<string>((acc, seg) => (typeof seg === "number" ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), "");
}

/** `redirectUris[1].x` → `["redirectUris", 1, "x"]`: the inverse of pathString, for failures named by property. */
export function parsePath(property: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of property.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}

export class StackSource {
  readonly doc: Document.Parsed;
  private readonly lines = new LineCounter();
  /** YAML syntax errors, already positioned. */
  readonly syntaxProblems: Problem[] = [];

  constructor(
    /** The file name as problems show it (as the user typed it, or relative to the working directory). */
    readonly file: string,
    readonly text: string,
  ) {
    // uniqueKeys off: a repeated name is reported by the validator, with both places; merge keys (<<) on, so a
    // vendor can share settings between entries with anchors.
    this.doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: false, merge: true, prettyErrors: false, keepSourceTokens: false });
    for (const e of [...this.doc.errors, ...this.doc.warnings]) {
      const pos = this.position(e.pos[0]);
      this.syntaxProblems.push({ file, ...pos, path: "", message: `YAML: ${firstLine(e.message)}` });
    }
    if (!this.doc.errors.length) this.dropRepeatedKeys();
  }

  /** The plain data (maps become objects). */
  data(): unknown {
    return this.doc.toJS({ maxAliasCount: 1000 });
  }

  position(offset: number): Position {
    const { line, col } = this.lines.linePos(offset);
    return { line, col };
  }

  /**
   * Where the value at `path` is. For a path that does not exist (a missing key), the line naming the nearest
   * existing object; with `at: "key"`, the key itself (an unknown or repeated key).
   */
  locate(path: Path, at: "value" | "key" = "value"): Position {
    const { node, pair, complete } = this.walk(path);
    const empty = node == null || (isScalar(node) && node.value === null);
    const target = !complete || at === "key" || empty ? ((pair?.key as Node | undefined) ?? (node as Node | undefined)) : (node as Node);
    return this.position(target?.range?.[0] ?? 0);
  }

  /** The deepest node on `path`, the map entry that holds it, and whether the whole path exists. */
  private walk(path: Path): { node: unknown; pair?: Pair; complete: boolean } {
    let node: unknown = this.doc.contents;
    let pair: Pair | undefined;
    for (const seg of path) {
      if (isAlias(node)) node = node.resolve(this.doc);
      if (isMap(node)) {
        const p = node.items.find((it) => isPair(it) && keyText(it.key) === String(seg));
        if (!p) return { node, pair, complete: false };
        node = p.value;
        pair = p;
      } else if (isSeq(node) && typeof seg === "number" && node.items[seg] !== undefined) {
        node = node.items[seg];
        pair = undefined;
      } else {
        return { node, pair, complete: false };
      }
    }
    return { node, pair, complete: true };
  }

  /** Every key of the map at `path`, with its position, in file order (repeated keys included). */
  keysAt(path: Path): { key: string; position: Position }[] {
    const walked = this.walk(path);
    let node = walked.node;
    if (isAlias(node)) node = node.resolve(this.doc);
    if (!walked.complete || !isMap(node)) return [];
    return node.items.map((p) => ({ key: keyText(p.key), position: this.position((p.key as Node | null)?.range?.[0] ?? 0) }));
  }

  /** Keys repeated within one map, anywhere in the file: each later occurrence, with where the first one is. */
  readonly repeated: { path: Path; key: string; position: Position; first: Position }[] = [];

  /**
   * Finds repeated keys and drops the later occurrences, so that the data (and every other message) is about
   * the first one, which is also where `locate` points.
   */
  private dropRepeatedKeys(): void {
    const visit = (node: unknown, path: Path, seen: Set<unknown>) => {
      if (seen.has(node)) return; // aliases may repeat a node; it was visited where it was defined
      seen.add(node);
      if (isMap(node)) {
        const first = new Map<string, Position>();
        node.items = node.items.filter((p) => {
          const key = keyText(p.key);
          const at = this.position((p.key as Node | null)?.range?.[0] ?? 0);
          const earlier = first.get(key);
          if (earlier) {
            this.repeated.push({ path: [...path, key], key, position: at, first: earlier });
            return false;
          }
          first.set(key, at);
          return true;
        });
        for (const p of node.items) visit(p.value, [...path, keyText(p.key)], seen);
      } else if (isSeq(node)) {
        node.items.forEach((item, i) => visit(item, [...path, i], seen));
      }
    };
    visit(this.doc.contents, [], new Set());
  }

  problem(path: Path, message: string, at: "value" | "key" = "value"): Problem {
    return { file: this.file, ...this.locate(path, at), path: pathString(path), message };
  }
}

function keyText(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  return String(key);
}

function firstLine(s: string): string {
  return s.split("\n")[0]!.trim();
}
