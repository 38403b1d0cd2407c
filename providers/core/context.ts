import type { KeyObject } from "node:crypto";
import { decodeJwt } from "jose";
import { MaskinportenTokens, readCertificateChain, readPrivateKey, requireKeyReference, type Credential, type TokenRequest } from "./auth";
import { ApiError, InputError, isApiError, parseErrorBody } from "./errors";
import { HttpClient, type HttpRequest, type HttpResponse } from "./http";
import {
  environmentSource,
  layered,
  resolveSettings,
  settingsFingerprint,
  type ConfigSource,
  type Settings,
  type SimulatorBootstrap,
} from "./settings";

/**
 * What the providers in one process share: settings, one HTTP pool, one token cache. The dynamic provider
 * host calls `configure` once per provider kind; all kinds configured alike share one context.
 */
export class Context {
  readonly http: HttpClient;
  readonly tokens: MaskinportenTokens;
  private credentialPromise?: Promise<Credential>;
  private vendor?: string;
  /** Whether a resource has been told that the simulator is not running (the others get a pointer to that). */
  private simulatorDownSaid = false;

  constructor(readonly settings: Settings) {
    this.http = new HttpClient(settings.http);
    this.tokens = new MaskinportenTokens(this.http, settings.endpoints.maskinportenWellKnown);
  }

  /** The admin client's credential, read once. In `local`, missing credentials come from the simulator. */
  credential(): Promise<Credential> {
    if (!this.credentialPromise) {
      // A failed load is not kept (the next call reads the settings again), except a simulator that is not
      // running: every resource of the run would wait through the same retries again.
      const loading = this.loadCredential();
      loading.catch((e: unknown) => {
        if (!this.simulatorNotRunning(e)) this.credentialPromise = undefined;
      });
      this.credentialPromise = loading;
    }
    return this.credentialPromise;
  }

  /**
   * The error a resource reports (runtime.ts calls this for every failed operation). In `local`, a simulator
   * that is not running is said once, with how to start it; the other resources of the run get a one-line
   * pointer instead of the same paragraph each.
   */
  explain(e: unknown): unknown {
    if (!this.simulatorNotRunning(e)) return e;
    const url = this.settings.simulatorUrl ?? "digdir:simulatorUrl";
    if (this.simulatorDownSaid) return new InputError(`The simulator at ${url} is not running (see the first error of this run).`);
    this.simulatorDownSaid = true;
    const port = /:(\d+)\/?$/.exec(url)?.[1] ?? "8089";
    return new InputError(
      `The simulator at ${url} (digdir:simulatorUrl) is not running: nothing answers there (${(e as ApiError).problems[0]?.message ?? "connection refused"}). ` +
        `Start it in a checkout of pulumi-digdir with \`npm run sim -- --port ${port} --state .sim-state\` (or run \`npm run demo\`, which starts it), then run the command again.`,
    );
  }

  private simulatorNotRunning(e: unknown): boolean {
    return (
      this.settings.environment === "local" &&
      isApiError(e) &&
      e.status === undefined &&
      e.problems.some((p) => /ECONNREFUSED/.test(p.message))
    );
  }

  /** The vendor organisation: digdir:orgNo, else the `consumer` of the admin token. */
  async orgNo(scopes: string[]): Promise<string> {
    if (this.settings.orgNo) return this.settings.orgNo;
    if (this.vendor) return this.vendor;
    const token = await this.tokens.token(await this.credential(), { scopes });
    const consumer = decodeJwt(token.accessToken).consumer as { ID?: string } | undefined;
    const id = consumer?.ID?.split(":").pop();
    if (!id) throw new InputError("Could not tell the organisation number from the admin token: set digdir:orgNo.");
    this.vendor = id;
    return id;
  }

  /**
   * Now, in epoch ms, by the services' clock: this machine's clock corrected by the offset seen in the `Date`
   * headers of Maskinporten's answers (metadata and tokens). Time-based decisions (key rotation and
   * renewal) follow the clock that enforces key expiry, not a local clock that may have drifted; against the
   * simulator, that is its movable clock.
   */
  now(): number {
    return Date.now() + this.tokens.clockOffset;
  }

