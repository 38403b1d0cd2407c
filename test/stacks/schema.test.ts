import { describe, expect, test } from "vitest";
import { z } from "zod";
import { allowedKeys, clientSchema, customerSchema, keyPolicySchema, requestGroupSchema } from "../../stacks/schema";

/**
 * "Did you mean" lists the keys a stack file may write where an unknown one was found; `allowedKeys` finds them
 * by walking zod schemas through zod's public classes. These pin that walk, so a zod upgrade that changes how
 * schemas nest fails here by name rather than as vaguer messages in the fixture catalogue.
 */
describe("the keys a schema allows, for did-you-mean", () => {
  test("a strict object's keys, through zod's preprocess (the shorthand customer entry)", () => {
    expect(allowedKeys(customerSchema, [])).toEqual([
      "orgNo",
      "name",
      "externalRef",
      "integrationTitle",
      "rights",
      "accessPackages",
      "redirectUrl",
    ]);
  });

  test("the generated key's settings and a request group", () => {
    expect(allowedKeys(keyPolicySchema, [])).toContain("rotateAfterDays");
    expect(allowedKeys(requestGroupSchema, [])).toEqual(expect.arrayContaining(["system", "customers", "customersFile", "shards"]));
  });

  test("nested objects, through optional, nullable, default, records and arrays", () => {
    const schema = z.strictObject({
      groups: z
        .record(z.string(), z.array(z.strictObject({ inner: z.strictObject({ a: z.string(), b: z.number() }).nullable() })))
        .optional(),
      settings: z.strictObject({ c: z.boolean() }).default({ c: true }),
    });
    expect(allowedKeys(schema, ["groups", "g", 0])).toEqual(["inner"]);
    expect(allowedKeys(schema, ["groups", "g", 0, "inner"])).toEqual(["a", "b"]);
    expect(allowedKeys(schema, ["settings"])).toEqual(["c"]);
  });

  test("no keys where the schema is not an object", () => {
    expect(allowedKeys(clientSchema, ["type"])).toEqual([]);
    expect(allowedKeys(clientSchema, ["nowhere", "deeper"])).toEqual([]);
  });
});
