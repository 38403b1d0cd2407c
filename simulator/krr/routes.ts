import { header, hasContentType, isPlainObject, jsonReply, parseJsonBody, type SimReply, type SimRequest } from "../core/http";
import type { SimContext, SimModule } from "../context";
import type { KrrPerson } from "../seed/schema";

// /krr: Kontakt- og reservasjonsregisteret's lookup (docs.digdir.no oppslagstjenesten_rest), answering from the seed's krrPersons.
// Maskinporten token with krr:global/kontaktinformasjon.read and/or krr:global/digitalpost.read; the
// reservation status is always returned, the other fields only under the scope that covers them.
// The reference does not give KRR's error bodies; the simulator answers {error, error_description}.

export const KRR_CONTACT_SCOPE = "krr:global/kontaktinformasjon.read";
export const KRR_DIGITAL_POST_SCOPE = "krr:global/digitalpost.read";
const MAX_PERSONS = 1000;

export const krrModule: SimModule = {
  name: "krr",
  register(ctx: SimContext) {
    const lookup = async (req: SimRequest): Promise<SimReply> => {
      const check = await ctx.maskinporten.checkBearer(req, [KRR_CONTACT_SCOPE, KRR_DIGITAL_POST_SCOPE]);
      if (!check.ok) {
        return jsonReply(
          check.status,
          { error: check.status === 401 ? "invalid_token" : "insufficient_scope", error_description: check.reason },
          {
            "www-authenticate": check.wwwAuthenticate,
          },
        );
      }
      if (!hasContentType(req, "application/json")) return badRequest("Content-Type must be application/json", 415);
      const parsed = parseJsonBody(req);
      if (!parsed.ok) return badRequest(parsed.message);
      const ids = isPlainObject(parsed.value) ? parsed.value.personidentifikatorer : undefined;
      if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_PERSONS) {
        return badRequest(`personidentifikatorer must be an array of 1 to ${MAX_PERSONS} identifiers`);
      }
      const invalid = ids.filter((id) => typeof id !== "string" || !/^\d{11}$/.test(id));
      if (invalid.length > 0) return badRequest(`every personidentifikator must be 11 digits (${invalid.length} are not)`);

      const scopes = new Set(check.token.scopes);
      const persons = (ids as string[]).map((id) => personView(findPerson(ctx, id), scopes));
      const body = { personer: persons };
      if ((header(req, "accept") ?? "").toLowerCase().includes("application/jose")) {
        return {
          status: 200,
          headers: { "content-type": "application/jose" },
          text: await ctx.maskinporten.signPayload(JSON.stringify(body)),
        };
      }
      return jsonReply(200, body);
    };
    ctx.router.add("POST", "/krr/rest/v2/personer", lookup);
    ctx.router.add("POST", "/krr/rest/v1/personer", lookup);
  },
};

function badRequest(message: string, status = 400): SimReply {
  return jsonReply(status, { error: "invalid_request", error_description: message });
}

function findPerson(ctx: SimContext, id: string): KrrPerson {
  return ctx.seed.krrPersons.find((p) => p.personidentifikator === id) ?? { personidentifikator: id, status: "IKKE_REGISTRERT" };
}

/** The person as the token's scopes may see it. */
export function personView(person: KrrPerson, scopes: ReadonlySet<string>): Record<string, unknown> {
  const view: Record<string, unknown> = { personidentifikator: person.personidentifikator };
  const copy = (key: keyof KrrPerson) => {
    if (person[key] !== undefined) view[key] = structuredClone(person[key]);
  };
  copy("reservasjon");
  copy("reservasjonstidspunkt");
  copy("reservasjon_oppdatert");
  copy("status");
  if (scopes.has(KRR_CONTACT_SCOPE)) {
    copy("varslingsstatus");
    copy("kontaktinformasjon");
    copy("spraak");
    copy("spraak_oppdatert");
  }
  if (scopes.has(KRR_DIGITAL_POST_SCOPE)) {
    copy("digital_post");
    copy("sertifikat");
  }
  copy("oppdatert");
  return view;
}
