import { randomUUID } from "node:crypto";
import { adminToken, call, VENDOR, type Reply, type Sim } from "./helpers";

// Helpers for the Altinn simulator tests (over HTTP, like helpers.ts).

export const A = "/altinn/authentication/api/v1";
export const REGISTER = `${A}/systemregister/vendor`;
export const REQUESTS = `${A}/systemuser/request/vendor`;
export const CHANGES = `${A}/systemuser/changerequest/vendor`;
export const CUSTOMER = "310000019";
export const CUSTOMER_2 = "310000027";
export const OTHER_VENDOR = "974761076";
export const PKG = "urn:altinn:accesspackage:skattegrunnlag";
export const CLIENT_PKG = "urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet";

export const SCOPE = {
  register: "altinn:authentication/systemregister.write",
  read: "altinn:authentication/systemuser.request.read",
  write: "altinn:authentication/systemuser.request.write",
};

export const right = (value: string, id = "urn:altinn:resource") => ({ resource: [{ id, value }] });

let counter = 0;
/** A fresh system id of the vendor (ids are burned forever, so every test takes its own). */
export function systemId(name = "sys", vendor = VENDOR): string {
  return `${vendor}_${name}_${++counter}_${randomUUID().slice(0, 8)}`;
}

export function systemBody(overrides: Record<string, unknown> = {}, vendor = VENDOR): Record<string, unknown> {
  return {
    id: systemId("sys", vendor),
    vendor: { authority: "iso6523-actorid-upis", ID: `0192:${vendor}` },
    name: { nb: "Testsystem", nn: "Testsystem", en: "Test system" },
    description: { nb: "Beskrivelse", nn: "Skildring", en: "Description" },
    rights: [right("ske-krav-og-betalinger"), right("ske-innrapportering-boligselskap")],
    accessPackages: [{ urn: PKG }],
    clientId: [randomUUID()],
    isVisible: true,
    allowedRedirectUrls: ["https://vendor.example/receipt"],
    ...overrides,
  };
}

export async function createSystem(sim: Sim, token: string, overrides: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const body = systemBody(overrides);
  const r = await call(sim, "POST", REGISTER, { token, json: body });
  if (r.status !== 200) throw new Error(`create system: ${r.status} ${r.text}`);
  return body;
}

export async function createRequest(sim: Sim, token: string, body: Record<string, unknown>, agent = false): Promise<Reply> {
  return call(sim, "POST", agent ? `${REQUESTS}/agent` : REQUESTS, { token, json: body });
}

export function adminWith(sim: Sim, ...scopes: string[]): Promise<string> {
  return adminToken(sim, sim.bootstrap, scopes.join(" "));
}

export async function accept(sim: Sim, requestId: string): Promise<Reply> {
  return call(sim, "POST", `/_sim/systemuser-requests/${requestId}/accept`);
}

export const codes = (r: Reply) => (r.body.validationErrors as { code: string }[]).map((e) => e.code);
