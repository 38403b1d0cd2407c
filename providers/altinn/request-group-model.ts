import { createHash } from "node:crypto";
import { z } from "zod";
import { defined, isPlainObject, unknownValue, type Failure } from "../core/check";
import { isValidOrgNo } from "../core/orgno";
import { joinPath, parsePath, pathString } from "../core/path";
import {
  accessPackage,
  failuresFrom,
  field,
  item,
  passingItems,
  offeredRight,
  strictObject,
  text,
  type AccessPackage,
  type Right,
} from "./model";
import { checkRequestInputs, type RequestInputs, type RequestKey, type RequestKind, type SystemOffer } from "./request-model";
import { systemIdProblems } from "./system-model";

/**
 * Pure decisions about a request group: many customers' system user requests for one system in one resource
 * (providers/altinn/README.md, "Request groups"). The inputs hold the customers in a map keyed by organisation
 * number (and externalRef), so the engine's own property diff names each customer that changes; the group's
 * fields are the default of every customer, and a customer's own field replaces the group's.
 */

export type GroupKind = "SystemUserRequestGroup" | "AgentSystemUserRequestGroup";

export function requestKindOf(kind: GroupKind): RequestKind {
  return kind === "AgentSystemUserRequestGroup" ? "AgentSystemUserRequest" : "SystemUserRequest";
}

/** What a customer may set; each replaces the group's field of the same name. */
export interface CustomerFields {
  /** For readers and reports; never sent. */
  name?: string;
  integrationTitle?: string;
  rights?: Right[];
  accessPackages?: AccessPackage[];
  redirectUrl?: string;
}

export interface GroupInputs {
  systemId: string;
  systemOffer?: SystemOffer;
  integrationTitle?: string;
  rights?: Right[];
  accessPackages?: AccessPackage[];
  redirectUrl?: string;
  /** Customers handled at once, per provider host (default 16). */
  concurrency?: number;
  /** `<orgNo>` (externalRef = orgNo) or `<orgNo>/<externalRef>` → the customer's own fields. */
  customers: Record<string, CustomerFields>;
}

/** Where one customer stands at Altinn, as the group records it. */
export interface CustomerState {
  /** Altinn's request id ("" when a system user was adopted without a request, or nothing was posted yet). */
  requestId: string;
  /** New, Accepted, Rejected, Denied (Timedout from older builds); "" when nothing is known yet. */
  status: string;
  systemUserId?: string;
  created?: string;
  timedOut?: boolean;
  escalated?: boolean;
  changeRequestId?: string;
  changeRequestStatus?: string;
  /** Why the last `pulumi up` failed for this customer; the next one tries again. */
  error?: string;
}

export interface GroupOutputs extends GroupInputs {
  /** Customer key → where it stands. `customers` (inherited) is what was last asked of each. */
  requests: Record<string, CustomerState>;
  /** The confirm page of a request: `{id}` is the request id. */
  confirmUrlTemplate: string;
  /** The confirm page of a change request (standard groups). */
  changeRequestUrlTemplate?: string;
}

export const defaultConcurrency = 16;
export const contentFields = ["integrationTitle", "rights", "accessPackages", "redirectUrl"] as const;

/** A customer's key in the group: `<orgNo>`, or `<orgNo>/<externalRef>` when the reference is another. */
export function customerKey(orgNo: string, externalRef?: string): string {
  return externalRef === undefined || externalRef === orgNo ? orgNo : `${orgNo}/${externalRef}`;
}

/** The customer's organisation number and externalRef from its key (an externalRef holds no `/`). */
export function parseCustomerKey(key: string): { partyOrgNo: string; externalRef: string } {
  const slash = key.indexOf("/");
  return slash < 0 ? { partyOrgNo: key, externalRef: key } : { partyOrgNo: key.slice(0, slash), externalRef: key.slice(slash + 1) };
}

/**
 * The shard of a customer: the first 32 bits of SHA-256 of `<orgNo>/<externalRef>`, modulo the shard count. It
 * depends on the customer alone, so adding or removing customers never moves another. Never change it: every
 * customer would move.
 */
export function shardOf(orgNo: string, externalRef: string | undefined, shards: number): number {
  return (
    createHash("sha256")
      .update(`${orgNo}/${externalRef ?? orgNo}`)
      .digest()
      .readUInt32BE(0) % shards
  );
}

/** One customer's request inputs: its own fields over the group's. */
export function effectiveInputs(
  g: Pick<GroupInputs, "systemId" | "systemOffer" | (typeof contentFields)[number]>,
  key: string,
  c: CustomerFields,
): RequestInputs {
  const { partyOrgNo, externalRef } = parseCustomerKey(key);
  const pick = <K extends (typeof contentFields)[number]>(k: K) => (c[k] !== undefined ? c[k] : g[k]);
  return defined({
    systemId: g.systemId,
    partyOrgNo,
    externalRef,
    integrationTitle: pick("integrationTitle"),
    rights: pick("rights"),
    accessPackages: pick("accessPackages") ?? [],
    redirectUrl: pick("redirectUrl"),
  }) as RequestInputs;
}

