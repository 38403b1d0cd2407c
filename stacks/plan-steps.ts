import {
  asked,
  changedFields,
  changeOps,
  clientKinds,
  join,
  kindAndName,
  list,
  plusMinus,
  risks,
  same,
  str,
  withParts,
  type Change,
  type Group,
  type PlanContext,
  type PreviewStep,
  type Risk,
} from "./plan-words";

/**
 * One step of `pulumi preview --json` → its sentences in the domain's words: one per object, or one per customer
 * for a resource that holds many (a request group), each with its group and risk marks.
 */

interface StepContext extends PlanContext {
  prod: boolean;
}

/** The sentences of one step: one, or one per customer for a resource holding many customers. */
export function describeStep(step: PreviewStep, ctx: PlanContext): Change[] {
  const op = step.op === "create-replacement" ? "replace" : step.op;
  if (!changeOps.has(op) || step.op === "delete-replaced") return [];
  const [kind, name] = kindAndName(step.urn);
  if (kind === "Stack" || step.urn.includes("::pulumi:providers:")) return [];
  const c: StepContext = { ...ctx, prod: ctx.environment === "prod" };
  const oldIn = step.oldState?.inputs;
  const newIn = step.newState?.inputs;
  const oldOut = step.oldState?.outputs;
  const resource = `${kind}::${name}`;
  const makeFor =
    (stepOp: string) =>
    (group: Group, sentence: string, summary: string, extra: Risk[] = []): Change => {
      const r: Risk[] = [...extra];
      if (c.prod && stepOp === "delete") r.unshift(risks.prodDelete);
      if (c.prod && stepOp === "replace") r.unshift(risks.prodReplace);
      return { group, resource, op: stepOp, sentence, risks: [...new Set(r)], summary };
    };
  const make = makeFor(op);

  if (clientKinds[kind]) {
    const what = clientKinds[kind];
    const id = str(oldOut?.clientId);
    switch (op) {
      case "create":
        return [
          make("Clients", `creates ${what} ${name} (scopes: ${join(list(newIn?.scopes).map(String)) || "none"})`, `creates {n} clients`),
        ];
      case "delete":
        return [make("Clients", `deletes client ${name}${id ? ` (client id ${id})` : ""}: its tokens stop`, `deletes {n} clients`)];
      case "replace":
        return [
          make("Clients", withParts(`replaces client ${name} with a new client id`, changedFields(oldIn, newIn)), `replaces {n} clients`, [
            risks.keys,
          ]),
        ];
      default: {
        const scopes = plusMinus(list(oldIn?.scopes).map(String), list(newIn?.scopes).map(String));
        const parts = [...(scopes.length ? [`scopes ${join(scopes)}`] : []), ...changedFields(oldIn, newIn, ["scopes"])];
        return [make("Clients", withParts(`updates client ${name}`, parts), `updates {n} clients`)];
      }
    }
  }

  switch (kind) {
    case "ClientKeys": {
      const kidsOf = (i?: Record<string, unknown>) => list(i?.keys).map((k) => String((k as { kid?: unknown })?.kid));
      const describeSet = (i?: Record<string, unknown>) => [
        ...kidsOf(i).map((k) => `key ${k}`),
        ...(i?.generate === true ? ["a generated key"] : []),
      ];
      switch (op) {
        case "create":
          return [
            make("Keys", `registers the key set of client ${name} (${join(describeSet(newIn)) || "no keys"})`, `registers {n} key sets`),
          ];
        case "delete":
          return [make("Keys", `deletes every key of client ${name}`, `deletes every key of {n} clients`, [risks.keys])];
        case "replace":
          return [
            make(
              "Keys",
              `replaces the key set of client ${name} (${join(describeSet(newIn)) || "no keys"})`,
              `replaces the key sets of {n} clients`,
              [risks.keys],
            ),
          ];
        default: {
          const kids = plusMinus(kidsOf(oldIn), kidsOf(newIn));
          const generated =
            oldIn?.generate !== newIn?.generate ? [newIn?.generate === true ? "+a generated key" : "−the generated key"] : [];
          if (kids.length || generated.length) {
            const removes = kids.some((k) => k.startsWith("−")) || generated.some((g) => g.startsWith("−"));
            return [
              make(
                "Keys",
                `replaces the key set of client ${name} (${join([...kids, ...generated])})`,
                `replaces the key sets of {n} clients`,
                removes ? [risks.keys] : [],
              ),
            ];
          }
          // `kids` and `currentKid` are the provider's own promise of what the up leaves (written by its check), not settings.
          const policy = changedFields(oldIn, newIn, ["keys", "generate", "clientId", "kids", "currentKid"]);
          if (policy.length)
            return [
              make("Keys", withParts(`updates the key settings of client ${name}`, policy), `updates the key settings of {n} clients`),
            ];
          return [
            make("Keys", `rotates or renews the keys of client ${name}, as they fall due`, `rotates or renews the keys of {n} clients`),
          ];
        }
      }
    }
    case "ApiScope": {
      const scope = str(oldOut?.name) ?? (newIn?.prefix && newIn?.subscope ? `${newIn.prefix}:${newIn.subscope}` : name);
      switch (op) {
        case "create":
          return [
            make(
              "API scopes",
              `creates API scope ${scope}${newIn?.visibility === "PRIVATE" ? " (private)" : ""}`,
              `creates {n} API scopes`,
            ),
          ];
        case "delete":
          return [make("API scopes", `deactivates API scope ${scope}: every consumer's clients lose it`, `deactivates {n} API scopes`)];
        case "replace":
          return [
            make(
              "API scopes",
              withParts(`replaces API scope ${scope} (deactivates it, creates another)`, changedFields(oldIn, newIn)),
              `replaces {n} API scopes`,
            ),
          ];
        default:
          return [make("API scopes", withParts(`updates API scope ${scope}`, changedFields(oldIn, newIn)), `updates {n} API scopes`)];
      }
    }
    case "ScopeAccess": {
      const scope = str(newIn?.scope) ?? str(oldIn?.scope) ?? name.split("/")[0]!;
      const consumer = str(newIn?.consumerOrgNo) ?? str(oldIn?.consumerOrgNo) ?? name.split("/").pop()!;
      const other = consumer !== ctx.orgNo ? [risks.grant] : [];
      switch (op) {
        case "create":
          return [make("Grants", `grants ${scope} to ${consumer}`, `grants {n} organisations access`, other)];
        case "delete":
          return [make("Grants", `revokes ${scope} from ${consumer}`, `revokes {n} grants`)];
        case "replace":
          return [make("Grants", `grants ${scope} to ${consumer} again (the grant is replaced)`, `replaces {n} grants`)];
        default:
          return [
            make("Grants", withParts(`updates the grant of ${scope} to ${consumer}`, changedFields(oldIn, newIn)), `updates {n} grants`),
          ];
      }
    }
    case "System": {
      const id = str(newIn?.systemId) ?? str(oldIn?.systemId) ?? name;
      const offer = (i?: Record<string, unknown>) => asked(i);
      switch (op) {
        case "create":
          return [
            make(
              "Systems",
              `registers system ${name} (${id})${offer(newIn).length ? ` offering ${join(offer(newIn))}` : ""}`,
              `registers {n} systems`,
            ),
          ];
        case "delete":
          return [make("Systems", `deletes system ${name} (${id}): the id is used up forever`, `deletes {n} systems`)];
        case "replace":
          return [
            make(
              "Systems",
              `replaces system ${name}: registers ${id}, deletes ${str(oldIn?.systemId) ?? "the old id"} (used up forever)`,
              `replaces {n} systems`,
            ),
          ];
        default: {
          const o = plusMinus(offer(oldIn), offer(newIn));
          const parts = [...(o.length ? [`offers ${join(o)}`] : []), ...changedFields(oldIn, newIn, ["rights", "accessPackages"])];
          return [make("Systems", withParts(`updates system ${name}`, parts), `updates {n} systems`)];
        }
      }
    }
    case "SystemUserRequest":
    case "AgentSystemUserRequest": {
      const [system = name] = name.split("/");
      return [
        requestChange(
          {
            agent: kind === "AgentSystemUserRequest",
            system,
            customer: str(newIn?.partyOrgNo) ?? str(oldIn?.partyOrgNo) ?? name.split("/")[1] ?? name,
            externalRef: str(newIn?.externalRef) ?? str(oldIn?.externalRef),
            op,
            was: oldIn,
            is: newIn,
            status: str(oldOut?.status),
          },
          make,
        ),
      ];
    }
  }

  // A resource that holds many customers (a request group): one sentence per customer whose request changes.
  const perCustomer = customerChanges(oldIn, newIn, oldOut, op);
  if (perCustomer) {
    const system = str(newIn?.system) ?? str(oldIn?.system) ?? str(newIn?.systemName) ?? name.split("/")[0]!;
    const agent = /agent/i.test(kind);
    // Each customer's own operation: adding one to a group is a create, whatever the group's step.
    return perCustomer.map((p) => requestChange({ ...p, agent, system }, makeFor(p.op)));
  }
  const verb = { create: "creates", delete: "deletes", replace: "replaces", update: "updates", import: "imports" }[op] ?? op;
  return [
    make(
      "Other",
      withParts(`${verb} ${kind} ${name}`, op === "update" ? changedFields(oldIn, newIn) : []),
      `${verb} {n} ${kind} resources`,
    ),
  ];
}

