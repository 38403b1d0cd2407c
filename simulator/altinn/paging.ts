// The `{links: {next}, data}` pagination of Altinn's bysystem lists (altinn-api.md §3.3, §5.1, §6).
// The continuation token is the key of the first item of the next page.
//   exact          the next page starts at the token (consistent)
//   skip-boundary  the next page asks for keys greater than the token, so the item at each page boundary is
//                  never returned ([observation] of the request lists)
//   ignore-token   the token is ignored: every page is the first page ([observation] of the change-request list)

export type PagingMode = "exact" | "skip-boundary" | "ignore-token";

export interface Page<T> {
  items: T[];
  next?: string;
}

/** `all` must be sorted by `key`. */
export function paginate<T>(all: T[], key: (t: T) => string, token: string | null, size: number, mode: PagingMode): Page<T> {
  let rest = all;
  if (token && mode !== "ignore-token") {
    rest = all.filter((t) => (mode === "exact" ? key(t) >= token : key(t) > token));
  }
  const items = rest.slice(0, size);
  const following = rest[size];
  return following === undefined ? { items } : { items, next: key(following) };
}

/** Sequence numbers as sortable keys (zero-padded), for the system user list. */
export function sequenceKey(n: number): string {
  return String(n).padStart(12, "0");
}
