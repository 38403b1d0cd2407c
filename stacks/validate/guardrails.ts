import type { Path } from "../../providers/core/path";
import type { ValidationRun } from "./run";

/**
 * Production guardrails: a production stack points at production addresses only. The hosts of this machine and of
 * the test environments, as the services' docs list them: Altinn's TT02 and its internal AT environments
 * (https://docs.altinn.studio/authorization/getting-started/authentication/maskinporten), Maskinporten's and the
 * self-service API's test hosts (https://docs.digdir.no/docs/Maskinporten/maskinporten_func_wellknown,
 * https://docs.digdir.no/docs/Maskinporten/maskinporten_sjolvbetjening_api), and those of ID-porten, KRR and
 * Ansattporten.
 */
const testHosts = [
  /(^|\.)tt02\.altinn\.no$/,
  /(^|\.)at2\d\.altinn\.(no|cloud)$/,
  /^test\.maskinporten\.no$/,
  /(^|\.)test\.samarbeid\.digdir\.no$/,
  /^test\.idporten\.no$/,
  /^test\.kontaktregisteret\.no$/,
  /^test\.ansattporten\.no$/,
];

/** Why a URL belongs in test only, or undefined. */
export function testOnlyUrl(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined; // the resource's own check says what is wrong with it
  }
  const host = u.hostname.replace(/^\[|\]$/g, "");
  if (host === "localhost" || host.endsWith(".localhost") || /^127\./.test(host) || host === "::1" || host === "0.0.0.0") {
    return `"${url}" points at this machine (a localhost or simulator address)`;
  }
  if (testHosts.some((re) => re.test(host))) return `"${url}" is an address in a test environment`;
  if (u.protocol === "http:") return `"${url}" uses http://; production needs https://`;
  return undefined;
}

/** In a production stack, a test-only address is a problem at `at`. */
export function guardUrl(run: ValidationRun, url: string | undefined, at: Path): void {
  if (run.opts.environment !== "prod" || url === undefined) return;
  const reason = testOnlyUrl(url);
  if (reason) run.at(at, `${reason}: a production stack may only point at production addresses; move this value to a test stack`);
}

/** Runs the guardrail over the URL fields of clients and systems (scopes and requests are guarded as they are read). */
export function guardPlannedUrls(run: ValidationRun): void {
  if (run.opts.environment !== "prod") return;
  for (const c of run.plan.clients)
    if (typeof c.args.clientUri === "string") guardUrl(run, c.args.clientUri, ["clients", c.name, "clientUri"]);
  for (const s of run.plan.systems) {
    const urls = s.args.allowedRedirectUrls;
    if (Array.isArray(urls))
      urls.forEach((u, i) => typeof u === "string" && guardUrl(run, u, ["systems", s.name, "allowedRedirectUrls", i]));
  }
}