interface RequestFacts {
  agent: boolean;
  system: string;
  customer: string;
  externalRef?: string;
  op: string;
  was?: Record<string, unknown>;
  is?: Record<string, unknown>;
  /** Where the request stood at the last refresh. */
  status?: string;
}

function requestChange(f: RequestFacts, make: (group: Group, sentence: string, summary: string, extra?: Risk[]) => Change): Change {
  const who = f.externalRef && f.externalRef !== f.customer ? `${f.customer} (externalRef ${f.externalRef})` : f.customer;
  const user = f.agent ? "an agent system user" : "a system user";
  const g: Group = "Requests to customers";
  const now = asked(f.is);
  switch (f.op) {
    case "create":
      return make(
        g,
        `asks ${who} for ${user} for ${f.system}${now.length ? ` with ${join(now)}` : ""}`,
        `asks {n} customers for ${user} for ${f.system}`,
        [risks.rights],
      );
    case "delete":
      return make(
        g,
        `withdraws the request to ${who} for ${f.system}${f.status === "Accepted" ? " (accepted: the customer's system user stays)" : ""}`,
        `withdraws {n} requests for ${f.system}`,
      );
    case "replace":
      return make(
        g,
        `asks ${who} again for ${user} for ${f.system}${now.length ? ` with ${join(now)}` : ""} (a new request)`,
        `asks {n} customers again for ${f.system}`,
        [risks.rights],
      );
    default: {
      const diff = plusMinus(asked(f.was), now);
      const more = diff.some((d) => d.startsWith("+")) ? [risks.rights] : [];
      if (diff.length && f.status === "Accepted")
        return make(
          g,
          `sends ${who} a change request for ${f.system}: ${join(diff)}`,
          `sends {n} customers a change request for ${f.system}`,
          more,
        );
      if (diff.length) return make(g, `asks ${who} again for ${f.system}: ${join(diff)}`, `asks {n} customers again for ${f.system}`, more);
      return make(
        g,
        withParts(`updates the request to ${who} for ${f.system}`, changedFields(f.was, f.is, ["systemOffer", "systemId"])),
        `updates {n} requests for ${f.system}`,
      );
    }
  }
}

