/**
 * An update that changed the remote object and then failed: like PartialCreateError (partial.ts), it carries
 * the id and the properties as they now are, so the host reports ErrorResourceInitFailed and the engine records
 * them instead of keeping outputs that no longer hold (pulumi-dynamic-providers.md §4: errors carrying an id).
 * The message is the caller's: it must say what was done, what failed, and what the next `pulumi up` does.
 */
export class PartialUpdateError extends Error {
  readonly reasons: string[];
  constructor(
    readonly id: string,
    readonly properties: Record<string, unknown>,
    message: string,
  ) {
    super(message);
    this.name = "PartialUpdateError";
    this.reasons = [message];
  }
}