  /**
   * `now()`, after making sure the offset has been observed in this process: in a fresh provider host that
   * costs one unauthenticated GET of Maskinporten's metadata (which any token request needs anyway). When that
   * fails, this machine's clock is used.
   */
  async serverNow(): Promise<number> {
    await this.tokens.syncClock();
    return this.now();
  }

  /**
   * Sends a request with the admin client's bearer token for `scopes`. A 401 on a token that was cached
   * (revoked, or expired early) is retried once with a fresh token.
   */
  async authorized(scopes: string[], req: HttpRequest): Promise<HttpResponse> {
    const credential = await this.credential();
    const tokenReq: TokenRequest = { scopes };
    for (let attempt = 1; ; attempt++) {
      const token = await this.tokens.token(credential, tokenReq);
      const res = await this.http.send({ ...req, headers: { ...req.headers, authorization: `Bearer ${token.accessToken}` } });
      if (res.status === 401 && attempt === 1) {
        await this.tokens.invalidate(credential, tokenReq);
        continue;
      }
      return res;
    }
  }

  private async loadCredential(): Promise<Credential> {
    const s = this.settings;
    if (s.environment === "local" && (!s.clientId || !s.privateKey)) return this.simulatorCredential();
    const missing = [!s.clientId && "digdir:clientId (DIGDIR_CLIENT_ID)", !s.privateKey && "digdir:privateKey (DIGDIR_PRIVATE_KEY)"].filter(
      Boolean,
    );
    if (missing.length) {
      throw new InputError(
        `The admin client's credentials are not configured: set ${missing.join(" and ")}, e.g. ` +
          "`pulumi config set --secret digdir:privateKey < admin-key.json`, or the environment variables in a pipeline.",
      );
    }
    const { key, kid, alg } = readPrivateKey(s.privateKey!, "digdir:privateKey");
    const x5c = s.certificateChain ? readCertificateChain(s.certificateChain, "digdir:certificateChain") : undefined;
    const credential: Credential = { clientId: s.clientId!, key, kid: s.keyId ?? kid, x5c, ...(alg ? { alg } : {}) };
    requireKeyReference(credential);
    return credential;
  }

  private async simulatorCredential(): Promise<Credential> {
    const b = this.settings.simulatorBootstrap ?? (await this.fetchSimulatorBootstrap());
    const { key } = readPrivateKey(JSON.stringify(b.privateJwk), "the simulator's bootstrap key");
    this.vendor ??= this.settings.orgNo ?? b.orgNo;
    return { clientId: b.clientId, key: key as KeyObject, kid: b.kid };
  }

  private async fetchSimulatorBootstrap(): Promise<SimulatorBootstrap> {
    const url = `${this.settings.simulatorUrl!.replace(/\/+$/, "")}/_sim/bootstrap`;
    const res = await this.http.send({ service: "maskinporten", method: "GET", url });
    if (res.status !== 200) {
      throw new ApiError({
        service: "maskinporten",
        method: "GET",
        path: "/_sim/bootstrap",
        status: res.status,
        ...parseErrorBody(res.text),
        hint: "The simulator's bootstrap credentials could not be read: is `npm run sim` running at digdir:simulatorUrl?",
      });
    }
    return JSON.parse(res.text) as SimulatorBootstrap;
  }
}

let current: { fingerprint: string; context: Context } | undefined;

/** Called from the provider's `configure` with the stack config; the environment fills the gaps. */
export function configureContext(stackConfig?: ConfigSource): Context {
  const settings = resolveSettings(stackConfig ? layered(stackConfig, environmentSource) : environmentSource);
  const fingerprint = settingsFingerprint(settings);
  if (current?.fingerprint !== fingerprint) current = { fingerprint, context: new Context(settings) };
  return current.context;
}

/** The context of this process; configured from the environment alone when `configure` never ran. */
export function context(): Context {
  return current?.context ?? configureContext();
}

/** digdir:orgNo when set; never throws from `check` (a broken configuration is reported where it is used). */
export function configuredVendor(): string | undefined {
  try {
    return context().settings.orgNo;
  } catch {
    return undefined;
  }
}
