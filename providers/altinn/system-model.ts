import { z } from "zod";
import { defined, isPlainObject, isUnknown, sameSet, unknownValue, textFailures, type Failure } from "../core/check";
import { orgNoProblem } from "../core/orgno";
import {
  accessPackages,
  once,
  distinctList,
  failuresFrom,
  field,
  isAssignable,
  languages,
  normaliseRedirectUrl,
  orgNo,
  rightKey,
  rights,
  strictObject,
  text,
  url,
  type AccessPackage,
  type LocalizedText,
  type Right,
} from "./model";

/**
 * Pure decisions about a system in Altinn's system register (altinn-authentication `SystemRegisterController`, README
 * "System"): offline validation of the rules
 * the real service enforces late or badly (500 for a missing language, 409 for a client id listed twice), the
 * diff, what a replacement is, and what to say when an id is taken.
 */

export interface SystemInputs {
  /** `<vendor orgno>_<name>`: never reusable, not even after deletion. */
  systemId: string;
  /** The vendor's organisation number: the prefix of `systemId`. */
  vendorOrgNo: string;
  name: LocalizedText;
  description: LocalizedText;
  rights: Right[];
  accessPackages: AccessPackage[];
  /** Maskinporten client ids (wire: `clientId`): the clients that may get system user tokens for this system. */
  clientIds: string[];
  allowedRedirectUrls: string[];
  /** true: customers can find the system in Altinn and create the system user themselves. */
  isVisible: boolean;
}

export type SystemField = keyof SystemInputs;

export const systemFields: readonly SystemField[] = [
  "systemId",
  "vendorOrgNo",
  "name",
  "description",
  "rights",
  "accessPackages",
  "clientIds",
  "allowedRedirectUrls",
  "isVisible",
];

/** A system as `GET vendor/{id}` shows it, in input terms. */
export interface LiveSystem extends SystemInputs {
  isDeleted: boolean;
}

export interface SystemOutputs extends SystemInputs {
  /** Altinn's internal id, answered by the create (not used by any vendor route). */
  internalId?: string;
}

