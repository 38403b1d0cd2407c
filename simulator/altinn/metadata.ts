import { createHash } from "node:crypto";
import type { SimContext } from "../context";
import type { SeedAccessPackage, SeedResource } from "../seed/schema";
import { aspnetProblem, okJson, PLATFORM } from "./http";
import { isDelegableResourceType } from "./model";

// The metadata the system register validates against, from the seed, at the anonymous addresses Altinn's own
// clients use (`SystemRegisterController` create): the Resource Registry's resource and Access Management's access-package
// metadata. Seed entries may carry further fields (title, name, description, ...); they are passed through.

export function registerMetadata(ctx: SimContext): void {
  const resourceBase = `${PLATFORM}/resourceregistry/api/v1/resource`;
  ctx.router.add("GET", `${resourceBase}/resourcelist`, () => okJson(200, ctx.seed.resources.map(resourceView)));
  ctx.router.add("GET", `${resourceBase}/:id`, (req) => {
    const r = ctx.seed.resources.find((x) => x.identifier === req.params.id);
    return r ? okJson(200, resourceView(r)) : aspnetProblem(404);
  });

  const packageBase = `${PLATFORM}/accessmanagement/api/v1/meta/info/accesspackages`;
  ctx.router.add("GET", `${packageBase}/export`, () => okJson(200, ctx.seed.accessPackages.map(packageMetaView)));
  ctx.router.add("GET", `${packageBase}/package/urn/:urn`, (req) => {
    const p = ctx.seed.accessPackages.find((x) => x.urn === req.params.urn);
    return p ? okJson(200, packageMetaView(p)) : aspnetProblem(404);
  });
}

export type Language = "nb" | "nn" | "en";

/** A seed text in one language: a string, or `{nb, nn, en}` (the Resource Registry's shape), nb as the fallback. */
function localized(v: unknown, lang: Language): string | undefined {
  if (typeof v === "string" && v) return v;
  if (v && typeof v === "object") {
    const t = v as Record<string, unknown>;
    for (const l of [lang, "nb", "en", "nn"]) if (typeof t[l] === "string" && t[l]) return t[l] as string;
  }
  return undefined;
}

/** The resource's title from the seed in `lang`, else its identifier. */
export function resourceTitle(r: SeedResource | undefined, identifier: string, lang: Language = "nb"): string {
  return localized(r?.title, lang) ?? identifier;
}

export function resourceView(r: SeedResource): Record<string, unknown> {
  const { identifier, resourceType, ...extra } = r;
  return {
    identifier,
    title: { en: identifier, nb: identifier, nn: identifier },
    resourceType,
    delegable: isDelegableResourceType(resourceType),
    visible: true,
    ...extra,
  };
}

/** The package's name from the seed in `lang` (Access Management answers it in the caller's language), else its urn's last part. */
export function packageName(p: SeedAccessPackage, lang: Language = "nb"): string {
  return localized(p.name, lang) ?? p.urn.slice("urn:altinn:accesspackage:".length);
}

export function packageMetaView(p: SeedAccessPackage): Record<string, unknown> {
  const { urn, assignable, delegable, ...extra } = p;
  // A stable id per urn, as Access Management's package ids are fixed UUIDs.
  const hex = createHash("sha256").update(urn).digest("hex");
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  return { id, urn, description: "", isDelegable: delegable, isAssignable: assignable, ...extra, name: packageName(p) };
}
