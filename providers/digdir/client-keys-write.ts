import type { DigdirClientApi } from "./api";
import { type PublicJwk } from "./client-keys-model";
import { keyWrites } from "./client-keys-plan";

/**
 * Writing a planned key set to Digdir. Where the set on the client is known (an update of the same client), only
 * what changes is written, one key at a time (`PUT`/`DELETE /clients/{id}/jwks/{kid}`, the self-service API's
 * OpenAPI): a key someone else registered meanwhile stays. Where there is no known set (a create, the set moved to
 * another client), or the API answers that it has no single-key route (405, or 404 while the client's set can be
 * read), the whole set is written (`POST /clients/{id}/jwks`), as the only way that works there.
 */

/** Some single-key writes were made, then one failed: the set as it now is, and why. */
export class KeyWriteError extends Error {
  constructor(
    readonly registered: PublicJwk[],
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = "KeyWriteError";
  }
}

/** A line for whoever debugs a run (`DIGDIR_DEBUG=1`), on the provider host's stderr; never a key's material. */
export function debugLog(message: string): void {
  if (/^(1|true|yes)$/i.test(process.env.DIGDIR_DEBUG ?? "")) process.stderr.write(`pulumi-digdir: debug: ${message}\n`);
}

/**
 * Takes the set on `clientId` from `registered` (what the state knows is there; empty: not known) to `planned`, and
 * answers the registered set as Digdir has it now, in the planned order. A failure after some single-key writes
 * throws KeyWriteError with the set as it then is; a failure before any write is thrown as it is.
 */
export async function writeKeySet(
  api: DigdirClientApi,
  clientId: string,
  registered: PublicJwk[],
  planned: PublicJwk[],
): Promise<PublicJwk[]> {
  if (registered.length > 0) {
    const written = await writeKeyByKey(api, clientId, registered, planned);
    if (written) return written;
  }
  return api.putJwks(clientId, planned);
}

/** Undefined when the API has no single-key route: the caller writes the whole set (the end state is the same). */
async function writeKeyByKey(
  api: DigdirClientApi,
  clientId: string,
  registered: PublicJwk[],
  planned: PublicJwk[],
): Promise<PublicJwk[] | undefined> {
  const { put, remove, removeFirst } = keyWrites(registered, planned);
  let now = [...registered];
  let writes = 0;
  const unsupported = (what: string) => {
    debugLog(
      `ClientKeys on client ${clientId}: the self-service API has no ${what} route (answered 404 or 405 for it); ` +
        `the whole key set is written instead (POST /clients/{id}/jwks), which removes keys registered outside Pulumi.`,
    );
    return undefined;
  };
  /** One kind of write, key by key: false as soon as the API answers that it has no route for it. */
  const keyByKey =
    <T>(items: T[], write: (item: T) => Promise<"unsupported" | "written">) =>
    async (): Promise<boolean> => {
      for (const item of items) {
        if ((await write(item)) === "unsupported") return false;
        writes++;
      }
      return true;
    };
  const puts = {
    route: "PUT /clients/{id}/jwks/{kid}",
    run: keyByKey(put, async (k) => {
      const answer = await api.putJwk(clientId, k);
      if (answer === "unsupported") return answer;
      now = [...now.filter((r) => r.kid !== k.kid), answer];
      return "written";
    }),
  };
  const removes = {
    route: "DELETE /clients/{id}/jwks/{kid}",
    run: keyByKey(remove, async (kid) => {
      const answer = await api.deleteJwk(clientId, kid);
      if (answer === "unsupported") return answer;
      now = now.filter((r) => r.kid !== kid);
      return "written";
    }),
  };
  try {
    for (const step of removeFirst ? [removes, puts] : [puts, removes]) if (!(await step.run())) return unsupported(step.route);
  } catch (e) {
    if (writes === 0) throw e;
    throw new KeyWriteError(inPlannedOrder(now, planned), e);
  }
  return inPlannedOrder(now, planned);
}

/** The planned keys first, in their order, then any other registered key. */
export function inPlannedOrder(registered: PublicJwk[], planned: PublicJwk[]): PublicJwk[] {
  const at = new Map(planned.map((p, i) => [p.kid, i]));
  return [...registered].sort((a, b) => (at.get(a.kid) ?? planned.length) - (at.get(b.kid) ?? planned.length));
}
