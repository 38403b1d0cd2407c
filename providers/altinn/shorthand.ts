import * as pulumi from "@pulumi/pulumi";
import { accessPackageFrom, rightFrom } from "./model";

/**
 * A list argument with the stack file's shorthands expanded (model.ts `rightFrom`, `accessPackageFrom`) before the
 * resource is registered, so that state holds the same full form whichever way a program wrote it. A plain list
 * stays a plain list (each element expanded, or its output mapped), so values known at preview stay known.
 */
export function expandList<T, U>(
  v: pulumi.Input<pulumi.Input<T | string>[]> | undefined,
  expand: (item: T | string) => U,
): pulumi.Input<pulumi.Input<U>[]> | undefined {
  if (v === undefined || v === null) return v as undefined;
  const later = (x: unknown) => pulumi.Output.isInstance(x) || x instanceof Promise;
  const one = (x: pulumi.Input<T | string>): pulumi.Input<U> =>
    later(x) ? pulumi.output(x).apply((y) => expand(y as T | string)) : expand(x as T | string);
  if (Array.isArray(v)) return v.map(one);
  return pulumi.output(v).apply((list) => (Array.isArray(list) ? list.map((y) => expand(y as T | string)) : (list as unknown as U[])));
}

export const expandRights = <T>(v: pulumi.Input<pulumi.Input<T | string>[]> | undefined) => expandList(v, rightFrom);
export const expandAccessPackages = <T>(v: pulumi.Input<pulumi.Input<T | string>[]> | undefined) => expandList(v, accessPackageFrom);
