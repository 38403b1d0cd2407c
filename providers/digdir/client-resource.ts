import * as pulumi from "@pulumi/pulumi";
import { ShimResource } from "../core/shim";
import type { ClientKind } from "./client-model";

/** The outputs every Digdir client resource exposes besides its inputs. */
export const clientOutputNames = ["clientId", "clientOrgNo", "issuer", "tokenEndpoint", "wellKnownUrl", "created", "lastUpdated", "integrationType"] as const;

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
  /** Digdir's id of the client, the `iss` of its grants. */
  declare readonly clientId: pulumi.Output<string>;
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
    super("digdir", kind, name, props, opts);
  }
}
