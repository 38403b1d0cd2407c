import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";

/**
 * The provider host loads the compiled providers (`dist/providers/runtime.js`, see providers/README.md "the
 * shim"), and the engine runs the compiled program (`stacks/index.js` loads `dist/stacks/`), not the TypeScript
 * sources. A run on a stale build would register resources whose checks and API calls are those of an older
 * version, so the program refuses to start.
 *
 * A source is stale when its content is not what the last build compiled: the build info of `npm run build`
 * records a hash of every source it compiled. File times are not used: a `git checkout`, a `touch` or a copy
 * changes them without changing what the build would produce, and an older file restored keeps an older time.
 */
export function staleBuildReason(root: string): string | undefined {
  const dist = path.join(root, "dist", "providers");
  if (!existsSync(path.join(dist, "runtime.js"))) return "dist/providers/runtime.js does not exist";
  const compiled = compiledHashes(root);
  if (!compiled) return "dist/ has no build info of `npm run build` (dist/.tsbuildinfo-build)";
  // The program runs from dist/ too (stacks/index.js): its sources are judged as the providers' are.
  for (const folder of ["providers", "stacks"]) {
    if (!existsSync(path.join(root, folder))) continue;
    for (const rel of sources(path.join(root, folder))) {
      const src = path.join(root, folder, rel);
      if (!existsSync(path.join(root, "dist", folder, rel.replace(/\.ts$/, ".js")))) return `${folder}/${rel} has not been compiled`;
      const hash = createHash("sha256").update(readFileSync(src, "utf8")).digest("hex");
      if (compiled.get(path.resolve(src)) !== hash) return `${folder}/${rel} changed after the last build`;
    }
    // tsc never deletes an output whose source is gone, and Node resolves `./validate` to a stale validate.js
    // before a newer validate/index.js.
    const built = path.join(root, "dist", folder);
    for (const rel of existsSync(built) ? outputs(built) : [])
      if (!existsSync(path.join(root, folder, rel.replace(/\.js$/, ".ts"))))
        return `dist/${folder}/${rel} is left from an older build (its source is gone): remove dist/ first (rm -rf dist)`;
  }
  return undefined;
}

/** The sentence the program stops with. */
export function staleBuildMessage(reason: string): string {
  return (
    `pulumi-digdir: the compiled program and providers are out of date (${reason}). Pulumi runs dist/, not the ` +
    "TypeScript sources: run `npm run build`, then run the pulumi command again."
  );
}

/** The files under `dir` whose names `keep` accepts, as paths relative to it. */
function filesUnder(dir: string, keep: (name: string) => boolean, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...filesUnder(path.join(dir, e.name), keep, rel));
    else if (keep(e.name)) out.push(rel);
  }
  return out;
}

const sources = (dir: string) => filesUnder(dir, (n) => n.endsWith(".ts") && !n.endsWith(".d.ts"));
const outputs = (dir: string) => filesUnder(dir, (n) => n.endsWith(".js"));

/** Absolute source path → sha256 of the content the last `npm run build` compiled, from its build info. */
function compiledHashes(root: string): Map<string, string> | undefined {
  try {
    const config = JSON.parse(readFileSync(path.join(root, "tsconfig.build.json"), "utf8")) as {
      compilerOptions?: { tsBuildInfoFile?: string };
    };
    const file = path.resolve(root, config.compilerOptions?.tsBuildInfoFile ?? "dist/.tsbuildinfo-build");
    const info = JSON.parse(readFileSync(file, "utf8")) as { fileNames?: string[]; fileInfos?: (string | { version?: string })[] };
    const out = new Map<string, string>();
    info.fileNames?.forEach((name, i) => {
      const entry = info.fileInfos?.[i];
      const version = typeof entry === "string" ? entry : entry?.version;
      if (version) out.set(path.resolve(path.dirname(file), name), version);
    });
    return out;
  } catch {
    return undefined;
  }
}