/** A list the group's customers inherit, kept as given: every customer's request check judges it. */
const inherited = <T>(of: z.ZodType<T>) =>
  z
    .unknown()
    .optional()
    .transform((v) => (v === undefined || v === null ? undefined : (passingItems(of, v) ?? (v as T[]))));

/** What a group and a customer share: each replaces the group's field of the same name. */
const contentShape = {
  // Altinn trims the title; trimmed here so that the state says what Altinn keeps.
  integrationTitle: field(
    text()
      .transform((t) => t.trim())
      .optional(),
  ),
  rights: inherited(offeredRight),
  accessPackages: inherited(accessPackage(false, "ignore")),
  redirectUrl: z
    .unknown()
    .optional()
    .transform((v) => (v === null ? undefined : (v as string | undefined))),
};

const customerSchema = strictObject(
  { name: field(z.string({ error: "must be text (the customer's name, for readers)" }).optional()), ...contentShape },
  { notObject: () => "must be a map of the customer's own fields ({} when it has none)" },
).transform((c) => defined(c) as CustomerFields);

function groupSchema(kind: GroupKind, news: Record<string, unknown>, opts: { configuredVendor?: string }) {
  return strictObject(
    {
      systemId: field(text("the System's systemId").superRefine((id, ctx) => systemIdProblems(id).forEach((p) => ctx.addIssue(p.reason)))),
      systemOffer: z.unknown().optional(),
      ...contentShape,
      concurrency: field(
        z
          .number({ error: concurrencyRange })
          .refine((n) => Number.isInteger(n) && n >= 1 && n <= 256, concurrencyRange)
          .optional(),
      ),
      customers: field(
        z.record(z.string(), item(customerSchema), {
          error: 'must be a map of customers: "<orgNo>" or "<orgNo>/<externalRef>" → {name, rights, ...}',
        }),
      ),
    },
    { notObject: () => "must be a request group's inputs" },
  ).superRefine((g, ctx) => customerRules(kind, g.systemId, news, opts, ctx), { when: () => true });
}

const concurrencyRange = "must be a whole number from 1 to 256: how many customers are handled at once";

/**
 * Every customer's request as `checkRequestInputs` judges it, and one request per key. A failure on a customer's
 * request names the customer when the field is the customer's own, else the group's field, once.
 *
 * Customers that ask for the same contents (most inherit every field from the group) get the same failures on
 * them, so the whole request is judged once per distinct contents and, for the others, only the customer's key
 * (organisation number and externalRef, which no rule on the contents depends on); a customer whose key fails is
 * judged whole, as alone. A whole check costs tens of kilobytes of short-lived objects, which at 10,000 customers
 * was the largest share of what the provider host allocated for a group (bench/README.md, "The scale pass").
 */
