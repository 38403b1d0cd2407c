import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";

/**
 * The provider stored with every resource (`__provider`) is a shim: a module of about 250 bytes, written here,
 * that names the resource kind and the compiled implementation (`dist/providers/runtime.js`), which the provider
 * host loads by path. Pulumi keeps `__provider` twice per resource (inputs and outputs) and the engine rewrites
 * the whole state after every step, so its size counts for big stacks: `serializeFunction` would make 3.3 KB of
 * a closure capturing the same two strings, and inlining the implementation tens of kilobytes. The
 * implementation lives in the package, so a fixed version serves resources an older one created, as a real
 * provider plugin does (the texts earlier versions wrote keep working: runtime.ts).
 *
 * The host runs this text with require-from-string and calls `handler()` (pulumi-dynamic-providers.md §4): the
 * module's `require` resolves relative paths from the host's working directory, which the engine sets to the
 * program's (the folder of Pulumi.yaml's `main`). The program refuses to run on a missing or stale build
 * (stacks/build-check.ts), but `pulumi refresh` and `destroy` run no program: then this text's own message says
 * what to do.
 */
export function providerModule(kind: string, runtimePath = runtimeModuleSpecifier()): string {
  return (
    `exports.handler=function(){try{var r=require(${JSON.stringify(runtimePath)})}` +
    `catch(e){throw Error("pulumi-digdir could not load its providers from "+process.cwd()+" ("+e.message+"): run npm ci and npm run build in the project")}` +
    `return r.shim(${JSON.stringify(kind)})}`
  );
}

const modules = new Map<string, string>();

/** The `__provider` text of a kind, made once per process. */
export function providerModuleFor(kind: string): string {
  let text = modules.get(kind);
  if (!text) modules.set(kind, (text = providerModule(kind)));
  return text;
}

/**
 * What `dynamic.Resource` does, with our own provider module: type `pulumi-nodejs:dynamic/<module>:<kind>`, so
 * the engine hands it to the SDK's dynamic provider host, and `__provider` in the properties.
 */
export abstract class ShimResource extends pulumi.CustomResource {
  protected constructor(module: string, kind: string, name: string, props: Record<string, unknown>, opts?: pulumi.CustomResourceOptions) {
    if (props.__provider) throw new Error("A dynamic resource must not define the __provider key");
    super(`pulumi-nodejs:dynamic/${module}:${kind}`, name, { ...props, __provider: providerModuleFor(kind) }, opts);
  }
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
