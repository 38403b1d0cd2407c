import { readPrivateKey, type Credential } from "../../providers/core/auth";
import { startSimulator, type BootstrapCredentials } from "../../simulator";

export type Simulator = Awaited<ReturnType<typeof startSimulator>>;

/** The admin credentials of GET /_sim/bootstrap, bootstrap.json and POST /_sim/orgs {vendor: true}. */
export type Bootstrap = BootstrapCredentials;

/** A Maskinporten credential from the simulator's bootstrap shape. */
export function credentialOf(b: Bootstrap): Credential {
  return { clientId: b.clientId, kid: b.kid, key: readPrivateKey(JSON.stringify(b.privateJwk), "the simulator's bootstrap key").key };
}

/** A fresh simulator on a free port; tests meet both sides here and nowhere else. */
export function startSim(options: Parameters<typeof startSimulator>[0] = {}): Promise<Simulator> {
  return startSimulator({ port: 0, ...options });
}

/** Calls the simulator's control API. */
export async function control<T = unknown>(sim: Simulator, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${sim.url}/_sim${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`control ${method} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Local-environment provider settings for a simulator; with `admin`, that organisation's admin client as stack config. */
export function localConfig(sim: Simulator, admin?: Bootstrap): Record<string, string> {
  const config = { "digdir:environment": "local", "digdir:simulatorUrl": sim.url };
  if (!admin) return config;
  return { ...config, "digdir:clientId": admin.clientId, "digdir:keyId": admin.kid, "digdir:privateKey": JSON.stringify(admin.privateJwk) };
}

/** The simulator's GET /_sim/stats: calls per route (`METHOD /path`) and their statuses. */
export type SimStats = { total: number; routes: Record<string, { count: number; statuses: Record<string, number> }> };