function customerRules(
  kind: GroupKind,
  systemId: string | undefined,
  news: Record<string, unknown>,
  opts: { configuredVendor?: string },
  ctx: z.RefinementCtx,
): void {
  const agent = kind === "AgentSystemUserRequestGroup";
  const rkind = requestKindOf(kind);
  const add = (path: PropertyKey[], message: string) => ctx.addIssue({ code: "custom", path, message });
  const raw = news.customers;
  if (!isPlainObject(raw)) return;
  const reported = new Set<string>();
  const byContents = new Map<string, Failure[]>();
  for (const [key, value] of Object.entries(raw)) {
    if (!isPlainObject(value)) continue;
    const at = ["customers", key];
    const { partyOrgNo, externalRef } = parseCustomerKey(key);
    const contents = {
      ...Object.fromEntries(
        contentFields
          .filter((k) => !(agent && k === "rights"))
          .map((k) => [k, value[k] ?? news[k]])
          .filter(([, v]) => v !== undefined && v !== null),
      ),
      ...(agent && (value.rights ?? news.rights) !== undefined ? { rights: value.rights ?? news.rights } : {}),
    };
    // The group's own contents (no field of the customer's own) are one entry, without writing them out.
    const own = contentFields.some((k) => value[k] !== undefined && value[k] !== null);
    const contentsKey = own ? JSON.stringify(contents) : "";
    const keyFails =
      !plainKey(partyOrgNo, externalRef) && checkRequestInputs(rkind, keyOnly(agent, partyOrgNo, externalRef), opts).failures.length > 0;
    let failures = keyFails ? undefined : byContents.get(contentsKey);
    if (!failures) {
      failures = checkRequestInputs(
        rkind,
        // Judged once, as the group's own field: unknown to the customers' checks while it fails.
        { systemId: systemId ?? unknownValue, systemOffer: news.systemOffer, partyOrgNo, externalRef, ...contents },
        opts,
      ).failures;
      if (!keyFails) byContents.set(contentsKey, failures);
    }
    for (const failure of failures) {
      const path = parsePath(failure.property);
      if (failure.property === "systemId" || failure.property.startsWith("systemOffer")) {
        if (!reported.has(failure.property)) add(path, failure.reason);
        reported.add(failure.property);
        continue;
      }
      const field = /^[a-zA-Z]+/.exec(failure.property)?.[0] ?? "";
      if (field === "partyOrgNo" || field === "externalRef") {
        add(
          at,
          `${field === "partyOrgNo" ? `the organisation number ${partyOrgNo}` : `the externalRef ${externalRef}`}: ${failure.reason}`,
        );
      } else if ((contentFields as readonly string[]).includes(field) && value[field] === undefined) {
        // The group's own field: said once, for the first customer it fails for.
        const id = `${failure.property}\u0000${failure.reason}`;
        if (!reported.has(id)) add(path, `${failure.reason} (for every customer that does not set its own ${field})`);
        reported.add(id);
      } else add([...at, ...path], failure.reason);
    }
  }
  // One request per key: "310000019" and "310000019/310000019" are the same customer.
  const seen = new Map<string, string>();
  for (const [key, value] of Object.entries(raw)) {
    if (!isPlainObject(value)) continue;
    const { partyOrgNo, externalRef } = parseCustomerKey(key);
    const canonical = customerKey(partyOrgNo, externalRef);
    const other = seen.get(canonical);
    if (other !== undefined) add(["customers", key], sameCustomerTwice(other));
    seen.set(canonical, key);
  }
}

/**
 * A key that no rule of the request's check can refuse: a valid organisation number and an externalRef of the
 * letters, digits and `_ - . :` that every rule on it allows (`externalRefProblems`, `textFailures`). Any other is
 * judged by the request's own check.
 */
function plainKey(partyOrgNo: string, externalRef: string): boolean {
  return /^[A-Za-z0-9_.:-]{1,255}$/.test(externalRef) && isValidOrgNo(partyOrgNo);
}

/**
 * A request of which only the key is judged: the system and the contents are unknown, which the request's check
 * leaves alone.
 */
function keyOnly(agent: boolean, partyOrgNo: string, externalRef: string): Record<string, unknown> {
  return { systemId: unknownValue, partyOrgNo, externalRef, accessPackages: unknownValue, ...(agent ? {} : { rights: unknownValue }) };
}

function sameCustomerTwice(other: string): string {
  return `is the same customer and externalRef as ${JSON.stringify(other)}: Altinn keeps one request per system, customer and externalRef; remove one`;
}

/** Failures named as the group's inputs are written: `customers["310000019"].rights[0]`. */
function groupProperty(path: PropertyKey[]): string {
  if (path[0] !== "customers" || path.length < 2) return pathString(path);
  return path
    .slice(2)
    .reduce<string>((acc, seg) => joinPath(acc, typeof seg === "number" ? seg : String(seg)), `customers[${JSON.stringify(path[1])}]`);
}

/**
 * Validates and completes a group's inputs offline: the group's own fields, then every customer's request as
 * `checkRequestInputs` judges it (`customerRules`).
 */
export function checkGroupInputs(
  kind: GroupKind,
  raw: Record<string, unknown>,
  opts: { configuredVendor?: string } = {},
): { inputs: GroupInputs; failures: Failure[] } {
  const news = Object.fromEntries(Object.entries(raw).filter(([k]) => !k.startsWith("__")));
  const parsed = groupSchema(kind, news, opts).safeParse(news);
  if (!parsed.success) return { inputs: news as unknown as GroupInputs, failures: failuresFrom(parsed.error, groupProperty) };
  const g = parsed.data;
  // The system's offer is judged above and then left out, as a single request's check does: the inputs say what
  // the customers are asked, and a saved plan does not depend on how Altinn stores the system's fields.
  const inputs = defined({
    systemId: g.systemId,
    integrationTitle: g.integrationTitle,
    rights: g.rights,
    accessPackages: g.accessPackages,
    redirectUrl: g.redirectUrl,
    concurrency: g.concurrency,
    customers: g.customers,
  }) as GroupInputs;
  return { inputs, failures: [] };
}

/** The key of a request or system user that Altinn lists. */
export function listKey(partyOrgNo: string, externalRef: string | undefined): string {
  return customerKey(partyOrgNo, externalRef || partyOrgNo);
}

export type { RequestKey };
