import { parseFormBody, type SimReply, type SimRequest } from "../core/http";
import type { SimContext } from "../context";
import type { Customer, Outcome } from "../altinn/customer";
import { escapeHtml, parseGuid } from "../altinn/http";
import { packageName, resourceTitle } from "../altinn/metadata";
import { confirmPath, type AltinnState, type ConfirmPage, type PackageRef, type Right, type SystemRecord } from "../altinn/model";

// The customer's side of Altinn's access management UI (/am = https://am.ui.tt02.altinn.no): one plain HTML
// page per confirmUrl (request, agentrequest, changerequest) showing the system, the vendor, the customer and
// what is asked for, with Approve and Reject as POST forms to the same address. After the action the browser
// goes to the request's redirectUrl (302) when it has one, else to a result page. No login: whoever opens the
// page acts as the customer (the request's partyOrgNo).

const HTML = { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" };

interface PageModel {
  heading: string;
  system?: SystemRecord;
  systemId: string;
  customerOrgNo: string;
  status: string;
  actionable: boolean;
  sections: { title: string; field: string; items: string[] }[];
  extra?: { label: string; field: string; value: string }[];
}

export function registerConfirmPages(ctx: SimContext, state: AltinnState, customer: Customer): void {
  const org = (orgNo: string) => ctx.registry.organisation(orgNo)?.name ?? "(unknown organisation)";
  const rightItems = (rights: Right[]) =>
    rights.flatMap((r) => r.resource.map((a) => (a.id === "urn:altinn:resource" ? `${a.value} (${resourceTitle(state.resource(a.value), a.value)})` : `${a.id}=${a.value}`)));
  const packageItems = (packages: PackageRef[]) =>
    packages.map((p) => {
      const meta = state.accessPackage(p.urn);
      return meta ? `${p.urn} (${packageName(meta)})` : p.urn;
    });
  const actionable = (r: { status: string; created: string }) => state.readStatus(r) === "New" && !state.expired(r);
  const shownStatus = (r: { status: string; created: string }) => (state.readStatus(r) === "New" && state.expired(r) ? "New (timed out)" : state.readStatus(r));

  /** The page model of an id on one of the three pages; undefined when there is nothing to show. */
  const model = (page: ConfirmPage, id: string): PageModel | undefined => {
    if (page === "changerequest") {
      const c = state.changeRequest(id);
      if (!c || c.isDeleted) return undefined;
      const user = state.systemUser(c.systemUserId);
      return {
        heading: "Change request for a system user",
        system: state.system(c.systemId),
        systemId: c.systemId,
        customerOrgNo: c.partyOrgNo,
        status: shownStatus(c),
        actionable: actionable(c),
        extra: [{ label: "System user", field: "systemuser", value: user ? `${user.integrationTitle} (${user.id})` : c.systemUserId }],
        sections: [
          { title: "Rights to add", field: "required-rights", items: rightItems(c.requiredRights) },
          { title: "Rights to remove", field: "unwanted-rights", items: rightItems(c.unwantedRights) },
          { title: "Access packages to add", field: "required-packages", items: packageItems(c.requiredAccessPackages) },
          { title: "Access packages to remove", field: "unwanted-packages", items: packageItems(c.unwantedAccessPackages) },
        ],
      };
    }
    const r = state.request(id);
    if (!r || r.isDeleted || (page === "agentrequest") !== (r.kind === "agent")) return undefined;
    const sections = [{ title: "Access packages", field: "packages", items: packageItems(r.accessPackages) }];
    if (r.kind === "standard") sections.unshift({ title: "Rights", field: "rights", items: rightItems(r.rights) });
    return {
      heading: r.kind === "agent" ? "Request for an agent system user (client system access)" : "Request for system access",
      system: state.system(r.systemId),
      systemId: r.systemId,
      customerOrgNo: r.partyOrgNo,
      status: shownStatus(r),
      actionable: actionable(r),
      extra: r.integrationTitle ? [{ label: "Integration title", field: "title", value: r.integrationTitle }] : [],
      sections,
    };
  };

  const render = (page: ConfirmPage, id: string, m: PageModel): string => {
    const action = `${confirmPath(page)}?id=${encodeURIComponent(id)}&DONTCHOOSEREPORTEE=true`;
    const systemName = m.system ? (m.system.name.nb ?? m.system.name.en ?? m.system.id) : m.systemId;
    const vendorOrgNo = m.system?.vendorOrgNo ?? "";
    const rows = [
      { label: "System", field: "system", value: `${systemName} (${m.systemId})` },
      { label: "Vendor", field: "vendor", value: `${org(vendorOrgNo)} (${vendorOrgNo})` },
      { label: "Customer", field: "customer", value: `${org(m.customerOrgNo)} (${m.customerOrgNo})` },
      ...(m.extra ?? []),
      { label: "Status", field: "status", value: m.status },
    ];
    const dl = rows.map((r) => `<dt>${escapeHtml(r.label)}</dt><dd data-field="${r.field}">${escapeHtml(r.value)}</dd>`).join("\n");
    const sections = m.sections
      .map((s) => `<h2>${escapeHtml(s.title)}</h2>\n<ul data-field="${s.field}">${s.items.length ? s.items.map((i) => `<li>${escapeHtml(i)}</li>`).join("") : "<li>(none)</li>"}</ul>`)
      .join("\n");
    const forms = m.actionable
      ? [
          `<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="action" value="approve"><button type="submit" name="approve">Approve</button></form>`,
          `<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="action" value="reject"><button type="submit" name="reject">Reject</button></form>`,
        ].join("\n")
      : `<p data-field="closed">This request can no longer be approved or rejected.</p>`;
    return documentHtml(m.heading, `<dl>\n${dl}\n</dl>\n${sections}\n${forms}`);
  };

  const pageFor = (page: ConfirmPage) => ({
    get: (req: SimRequest): SimReply => {
      const id = parseGuid(req.query.get("id") ?? "");
      const m = id ? model(page, id) : undefined;
      if (!id || !m) return notFound();
      return { status: 200, headers: HTML, text: render(page, id, m) };
    },
    post: (req: SimRequest): SimReply => {
      const id = parseGuid(req.query.get("id") ?? "");
      if (!id || !model(page, id)) return notFound();
      const action = parseFormBody(req).get("action");
      if (action !== "approve" && action !== "reject") return message(400, "Unknown action", "Choose Approve or Reject.");
      let outcome: Outcome<unknown>;
      let redirectUrl: string | undefined;
      if (page === "changerequest") {
        redirectUrl = state.changeRequest(id)?.redirectUrl;
        outcome = action === "approve" ? customer.acceptChangeRequest(id) : customer.rejectChangeRequest(id);
      } else {
        redirectUrl = state.request(id)?.redirectUrl;
        outcome = action === "approve" ? customer.acceptRequest(id) : customer.rejectRequest(id);
      }
      if (!outcome.ok) {
        const problem = outcome.reply.json as { code?: string; title?: string; detail?: string };
        return message(outcome.reply.status, `Could not ${action} (${problem.code ?? outcome.reply.status})`, problem.detail ?? problem.title ?? "");
      }
      if (redirectUrl) return { status: 302, headers: { location: redirectUrl, "cache-control": "no-store" } };
      return message(200, action === "approve" ? "Approved" : "Rejected", action === "approve" ? "The system access has been created." : "The request has been rejected.");
    },
  });

  for (const page of ["request", "agentrequest", "changerequest"] as const) {
    const handlers = pageFor(page);
    ctx.router.add("GET", confirmPath(page), handlers.get);
    ctx.router.add("POST", confirmPath(page), handlers.post);
  }
}

function documentHtml(title: string, body: string): string {
  return `<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>${escapeHtml(title)} - Altinn (simulator)</title></head>\n<body>\n<h1>${escapeHtml(title)}</h1>\n${body}\n</body>\n</html>\n`;
}

function message(status: number, title: string, text: string): SimReply {
  return { status, headers: HTML, text: documentHtml(title, `<p data-field="result">${escapeHtml(text)}</p>`) };
}

function notFound(): SimReply {
  return message(404, "Request not found", "There is no such request, or it has been deleted.");
}
