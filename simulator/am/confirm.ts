import { parseFormBody, type SimReply, type SimRequest } from "../core/http";
import type { SimContext } from "../context";
import type { Customer, Outcome } from "../altinn/customer";
import { escapeHtml, parseGuid } from "../altinn/http";
import { packageName, resourceTitle, type Language } from "../altinn/metadata";
import { confirmPath, type AltinnState, type ConfirmPage, type PackageRef, type Right, type SystemRecord } from "../altinn/model";

// The customer's side of Altinn's access management UI (/am = https://am.ui.tt02.altinn.no): one page per
// confirmUrl (request, agentrequest, changerequest) in bokmål, nynorsk or English (`lang`, bokmål by default, as
// Altinn), showing the system's name and description in that language, the vendor, the customer, each right and
// access package by its title from the seed, and Approve / Reject / send to the access manager as POST forms to
// the same address. After an answer Altinn logs the user out and sends them to the request's redirectUrl, else
// to its logged-out page (altinn-access-management-frontend: SystemUserRequestController's logout,
// LogoutRedirectController; docs.altinn.studio "Approve system access"). No login: whoever opens the page acts
// as the customer (the request's partyOrgNo). Plain HTML and CSS, no script, no external assets.

const HTML = { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" };
const LANGUAGES: Language[] = ["nb", "nn", "en"];
export const LOGGED_OUT_PATH = "/am/loggedout";

type Texts = typeof nb;

const nb = {
  languageName: "Bokmål",
  languageNav: "Språk",
  service: "Altinn",
  simulator: "Simulator: ikke den ekte tjenesten",
  heading: {
    request: "Forespørsel om systemtilgang",
    agentrequest: "Forespørsel om systemtilgang for klienter",
    changerequest: "Forespørsel om endring av systemtilgang",
  },
  intro: {
    request: "{vendor} ber om at {customer} gir systemet {system} tilgang til å handle på vegne av {customer}.",
    agentrequest:
      "{vendor} ber om at {customer} gir systemet {system} tilgang til å handle for klientene til {customer}. Etterpå velger {customer} hvilke klienter systemet får tilgang til.",
    changerequest: "{vendor} ber om å endre hva systemet {system} har tilgang til på vegne av {customer}.",
  },
  system: "System",
  about: "Om systemet",
  vendor: "Leverandør",
  customer: "Gjelder",
  title: "Navn på systemtilgangen",
  status: "Status",
  orgNo: "org.nr.",
  rights: "Systemet får disse rettighetene",
  packages: "Systemet får disse tilgangspakkene",
  requiredRights: "Rettigheter som legges til",
  unwantedRights: "Rettigheter som fjernes",
  requiredPackages: "Tilgangspakker som legges til",
  unwantedPackages: "Tilgangspakker som fjernes",
  none: "Ingen",
  approve: "Godkjenn",
  reject: "Avvis",
  escalate: "Send til tilgangsstyrer",
  escalateHelp: "Har du ikke rettighetene som trengs for å godkjenne? Send forespørselen til tilgangsstyrerne i {customer}.",
  escalated: "Forespørselen er sendt til tilgangsstyrerne i {customer} og venter på svar fra en av dem.",
  closed: "Forespørselen er besvart eller utløpt, og kan ikke lenger godkjennes eller avvises.",
  statuses: {
    New: "Venter på svar",
    Accepted: "Godkjent",
    Rejected: "Avvist",
    Denied: "Avslått",
    Timedout: "Utløpt",
    expired: "Utløpt uten svar",
  } as Record<string, string>,
  unknownOrg: "ukjent organisasjon",
  loggedOutTitle: "Du er logget ut",
  loggedOut: "Svaret ditt er registrert, og du er logget ut av Altinn.",
  notFoundTitle: "Fant ikke forespørselen",
  notFound: "Forespørselen finnes ikke, eller den er slettet.",
  failedTitle: "Forespørselen kunne ikke behandles",
  unknownAction: "Velg Godkjenn, Avvis eller Send til tilgangsstyrer.",
};

const nn: Texts = {
  languageName: "Nynorsk",
  languageNav: "Språk",
  service: "Altinn",
  simulator: "Simulator: ikkje den ekte tenesta",
  heading: {
    request: "Førespurnad om systemtilgang",
    agentrequest: "Førespurnad om systemtilgang for klientar",
    changerequest: "Førespurnad om endring av systemtilgang",
  },
  intro: {
    request: "{vendor} ber om at {customer} gir systemet {system} tilgang til å handle på vegner av {customer}.",
    agentrequest:
      "{vendor} ber om at {customer} gir systemet {system} tilgang til å handle for klientane til {customer}. Etterpå vel {customer} kva klientar systemet får tilgang til.",
    changerequest: "{vendor} ber om å endre kva systemet {system} har tilgang til på vegner av {customer}.",
  },
  system: "System",
  about: "Om systemet",
  vendor: "Leverandør",
  customer: "Gjeld",
  title: "Namn på systemtilgangen",
  status: "Status",
  orgNo: "org.nr.",
  rights: "Systemet får desse rettane",
  packages: "Systemet får desse tilgangspakkane",
  requiredRights: "Rettar som vert lagde til",
  unwantedRights: "Rettar som vert fjerna",
  requiredPackages: "Tilgangspakkar som vert lagde til",
  unwantedPackages: "Tilgangspakkar som vert fjerna",
  none: "Ingen",
  approve: "Godkjenn",
  reject: "Avvis",
  escalate: "Send til tilgangsstyrar",
  escalateHelp: "Har du ikkje rettane som trengst for å godkjenne? Send førespurnaden til tilgangsstyrarane i {customer}.",
  escalated: "Førespurnaden er send til tilgangsstyrarane i {customer} og ventar på svar frå ein av dei.",
  closed: "Førespurnaden er svart på eller utgått, og kan ikkje lenger godkjennast eller avvisast.",
  statuses: {
    New: "Ventar på svar",
    Accepted: "Godkjend",
    Rejected: "Avvist",
    Denied: "Avslått",
    Timedout: "Utgått",
    expired: "Utgått utan svar",
  },
  unknownOrg: "ukjend organisasjon",
  loggedOutTitle: "Du er logga ut",
  loggedOut: "Svaret ditt er registrert, og du er logga ut av Altinn.",
  notFoundTitle: "Fann ikkje førespurnaden",
  notFound: "Førespurnaden finst ikkje, eller han er sletta.",
  failedTitle: "Førespurnaden kunne ikkje handsamast",
  unknownAction: "Vel Godkjenn, Avvis eller Send til tilgangsstyrar.",
};

const en: Texts = {
  languageName: "English",
  languageNav: "Language",
  service: "Altinn",
  simulator: "Simulator: not the real service",
  heading: {
    request: "Request for system access",
    agentrequest: "Request for system access for clients",
    changerequest: "Request to change system access",
  },
  intro: {
    request: "{vendor} asks {customer} to give the system {system} access to act on behalf of {customer}.",
    agentrequest:
      "{vendor} asks {customer} to give the system {system} access to act for the clients of {customer}. Afterwards {customer} chooses which clients the system may serve.",
    changerequest: "{vendor} asks to change what the system {system} may do on behalf of {customer}.",
  },
  system: "System",
  about: "About the system",
  vendor: "Vendor",
  customer: "On behalf of",
  title: "Name of the system access",
  status: "Status",
  orgNo: "org. no.",
  rights: "The system gets these rights",
  packages: "The system gets these access packages",
  requiredRights: "Rights to add",
  unwantedRights: "Rights to remove",
  requiredPackages: "Access packages to add",
  unwantedPackages: "Access packages to remove",
  none: "None",
  approve: "Approve",
  reject: "Reject",
  escalate: "Send to access manager",
  escalateHelp: "Do you lack the rights needed to approve? Send the request to the access managers of {customer}.",
  escalated: "The request has been sent to the access managers of {customer} and awaits an answer from one of them.",
  closed: "The request has been answered or has expired, and can no longer be approved or rejected.",
  statuses: {
    New: "Awaiting answer",
    Accepted: "Approved",
    Rejected: "Rejected",
    Denied: "Denied",
    Timedout: "Expired",
    expired: "Expired without an answer",
  },
  unknownOrg: "unknown organisation",
  loggedOutTitle: "You are logged out",
  loggedOut: "Your answer has been recorded, and you are logged out of Altinn.",
  notFoundTitle: "Request not found",
  notFound: "There is no such request, or it has been deleted.",
  failedTitle: "The request could not be processed",
  unknownAction: "Choose Approve, Reject or Send to access manager.",
};

const TEXTS: Record<Language, Texts> = { nb, nn, en };

function language(v: string | null | undefined): Language {
  return LANGUAGES.includes(v as Language) ? (v as Language) : "nb";
}

/** One line of a list: the title, with the identifier beside it when it says something the title does not. */
interface Item {
  title: string;
  id?: string;
}

interface PageModel {
  page: ConfirmPage;
  system?: SystemRecord;
  systemId: string;
  vendorOrgNo: string;
  customerOrgNo: string;
  title?: string;
  status: string;
  expired: boolean;
  escalated: boolean;
  actionable: boolean;
  sections: { heading: keyof Texts; field: string; items: Item[] }[];
}

export function registerConfirmPages(ctx: SimContext, state: AltinnState, customer: Customer): void {
  const orgName = (orgNo: string, t: Texts) => ctx.registry.organisation(orgNo)?.name ?? t.unknownOrg;
  const rightItems = (rights: Right[], lang: Language): Item[] =>
    rights.flatMap((r) =>
      r.resource.map((a) =>
        a.id === "urn:altinn:resource"
          ? { title: resourceTitle(state.resource(a.value), a.value, lang), id: a.value }
          : { title: `${a.id}=${a.value}` },
      ),
    );
  const packageItems = (packages: PackageRef[], lang: Language): Item[] =>
    packages.map((p) => {
      const meta = state.accessPackage(p.urn);
      return { title: meta ? packageName(meta, lang) : p.urn, id: p.urn };
    });

  /** The page model of an id on one of the three pages; undefined when there is nothing to show. */
  const model = (page: ConfirmPage, id: string, lang: Language): PageModel | undefined => {
    const common = (r: { systemId: string; partyOrgNo: string; status: string; created: string }) => {
      const system = state.system(r.systemId);
      const status = state.readStatus(r as Parameters<AltinnState["readStatus"]>[0]);
      const expired = state.expired(r as Parameters<AltinnState["expired"]>[0]);
      return {
        page,
        system,
        systemId: r.systemId,
        vendorOrgNo: system?.vendorOrgNo ?? "",
        customerOrgNo: r.partyOrgNo,
        status,
        expired,
        actionable: status === "New" && !expired,
      };
    };
    if (page === "changerequest") {
      const c = state.changeRequest(id);
      if (!c || c.isDeleted) return undefined;
      return {
        ...common(c),
        title: state.systemUser(c.systemUserId)?.integrationTitle,
        escalated: false,
        sections: [
          { heading: "requiredRights", field: "required-rights", items: rightItems(c.requiredRights, lang) },
          { heading: "unwantedRights", field: "unwanted-rights", items: rightItems(c.unwantedRights, lang) },
          { heading: "requiredPackages", field: "required-packages", items: packageItems(c.requiredAccessPackages, lang) },
          { heading: "unwantedPackages", field: "unwanted-packages", items: packageItems(c.unwantedAccessPackages, lang) },
        ],
      };
    }
    const r = state.request(id);
    if (!r || r.isDeleted || (page === "agentrequest") !== (r.kind === "agent")) return undefined;
    const sections: PageModel["sections"] = [];
    if (r.kind === "standard") sections.push({ heading: "rights", field: "rights", items: rightItems(r.rights, lang) });
    sections.push({ heading: "packages", field: "packages", items: packageItems(r.accessPackages, lang) });
    const system = state.system(r.systemId);
    return { ...common(r), title: r.integrationTitle ?? system?.name.nb, escalated: r.escalated, sections };
  };

  const render = (id: string, m: PageModel, lang: Language): string => {
    const t = TEXTS[lang];
    const action = `${confirmPath(m.page)}?id=${encodeURIComponent(id)}&DONTCHOOSEREPORTEE=true`;
    const systemName = m.system ? (m.system.name[lang] ?? m.system.name.nb ?? m.system.id) : m.systemId;
    const description = m.system ? (m.system.description[lang] ?? m.system.description.nb) : undefined;
    const vendorName = orgName(m.vendorOrgNo, t);
    const customerName = orgName(m.customerOrgNo, t);
    const fill = (text: string, strong = true) => {
      const wrap = (s: string) => (strong ? `<strong>${escapeHtml(s)}</strong>` : escapeHtml(s));
      return escapeHtml(text).replace(/\{(vendor|customer|system)\}/g, (_, k: string) =>
        wrap(k === "vendor" ? vendorName : k === "customer" ? customerName : systemName),
      );
    };
    const org = (name: string, orgNo: string) => `${escapeHtml(name)} <span class="muted">(${t.orgNo} ${escapeHtml(orgNo)})</span>`;
    const statusText = m.status === "New" && m.expired ? t.statuses.expired! : (t.statuses[m.status] ?? m.status);
    const rows = [
      { label: t.system, field: "system", html: `${escapeHtml(systemName)} <span class="muted">(${escapeHtml(m.systemId)})</span>` },
      ...(description ? [{ label: t.about, field: "description", html: escapeHtml(description) }] : []),
      { label: t.vendor, field: "vendor", html: org(vendorName, m.vendorOrgNo) },
      { label: t.customer, field: "customer", html: org(customerName, m.customerOrgNo) },
      ...(m.title ? [{ label: t.title, field: "title", html: escapeHtml(m.title) }] : []),
      { label: t.status, field: "status", html: `<span data-status="${escapeHtml(m.status)}">${escapeHtml(statusText)}</span>` },
    ];
    const dl = rows.map((r) => `<div><dt>${escapeHtml(r.label)}</dt><dd data-field="${r.field}">${r.html}</dd></div>`).join("\n");
    const item = (i: Item) =>
      `<li><span class="item-title">${escapeHtml(i.title)}</span>${i.id && i.id !== i.title ? ` <code class="muted">${escapeHtml(i.id)}</code>` : ""}</li>`;
    const sections = m.sections
      .filter((s) => m.page !== "changerequest" || s.items.length > 0)
      .map((s) => {
        const heading = t[s.heading] as string;
        return `<section aria-labelledby="h-${s.field}">\n<h2 id="h-${s.field}">${escapeHtml(heading)}</h2>\n<ul data-field="${s.field}">${s.items.length ? s.items.map(item).join("") : `<li>${escapeHtml(t.none)}</li>`}</ul>\n</section>`;
      })
      .join("\n");
    const form = (value: string, label: string, cls: string) =>
      `<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="action" value="${value}"><input type="hidden" name="lang" value="${lang}"><button type="submit" class="${cls}">${escapeHtml(label)}</button></form>`;
    let actions: string;
    if (m.actionable) {
      const escalate = m.page !== "changerequest" && !m.escalated;
      actions = [
        m.escalated ? `<p class="notice" role="status" data-field="escalated">${fill(t.escalated)}</p>` : "",
        `<div class="actions">${form("approve", t.approve, "primary")}${form("reject", t.reject, "secondary")}</div>`,
        escalate ? `<div class="escalate"><p>${fill(t.escalateHelp)}</p>${form("escalate", t.escalate, "tertiary")}</div>` : "",
      ].join("\n");
    } else {
      actions = `<p class="notice" data-field="closed">${escapeHtml(t.closed)}</p>`;
    }
    const body = `<p class="lead">${fill(t.intro[m.page])}</p>\n<dl>\n${dl}\n</dl>\n${sections}\n${actions}`;
    return documentHtml(lang, t.heading[m.page], body, `${confirmPath(m.page)}?id=${encodeURIComponent(id)}&DONTCHOOSEREPORTEE=true`);
  };

  const pageFor = (page: ConfirmPage) => ({
    get: (req: SimRequest): SimReply => {
      const lang = language(req.query.get("lang"));
      const id = parseGuid(req.query.get("id") ?? "");
      const m = id ? model(page, id, lang) : undefined;
      if (!id || !m) return notFound(lang);
      return { status: 200, headers: HTML, text: render(id, m, lang) };
    },
    post: (req: SimRequest): SimReply => {
      const form = parseFormBody(req);
      const lang = language(form.get("lang") ?? req.query.get("lang"));
      const t = TEXTS[lang];
      const id = parseGuid(req.query.get("id") ?? "");
      if (!id || !model(page, id, lang)) return notFound(lang);
      const action = form.get("action");
      const escalateAllowed = page !== "changerequest";
      if (action !== "approve" && action !== "reject" && !(action === "escalate" && escalateAllowed))
        return message(lang, 400, t.failedTitle, t.unknownAction);
      let outcome: Outcome<unknown>;
      let redirectUrl: string | undefined;
      if (page === "changerequest") {
        redirectUrl = state.changeRequest(id)?.redirectUrl;
        outcome = action === "approve" ? customer.acceptChangeRequest(id) : customer.rejectChangeRequest(id);
      } else {
        redirectUrl = state.request(id)?.redirectUrl;
        outcome =
          action === "approve"
            ? customer.acceptRequest(id)
            : action === "reject"
              ? customer.rejectRequest(id)
              : customer.escalateRequest(id);
      }
      if (!outcome.ok) {
        const problem = outcome.reply.json as { code?: string; title?: string; detail?: string };
        return message(
          lang,
          outcome.reply.status,
          `${t.failedTitle} (${problem.code ?? outcome.reply.status})`,
          problem.detail ?? problem.title ?? "",
        );
      }
      // Altinn logs the user out, then sends them to the request's redirectUrl, else to its logged-out page.
      return {
        status: 302,
        headers: { location: redirectUrl ?? `${ctx.url()}${LOGGED_OUT_PATH}?lang=${lang}`, "cache-control": "no-store" },
      };
    },
  });

  for (const page of ["request", "agentrequest", "changerequest"] as const) {
    const handlers = pageFor(page);
    ctx.router.add("GET", confirmPath(page), handlers.get);
    ctx.router.add("POST", confirmPath(page), handlers.post);
  }
  ctx.router.add("GET", LOGGED_OUT_PATH, (req) => {
    const lang = language(req.query.get("lang"));
    return message(lang, 200, TEXTS[lang].loggedOutTitle, TEXTS[lang].loggedOut, LOGGED_OUT_PATH);
  });
}

const STYLE = `
:root { color-scheme: light; --blue: #0062ba; --blue-dark: #004b8f; --text: #1e2b3c; --muted: #57606a; --line: #d4dce4; --bg: #f4f6f8; }
* { box-sizing: border-box; }
body { margin: 0; font: 1.0625rem/1.55 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: var(--text); background: var(--bg); }
header { background: #fff; border-bottom: 1px solid var(--line); }
.bar { max-width: 46rem; margin: 0 auto; padding: .75rem 1.25rem; display: flex; justify-content: space-between; align-items: center; gap: 1rem; flex-wrap: wrap; }
.brand { font-weight: 700; font-size: 1.25rem; color: var(--blue); }
.brand small { font-weight: 400; font-size: .8rem; color: var(--muted); margin-left: .5rem; }
nav ul { list-style: none; margin: 0; padding: 0; display: flex; gap: .75rem; }
nav a { color: var(--blue); }
nav a[aria-current] { color: var(--text); font-weight: 700; text-decoration: none; }
main { max-width: 46rem; margin: 1.5rem auto; padding: 1.5rem 1.75rem; background: #fff; border: 1px solid var(--line); border-radius: 8px; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0 0 .75rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
.lead { font-size: 1.1rem; }
dl { margin: 1.25rem 0; border-top: 1px solid var(--line); }
dl > div { display: grid; grid-template-columns: 12rem 1fr; gap: 1rem; padding: .5rem 0; border-bottom: 1px solid var(--line); }
dt { font-weight: 600; }
dd { margin: 0; }
ul { padding-left: 1.25rem; }
li { margin: .25rem 0; }
.muted { color: var(--muted); font-size: .9em; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; }
.actions { display: flex; gap: .75rem; flex-wrap: wrap; margin-top: 1.75rem; }
form { margin: 0; }
button { font: inherit; font-weight: 600; padding: .65rem 1.5rem; border-radius: 6px; border: 2px solid var(--blue); cursor: pointer; }
button.primary { background: var(--blue); color: #fff; }
button.primary:hover { background: var(--blue-dark); border-color: var(--blue-dark); }
button.secondary { background: #fff; color: var(--blue); }
button.tertiary { background: transparent; color: var(--blue); border-color: transparent; text-decoration: underline; padding-left: 0; }
button:focus-visible, a:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }
.escalate { margin-top: 1.5rem; padding-top: 1rem; border-top: 1px solid var(--line); }
.escalate p { margin: 0 0 .25rem; }
.notice { background: #e6f0fa; border-left: 4px solid var(--blue); padding: .75rem 1rem; }
@media (max-width: 36rem) { dl > div { grid-template-columns: 1fr; gap: 0; } main { margin: 0; border-radius: 0; border-left: 0; border-right: 0; } }
`;

/** The whole document: `lang` set, a language switch keeping the page's own query, a heading and the body. */
function documentHtml(lang: Language, title: string, body: string, selfPath: string): string {
  const t = TEXTS[lang];
  const sep = selfPath.includes("?") ? "&" : "?";
  const links = LANGUAGES.map((l) => {
    const current = l === lang ? ' aria-current="true"' : "";
    return `<li><a href="${escapeHtml(`${selfPath}${sep}lang=${l}`)}" lang="${l}" hreflang="${l}"${current}>${escapeHtml(TEXTS[l].languageName)}</a></li>`;
  }).join("");
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} - ${t.service}</title>
<style>${STYLE}</style>
</head>
<body>
<header><div class="bar"><span class="brand">${t.service}<small>${escapeHtml(t.simulator)}</small></span><nav aria-label="${escapeHtml(t.languageNav)}"><ul>${links}</ul></nav></div></header>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

function message(lang: Language, status: number, title: string, text: string, selfPath = LOGGED_OUT_PATH): SimReply {
  return { status, headers: HTML, text: documentHtml(lang, title, `<p data-field="result">${escapeHtml(text)}</p>`, selfPath) };
}

function notFound(lang: Language): SimReply {
  return message(lang, 404, TEXTS[lang].notFoundTitle, TEXTS[lang].notFound);
}
