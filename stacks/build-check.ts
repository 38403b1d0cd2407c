import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";

/**
 * The provider host loads the compiled providers (`dist/providers/runtime.js`, see providers/README.md "the
 * shim"), not the TypeScript the program is written against. A program run on a stale build would register
 * resources whose checks and API calls are those of an older version, so it refuses to start.
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
  for (const rel of sources(path.join(root, "providers"))) {
    const src = path.join(root, "providers", rel);
    if (!existsSync(path.join(dist, rel.replace(/\.ts$/, ".js")))) return `providers/${rel} has not been compiled`;
    const hash = createHash("sha256").update(readFileSync(src, "utf8")).digest("hex");
    if (compiled.get(path.resolve(src)) !== hash) return `providers/${rel} changed after the last build`;
  }
  return undefined;
}

/** The sentence the program stops with. */
export function staleBuildMessage(reason: string): string {
  return (
    `pulumi-digdir: the compiled providers are out of date (${reason}). The provider host runs dist/, not the ` +
    "TypeScript sources: run `npm run build`, then run the pulumi command again."
  );
}

function sources(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...sources(path.join(dir, e.name), rel));
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(rel);
  }
  return out;
}

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
