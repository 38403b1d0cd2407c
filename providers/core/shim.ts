import { existsSync, readFileSync, realpathSync } from "node:fs";
import Module from "node:module";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";

/**
 * The provider stored with every resource (`__provider`) is a shim: a module of a few hundred bytes, written here,
 * that names the resource kind and where the compiled implementation is (`pulumi-digdir/runtime`, i.e.
 * `dist/providers/runtime.js`), which the provider host loads. Pulumi keeps `__provider` twice per resource (inputs
 * and outputs) and the engine rewrites the whole state after every step, so its size counts for big stacks:
 * `serializeFunction` would make 3.3 KB of a closure capturing the same two strings, and inlining the
 * implementation tens of kilobytes. The implementation lives in the package, so a fixed version serves resources
 * an older one created, as a real provider plugin does (the texts earlier versions wrote keep working: runtime.ts).
 *
 * The host runs this text with require-from-string and calls `handler()` (`getProvider` in the SDK's
 * `@pulumi/pulumi/cmd/dynamic-provider/index.js`): the module's `require` resolves from the host's working directory, which the engine sets
 * to the program's (the folder of Pulumi.yaml's `main`). So the text names the package, `pulumi-digdir/runtime`,
 * which a program that installed pulumi-digdir finds in its node_modules wherever the project is moved, however
 * it was installed (tarball, git, a symlinked folder, hoisted in a workspace) and from any folder below it. Where
 * the name does not lead to this package (this repository's own stacks/, which cannot import itself by name), the
 * text adds the path relative to the working directory as a fallback (`../dist/providers/runtime.js`).
 *
 * The program refuses to run on a missing or stale build (stacks/build-check.ts), but `pulumi refresh` and
 * `destroy` run no program: then this text's own message says what to do.
 */
export const RUNTIME_SPECIFIER = "pulumi-digdir/runtime";

export function providerModule(kind: string, specifiers: readonly string[] = runtimeSpecifiers()): string {
  return (
    `exports.handler=function(){var r,e;for(var p of ${JSON.stringify(specifiers)})try{r=require(p);break}catch(x){e=e||x}` +
    `if(!r)throw Error("pulumi-digdir could not load its providers from "+process.cwd()+" ("+e.message.split("\\n")[0]+"): run npm ci in the project")` +
    `;return r.shim(${JSON.stringify(kind)})}`
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

/** This package's compiled runtime, as a real path. */
function ownRuntime(): string {
  const file = path.join(packageRoot(), "dist", "providers", "runtime.js");
  return existsSync(file) ? realpathSync(file) : file;
}

/**
 * Where the provider host, running in `cwd`, finds the runtime: the package name alone when it leads from `cwd`
 * to this very package (the host resolves it as `require` does from a module in `cwd`: node_modules folders
 * upward, symlinks followed, no self-reference by name), else the name and then the path relative to `cwd`.
 */
export function runtimeSpecifiers(cwd = process.cwd()): string[] {
  const own = ownRuntime();
  if (resolveAsHost(RUNTIME_SPECIFIER, cwd) === own) return [RUNTIME_SPECIFIER];
  return [RUNTIME_SPECIFIER, relativeSpecifier(cwd, path.join(packageRoot(), "dist", "providers", "runtime.js"))];
}

/**
 * What `require(request)` gives the host's module: require-from-string compiles the text as a module without a
 * file name whose lookup paths are the node_modules folders above `cwd`. `require.resolve` from here would also
 * find this package by its own name (self-reference), which the host cannot.
 */
function resolveAsHost(request: string, cwd: string): string | undefined {
  const M = Module as unknown as { _nodeModulePaths(from: string): string[]; _resolveFilename(request: string, parent: unknown): string };
  const parent = new Module("", undefined) as unknown as { filename: string; paths: string[] };
  parent.filename = "";
  parent.paths = M._nodeModulePaths(path.resolve(cwd));
  try {
    return realpathSync(M._resolveFilename(request, parent));
  } catch {
    return undefined;
  }
}

function relativeSpecifier(cwd: string, target: string): string {
  const rel = path.relative(cwd, target).split(path.sep).join("/");
  return rel.startsWith(".") ? rel : `./${rel}`;
}
