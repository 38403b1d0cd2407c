import * as pulumi from "@pulumi/pulumi";
import { isUnknown } from "../core/check";
import { configuredVendor, context } from "../core/context";
import { InputError, isApiError, ProtocolError } from "../core/errors";
import { isInDoubt } from "../core/http";
import { afterCreate } from "../core/partial";
import { recover } from "../core/recovery";
import { ShimResource } from "../core/shim";
import { altinnScopes, AltinnApi, withHint } from "./api";
import { expandAccessPackages, expandRights } from "./shorthand";
import type { AccessPackage, LocalizedText, Right } from "./model";
import {
  changedSystemFields,
  checkSystemInputs,
  systemGoneHint,
  systemIdTakenHint,
  systemInputsFrom,
  systemOutputs,
  systemFields,
  systemReplaces,
  vendorNotTokenHint,
  type LiveSystem,
  type SystemInputs,
  type SystemOutputs,
} from "./system-model";

export interface LocalizedTextArg {
  nb: pulumi.Input<string>;
  nn: pulumi.Input<string>;
  en: pulumi.Input<string>;
}

export interface RightArg {
  action?: pulumi.Input<string>;
  /** One attribute per right, as Altinn's change requests support: `[{value: "ske-krav-og-betalinger"}]`. */
  resource: pulumi.Input<pulumi.Input<{ id?: pulumi.Input<string>; value: pulumi.Input<string> }>[]>;
}

export interface AccessPackageArg {
  /** `urn:altinn:accesspackage:<name>`. */
  urn: pulumi.Input<string>;
  /**
   * Not sent: tells `check` whether the package can be given to a standard system user. Client packages
   * (regnskapsfører, revisor, forretningsfører) are known to be not assignable; say `false` for others that are not.
   */
  isAssignable?: pulumi.Input<boolean>;
}

export interface SystemArgs {
  /** `<vendor orgno>_<name>`, e.g. `991825827_smartcloud`. Never reusable, not even after the system is deleted. */
  systemId: pulumi.Input<string>;
  /** The vendor; defaults to the prefix of `systemId`, and must be the organisation of the admin token. */
  vendorOrgNo?: pulumi.Input<string>;
  /** Shown to customers in Altinn: bokmål, nynorsk and English, all three required. */
  name: pulumi.Input<LocalizedTextArg>;
  description: pulumi.Input<LocalizedTextArg>;
  /** Resources (from the Resource Registry) the system's users may be given: a right, or its resource id (`"ske-krav-og-betalinger"`). */
  rights?: pulumi.Input<pulumi.Input<RightArg | string>[]>;
  /** Access packages (tilgangspakker) the system's users may be given: `{urn}`, or the package's name or urn as text. */
  accessPackages?: pulumi.Input<pulumi.Input<AccessPackageArg | string>[]>;
  /** Maskinporten clients that may get system user tokens: pass `MaskinportenClient.clientId` outputs. */
  clientIds?: pulumi.Input<pulumi.Input<string>[]>;
  /** https URLs a request may send the customer back to. */
  allowedRedirectUrls?: pulumi.Input<pulumi.Input<string>[]>;
  /** true (Altinn's default): customers find the system in Altinn; must be false for client (agent) packages. */
  isVisible?: pulumi.Input<boolean>;
}

const outputNames = [...systemFields, "internalId"];

/**
 * A system in Altinn's system register (systemregisteret): what a vendor's end-user system (sluttbrukersystem)
 * may act on, and which Maskinporten clients act for it. Delete is Altinn's soft delete: the id stays taken
 * forever, and system users of the system stop getting tokens but are not removed.
 */
export class System extends ShimResource {
  declare readonly systemId: pulumi.Output<string>;
  declare readonly vendorOrgNo: pulumi.Output<string>;
  declare readonly name: pulumi.Output<LocalizedText>;
  declare readonly description: pulumi.Output<LocalizedText>;
  declare readonly rights: pulumi.Output<Right[]>;
  declare readonly accessPackages: pulumi.Output<AccessPackage[]>;
  declare readonly clientIds: pulumi.Output<string[]>;
  /** As Altinn stores them (lower-case host, `/` for an empty path). */
  declare readonly allowedRedirectUrls: pulumi.Output<string[]>;
  declare readonly isVisible: pulumi.Output<boolean>;
  /** Altinn's internal id of the system (from the create; absent for an imported system). */
  declare readonly internalId: pulumi.Output<string | undefined>;

  constructor(name: string, args: SystemArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Record<string, unknown> = Object.fromEntries(outputNames.map((k) => [k, undefined]));
    const expanded = {
      ...args,
      ...(args.rights !== undefined && { rights: expandRights(args.rights) }),
      ...(args.accessPackages !== undefined && { accessPackages: expandAccessPackages(args.accessPackages) }),
    };
    super("altinn", "System", name, { ...props, ...expanded }, opts);
  }
}

/** A system that Altinn answered a create or update for, and then does not show. */
function systemMissing(id: string, done: "created" | "updated"): ProtocolError {
  return new ProtocolError({
    service: "altinn",
    call: `GET /systemregister/vendor/${id}`,
    problem: `answered 404 right after Altinn ${done} the system`,
    hint:
      done === "created"
        ? "Altinn may not show a new system at once: the next `pulumi up` reads it again."
        : "Run `pulumi refresh` to bring the state up to date, then `pulumi up`.",
  });
}

