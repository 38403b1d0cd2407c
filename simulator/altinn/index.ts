import type { SimContext, SimModule } from "../context";
import { registerConfirmPages } from "../am/confirm";
import { registerChangeRequests } from "./changerequests";
import { registerAltinnControl } from "./control";
import { Customer } from "./customer";
import { registerMetadata } from "./metadata";
import { AltinnState } from "./model";
import { registerRequests } from "./requests";
import { registerSystemRegister } from "./systemregister";
import { registerSystemUsers } from "./systemusers";

// /altinn (https://platform.tt02.altinn.no) and /am (https://am.ui.tt02.altinn.no): Altinn's system register,
// system user requests (standard and agent), change requests and the vendor's system user lookups, the seed's
// Resource Registry and access package metadata, the customer's confirm pages, system user tokens at
// Maskinporten, and the Altinn control calls. Written from Altinn/altinn-authentication's sources; see README.md.

export const altinnModule: SimModule = {
  name: "altinn",
  register(ctx: SimContext) {
    const state = new AltinnState(ctx);
    const customer = new Customer(ctx, state);
    registerSystemRegister(ctx, state);
    registerRequests(ctx, state);
    registerChangeRequests(ctx, state);
    registerSystemUsers(ctx, state);
    registerMetadata(ctx);
    registerConfirmPages(ctx, state, customer);
    registerAltinnControl(ctx, state, customer);
  },
};
