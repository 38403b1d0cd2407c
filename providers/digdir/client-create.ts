import { createHash, randomUUID } from "node:crypto";
import type { Context } from "../core/context";
import { isInDoubt } from "../core/http";
import { recover } from "../core/recovery";
import { DigdirClientApi, isClientIdTaken } from "./api";
import { type ClientInputs, type ClientKind, type LiveClient } from "./client-model";

/**
 * Creating a client so that it can be repeated without making a second one (providers/digdir/README.md,
 * "Creates that can be repeated"). The `client_id` is chosen before the POST (the self-service API keeps a
 * caller's unique `client_id`): derived from the resource's `createKey` (project, stack, kind and name), the
 * organisation and the environment, so that a later `pulumi up` after a crash chooses the same id again and
 * finds the client the lost POST made. Digdir keeps deleted clients as inactive under their id, so ids are
 * taken from a sequence: the n-th candidate is skipped when it is inactive (or answers "in use" without being
 * readable), or when it is an active client of another integration type (the client this one replaces).
 */

/** How many candidates are tried: each delete of a client with this key uses one up. */
export const maxCandidates = 100;

/** The n-th candidate id for a key: a name-based UUID (RFC 9562 version 8) from SHA-256. */
export function candidateClientId(parts: { environment: string; orgNo: string; createKey: string }, n: number): string {
  const h = createHash("sha256").update(`pulumi-digdir client\n${parts.environment}\n${parts.orgNo}\n${parts.createKey}\n${n}`).digest();
  h[6] = (h[6] & 0x0f) | 0x80;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export interface CreatedClient {
  live: LiveClient;
  /** Found at Digdir (left by a lost answer or an interrupted run) and brought to the declared fields. */
  adopted: boolean;
}

/** POSTs the client under a chosen id, or adopts the client an earlier attempt made under it. */
export async function createClientOnce(
  ctx: Context,
  kind: ClientKind,
  inputs: ClientInputs & { createKey?: string },
  label: string,
): Promise<CreatedClient> {
  const api = new DigdirClientApi(ctx);
  const key = inputs.createKey;
  const parts = key ? { environment: ctx.settings.environment, orgNo: await ctx.orgNo(api.adminScopes), createKey: key } : undefined;
  // Another organisation's client (403) exists and is not ours: its id is skipped like an inactive one.
  const ours = (c: LiveClient | "forbidden" | undefined): c is LiveClient =>
    !!c && c !== "forbidden" && c.active !== false && c.integrationType === inputs.integrationType;

  const adopt = async (live: LiveClient, why: string): Promise<CreatedClient> => {
    const updated = await api.updateClient(live.clientId!, kind, live, inputs);
    recover(
      `${label}: client ${live.clientId} ${why}: adopted it and brought it to the declared fields, instead of creating a second client.`,
    );
    return { live: updated, adopted: true };
  };

  for (let n = 0; n < maxCandidates; n++) {
    const id = parts ? candidateClientId(parts, n) : randomUUID();
    if (parts) {
      const existing = await api.findClient(id);
      if (existing) {
        if (ours(existing))
          return adopt(existing, "already existed under this resource's chosen id (left by a lost answer or an interrupted run)");
        continue;
      }
    }
    // Doubt about one POST (no answer, a 500/502/504) is settled by reading the id back; a POST is sent again
    // only when the read shows nothing was made. Three doubts in a row end it.
    for (let doubts = 0; ; doubts++) {
      try {
        return { live: await api.createClient(kind, inputs, id), adopted: false };
      } catch (e) {
        if (isClientIdTaken(e)) {
          // Taken: a deleted client that the single read hides, or our own POST that arrived late.
          const existing = await api.findClient(id);
          if (ours(existing)) return adopt(existing, "was made by an earlier attempt whose answer was lost");
          break;
        }
        if (!isInDoubt(e) || doubts >= 2) throw e;
        const existing = await api.findClient(id);
        if (ours(existing)) {
          return adopt(existing, `was made although the answer to its POST was lost (${(e as Error).message.split(". ")[0]})`);
        }
        if (existing) throw e;
      }
    }
  }
  throw new Error(
    `${label}: the first ${maxCandidates} client ids chosen for this resource are all in use (each delete of the client uses one): give the resource a new name.`,
  );
}
