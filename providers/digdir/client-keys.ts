import * as pulumi from "@pulumi/pulumi";
import { context } from "../core/context";
import { isUnknown } from "../core/check";
import { sharedProviderShim } from "../core/shim";
import { DigdirClientApi } from "./api";
import { checkClientKeysInputs, desiredJwks, keySetChanged, keysOutputs, type ClientKeysInputs, type ClientKeysOutputs, type PublicJwk } from "./client-keys-model";

export interface ClientKeysArgs {
  /** The client whose key set this is (a MaskinportenClient's, KrrClient's or IdportenClient's `clientId`). */
  clientId: pulumi.Input<string>;
  /**
   * The whole set of public keys (1–5): bring your own, the private keys never leave your vault. Each an RSA
   * JWK of at least 2048 bits with `kid`, `n`, `e`; `alg` RS256 and `use` sig are filled in; `exp` (epoch
   * seconds, at most one year ahead) defaults to one year at Digdir.
   */
  keys: pulumi.Input<pulumi.Input<PublicJwkArg>[]>;
}

export interface PublicJwkArg {
  kty: "RSA";
  kid: string;
  n: string;
  e: string;
  alg?: "RS256";
  use?: "sig";
  exp?: number;
  x5c?: string[];
}

/**
 * The public key set registered on one client. Digdir replaces the whole set on every change, so this resource
 * owns all keys of its client: declare one ClientKeys per client.
 */
export class ClientKeys extends pulumi.dynamic.Resource {
  declare readonly clientId: pulumi.Output<string>;
  declare readonly keys: pulumi.Output<PublicJwk[]>;
  /** The registered key ids. */
  declare readonly kids: pulumi.Output<string[]>;
  /** kid → when Digdir stops accepting the key (ISO 8601). */
  declare readonly expiresAt: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: ClientKeysArgs, opts?: pulumi.CustomResourceOptions) {
    super(sharedProviderShim("ClientKeys"), name, { kids: undefined, expiresAt: undefined, ...args }, opts, "digdir", "ClientKeys");
  }
}

export function clientKeysProvider(): pulumi.dynamic.ResourceProvider {
  return {
    async check(_olds, news) {
      const { inputs, failures } = checkClientKeysInputs(news);
      return failures.length ? { inputs: news, failures } : { inputs };
    },

    async diff(_id, olds: ClientKeysOutputs, news: ClientKeysInputs) {
      const replaces = isUnknown(news.clientId) || olds.clientId !== news.clientId ? ["clientId"] : [];
      const changes = replaces.length > 0 || keySetChanged(olds.keys, news.keys);
      return { changes, replaces, deleteBeforeReplace: false };
    },

    async create(inputs: ClientKeysInputs) {
      const live = await new DigdirClientApi(context()).putJwks(inputs.clientId, desiredJwks(inputs.keys));
      return { id: inputs.clientId, outs: keysOutputs(inputs.clientId, live) };
    },

    async read(id) {
      const live = await new DigdirClientApi(context()).getJwks(id);
      if (!live || live.keys.length === 0) return { id: "", props: {} };
      return { id, props: keysOutputs(id, live) };
    },

    async update(id, _olds, news: ClientKeysInputs) {
      const live = await new DigdirClientApi(context()).putJwks(id, desiredJwks(news.keys));
      return { outs: keysOutputs(id, live) };
    },

    async delete(id) {
      await new DigdirClientApi(context()).deleteJwks(id);
    },
  };
}