/**
 * The customers of a resource that holds many (providers/altinn/request-group.ts: `customers` maps `"<orgNo>"` or
 * `"<orgNo>/<externalRef>"` to the customer's own fields, each replacing the group's), with what each is asked for.
 * A list of `{orgNo, externalRef, ...}` is read the same way.
 */
function customersOf(inputs: Record<string, unknown> | undefined): Map<string, Record<string, unknown>> | undefined {
  const v = inputs?.customers;
  const out = new Map<string, Record<string, unknown>>();
  const add = (key: string | undefined, c: unknown) => {
    const r = (c && typeof c === "object" ? c : {}) as Record<string, unknown>;
    const [keyOrgNo, keyRef] = key?.split("/") ?? [];
    const orgNo = str(r.orgNo) ?? str(r.partyOrgNo) ?? keyOrgNo;
    if (!orgNo) return;
    const externalRef = str(r.externalRef) ?? keyRef;
    out.set(key ?? `${orgNo}${externalRef && externalRef !== orgNo ? `/${externalRef}` : ""}`, {
      ...r,
      orgNo,
      ...(externalRef && { externalRef }),
      rights: r.rights ?? inputs?.rights,
      accessPackages: r.accessPackages ?? inputs?.accessPackages,
    });
  };
  if (Array.isArray(v)) v.forEach((c) => add(undefined, c));
  else if (v && typeof v === "object") for (const [k, c] of Object.entries(v)) add(k, c);
  else return undefined;
  return out;
}

function customerChanges(
  oldIn: Record<string, unknown> | undefined,
  newIn: Record<string, unknown> | undefined,
  oldOut: Record<string, unknown> | undefined,
  op: string,
): Omit<RequestFacts, "agent" | "system">[] | undefined {
  if (!oldIn?.customers && !newIn?.customers) return undefined;
  const was = op === "create" ? new Map<string, Record<string, unknown>>() : customersOf(oldIn);
  const is = op === "delete" ? new Map<string, Record<string, unknown>>() : customersOf(newIn);
  if (!was || !is) return undefined;
  // Where each stood at the last refresh: the group's `requests` output (or a `status` beside each customer).
  const states = (oldOut?.requests && typeof oldOut.requests === "object" ? oldOut.requests : {}) as Record<string, { status?: unknown }>;
  const statusOf = (key: string, c: Record<string, unknown>) => str(states[key]?.status) ?? str(c.status);
  const comparable = (c: Record<string, unknown>) => ({ ...c, status: undefined, name: undefined });
  const out: Omit<RequestFacts, "agent" | "system">[] = [];
  for (const [key, c] of is) {
    const before = was.get(key);
    const base = { customer: String(c.orgNo), externalRef: str(c.externalRef), is: c };
    if (!before) out.push({ ...base, op: "create" });
    else if (!same(comparable(before), comparable(c))) out.push({ ...base, op: "update", was: before, status: statusOf(key, before) });
  }
  for (const [key, c] of was)
    if (!is.has(key))
      out.push({ customer: String(c.orgNo), externalRef: str(c.externalRef), op: "delete", was: c, status: statusOf(key, c) });
  return out;
}
