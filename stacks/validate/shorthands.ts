import { accessPackageFrom, rightFrom } from "../../providers/altinn/model";
import type { Path } from "../../providers/core/path";
import type { Origins } from "./origins";

/**
 * The stack file's shorthands for Altinn's rights and access packages, expanded to the full objects the resources
 * take; each item's problems stay at the item (a full object's, at the field inside it).
 */

/** `ske-krav-og-betalinger` is short for the right `{resource: [{id: urn:altinn:resource, value: ske-krav-og-betalinger}]}`. */
export function expandRights(v: unknown, at: Path, origins: Origins, prop: string): unknown {
  return expandEach(v, at, origins, prop, rightFrom);
}

/** `skattegrunnlag` and `urn:altinn:accesspackage:skattegrunnlag` are short for `{urn: urn:altinn:accesspackage:skattegrunnlag}`. */
export function expandPackages(v: unknown, at: Path, origins: Origins, prop: string): unknown {
  return expandEach(v, at, origins, prop, accessPackageFrom);
}

/** A list's items expanded; a shorthand's failures are placed at its item, a full object's at the field inside it. */
function expandEach(v: unknown, at: Path, origins: Origins, prop: string, expand: (item: unknown) => unknown): unknown {
  origins.map(prop, at);
  if (!Array.isArray(v)) return v;
  return v.map((item, i) => {
    origins.map(`${prop}[${i}]`, [...at, i], typeof item !== "string");
    return expand(item);
  });
}
