import { PartialCreateError } from "./errors";

/** Runs the steps after a create; a failure there still reports the created object. */
export async function afterCreate<T>(id: string, properties: Record<string, unknown>, steps: () => Promise<T>): Promise<T> {
  try {
    return await steps();
  } catch (e) {
    throw new PartialCreateError(id, properties, e);
  }
}
