import type { IdportenClientArgs, KrrClientArgs, MaskinportenClientArgs } from "../../providers";
import { isPlainObject as isRecord } from "../../providers/core/check";
import { checkClientInputs, type ClientKind } from "../../providers/digdir/client-model";
import { clientFields, clientSchema, clientStackKeys, type ClientType } from "../schema";
import type { Path } from "../../providers/core/path";
import { clientKeys } from "./keys";
import { Origins } from "./origins";
import { judgedArgs, type PlannedClient, type PlannedKeySet } from "./plan";
import type { ValidationRun } from "./run";
import { unknownKey } from "./words";

/** `clients:`: Maskinporten, KRR and ID-porten clients, judged by the providers' `checkClientInputs`, and their keys. */

const clientKinds: Record<ClientType, ClientKind> = { maskinporten: "MaskinportenClient", krr: "KrrClient", idporten: "IdportenClient" };

export function clients(run: ValidationRun, entries: Record<string, unknown>): void {
  const kids = new Map<string, string>();
  const adopted = new Map<string, string>();
  const allowed = [...clientStackKeys, ...clientFields];
  for (const [name, raw] of Object.entries(entries)) {
    run.clientTypes.set(name, isRecord(raw) ? raw.type : undefined);
    const base: Path = ["clients", name];
    if (!run.checkName("clients", name)) continue;
    const decl = run.parse(clientSchema, raw, base);
    if (!decl) continue;
    const kind = clientKinds[decl.type];
    const args: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(decl)) {
      if ((clientStackKeys as readonly string[]).includes(k)) continue;
      if (!(clientFields as readonly string[]).includes(k)) run.at([...base, k], unknownKey(k, allowed), "key");
      else args[k] = v;
    }
    // The display name defaults to the object's name, so the smallest client is `type` and `scopes`.
    if (args.name === undefined) args.name = name;
    const checked = checkClientInputs(kind, args, run.opts.environment);
    run.failures(checked.failures, new Origins(base));
    if (!checked.failures.length) run.checkedClients.set(name, checked.inputs);
    if (typeof args.clientId === "string") {
      const first = adopted.get(args.clientId);
      if (first) run.at([...base, "clientId"], `client ${args.clientId} is taken over by \`${first}\` already: one client, one entry`);
      else adopted.set(args.clientId, name);
    }

    const keySet = decl.keys === undefined || decl.keys === null ? undefined : clientKeys(run, name, decl.keys, kids);
    run.plan.clients.push(
      plannedClient(kind, args, { name, ...(keySet && { keySet }), usesScopes: [], protect: run.protectByDefault(decl.protect) }),
    );
  }
}

function plannedClient(
  kind: ClientKind,
  args: Record<string, unknown>,
  common: { name: string; keySet?: PlannedKeySet; usesScopes: string[]; protect: boolean },
): PlannedClient {
  const { name, ...rest } = common;
  switch (kind) {
    case "MaskinportenClient":
      return { name, kind, args: judgedArgs<MaskinportenClientArgs>(args), ...rest };
    case "KrrClient":
      return { name, kind, args: judgedArgs<KrrClientArgs>(args), ...rest };
    case "IdportenClient":
      return { name, kind, args: judgedArgs<IdportenClientArgs>(args), ...rest };
  }
}
