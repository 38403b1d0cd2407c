/** Rights, packages and requests the Altinn request tests share (request-model and request-plan). */
export const krav = { resource: [{ id: "urn:altinn:resource", value: "ske-krav-og-betalinger" }] };
export const bolig = { resource: [{ id: "urn:altinn:resource", value: "ske-innrapportering-boligselskap" }] };
export const skattegrunnlag = { urn: "urn:altinn:accesspackage:skattegrunnlag" };
export const regnskap = { urn: "urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet" };
export const offer = {
  rights: [krav, bolig],
  accessPackages: [skattegrunnlag],
  allowedRedirectUrls: ["https://vendor.example.no/receipt"],
};
export const standard = { systemId: "991825827_smartcloud", partyOrgNo: "310000019", externalRef: "kunde-1", rights: [krav] };
export const agentOffer = { accessPackages: [{ ...regnskap, isAssignable: false }] };
export const agentRequest = { systemId: "991825827_regnskap", partyOrgNo: "310000027", accessPackages: [regnskap] };
