/**
 * The nearest valid name for a misspelt one: same letters in another case (`allowedredirecturls`, as Altinn's
 * own docs write it), or within a small edit distance (`redirectUri`, `scope`, `clientIds`).
 */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const c of candidates) {
    if (c.toLowerCase() === lower) return c;
    const d = editDistance(lower, c.toLowerCase());
    const limit = Math.max(1, Math.min(3, Math.floor(Math.max(word.length, c.length) / 4)));
    if (d <= limit && (!best || d < best.distance)) best = { name: c, distance: d };
  }
  if (best) return best.name;
  // The last word of a camelCase name (`id` for `systemId`, as Altinn's wire format writes it).
  for (const c of candidates) {
    const i = c.length - word.length;
    if (i > 0 && c.slice(i).toLowerCase() === lower && /[A-Z]/.test(c[i]!)) return c;
  }
  // A longer or shorter spelling of one name (Altinn's docs write `externalReference` for `externalRef`).
  if (lower.length >= 4) for (const c of candidates) if (c.toLowerCase().startsWith(lower) || lower.startsWith(c.toLowerCase())) return c;
  return undefined;
}

/** " (did you mean `x`?)" or "". */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const n = nearest(word, candidates);
  return n ? `: did you mean \`${n}\`?` : "";
}

/** Edits (insert, delete, replace, swap two neighbours) from a to b: optimal string alignment distance. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}