/** Characters that would break the routes `vendor/{systemId}` and `byexternalref/{systemId}/...`. */
const pathUnsafe = /[/\\?#%]/;

/** The vendor part and the name part of a system id, or undefined when it has no `_`. */
export function parseSystemId(id: string): { vendorOrgNo: string; name: string } | undefined {
  const i = id.indexOf("_");
  return i < 0 ? undefined : { vendorOrgNo: id.slice(0, i), name: id.slice(i + 1) };
}

/** Failures of a system id's format alone: `<9-digit vendor orgno>_<name>`, no spaces, URL-path safe. */
export function systemIdProblems(id: string, property = "systemId"): Failure[] {
  const out: Failure[] = [];
  const example = "e.g. 991825827_smartcloud";
  if (/\s/.test(id)) out.push({ property, reason: `"${id}" contains spaces: Altinn refuses them (AUTH.VLD-00013); use _ or -` });
  const parts = parseSystemId(id);
  if (!parts || !parts.name) {
    out.push({ property, reason: `"${id}" must be <vendor orgno>_<name>, ${example}` });
    return out;
  }
  const problem = orgNoProblem(parts.vendorOrgNo);
  if (problem)
    out.push({ property, reason: `must start with the vendor's organisation number and _ (${example}); the vendor part ${problem}` });
  if (pathUnsafe.test(id))
    out.push({ property, reason: `"${id}" contains / \\ ? # or %: the id is used in URL paths; use letters, digits, _ or -` });
  if (id.length > 255) out.push({ property, reason: `is ${id.length} characters long; Altinn stores at most 255` });
  return out;
}

export interface SystemCheckOptions {
  /** `digdir:orgNo` when configured: the vendor every system must belong to. */
  configuredVendor?: string;
}

export interface SystemCheckResult {
  inputs: SystemInputs;
  failures: Failure[];
}

/**
 * Validates and completes a system's inputs offline. Defaults are written into the inputs (empty lists,
 * `isVisible: true` as Altinn defaults it, `vendorOrgNo` from the id), so the state records exactly what is sent
 * by the full PUT. Unknown values are kept and not judged.
 */
/** System inputs checked, text fields included (`textFailures`: control characters, line breaks, lengths). */
export function checkSystemInputs(raw: Record<string, unknown>, opts: SystemCheckOptions = {}): SystemCheckResult {
  const result = checkSystemInputsAsDeclared(raw, opts);
  const text = textFailures(raw, {}).filter((t) => !result.failures.some((f) => f.property === t.property));
  return text.length ? { ...result, failures: [...result.failures, ...text] } : result;
}

const localizedShape = `{nb: "...", nn: "...", en: "..."}`;

/**
 * `name` and `description` need all of nb, nn and en. The real service enforces this only with a database
 * constraint and answers 500, so it is caught here with the missing languages named.
 */
const language = text().nullable().optional();

export const localizedText: z.ZodType<LocalizedText> = strictObject(
  { nb: language, nn: language, en: language },
  {
    notObject: (input) =>
      input === undefined
        ? `required: texts in bokmål, nynorsk and English, ${localizedShape}`
        : `must be texts in all of nb, nn and en, ${localizedShape}${typeof input === "string" ? ", not one string" : ""}`,
    unknownKey: (k) => `unknown language ${k}: Altinn takes nb, nn and en`,
  },
).superRefine(
  (t, ctx) => {
    const missing = languages.filter((l) => t[l] === undefined || t[l] === null);
    if (missing.length) ctx.addIssue(missingLanguages(missing));
  },
  { when: (payload) => isPlainObject(payload.value) },
) as z.ZodType<LocalizedText>;

function missingLanguages(missing: readonly string[]): string {
  const given = languages.filter((l) => !missing.includes(l));
  return (
    `needs a text in each of nb, nn and en; ${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} missing` +
    `${given.length ? ` (only ${given.join(" and ")} given)` : ""}. Altinn shows all three and answers 500 when one is missing`
  );
}

const clientIdWhat = "a Maskinporten client id (a MaskinportenClient's clientId output)";

/** `given`: whether the inputs hold `vendorOrgNo` and `isVisible` at all, which the rules' messages say. */
const systemSchema = once((opts: SystemCheckOptions, given: { vendorOrgNo: boolean; isVisible: boolean }) => {
  return strictObject(
    {
      systemId: field(
        text("<vendor orgno>_<name>, e.g. 991825827_smartcloud").superRefine((id, ctx) =>
          systemIdProblems(id).forEach((p) => ctx.addIssue(p.reason)),
        ),
      ),
      vendorOrgNo: field(orgNo("the vendor's organisation number").optional()),
      name: field(localizedText),
      description: field(localizedText),
      rights: field(rights("rights").default([])),
      accessPackages: field(accessPackages("accessPackages", true).default([])),
      clientIds: field(
        distinctList(
          // A client id left empty (null) is dropped, as a list item nobody wrote.
          field(
            text(clientIdWhat)
              .superRefine((s, ctx) => {
                if (/\s/.test(s))
                  ctx.addIssue(`"${s}" contains spaces: a client id is a UUID such as 32ef65ac-6e62-498d-880f-76c85c2052ae`);
              })
              .optional(),
          ),
          "clientIds",
          // Altinn compares client ids without regard to case (AUTH.VLD-00011 on PUT; a 409 on POST).
          (c) => (c === undefined ? "" : c.toLowerCase()),
          "the same client id as",
          (c) => c ?? "",
        ).default([]),
      ),
      allowedRedirectUrls: field(
        distinctList(url(["https"]), "allowedRedirectUrls", normaliseRedirectUrl, "the same URL as", normaliseRedirectUrl).default([]),
      ),
      isVisible: field(z.boolean({ error: "must be true or false" }).default(true)),
    },
    { notObject: () => "must be a system's inputs" },
  ).superRefine((s, ctx) => vendorAndVisibility(s, given, opts, ctx), { when: () => true });
});

interface ParsedSystem {
  systemId?: string;
  vendorOrgNo?: string;
  accessPackages?: AccessPackage[];
  isVisible?: boolean;
}

/** The vendor of a valid system id (`991825827` of `991825827_smartcloud`), else undefined. */
function vendorOfId(systemId: unknown): string | undefined {
  return typeof systemId === "string" && !isUnknown(systemId) ? parseSystemId(systemId)?.vendorOrgNo : undefined;
}

/** The rules across fields: the vendor is the id's prefix and the configured one; no client package on a visible system. */
function vendorAndVisibility(
  s: ParsedSystem,
  given: { vendorOrgNo: boolean; isVisible: boolean },
  opts: SystemCheckOptions,
  ctx: z.RefinementCtx,
): void {
  const add = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
  const known = (v: unknown): v is string => typeof v === "string" && !isUnknown(v);
  // A systemId that failed reads as absent: its vendor is judged once the id is valid.
  const idVendor = vendorOfId(s.systemId);
  if (known(s.vendorOrgNo) && idVendor && s.vendorOrgNo !== idVendor) add("vendorOrgNo", vendorNotIdPrefix(s.vendorOrgNo, idVendor));
  if (opts.configuredVendor) {
    const vendor = known(s.vendorOrgNo) ? s.vendorOrgNo : idVendor;
    if (vendor && vendor !== opts.configuredVendor)
      add(given.vendorOrgNo ? "vendorOrgNo" : "systemId", notTheConfiguredVendor(vendor, opts.configuredVendor));
  }
  // isVisible defaults to true, also when what was given is no boolean.
  if ((s.isVisible ?? true) === true && Array.isArray(s.accessPackages)) {
    const clientPackages = s.accessPackages
      .map((p, i) => ({ p, i }))
      .filter(({ p }) => !isUnknown(p) && !isUnknown(p.urn) && !isAssignable(p));
    if (clientPackages.length) add("isVisible", visibleWithClientPackages(clientPackages, !given.isVisible));
  }
}

function vendorNotIdPrefix(vendorOrgNo: string, idVendor: string): string {
  return `is ${vendorOrgNo}, but systemId starts with ${idVendor}_: a system id must start with its vendor's organisation number (AUTH.VLD-00001)`;
}

function notTheConfiguredVendor(vendor: string, configured: string): string {
  return `belongs to vendor ${vendor}, but the configured vendor (digdir:orgNo) is ${configured}: a vendor can only register systems under its own number; use ${configured}_<name>`;
}

function visibleWithClientPackages(clientPackages: Array<{ p: AccessPackage; i: number }>, defaulted: boolean): string {
  const list = clientPackages.map(({ p, i }) => `accessPackages[${i}] (${p.urn})`).join(", ");
  return (
    `must be false${defaulted ? " (it defaults to true)" : ""}: ${list} ${clientPackages.length > 1 ? "are client packages" : "is a client package"}, ` +
    "not assignable, and Altinn refuses a visible system with one (AUTH.VLD-00018). Systems for agent system users are invisible: set isVisible: false"
  );
}

function checkSystemInputsAsDeclared(raw: Record<string, unknown>, opts: SystemCheckOptions): SystemCheckResult {
  const news = Object.fromEntries(Object.entries(raw).filter(([k]) => !k.startsWith("__")));
  const parsed = systemSchema(opts, { vendorOrgNo: news.vendorOrgNo !== undefined, isVisible: news.isVisible !== undefined }).safeParse(
    news,
  );
  if (!parsed.success) return { inputs: news as unknown as SystemInputs, failures: failuresFrom(parsed.error) };
  const s = parsed.data;
  const inputs = defined({
    systemId: s.systemId,
    // Derived from the id; unknown while the id is (a value in check's inputs may never be undefined).
    vendorOrgNo: s.vendorOrgNo ?? vendorOfId(s.systemId) ?? (isUnknown(s.systemId) ? unknownValue : undefined),
    name: s.name,
    description: s.description,
    rights: s.rights,
    accessPackages: s.accessPackages,
    clientIds: s.clientIds,
    allowedRedirectUrls: s.allowedRedirectUrls,
    isVisible: s.isVisible,
  }) as SystemInputs;
  return { inputs, failures: [] };
}

function sameText(a: LocalizedText | undefined, b: LocalizedText | undefined): boolean {
  return languages.every((l) => (a?.[l] ?? null) === (b?.[l] ?? null));
}

/** Fields whose desired value differs from the last known outputs; anything unknown counts as changed. */
export function changedSystemFields(olds: Partial<SystemOutputs>, news: Partial<SystemInputs>): SystemField[] {
  return systemFields.filter((field) => {
    const b = news[field];
    if (isUnknown(b) || (Array.isArray(b) && b.some((x) => isUnknown(x) || (isPlainObject(x) && Object.values(x).some(isUnknown)))))
      return true;
    if (isPlainObject(b) && Object.values(b).some(isUnknown)) return true;
    switch (field) {
      case "name":
      case "description":
        return !sameText(olds[field], news[field]);
      case "rights":
        return !sameSet((olds.rights ?? []).map(rightKey), (news.rights ?? []).map(rightKey));
      case "accessPackages":
        // The isAssignable hint is never sent: only the URNs are the system's state.
        return !sameSet(
          (olds.accessPackages ?? []).map((p) => p.urn),
          (news.accessPackages ?? []).map((p) => p.urn),
        );
      case "clientIds":
        return !sameSet(olds.clientIds ?? [], news.clientIds ?? []);
      case "allowedRedirectUrls":
        return !sameSet(
          (olds.allowedRedirectUrls ?? []).map(normaliseRedirectUrl),
          (news.allowedRedirectUrls ?? []).map(normaliseRedirectUrl),
        );
      case "isVisible":
        return (olds.isVisible ?? true) !== (news.isVisible ?? true);
      default:
        return (olds[field] ?? null) !== (news[field] ?? null);
    }
  });
}

/**
 * A system id cannot change (no rename API), and an id is never released: a changed id is a new system under the
 * new id, created before the old one is deleted (the two ids never collide).
 */
export function systemReplaces(changed: SystemField[], news: Partial<SystemInputs> = {}): SystemField[] {
  // One not known yet (a preview) is a change, never on its own a replacement (providers/README.md).
  return changed.filter((f) => (f === "systemId" || f === "vendorOrgNo") && !isUnknown(news[f]));
}

/** The outputs: the live system, with the declared `isAssignable` hints carried over for packages still there. */
export function systemOutputs(live: LiveSystem, declared?: Partial<SystemInputs>, internalId?: string): SystemOutputs {
  const hints = new Map<string, boolean>();
  for (const p of Array.isArray(declared?.accessPackages) ? declared!.accessPackages : []) {
    if (p && typeof p.isAssignable === "boolean") hints.set(p.urn, p.isAssignable);
  }
  const out: SystemOutputs = {
    systemId: live.systemId,
    vendorOrgNo: live.vendorOrgNo,
    name: live.name,
    description: live.description,
    rights: live.rights,
    accessPackages: live.accessPackages.map((p) => (hints.has(p.urn) ? { urn: p.urn, isAssignable: hints.get(p.urn)! } : { urn: p.urn })),
    clientIds: live.clientIds,
    allowedRedirectUrls: live.allowedRedirectUrls,
    isVisible: live.isVisible,
  };
  if (internalId) out.internalId = internalId;
  return out;
}

/** The inputs a live system corresponds to (for `read`, and so for import). */
export function systemInputsFrom(outputs: SystemOutputs): SystemInputs {
  const { internalId: _internalId, ...inputs } = outputs;
  return inputs;
}

/**
 * The create answered that the id is taken (AUTH.VLD-00002). What the follow-up GET showed decides the sentence:
 * a deleted system still owns its id forever.
 */
export function systemIdTakenHint(systemId: string, live: Pick<LiveSystem, "isDeleted"> | undefined): string {
  if (live?.isDeleted) {
    return (
      `The system id ${systemId} belonged to a system that was deleted. Altinn never releases a system id, not even after ` +
      `deletion, and cannot undelete: this id can never be used again. Choose a new systemId (e.g. ${systemId}-2).`
    );
  }
  return `The system id ${systemId} is taken (system ids are never released, not even after deletion): choose another systemId.`;
}

/** The create's vendor is not the admin client's organisation (known only from the token, when digdir:orgNo is not set). */
export function vendorNotTokenHint(systemId: string, vendorOrgNo: string, tokenVendor: string): string {
  return (
    `System ${systemId}: the vendor is ${vendorOrgNo}, but the admin client belongs to ${tokenVendor}. Altinn lets an organisation register ` +
    `systems under its own number only: use ${tokenVendor}_<name>, or the admin client of ${vendorOrgNo}.`
  );
}

/** An update found the system gone (`live` undefined) or deleted outside Pulumi: its id can never be used again. */
export function systemGoneHint(systemId: string, live: Pick<LiveSystem, "isDeleted"> | undefined): string {
  return live?.isDeleted
    ? `System ${systemId} was deleted outside Pulumi, and Altinn never releases a system id: give it a new systemId (e.g. ${systemId}-2) and run \`pulumi up\`.`
    : `System ${systemId} no longer exists at Altinn: run \`pulumi refresh\`; then, since its id can never be reused, give it a new systemId.`;
}

/**
 * What a system delete came to. Altinn answers 400 for some deletes that did happen (a system without client
 * ids, or one already deleted: `SystemRegisterController` delete, README "System"), so a 400 or 404 is followed by a
 * GET and judged by it;
 * a service without that quirk answers 200 and needs no GET.
 */
export function systemDeleteOutcome(
  status: number,
  after: Pick<LiveSystem, "isDeleted"> | undefined | "not read",
): "deleted" | "needs read" | "failed" {
  if (status >= 200 && status < 300) return "deleted";
  if (status !== 400 && status !== 404) return "failed";
  if (after === "not read") return "needs read";
  return after === undefined || after.isDeleted ? "deleted" : "failed";
}
