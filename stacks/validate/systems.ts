import type { SystemArgs } from "../../providers";
import { checkSystemInputs, systemFields } from "../../providers/altinn/system-model";
import { unknownValue } from "../../providers/core/check";
import { clientTypes, systemSchema, systemStackKeys } from "../schema";
import type { Path } from "../../providers/core/path";
import { didYouMean } from "../../providers/core/suggest";
import { Origins } from "./origins";
import { judgedArgs } from "./plan";
import type { ValidationRun } from "./run";
import { expandPackages, expandRights } from "./shorthands";
import { unknownKey } from "./words";

/** `systems:`: Altinn's system register, judged by system-model.ts; a system's `clients` name entries under `clients`. */

export function systems(run: ValidationRun, entries: Record<string, unknown>, orgNo: string | undefined): void {
  const clientOwner = new Map<string, string>();
  const systemIds = new Map<string, string>();
  const allowed: string[] = [...systemFields.filter((f) => f !== "vendorOrgNo"), ...systemStackKeys];
  for (const [name, raw] of Object.entries(entries)) {
    const base: Path = ["systems", name];
    run.systems.set(name, { name, path: base });
    if (!run.checkName("systems", name)) continue;
    const decl = run.parse(systemSchema, raw, base);
    if (!decl) continue;
    const origins = new Origins(base);
    const args: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(decl)) {
      if ((systemStackKeys as readonly string[]).includes(k)) continue;
      if (k === "vendorOrgNo" || k === "vendor") {
        run.at([...base, k], `the vendor is the stack's organisation (organisation.orgNo): remove ${k}`, "key");
      } else if (!allowed.includes(k)) {
        run.at([...base, k], unknownKey(k, allowed), "key");
      } else if (k === "rights") {
        args.rights = expandRights(v, [...base, "rights"], origins, "rights");
      } else if (k === "accessPackages") {
        args.accessPackages = expandPackages(v, [...base, "accessPackages"], origins, "accessPackages");
      } else {
        args[k] = v;
      }
    }

    let systemId: string | undefined = decl.systemId;
    if (systemId === undefined) {
      systemId = orgNo ? `${orgNo}_${name}` : undefined;
      origins.map("systemId", base, false);
    } else if (orgNo && !systemId.startsWith(`${orgNo}_`)) {
      run.at([...base, "systemId"], notTheVendorsSystemId(systemId, orgNo));
      systemId = undefined;
    }
    args.systemId = systemId ?? unknownValue;

    const clients = decl.clients ?? [];
    clients.forEach((c, i) => systemClient(run, name, c, [...base, "clients", i], clientOwner));
    if (clients.length || args.clientIds !== undefined) {
      const literal = Array.isArray(args.clientIds) ? args.clientIds : args.clientIds === undefined ? [] : undefined;
      // Declared clients' ids are known only once they exist; their place in the list is not judged here.
      args.clientIds = literal ? [...literal, ...clients.map(() => unknownValue)] : args.clientIds;
    }

    const { failures } = checkSystemInputs(args, {});
    run.failures(failures, origins);
    const idValid = systemId !== undefined && !failures.some((f) => f.property === "systemId");
    if (idValid) {
      const other = systemIds.get(systemId!);
      if (other) {
        const written = decl.systemId !== undefined;
        run.at(
          written ? [...base, "systemId"] : base,
          `the system id ${systemId} is also the id of system \`${other}\`: every system needs its own id`,
          written ? "value" : "key",
        );
      }
      systemIds.set(systemId!, name);
    }

    // What the requests may ask for: the System's declarations, as the request check compares them.
    run.systems.set(name, {
      name,
      path: base,
      ...(idValid && { systemId }),
      offer: {
        ...(Array.isArray(args.rights) && { rights: args.rights }),
        ...(Array.isArray(args.accessPackages) && { accessPackages: args.accessPackages }),
        allowedRedirectUrls: Array.isArray(args.allowedRedirectUrls) ? args.allowedRedirectUrls : [],
      },
    });
    const planArgs: Record<string, unknown> = { ...args, systemId };
    if (Array.isArray(args.clientIds)) planArgs.clientIds = args.clientIds.filter((c) => c !== unknownValue);
    run.plan.systems.push({ name, args: judgedArgs<SystemArgs>(planArgs), clients, protect: run.protectByDefault(decl.protect) });
  }
}

/** A system's client by name: declared under `clients`, of type maskinporten, and no other system's. */
function systemClient(run: ValidationRun, system: string, ref: string, at: Path, owner: Map<string, string>): void {
  if (!run.clientTypes.has(ref)) {
    run.at(at, noSuchClient(ref, run.clientTypes.keys()));
    return;
  }
  const type = run.clientTypes.get(ref);
  if (typeof type === "string" && (clientTypes as readonly string[]).includes(type) && type !== "maskinporten") {
    run.at(
      at,
      `\`${ref}\` is a ${type} client: a system's clients get system user tokens from Maskinporten, so they must be of type maskinporten`,
    );
    return;
  }
  const other = owner.get(ref);
  if (other && other !== system) {
    run.at(at, clientOfAnotherSystem(ref, other));
    return;
  }
  owner.set(ref, system);
}

function notTheVendorsSystemId(systemId: string, orgNo: string): string {
  return `"${systemId}" must start with the organisation's number and _ (${orgNo}_...): a vendor registers systems under its own number (organisation.orgNo)`;
}

function noSuchClient(ref: string, declared: Iterable<string>): string {
  return `no client \`${ref}\` under \`clients\`${didYouMean(ref, declared) || ": declare it there, or list its id under clientIds if it is managed elsewhere"}`;
}

function clientOfAnotherSystem(ref: string, other: string): string {
  return `client \`${ref}\` is also a client of system \`${other}\`: Altinn lets a client belong to one system only (AUTH.VLD-00004); declare another client`;
}
