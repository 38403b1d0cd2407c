import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Alias,
  type Document,
  type Node,
  type Pair,
} from "yaml";
import { pathString, type Path } from "../providers/core/path";

/** The most values a stack file may hold once its aliases are expanded: far above any real stack, far below a bomb. */
export const maxExpandedValues = 100_000;

/**
 * A stack file parsed with the yaml library, keeping where every value came from, so that a problem found in
 * the data is reported at its line and column. Paths are the data's keys and indexes (`["clients", "mp",
 * "scopes", 1]`); shown to people as `clients.mp.scopes[1]`.
 */

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
    this.doc = parseDocument(text, {
      lineCounter: this.lines,
      uniqueKeys: false,
      merge: true,
      prettyErrors: false,
      keepSourceTokens: false,
    });
    for (const e of [...this.doc.errors, ...this.doc.warnings]) {
      const pos = this.position(e.pos[0]);
      this.syntaxProblems.push({ file, ...pos, path: "", message: `YAML: ${firstLine(e.message)}` });
    }
    if (!this.doc.errors.length) this.checkAliases();
    if (!this.syntaxProblems.length) this.dropRepeatedKeys();
  }

  /** The plain data (maps become objects). Only for a file without syntax problems. */
  data(): unknown {
    try {
      return this.doc.toJS({ maxAliasCount: -1 });
    } catch (e) {
      // checkAliases finds what toJS refuses; should the library refuse something else, it is still a located problem.
      throw new Error(`${this.file}:1:1 YAML: ${firstLine((e as Error).message)}`, { cause: e });
    }
  }

  /**
   * Aliases the data cannot be built from, as located problems instead of the library's exceptions: an alias of
   * no anchor, a merge (`<<`) of something that is not a map, an alias of a value that holds it, and aliases that
   * expand to more than `maxExpandedValues` values (an alias bomb: a few lines that stand for billions of values).
   */
  private checkAliases(): void {
    const problem = (node: Node | Alias | null | undefined, message: string) =>
      this.syntaxProblems.push({ file: this.file, ...this.position(node?.range?.[0] ?? 0), path: "", message: `YAML: ${message}` });
    let anyAlias = false;
    visit(this.doc, {
      Alias: (_, alias) => {
        anyAlias = true;
        if (!alias.resolve(this.doc))
          problem(alias, `*${alias.source} refers to no anchor: define \`&${alias.source}\` on a value before it, or remove the alias`);
      },
      Pair: (_, pair) => {
        // With merge on, the library reads the key `<<` as a symbol (shown as `<<` by `source`).
        if (!isScalar(pair.key) || (pair.key.value !== "<<" && pair.key.source !== "<<")) return;
        const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
        for (const item of sources) {
          const target = isAlias(item) ? item.resolve(this.doc) : item;
          if (isAlias(item) && !target) continue; // reported above
          if (!isMap(target)) {
            problem(
              (item ?? pair.key) as Node,
              "`<<` merges maps only: give it a map, an alias of one (`<<: *defaults`), or a list of such aliases",
            );
          }
        }
      },
    });
    if (!anyAlias || this.syntaxProblems.length) return;
    // Values once aliases are expanded, each node counted once per place it appears; memoised per node.
    const sizes = new Map<unknown, number>();
    const open = new Set<unknown>();
    const size = (node: unknown): number => {
      if (isAlias(node)) {
        const target = node.resolve(this.doc);
        if (open.has(target)) {
          problem(node, `*${node.source} is inside the value it refers to, so it never ends: refer to another anchor`);
          return Infinity;
        }
        return size(target);
      }
      const known = sizes.get(node);
      if (known !== undefined) return known;
      open.add(node);
      let n = 1;
      if (isMap(node)) for (const p of node.items) n += size(p.key) + size(p.value);
      else if (isSeq(node)) for (const item of node.items) n += size(item);
      open.delete(node);
      n = Math.min(n, Infinity);
      sizes.set(node, n);
      return n;
    };
    const total = size(this.doc.contents);
    if (total > maxExpandedValues && Number.isFinite(total)) {
      let first: Alias | undefined;
      visit(this.doc, { Alias: (_, a) => ((first = a), visit.BREAK) });
      problem(
        first,
        `the aliases expand to more than ${maxExpandedValues} values (${total.toExponential(1)}): a stack file is refused rather than expanded; use fewer nested aliases`,
      );
    }
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
