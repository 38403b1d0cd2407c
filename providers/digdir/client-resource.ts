import * as pulumi from "@pulumi/pulumi";
import { ShimResource } from "../core/shim";
import type { ClientKind } from "./client-model";

/**
 * The outputs every Digdir client resource exposes besides its inputs. `clientId` is not among them: the
 * resource's id is Digdir's client id, and taken from `id` it stays known in the preview of an update (below).
 */
export const clientOutputNames = [
  "clientOrgNo",
  "issuer",
  "tokenEndpoint",
  "wellKnownUrl",
  "created",
  "lastUpdated",
  "integrationType",
] as const;

/**
 * Registers a client resource: type `pulumi-nodejs:dynamic/digdir:<kind>`, the kind's shim as provider, and
 * the output names present (as undefined) so the SDK exposes them as properties.
 */
export function clientResourceProps(args: object, extraOutputs: readonly string[] = []): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  for (const k of [...clientOutputNames, ...extraOutputs]) props[k] = undefined;
  return { ...props, ...args };
}

export abstract class DigdirClientResource extends ShimResource {
  /**
   * Digdir's id of the client, the `iss` of its grants: the resource's id. A preview of an update keeps the id,
   * but gives every output that is not an input as unknown (the SDK's provider host answers no preview of its
   * own); taken from the id, the client id stays known, and so do the key set and systems that use it
   * (providers/README.md, "What a preview knows").
   */
  readonly clientId: pulumi.Output<string>;
  /** The organisation that owns the client. */
  declare readonly clientOrgNo: pulumi.Output<string>;
  /** The authorization server the client gets tokens from (its `aud` for grants). */
  declare readonly issuer: pulumi.Output<string>;
  declare readonly tokenEndpoint: pulumi.Output<string>;
  declare readonly wellKnownUrl: pulumi.Output<string>;
  declare readonly created: pulumi.Output<string>;
  declare readonly lastUpdated: pulumi.Output<string>;
  declare readonly integrationType: pulumi.Output<string>;
  declare readonly scopes: pulumi.Output<string[]>;

  protected constructor(kind: ClientKind, name: string, props: Record<string, unknown>, opts?: pulumi.CustomResourceOptions) {
    // The client id is chosen from this key on create, so that a create repeated after a lost answer or a
    // crash finds the client made before instead of making a second one (client-create.ts).
    super("digdir", kind, name, { ...props, createKey: `${pulumi.getProject()}/${pulumi.getStack()}/${kind}/${name}` }, opts);
    this.clientId = this.id;
  }
}
