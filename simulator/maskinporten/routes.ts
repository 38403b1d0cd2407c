import { hasContentType, jsonReply, parseFormBody } from "../core/http";
import type { SimContext, SimModule } from "../context";
import { JWT_BEARER_GRANT } from "../registry/registry";
import { exchangeJwtGrant, type JtiStore } from "./grant";

// /maskinporten: https://test.maskinporten.no (docs.digdir.no maskinporten_func_wellknown; docs.digdir.no maskinporten_protocol_jwtgrant).

// The live test metadata lists these whether or not a module handles them (nais/tokendings test copy).
const METADATA_AUTHORIZATION_DETAILS_TYPES = ["urn:altinn:systemuser", "urn:altinn:consent"];

export const maskinportenModule: SimModule = {
  name: "maskinporten",
  register(ctx: SimContext) {
    const jtis: JtiStore = ctx.store.define<Record<string, number>>("maskinporten.jtis", { initial: () => ({}) });

    ctx.router.add("GET", "/maskinporten/.well-known/oauth-authorization-server", () =>
      jsonReply(200, {
        issuer: ctx.maskinporten.issuer(),
        token_endpoint: ctx.maskinporten.tokenEndpoint(),
        jwks_uri: ctx.maskinporten.jwksUri(),
        grant_types_supported: [JWT_BEARER_GRANT],
        token_endpoint_auth_methods_supported: ["private_key_jwt"],
        token_endpoint_auth_signing_alg_values_supported: ["RS256", "RS384", "RS512"],
        authorization_details_types_supported: METADATA_AUTHORIZATION_DETAILS_TYPES,
      }),
    );

    ctx.router.add("GET", "/maskinporten/jwk", () => jsonReply(200, ctx.maskinporten.publicJwks()));

    ctx.router.add("POST", "/maskinporten/token", async (req) => {
      const noStore = { "cache-control": "no-store", pragma: "no-cache" };
      if (!hasContentType(req, "application/x-www-form-urlencoded")) {
        return jsonReply(
          400,
          { error: "invalid_request", error_description: "MP-011 The token request must be application/x-www-form-urlencoded" },
          noStore,
        );
      }
      const outcome = await exchangeJwtGrant(ctx, jtis, parseFormBody(req));
      if (!outcome.ok)
        return jsonReply(outcome.err.status, { error: outcome.err.error, error_description: outcome.err.description }, noStore);
      return jsonReply(200, outcome.response, noStore);
    });
  },
};
