import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";

/**
 * The serialized provider is a shim: a few hundred bytes that name the resource kind and the compiled
 * implementation (`dist/providers/runtime.js`), which the provider host loads by path. Pulumi stores the
 * serialized provider with every resource, so inlining the implementation would put tens of kilobytes into
 * each resource's state; the shim keeps it small and lets a fixed implementation serve resources created by an
 * older one, as a real provider plugin does.
 *
 * Serialization rules (pulumi-dynamic-providers.md §6): the shim captures only strings; `require` runs inside
 * the methods, in the host, where relative paths resolve from the host's working directory: the engine gives the
 * host the program's working directory (the folder of Pulumi.yaml's `main`).
 */
export function providerShim(kind: string): pulumi.dynamic.ResourceProvider {
  const runtimePath = runtimeModuleSpecifier();
  const load = () => {
    try {
      return require(runtimePath);
    } catch (e) {
      if ((e as { code?: string }).code !== "MODULE_NOT_FOUND") throw e;
      throw new Error(
        `pulumi-digdir: the provider implementation ${runtimePath} was not found from ${process.cwd()}. ` +
          "Run `npm run build` in the project (it compiles providers/ to dist/), then run the command again.",
      );
    }
  };
  return {
    async configure(req) {
      load().configure(kind, req.config);
    },
    async check(olds, news) {
      return load().provider(kind).check(olds, news);
    },
    async diff(id, olds, news) {
      return load().provider(kind).diff(id, olds, news);
    },
    async create(inputs) {
      return load().provider(kind).create(inputs);
    },
    async read(id, props) {
      return load().provider(kind).read(id, props);
    },
    async update(id, olds, news) {
      return load().provider(kind).update(id, olds, news);
    },
    async delete(id, props) {
      return load().provider(kind).delete(id, props);
    },
  };
}

/** The package root: the nearest folder above this file whose package.json is ours. */
export function packageRoot(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "pulumi-digdir") return dir;
    if (path.dirname(dir) === dir) throw new Error(`pulumi-digdir: no package.json of pulumi-digdir above ${from}`);
  }
}

/**
 * `dist/providers/runtime.js` relative to the working directory, which the engine also gives the provider host
 * (e.g. `../dist/providers/runtime.js` from `stacks/`). Relative, so the state does not depend on where the
 * project was checked out; moving `main` to another folder would break the path stored in existing state.
 */
export function runtimeModuleSpecifier(cwd = process.cwd()): string {
  const target = path.join(packageRoot(), "dist", "providers", "runtime.js");
  const rel = path.relative(cwd, target).split(path.sep).join("/");
  return rel.startsWith(".") ? rel : `./${rel}`;
}

const shims = new Map<string, pulumi.dynamic.ResourceProvider>();

/** One shim object per kind, so the SDK's serialization cache (keyed by the object) serializes it once. */
export function sharedProviderShim(kind: string): pulumi.dynamic.ResourceProvider {
  let shim = shims.get(kind);
  if (!shim) shims.set(kind, (shim = providerShim(kind)));
  return shim;
}