/** The existing system brought to the declared fields: one full PUT when they differ, none when they match. */
async function adoptSystem(api: AltinnApi, inputs: SystemInputs, live: LiveSystem) {
  const id = inputs.systemId;
  if (changedSystemFields(systemOutputs(live), inputs).length === 0) return { id, outs: systemOutputs(live, inputs) };
  await api.updateSystem(inputs);
  const after = await api.getSystem(id);
  if (!after) throw systemMissing(id, "updated");
  return { id, outs: systemOutputs(after, inputs) };
}

export function systemProvider(): pulumi.dynamic.ResourceProvider {
  return {
    async check(olds: Partial<SystemInputs>, news) {
      const { inputs, failures } = checkSystemInputs(news, { configuredVendor: configuredVendor() });
      if (failures.length) return { inputs: news, failures };
      // A system new to the state whose id was used up by a deleted system can never be created: said in the
      // preview. A live one is taken over by create (adoption); an answer that says neither leaves it to create.
      if (typeof inputs.systemId === "string" && !isUnknown(inputs.systemId) && olds?.systemId !== inputs.systemId) {
        const live = await new AltinnApi(context()).getSystem(inputs.systemId).catch(() => undefined);
        if (live?.isDeleted)
          return { inputs: news, failures: [{ property: "systemId", reason: systemIdTakenHint(inputs.systemId, live) }] };
      }
      return { inputs };
    },

    async diff(_id, olds: SystemOutputs, news: SystemInputs) {
      const changed = changedSystemFields(olds, news);
      // A new id never collides with the old one, so the new system is created before the old is deleted.
      return { changes: changed.length > 0, replaces: systemReplaces(changed, news), deleteBeforeReplace: false };
    },

    async create(inputs: SystemInputs) {
      const ctx = context();
      const api = new AltinnApi(ctx);
      const id = inputs.systemId;
      const vendor = ctx.settings.orgNo ?? (await ctx.orgNo([altinnScopes.systemRegister]));
      if (inputs.vendorOrgNo !== vendor) {
        throw new InputError(vendorNotTokenHint(id, inputs.vendorOrgNo, vendor));
      }
      let internalId = "";
      // The id is ours to choose, so a taken id (AUTH.VLD-00002, or AUTH.VLD-00004 for its client) and a lost answer
      // are both settled by reading it: a live system under it is taken over (adoption by id, providers/README.md),
      // whether an earlier attempt made it (this run's lost answer, or a killed run) or it was made elsewhere.
      const takeOver = async (why: string) => {
        const live = await api.getSystem(id);
        if (!live || live.isDeleted) return undefined;
        recover(`System ${id}: ${why}: it was taken over and brought to the declared fields instead of being made again.`);
        return adoptSystem(api, inputs, live);
      };
      for (let doubts = 0; ; doubts++) {
        try {
          internalId = await api.createSystem(inputs);
          break;
        } catch (e) {
          const taken = isApiError(e) && (e.hasCode("AUTH.VLD-00002") || e.hasCode("AUTH.VLD-00004"));
          if (taken || (isInDoubt(e) && doubts < 2)) {
            const adopted = await takeOver(
              taken
                ? "it existed already (left by a lost answer or an interrupted run, or made elsewhere)"
                : "it was made although the answer to its POST was lost",
            );
            if (adopted) return adopted;
            if (!taken) continue;
          }
          if (isApiError(e) && e.hasCode("AUTH.VLD-00002")) {
            const live = await api.getSystem(id).catch(() => undefined);
            throw withHint(e, systemIdTakenHint(id, live));
          }
          throw e;
        }
      }
      return afterCreate(id, { ...inputs, ...(internalId && { internalId }) }, async () => {
        const live = await api.getSystem(id);
        if (!live) throw systemMissing(id, "created");
        return { id, outs: systemOutputs(live, inputs, internalId) };
      });
    },

    async read(id, props: Partial<SystemOutputs> | undefined) {
      const live = await new AltinnApi(context()).getSystem(id);
      // A soft-deleted system is gone for good (its id too): refresh drops it.
      if (!live || live.isDeleted) return { id: "", props: {} };
      // `pulumi import` reads with no properties at all.
      const outs = systemOutputs(live, props ?? {}, props?.internalId);
      return { id, props: outs, inputs: systemInputsFrom(outs) };
    },

    async update(id, olds: SystemOutputs, news: SystemInputs) {
      const api = new AltinnApi(context());
      try {
        await api.updateSystem(news);
      } catch (e) {
        if (isApiError(e) && (e.status === 400 || e.status === 404)) {
          const live = await api.getSystem(id).catch(() => undefined);
          if (!live || live.isDeleted) throw withHint(e, systemGoneHint(id, live));
        }
        throw e;
      }
      const live = await api.getSystem(id);
      if (!live) throw systemMissing(id, "updated");
      return { outs: systemOutputs(live, news, olds.internalId) };
    },

    async delete(id) {
      await new AltinnApi(context()).deleteSystem(id);
    },
  };
}
