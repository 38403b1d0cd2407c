import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accept, CHANGES, CLIENT_PKG, createRequest, createSystem, CUSTOMER, PKG, REQUESTS, right } from "./altinn-helpers";
import { adminToken, call, start, type Sim } from "./helpers";

// The customer's confirm page (/am): language, what it shows, and the three answers with Altinn's redirect.

let sim: Sim;
let admin: string;
let sys: Record<string, any>;

const KRAV = right("ske-krav-og-betalinger");
const BOLIG = right("ske-innrapportering-boligselskap");
const form = (action: string, extra = "") => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: `action=${action}${extra}`,
  redirect: "manual" as const,
});
const page = async (url: string, lang?: string) => {
  const res = await fetch(lang ? `${url}&lang=${lang}` : url);
  return { status: res.status, html: await res.text() };
};
const text = (html: string) =>
  html
    .replace(/<style>[\s\S]*?<\/style>/, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ");

beforeAll(async () => {
  sim = await start();
  admin = await adminToken(sim);
  sys = await createSystem(sim, admin, {
    name: { nb: "Regnskap Sky", nn: "Rekneskap Sky", en: "Accounting Cloud" },
    description: { nb: "Regnskap i skyen", nn: "Rekneskap i skya", en: "Accounting in the cloud" },
    rights: [KRAV, BOLIG],
    accessPackages: [{ urn: PKG }],
    clientId: [],
  });
});
afterAll(() => sim.close());

const newRequest = (over: Record<string, unknown> = {}) =>
  createRequest(sim, admin, {
    systemId: sys.id,
    partyOrgNo: CUSTOMER,
    externalRef: `ref-${randomUUID().slice(0, 8)}`,
    rights: [KRAV],
    accessPackages: [{ urn: PKG }],
    ...over,
  });

describe("the confirm page", () => {
  it("is bokmål by default: lang set, the system's nb name and description, vendor, customer, rights and packages by title", async () => {
    const r = await newRequest();
    const { status, html } = await page(r.body.confirmUrl);
    expect(status).toBe(200);
    expect(html).toMatch(/<html lang="nb">/);
    const t = text(html);
    expect(t).toContain("Forespørsel om systemtilgang");
    expect(t).toContain("Regnskap Sky");
    expect(t).toContain("Regnskap i skyen");
    expect(t).toContain("Simulert Systemleverandør AS");
    expect(t).toContain("Kunde En AS");
    expect(html).toMatch(/<span class="item-title">Krav og betalinger<\/span> <code class="muted">ske-krav-og-betalinger<\/code>/);
    expect(html).toMatch(
      /<span class="item-title">Skattegrunnlag<\/span> <code class="muted">urn:altinn:accesspackage:skattegrunnlag<\/code>/,
    );
    expect(html).not.toContain("ske-krav-og-betalinger (ske-krav-og-betalinger)");
    expect(html).toMatch(/<button[^>]*>Godkjenn<\/button>/);
    expect(html).toMatch(/<button[^>]*>Avvis<\/button>/);
    expect(html).toMatch(/<button[^>]*>Send til tilgangsstyrer<\/button>/);
    // No script and nothing fetched from elsewhere.
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\/(?!127\.0\.0\.1)/);
  });

  it("switches to nynorsk and English, each with the system's texts and titles in that language", async () => {
    const r = await newRequest();
    const nn = await page(r.body.confirmUrl, "nn");
    expect(nn.html).toMatch(/<html lang="nn">/);
    expect(text(nn.html)).toContain("Førespurnad om systemtilgang");
    expect(text(nn.html)).toContain("Rekneskap Sky");
    expect(text(nn.html)).toContain("Krav og betalingar");
    const en = await page(r.body.confirmUrl, "en");
    expect(en.html).toMatch(/<html lang="en">/);
    expect(text(en.html)).toContain("Accounting Cloud");
    expect(text(en.html)).toContain("Accounting in the cloud");
    expect(text(en.html)).toContain("Claims and payments");
    expect(text(en.html)).toContain("Tax basis");
    expect(en.html).toMatch(/<button[^>]*>Approve<\/button>/);
    // The switch links keep the request and mark the current language.
    expect(en.html).toContain(`href="/am/accessmanagement/ui/systemuser/request?id=${r.body.id}&amp;DONTCHOOSEREPORTEE=true&amp;lang=nb"`);
    expect(en.html).toMatch(/<a [^>]*lang="en"[^>]*aria-current="true"/);
    // An unknown language is bokmål.
    expect((await page(r.body.confirmUrl, "de")).html).toMatch(/<html lang="nb">/);
  });

  it("escalate: the request is forwarded to the access managers (escalated), still New, and the page says so", async () => {
    const r = await newRequest({ redirectUrl: "https://vendor.example/receipt?state=1" });
    const post = await fetch(r.body.confirmUrl, form("escalate", "&lang=en"));
    expect(post.status).toBe(302);
    expect(post.headers.get("location")).toBe("https://vendor.example/receipt?state=1");
    const listed = (await call(sim, "GET", `${REQUESTS}/bysystem/${sys.id}`, { token: admin })).body.data.find(
      (x: any) => x.id === r.body.id,
    );
    expect(listed).toMatchObject({ status: "New", escalated: true });
    const after = await page(r.body.confirmUrl);
    expect(after.html).toContain('data-field="escalated"');
    expect(after.html).not.toContain(">Send til tilgangsstyrer</button>");
    expect(after.html).toMatch(/<button[^>]*>Godkjenn<\/button>/);
    // An access manager then approves.
    expect((await fetch(r.body.confirmUrl, form("approve"))).status).toBe(302);
    expect((await call(sim, "GET", `${REQUESTS}/${r.body.id}`, { token: admin })).body.status).toBe("Accepted");
  });

  it("without a redirectUrl an answer ends on Altinn's logged-out page, in the page's language", async () => {
    const r = await newRequest();
    const post = await fetch(r.body.confirmUrl, form("reject", "&lang=nn"));
    expect(post.status).toBe(302);
    expect(post.headers.get("location")).toBe(`${sim.url}/am/loggedout?lang=nn`);
    const out = await page(post.headers.get("location")!);
    expect(out.html).toMatch(/<html lang="nn">/);
    expect(text(out.html)).toContain("Du er logga ut");
    const closed = await page(r.body.confirmUrl);
    expect(closed.html).toContain('data-status="Rejected"');
    expect(closed.html).not.toContain("<button");
  });

  it("an unknown action is a 400 page; escalation is not offered for change requests", async () => {
    const r = await newRequest();
    expect((await fetch(r.body.confirmUrl, form("delete"))).status).toBe(400);
  });

  it("agent requests: the client-access wording, packages by title, approve", async () => {
    const agentSys = await createSystem(sim, admin, { isVisible: false, rights: [], accessPackages: [{ urn: CLIENT_PKG }], clientId: [] });
    const r = await createRequest(
      sim,
      admin,
      { systemId: agentSys.id, partyOrgNo: CUSTOMER, externalRef: "byra", accessPackages: [{ urn: CLIENT_PKG }] },
      true,
    );
    const { html } = await page(r.body.confirmUrl);
    expect(text(html)).toContain("Forespørsel om systemtilgang for klienter");
    expect(text(html)).toContain("Regnskapsfører med signeringsrettighet");
    expect(html).not.toContain('data-field="rights"');
    expect((await fetch(r.body.confirmUrl, form("approve"))).status).toBe(302);
    expect((await call(sim, "GET", `${REQUESTS}/agent/${r.body.id}`, { token: admin })).body.status).toBe("Accepted");
  });

  it("change requests: what is added and what is removed, by title; no escalation", async () => {
    const created = await newRequest({ accessPackages: [] });
    const user = (await accept(sim, created.body.id)).body.systemUser;
    const c = await call(sim, "POST", `${CHANGES}?correlation-id=${randomUUID()}&system-user-id=${user.id}`, {
      token: admin,
      json: { requiredRights: [BOLIG], unwantedRights: [KRAV], requiredAccessPackages: [{ urn: PKG }] },
    });
    const { html } = await page(c.body.confirmUrl);
    const t = text(html);
    expect(t).toContain("Forespørsel om endring av systemtilgang");
    expect(t).toMatch(/Rettigheter som legges til Innrapportering for boligselskap/);
    expect(t).toMatch(/Rettigheter som fjernes Krav og betalinger/);
    expect(t).toMatch(/Tilgangspakker som legges til Skattegrunnlag/);
    expect(t).not.toContain("Tilgangspakker som fjernes");
    expect(html).not.toContain(">Send til tilgangsstyrer</button>");
    expect((await fetch(c.body.confirmUrl, form("escalate"))).status).toBe(400);
  });
});
