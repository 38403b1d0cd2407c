import { createHash } from "node:crypto";
import type { SimContext } from "../context";
import type { SeedAccessPackage, SeedResource } from "../seed/schema";
import { aspnetProblem, okJson, PLATFORM } from "./http";
import { isDelegableResourceType } from "./model";

// The metadata the system register validates against, from the seed, at the anonymous addresses Altinn's own
// clients use (altinn-api.md §2.4): the Resource Registry's resource and Access Management's access-package
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

export function resourceTitle(r: SeedResource | undefined, identifier: string): string {
  const title = r?.title;
  if (title && typeof title === "object" && typeof (title as Record<string, unknown>).nb === "string") return (title as Record<string, string>).nb!;
  return identifier;
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

export function packageName(p: SeedAccessPackage): string {
  return typeof p.name === "string" ? p.name : p.urn.slice("urn:altinn:accesspackage:".length);
}

export function packageMetaView(p: SeedAccessPackage): Record<string, unknown> {
  const { urn, assignable, delegable, ...extra } = p;
  // A stable id per urn, as Access Management's package ids are fixed UUIDs.
  const hex = createHash("sha256").update(urn).digest("hex");
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  return { id, urn, name: packageName(p), description: "", isDelegable: delegable, isAssignable: assignable, ...extra };
}
