import { header, isPlainObject } from "../core/http";
import type { SimContext } from "../context";
import { CONSUMER_AUTHORITY, type AccessTokenClaims, type AuthorizationDetailsResult } from "../maskinporten/service";
import {
  addRoute,
  altinnIssuer,
  altinnProblem,
  aspnetProblem,
  aspnetValidationProblem,
  AUTH_BASE,
  authorize,
  consumerOrgNo,
  emptyStatus,
  okJson,
  plainText,
  SCOPES,
} from "./http";
import { systemUserView, type AltinnState } from "./model";
import { pagedReply, pageToken, paginate, sequenceKey } from "./paging";

// System users seen from the vendor (`SystemUserController`), system user tokens at Maskinporten (Altinn's systembrukertoken guide, the
// urn:altinn:systemuser authorization_details type), and the Maskinporten → Altinn token exchange (Altinn's systembrukertoken guide, `AuthenticationController`).

export const SYSTEMUSER_TYPE = "urn:altinn:systemuser";
/** JwtValidityMinutes in the repo's default appsettings. */
const EXCHANGED_TOKEN_MINUTES = 30;

export function registerSystemUsers(ctx: SimContext, state: AltinnState): void {
  // --- GET systemuser/vendor/bysystem/{systemId}: systemregister.write; consistent pagination by sequence ---
  addRoute(ctx, "GET", `${AUTH_BASE}/systemuser/vendor/bysystem/:systemId`, async (req) => {
    const auth = await authorize(ctx, req, [SCOPES.systemRegisterWrite, SCOPES.systemRegisterAdmin]);
    if (!auth.ok) return auth.reply;
    const systemId = req.params.systemId!;
    const system = state.system(systemId);
    if (!system || system.vendorOrgNo !== auth.caller.orgNo) return altinnProblem("AUTH-00011");
    const all = state.cachedList(`systemUsers\u0000${systemId}`, () =>
      Object.values(state.systemUsers.value)
        .filter((u) => !u.isDeleted && u.systemId === systemId)
        .sort((a, b) => a.sequence - b.sequence),
    );
    const token = pageToken(req);
    if (!token.ok) return token.reply;
    const page = paginate(all, (u) => sequenceKey(u.sequence), token.from, state.settings.value.pageSize, "exact");
    return pagedReply(
      ctx,
      `${AUTH_BASE}/systemuser/vendor/bysystem/${encodeURIComponent(systemId)}`,
      page.next,
      page.items.map(systemUserView),
    );
  });

  // --- GET systemuser/vendor/byquery?system-id&orgno&external-ref: request.write (a GET that needs the write scope) ---
  addRoute(ctx, "GET", `${AUTH_BASE}/systemuser/vendor/byquery`, async (req) => {
    const auth = await authorize(ctx, req, [SCOPES.requestWrite]);
    if (!auth.ok) return auth.reply;
    const systemId = req.query.get("system-id")?.trim() ?? "";
    const orgNo = req.query.get("orgno")?.trim() ?? "";
    const missing: Record<string, string[]> = {};
    if (!systemId) missing["system-id"] = ["The system-id field is required."];
    if (!orgNo) missing.orgno = ["The orgno field is required."];
    if (Object.keys(missing).length > 0) return aspnetValidationProblem(missing);
    const externalRef = req.query.get("external-ref")?.trim() || orgNo;
    const user = state.systemUserByKey(systemId, orgNo, externalRef);
    if (!user || user.supplierOrgno !== auth.caller.orgNo) return aspnetProblem(404);
    return okJson(200, systemUserView(user));
  });

  // --- Maskinporten: authorization_details of type urn:altinn:systemuser (Altinn's systembrukertoken guide) ---
  ctx.maskinporten.registerAuthorizationDetailsType(SYSTEMUSER_TYPE, ({ detail, client, orgNo }): AuthorizationDetailsResult => {
    const malformed = (why: string): AuthorizationDetailsResult => ({
      ok: false,
      status: 400,
      error: "invalid_authorization_details",
      description: `MP-303 ${why}`,
    });
    // An unknown field in the entry is MP-302 (docs.digdir.no maskinporten_feilsoking).
    const unknown = Object.keys(detail).filter((k) => !["type", "systemuser_org", "externalRef"].includes(k));
    if (unknown.length) {
      return {
        ok: false,
        status: 400,
        error: "invalid_authorization_details",
        description: `MP-302 unknown field ${unknown.join(", ")} in the ${SYSTEMUSER_TYPE} entry`,
      };
    }
    const org = detail.systemuser_org;
    // One party per grant: a systemuser_org naming two organisations (a list) is refused.
    if (Array.isArray(org)) return malformed("systemuser_org names one organisation: {authority, ID}, not a list");
    if (!isPlainObject(org)) return malformed("systemuser_org is required: {authority: iso6523-actorid-upis, ID: 0192:<orgno>}");
    if (org.authority !== undefined && org.authority !== CONSUMER_AUTHORITY)
      return malformed(`systemuser_org.authority must be ${CONSUMER_AUTHORITY}`);
    const id = typeof org.ID === "string" ? org.ID : typeof org.id === "string" ? org.id : undefined;
    const m = id !== undefined ? /^0192:(\d{9})$/.exec(id) : null;
    if (!m) return malformed("systemuser_org.ID must be 0192:<organisation number>");
    const owner = m[1]!;
    if (detail.externalRef !== undefined && (typeof detail.externalRef !== "string" || detail.externalRef === "")) {
      return malformed("externalRef must be a non-empty string");
    }
    const externalRef = (detail.externalRef as string | undefined) ?? owner;
    // Altinn's lookup: a non-deleted system of the client's own organisation that lists the client id, and a
    // non-deleted system user of that system for the owner and externalRef.
    const system = state.systemWithClientId(client.client_id);
    const user = system && system.vendorOrgNo === orgNo ? state.systemUserByKey(system.id, owner, externalRef) : undefined;
    if (!system || !user) {
      return {
        ok: false,
        status: 400,
        error: "invalid_altinn_customer_configuration",
        description:
          "MP-303 Altinn found no system user for this client and customer: check that the client_id is in the system's clientId list, " +
          "and that systemuser_org and externalRef name an accepted system user",
      };
    }
    return {
      ok: true,
      detail: {
        type: SYSTEMUSER_TYPE,
        systemuser_id: [user.id],
        systemuser_org: { authority: CONSUMER_AUTHORITY, ID: `0192:${owner}` },
        system_id: system.id,
      },
    };
  });

  // --- GET exchange/{provider}: a Maskinporten token for an Altinn token (plain-text JWT) ---
  ctx.router.add("GET", `${AUTH_BASE}/exchange/:provider`, async (req) => {
    const provider = req.params.provider!.toLowerCase();
    if (provider !== "maskinporten" && provider !== "id-porten") return plainText(400, "Invalid token provider");
    const bearer = /^Bearer\s+(\S+)$/i.exec(header(req, "authorization") ?? "");
    if (provider !== "maskinporten" || !bearer) return emptyStatus(401);
    const verified = await ctx.maskinporten.verifyAccessToken(bearer[1]!);
    if (!verified.ok || !consumerOrgNo(verified.token.claims)) return emptyStatus(401);
    const now = ctx.clock.nowSeconds();
    const claims: AccessTokenClaims = {
      ...verified.token.claims,
      iss: altinnIssuer(ctx),
      iat: now,
      exp: now + EXCHANGED_TOKEN_MINUTES * 60,
      "urn:altinn:orgNumber": verified.token.orgNo,
      "urn:altinn:authenticatemethod": "maskinporten",
      "urn:altinn:authlevel": 3,
    };
    delete claims.nbf;
    return { status: 200, headers: { "content-type": "text/plain; charset=utf-8" }, text: await ctx.maskinporten.signAccessToken(claims) };
  });

  // The exchanged tokens' issuer metadata, so a client can verify them like Altinn's.
  ctx.router.add("GET", `${AUTH_BASE}/openid/.well-known/openid-configuration`, () =>
    okJson(200, { issuer: altinnIssuer(ctx), jwks_uri: `${ctx.url()}${AUTH_BASE}/openid/.well-known/openid-configuration/jwks` }),
  );
  ctx.router.add("GET", `${AUTH_BASE}/openid/.well-known/openid-configuration/jwks`, () => okJson(200, ctx.maskinporten.publicJwks()));
}
