import { describe, expect, test } from "vitest";
import { checkGroupInputs, customerKey, parseCustomerKey, shardOf } from "../../providers/altinn/request-group-model";
import { unknownValue } from "../../providers/core/check";

const systemId = "991825827_smartcloud";
const right = { resource: [{ id: "urn:altinn:resource", value: "ske-krav-og-betalinger" }] };
const offer = { rights: [right], accessPackages: [], allowedRedirectUrls: ["https://smartcloud.example/back"] };

describe("shards", () => {
  test("a customer's shard depends on the customer alone: adding or removing others never moves it", () => {
    const first = Array.from({ length: 500 }, (_, i) => [`31000001${i % 10}`, `ref-${i}`] as const);
    const before = new Map(first.map(([o, r]) => [`${o}/${r}`, shardOf(o, r, 16)]));
    const more = Array.from({ length: 5000 }, (_, i) => [`9${String(i).padStart(8, "0")}`, `x-${i}`] as const);
    // Assigned again among many more customers, and after removing every other one of the first.
    const all = [...first.filter((_, i) => i % 2 === 0), ...more];
    for (const [o, r] of all.slice(0, 250)) expect(shardOf(o, r, 16)).toBe(before.get(`${o}/${r}`));
    // The default externalRef is the orgNo: both spellings of the key land together.
    expect(shardOf("310000019", undefined, 16)).toBe(shardOf("310000019", "310000019", 16));
    // Spread: no shard holds more than twice its share of 5,000 customers.
    const counts = new Array(16).fill(0);
    for (const [o, r] of more) counts[shardOf(o, r, 16)]++;
    expect(Math.max(...counts)).toBeLessThan((2 * 5000) / 16);
    expect(Math.min(...counts)).toBeGreaterThan(5000 / 16 / 2);
  });

  test("customer keys", () => {
    expect(customerKey("310000019")).toBe("310000019");
    expect(customerKey("310000019", "310000019")).toBe("310000019");
    expect(customerKey("310000019", "avd-bergen")).toBe("310000019/avd-bergen");
    expect(parseCustomerKey("310000019/avd-bergen")).toEqual({ partyOrgNo: "310000019", externalRef: "avd-bergen" });
    expect(parseCustomerKey("310000019")).toEqual({ partyOrgNo: "310000019", externalRef: "310000019" });
  });
});

describe("checkGroupInputs", () => {
  test("completes the group's fields and keeps each customer's own", () => {
    const { inputs, failures } = checkGroupInputs("SystemUserRequestGroup", {
      systemId,
      systemOffer: offer,
      rights: [{ resource: [{ value: "ske-krav-og-betalinger" }] }],
      customers: { "310000019": { name: "Bakeriet AS" }, "310000027/avd": { redirectUrl: "https://smartcloud.example/back" } },
    });
    expect(failures).toEqual([]);
    expect(inputs.rights).toEqual([right]);
    expect(inputs.customers).toEqual({
      "310000019": { name: "Bakeriet AS" },
      "310000027/avd": { redirectUrl: "https://smartcloud.example/back" },
    });
    // The system's offer is judged, then left out: the inputs say what the customers are asked.
    expect(inputs).not.toHaveProperty("systemOffer");
  });

  test("names the customer for its own problems, the group's field once for the group's", () => {
    const { failures } = checkGroupInputs("SystemUserRequestGroup", {
      systemId,
      systemOffer: offer,
      rights: [{ resource: [{ value: "not-offered" }] }],
      customers: {
        "310000018": {},
        "310000027": { rights: [{ resource: [{ value: "also-not" }] }], colour: "red" },
        "310000035": {},
        "310000035/310000035": {},
        "310000043/bad/ref": {},
      },
    });
    const props = failures.map((f) => f.property);
    expect(props).toContain('customers["310000018"]');
    expect(failures.find((f) => f.property === 'customers["310000018"]')!.reason).toMatch(/310000018/);
    expect(props).toContain('customers["310000027"].rights[0]');
    expect(props).toContain('customers["310000027"].colour');
    expect(props.filter((p) => p === "rights[0]")).toHaveLength(1);
    expect(failures.find((f) => f.property === "rights[0]")!.reason).toMatch(/for every customer that does not set its own rights/);
    expect(props).toContain('customers["310000035/310000035"]');
    expect(props).toContain('customers["310000043/bad/ref"]');
  });

  test("many customers with the same contents get the failures each would get alone", () => {
    // The group's request contents are judged once per distinct contents, the key of every customer (the check's
    // cost at 10,000 customers): the outcome must be what judging each customer in a group of its own gives, the
    // group's own failures said once.
    const group = { systemId, systemOffer: offer, rights: [{ resource: [{ value: "not-offered" }] }], integrationTitle: "Regnskap" };
    const customers: Record<string, Record<string, unknown>> = {};
    for (let i = 0; i < 120; i++)
      customers[`${["310000019", "310000027", "310000035", "310000043"][i % 4]}/c-${i}`] = i % 3 ? {} : { name: `K ${i}` };
    Object.assign(customers, {
      "310000018/bad-orgno": {},
      "310000019/ lead": { name: "x" },
      "310000019/pct%": {},
      "310000027/own-right": { rights: [right] },
      "310000035/own-bad-right": { rights: [{ resource: [{ value: "also-not" }] }] },
      "310000043/own-bad-title": { integrationTitle: "two\nlines" },
      "310000043/own-title": { integrationTitle: "Eget" },
      ["310000019/" + "x".repeat(300)]: {},
    });
    for (const kind of ["SystemUserRequestGroup", "AgentSystemUserRequestGroup"] as const) {
      const together = checkGroupInputs(kind, { ...group, customers }).failures;
      const alone = Object.entries(customers).flatMap(([k, c]) => checkGroupInputs(kind, { ...group, customers: { [k]: c } }).failures);
      const once = new Map(alone.map((f) => [JSON.stringify(f), f]));
      const expected = alone.filter((f) => f.property.startsWith("customers[") || once.delete(JSON.stringify(f)));
      const sorted = (fs: Array<{ property: string; reason: string }>) => fs.map((f) => JSON.stringify(f)).sort();
      expect(sorted(together)).toEqual(sorted(expected));
      // A bad orgno, three bad externalRefs, a bad own title, and the group's right (standard) or rights (agent).
      expect(together.filter((f) => f.property.startsWith("customers[")).length).toBeGreaterThanOrEqual(5);
      expect(together.some((f) => f.property.includes(" lead"))).toBe(true);
    }
  });

  test("unknown customers (a preview) are not judged", () => {
    const { failures } = checkGroupInputs("SystemUserRequestGroup", { systemId, rights: [right], customers: unknownValue });
    expect(failures).toEqual([]);
  });

  test("agent groups take packages, not rights", () => {
    const { failures } = checkGroupInputs("AgentSystemUserRequestGroup", { systemId, rights: [right], customers: { "310000019": {} } });
    expect(failures.map((f) => f.property)).toEqual(expect.arrayContaining(["rights", "accessPackages"]));
  });
});
