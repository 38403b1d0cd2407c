import type { SimReply, SimRequest } from "../core/http";
import type { SimContext } from "../context";
import { aspnetValidationProblem, okJson } from "./http";

// The `{links: {next}, data}` pagination of Altinn's bysystem lists (`Paginated.cs` in Altinn/altinn-authentication; the
// controllers' `token` query parameter is an `Opaque<Guid>` or `Opaque<long>`: clients follow `links.next` and
// never build one). Here the token is the base64url of the key of the first item of the next page.
//   exact          the next page starts at the token (consistent)
//   skip-boundary  the next page asks for keys greater than the token, so the item at each page boundary is
//                  never returned ([observation] of the request lists)
//   ignore-token   the token is ignored: every page is the first page ([observation] of the change-request list)

export type PagingMode = "exact" | "skip-boundary" | "ignore-token";

export interface Page<T> {
  items: T[];
  /** The continuation token for `links.next`, already opaque. */
  next?: string;
}

export function encodeToken(key: string): string {
  return Buffer.from(key, "utf8").toString("base64url");
}

/** The key a token stands for; undefined when the text is not one this simulator made (the framework's 400). */
export function decodeToken(token: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  const key = Buffer.from(token, "base64url").toString("utf8");
  return encodeToken(key) === token ? key : undefined;
}

/** `all` must be sorted by `key`; `from` is a decoded token. */
export function paginate<T>(all: T[], key: (t: T) => string, from: string | undefined, size: number, mode: PagingMode): Page<T> {
  let rest = all;
  if (from !== undefined && mode !== "ignore-token") {
    rest = all.filter((t) => (mode === "exact" ? key(t) >= from : key(t) > from));
  }
  const items = rest.slice(0, size);
  const following = rest[size];
  return following === undefined ? { items } : { items, next: encodeToken(key(following)) };
}

/** Sequence numbers as sortable keys (zero-padded), for the system user list. */
export function sequenceKey(n: number): string {
  return String(n).padStart(12, "0");
}

/** The `token` query parameter, decoded; a token this simulator did not make is the framework's 400 on `token`. */
export function pageToken(req: SimRequest): { ok: true; from?: string } | { ok: false; reply: SimReply } {
  const raw = req.query.get("token");
  if (raw === null || raw === "") return { ok: true };
  const from = decodeToken(raw);
  return from === undefined
    ? { ok: false, reply: aspnetValidationProblem({ token: [`The value '${raw}' is not valid.`] }) }
    : { ok: true, from };
}

/** The paginated answer: `links.next` is an absolute URL on the service's own base (ASP.NET's `Url.Link`). */
export function pagedReply(ctx: SimContext, path: string, next: string | undefined, data: unknown[]): SimReply {
  return okJson(200, { links: next ? { next: `${ctx.url()}${path}?token=${encodeURIComponent(next)}` } : {}, data });
}
