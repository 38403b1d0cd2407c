/**
 * Where each upstream service lives per environment (docs.digdir.no, docs.altinn.studio;
 * simulator/README.md for `local`).
 */
export type EnvironmentName = "test" | "prod" | "local";

export const environmentNames: readonly EnvironmentName[] = ["test", "prod", "local"];

export interface Endpoints {
  environment: EnvironmentName;
  /** Maskinporten's RFC 8414 metadata; the issuer and token endpoint are read from it. */
  maskinportenWellKnown: string;
  /** Digdir self-service API base, including `/api/v1`, no trailing slash. */
  samarbeidBase: string;
  /** Altinn platform base (TT02 in test). */
  altinnBase: string;
  /** Host of the customer's confirm pages. */
  altinnUiBase: string;
  /** KRR (Kontaktregisteret) base. */
  krrBase: string;
  /** ID-porten issuer, for the outputs of ID-porten clients. */
  idportenIssuer: string;
}

export function endpointsFor(environment: EnvironmentName, simulatorUrl?: string): Endpoints {
  switch (environment) {
    case "test":
      return {
        environment,
        maskinportenWellKnown: "https://test.maskinporten.no/.well-known/oauth-authorization-server",
        samarbeidBase: "https://api.test.samarbeid.digdir.no/api/v1",
        altinnBase: "https://platform.tt02.altinn.no",
        altinnUiBase: "https://am.ui.tt02.altinn.no",
        krrBase: "https://test.kontaktregisteret.no",
        idportenIssuer: "https://test.idporten.no",
      };
    case "prod":
      return {
        environment,
        maskinportenWellKnown: "https://maskinporten.no/.well-known/oauth-authorization-server",
        samarbeidBase: "https://api.samarbeid.digdir.no/api/v1",
        altinnBase: "https://platform.altinn.no",
        altinnUiBase: "https://am.ui.altinn.no",
        krrBase: "https://kontaktregisteret.no",
        idportenIssuer: "https://idporten.no",
      };
    case "local": {
      if (!simulatorUrl) {
        throw new Error(
          "digdir:environment is `local` but no simulator URL is set: set digdir:simulatorUrl (or DIGDIR_SIMULATOR_URL) " +
            "to the URL `npm run sim` printed, e.g. http://127.0.0.1:8089",
        );
      }
      const base = simulatorUrl.replace(/\/+$/, "");
      return {
        environment,
        maskinportenWellKnown: `${base}/maskinporten/.well-known/oauth-authorization-server`,
        samarbeidBase: `${base}/samarbeid/api/v1`,
        altinnBase: `${base}/altinn`,
        altinnUiBase: `${base}/am`,
        krrBase: `${base}/krr`,
        // The simulator has no ID-porten login; the outputs still name where a local issuer would be.
        idportenIssuer: `${base}/idporten`,
      };
    }
  }
}
