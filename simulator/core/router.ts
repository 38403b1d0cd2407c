import type { Handler } from "./http";

// Method + path-pattern routing. Patterns are literal segments and `:name` parameters
// (`/samarbeid/api/v1/clients/:id/jwks`). The pattern doubles as the route's label in /_sim/stats.
// Paths are matched exactly: no trailing-slash folding, as the real Spring/ASP.NET services do not fold either.

export interface Route {
  readonly method: string;
  readonly pattern: string;
  readonly label: string;
  readonly handler: Handler;
  readonly segments: readonly string[];
}

export type RouteMatch =
  { kind: "found"; route: Route; params: Record<string, string> } | { kind: "method-not-allowed"; allow: string[] } | { kind: "not-found" };

export class Router {
  private readonly routes: Route[] = [];

  /** Register a route. A second registration of the same method and pattern replaces the first. */
  add(method: string, pattern: string, handler: Handler): void {
    const m = method.toUpperCase();
    const route: Route = { method: m, pattern, label: `${m} ${pattern}`, handler, segments: pattern.split("/") };
    const existing = this.routes.findIndex((r) => r.method === m && r.pattern === pattern);
    if (existing >= 0) this.routes[existing] = route;
    else this.routes.push(route);
  }

  match(method: string, path: string): RouteMatch {
    const segments = path.split("/");
    const allow: string[] = [];
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      if (route.method === method.toUpperCase()) return { kind: "found", route, params };
      allow.push(route.method);
    }
    return allow.length > 0 ? { kind: "method-not-allowed", allow } : { kind: "not-found" };
  }

  list(): string[] {
    return this.routes.map((r) => r.label);
  }
}

function matchSegments(pattern: readonly string[], actual: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const a = actual[i]!;
    if (p.startsWith(":")) {
      if (a === "") return undefined;
      try {
        params[p.slice(1)] = decodeURIComponent(a);
      } catch {
        return undefined;
      }
    } else if (p !== a) return undefined;
  }
  return params;
}
