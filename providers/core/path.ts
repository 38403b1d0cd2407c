/**
 * Property paths as messages name them: the keys and indexes of the data (`["clients", "mp", "scopes", 1]`),
 * written `clients.mp.scopes[1]`. One spelling for the providers' check failures and the stack file's problems.
 */
export type Path = readonly (string | number)[];

/** `prefix` and one more key or index: `keys` + 1 → `keys[1]`, `keys[1]` + `kid` → `keys[1].kid`. */
export function joinPath(prefix: string, key: string | number): string {
  return typeof key === "number" ? `${prefix}[${key}]` : prefix ? `${prefix}.${key}` : key;
}

/** `["redirectUris", 1, "x"]` → `redirectUris[1].x`. Symbols (zod paths may hold them) are written as strings. */
export function pathString(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, seg) => joinPath(acc, typeof seg === "number" ? seg : String(seg)), "");
}

/** `redirectUris[1].x` → `["redirectUris", 1, "x"]`: the inverse of pathString, for failures named by property. */
export function parsePath(property: string): (string | number)[] {
  return [...property.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]!));
}
