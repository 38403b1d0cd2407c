// Request counts per route (its label, e.g. "POST /maskinporten/token") and per answered status, since start
// or the last GET /_sim/stats?reset=true. Control calls (/_sim) are not counted.

export interface RouteStats {
  count: number;
  statuses: Record<string, number>;
}

export interface StatsSnapshot {
  since: string;
  total: number;
  routes: Record<string, RouteStats>;
}

export class Stats {
  private routes = new Map<string, RouteStats>();
  private total = 0;
  private since: string;

  constructor(private readonly nowIso: () => string) {
    this.since = nowIso();
  }

  record(label: string, status: number | "reset"): void {
    let entry = this.routes.get(label);
    if (!entry) {
      entry = { count: 0, statuses: {} };
      this.routes.set(label, entry);
    }
    entry.count++;
    const key = String(status);
    entry.statuses[key] = (entry.statuses[key] ?? 0) + 1;
    this.total++;
  }

  snapshot(): StatsSnapshot {
    const routes: Record<string, RouteStats> = {};
    for (const [label, s] of [...this.routes].sort(([a], [b]) => a.localeCompare(b))) {
      routes[label] = { count: s.count, statuses: { ...s.statuses } };
    }
    return { since: this.since, total: this.total, routes };
  }

  reset(): void {
    this.routes.clear();
    this.total = 0;
    this.since = this.nowIso();
  }
}
