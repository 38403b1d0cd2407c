/**
 * An error after the remote object was created: the host turns `id` and `properties` into
 * ErrorResourceInitFailed, so the engine records the object in state instead of forgetting it
 * (pulumi-dynamic-providers.md §4: errors carrying an id).
 */
export class PartialCreateError extends Error {
  readonly reasons: string[];
  constructor(
    readonly id: string,
    readonly properties: Record<string, unknown>,
    cause: unknown,
  ) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`created ${id}, but the steps after creation failed: ${why}. It is recorded in the state; the next \`pulumi up\` completes it.`);
    this.name = "PartialCreateError";
    this.reasons = [why];
  }
}

/** Runs the steps after a create; a failure there still reports the created object. */
export async function afterCreate<T>(id: string, properties: Record<string, unknown>, steps: () => Promise<T>): Promise<T> {
  try {
    return await steps();
  } catch (e) {
    throw new PartialCreateError(id, properties, e);
  }
}
