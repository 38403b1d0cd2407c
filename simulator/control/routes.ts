import { z } from "zod";
import { FaultRuleInput } from "../core/faults";
import { emptyReply, jsonReply, parseJsonBody, type SimReply, type SimRequest } from "../core/http";
import { isValidOrgNo } from "../core/orgno";
import type { SimContext, SimModule } from "../context";
import { credentialsShape } from "./bootstrap";

// /_sim: the control API (simulator/README.md, "Control API") (loopback callers only; the server enforces that for every
// route below /_sim, including those other modules add, e.g. Altinn's systemuser-requests accept/reject).

const OrgInput = z
  .object({
    orgNo: z.string().refine(isValidOrgNo, "must be 9 digits with a valid mod-11 check digit"),
    name: z.string().min(1),
    vendor: z.boolean().optional(),
  })
  .strict();

const FaultsInput = z.object({ rules: z.array(FaultRuleInput).min(1) }).strict();
const ClockInput = z.object({ advanceSeconds: z.number().finite().min(0) }).strict();
const ConfigInput = z
  .object({
    keyActivationDelaySeconds: z.number().int().min(0).optional(),
    clientCreateStatus: z.union([z.literal(200), z.literal(201)]).optional(),
    deletedClients: z.enum(["hidden", "inactive"]).optional(),
    deactivatedScopeRead: z.enum(["inactive", "hidden"]).optional(),
    quirks: z.boolean().optional(),
  })
  .strict();

/** `reset` forgets everything but the bootstrap (store, faults, stats, config, module caches). */
export function controlModule(reset: () => void): SimModule {
  return {
    name: "control",
    register(ctx: SimContext) {
      const body = <T>(req: SimRequest, schema: z.ZodType<T>): { ok: true; value: T } | { ok: false; reply: SimReply } => {
        const parsed = parseJsonBody(req);
        if (!parsed.ok) return { ok: false, reply: jsonReply(400, { error: parsed.message }) };
        const result = schema.safeParse(parsed.value);
        if (result.success) return { ok: true, value: result.data };
        const problems = result.error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(body)"}: ${i.message}`);
        return { ok: false, reply: jsonReply(400, { error: "invalid control request", problems }) };
      };
      const clockView = () => ({ now: ctx.clock.iso(), epochSeconds: ctx.clock.nowSeconds(), offsetSeconds: ctx.clock.offsetSeconds() });

      ctx.router.add("GET", "/_sim", () => jsonReply(200, { routes: ctx.router.list() }));

      ctx.router.add("GET", "/_sim/bootstrap", () => jsonReply(200, credentialsShape(ctx, ctx.registry.bootstrapCredentials())));

      ctx.router.add("POST", "/_sim/orgs", async (req) => {
        const input = body(req, OrgInput);
        if (!input.ok) return input.reply;
        const { orgNo, name, vendor } = input.value;
        const existing = ctx.registry.organisation(orgNo);
        const isVendor = vendor === true || existing?.vendor === true;
        ctx.registry.putOrganisation({ orgNo, name, vendor: isVendor, consumableScopes: existing?.consumableScopes ?? [] });
        if (vendor !== true) return jsonReply(existing ? 200 : 201, { orgNo, name, vendor: isVendor });
        const known = ctx.registry.adminCredentials(orgNo);
        const creds = known ?? (await ctx.registry.createVendorAdmin(orgNo));
        return jsonReply(known ? 200 : 201, credentialsShape(ctx, creds));
      });

      ctx.router.add("GET", "/_sim/faults", () => jsonReply(200, { rules: ctx.faults.list() }));
      ctx.router.add("POST", "/_sim/faults", (req) => {
        const input = body(req, FaultsInput);
        if (!input.ok) return input.reply;
        return jsonReply(200, { rules: ctx.faults.add(input.value.rules) });
      });
      ctx.router.add("DELETE", "/_sim/faults", () => {
        ctx.faults.clear();
        return emptyReply(204);
      });

      ctx.router.add("GET", "/_sim/clock", () => jsonReply(200, clockView()));
      ctx.router.add("POST", "/_sim/clock", (req) => {
        const input = body(req, ClockInput);
        if (!input.ok) return input.reply;
        ctx.clock.advance(input.value.advanceSeconds);
        ctx.store.changed();
        return jsonReply(200, clockView());
      });

      ctx.router.add("GET", "/_sim/stats", (req) => {
        const snapshot = ctx.stats.snapshot();
        if (req.query.get("reset") === "true") ctx.stats.reset();
        return jsonReply(200, snapshot);
      });

      ctx.router.add("GET", "/_sim/config", () => jsonReply(200, { ...ctx.config }));
      ctx.router.add("POST", "/_sim/config", (req) => {
        const input = body(req, ConfigInput);
        if (!input.ok) return input.reply;
        Object.assign(ctx.config, stripUndefined(input.value));
        return jsonReply(200, { ...ctx.config });
      });

      ctx.router.add("POST", "/_sim/reset", () => {
        reset();
        return jsonReply(200, { reset: true, bootstrap: credentialsShape(ctx, ctx.registry.bootstrapCredentials()) });
      });
    },
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
