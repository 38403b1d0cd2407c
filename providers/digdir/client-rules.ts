import { containsUnknown, isUnknown, type Failure } from "../core/check";
import type { EnvironmentName } from "../core/environments";
import type { ClientInputs, ClientKind } from "./client-model";

/**
 * Pure: the rules across a login client's fields, after its inputs are parsed and completed (client-model.ts): the
 * combination table of integration type, application type, authentication method and grants, and the redirect URI
 * rules per environment (Digdir's docs: docs.digdir.no "oidc_func_clientreg"; README.md, "Sources").
 */

/** What an `idporten` client may add to openid and profile (the combination table). */
const idportenExtraScopes = ["eidas", "no_pid"];

export function usesClientSecret(method: string | undefined): boolean {
  return method === "client_secret_basic" || method === "client_secret_post";
}

export function ruleFailures(kind: ClientKind, c: ClientInputs, env: EnvironmentName): Failure[] {
  const out: Failure[] = [];
  if (kind !== "IdportenClient") return out;
  const publicClient = c.applicationType !== "web";
  if (publicClient && c.tokenEndpointAuthMethod !== "none") {
    out.push({
      property: "tokenEndpointAuthMethod",
      reason: `a ${c.applicationType} client cannot keep a secret or key, so it must be "none" (the combination table of Digdir's docs)`,
    });
  }
  if (c.rotationTrigger !== undefined && !isUnknown(c.tokenEndpointAuthMethod) && !usesClientSecret(c.tokenEndpointAuthMethod)) {
    out.push({
      property: "rotationTrigger",
      reason: `rotates the client secret, and a ${c.tokenEndpointAuthMethod} client has none: remove it, or use client_secret_basic or client_secret_post (keys rotate with ClientKeys)`,
    });
  }
  if (!publicClient && c.tokenEndpointAuthMethod === "none") {
    out.push({
      property: "tokenEndpointAuthMethod",
      reason:
        'a web client must authenticate: use private_key_jwt (recommended), client_secret_basic or client_secret_post, or set applicationType to "browser" or "native"',
    });
  }
  if (containsUnknown(c.grantTypes) || containsUnknown(c.scopes)) return out;
  if (c.tokenEndpointAuthMethod === "none" && c.grantTypes.includes("refresh_token")) {
    out.push({
      property: "grantTypes",
      reason: "a client without authentication (tokenEndpointAuthMethod none) cannot use refresh_token: remove it",
    });
  }
  if (!c.grantTypes.includes("authorization_code")) out.push({ property: "grantTypes", reason: "a login client needs authorization_code" });
  if (!c.scopes.includes("openid")) out.push({ property: "scopes", reason: 'a login client must have the scope "openid"' });
  if (c.integrationType === "idporten") {
    const extra = c.scopes.filter((s) => !["openid", "profile", ...idportenExtraScopes].includes(s));
    if (extra.length)
      out.push({
        property: "scopes",
        reason: `an idporten client may add only ${idportenExtraScopes.join(" and ")} to openid and profile; ${extra.join(", ")} needs integrationType api_klient`,
      });
  }
  if (c.integrationType === "ansattporten" && c.ssoDisabled === false) {
    out.push({ property: "ssoDisabled", reason: "Ansattporten always isolates SSO sessions: set it to true or leave it out" });
  }
  if (!c.postLogoutRedirectUris?.length) {
    out.push({
      property: "postLogoutRedirectUris",
      reason: "a login client needs at least one post-logout redirect URI (or a clientUri to default to)",
    });
  }
  c.redirectUris?.forEach((u, i) => out.push(...uriFailures(`redirectUris[${i}]`, u, c.applicationType, env)));
  c.postLogoutRedirectUris?.forEach((u, i) => out.push(...uriFailures(`postLogoutRedirectUris[${i}]`, u, c.applicationType, env)));
  if (c.frontchannelLogoutUri !== undefined) {
    const f = uriFailures("frontchannelLogoutUri", c.frontchannelLogoutUri, c.applicationType, env);
    out.push(...f);
    if (
      !f.length &&
      !isUnknown(c.frontchannelLogoutUri) &&
      !containsUnknown(c.redirectUris) &&
      !(c.redirectUris ?? []).some((r) => sameDomain(r, c.frontchannelLogoutUri!))
    ) {
      out.push({ property: "frontchannelLogoutUri", reason: "must be on the same domain as one of the redirect URIs" });
    }
  }
  for (const [field, max] of [
    ["accessTokenLifetime", c.refreshTokenLifetime],
    ["refreshTokenLifetime", c.authorizationLifetime],
  ] as const) {
    const value = c[field];
    if (value !== undefined && max !== undefined && value > max) {
      out.push({
        property: field,
        reason: `is ${value} s, longer than ${field === "accessTokenLifetime" ? "refreshTokenLifetime" : "authorizationLifetime"} (${max} s): Digdir's guidance is access < refresh ≤ authorization`,
      });
    }
  }
  return out;
}

const localHosts = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Redirect URI rules of docs.digdir.no ("oidc_func_clientreg"), per environment. */
export function uriFailures(property: string, uri: string, applicationType: string, env: EnvironmentName): Failure[] {
  if (isUnknown(uri)) return [];
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return [{ property, reason: `"${uri}" is not an absolute URI` }];
  }
  if (u.hash) return [{ property, reason: "must not have a fragment (#...)" }];
  const local = localHosts.has(u.hostname);
  if (u.protocol === "https:") {
    if (local && env !== "prod")
      return [{ property, reason: `"${uri}": a localhost URI in test must use http://, not https:// (http://${u.host}${u.pathname})` }];
    if (local && env === "prod" && applicationType !== "native")
      return [{ property, reason: "localhost URIs are allowed in production only for native clients" }];
    return [];
  }
  if (u.protocol === "http:") {
    // Test allows plain http; production only for a native app's localhost.
    if (env === "prod" && !(local && applicationType === "native")) return [{ property, reason: `production needs https://: "${uri}"` }];
    return [];
  }
  if (applicationType === "native") return []; // app schemes (no.example.app:/callback)
  return [{ property, reason: `"${u.protocol}" URIs are only for native apps; use https://` }];
}

function sameDomain(a: string, b: string): boolean {
  try {
    const ha = new URL(a).hostname;
    const hb = new URL(b).hostname;
    return ha === hb || ha.endsWith(`.${hb}`) || hb.endsWith(`.${ha}`);
  } catch {
    return false;
  }
}
