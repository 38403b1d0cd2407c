import { describe, expect, test } from "vitest";
import type { GroupOutputs } from "../../providers/altinn/request-group-model";
import { groupChanges, groupDiff } from "../../providers/altinn/request-group-plan";

const systemId = "991825827_smartcloud";
const right = { resource: [{ id: "urn:altinn:resource", value: "ske-krav-og-betalinger" }] };

describe("groupChanges", () => {
  const olds: Partial<GroupOutputs> = {
    systemId,
    rights: [right],
    customers: { "310000019": {}, "310000027": { name: "Snekkeriet AS" }, "310000035": {} },
    requests: {
      "310000019": { requestId: "a", status: "New" },
      "310000027": { requestId: "b", status: "Accepted", systemUserId: "u" },
      "310000035": { requestId: "", status: "", error: "Altinn answered 500" },
    },
  };

  test("added, removed, changed and failed customers; the rest untouched", () => {
    const news = {
      systemId,
      rights: [right],
      customers: {
        "310000019": { integrationTitle: "Nytt navn" },
        "310000027": { name: "Snekkeriet AS" },
        "310000035": {},
        "310000043": {},
      },
    };
    expect(groupChanges("SystemUserRequestGroup", olds, news)).toEqual({
      added: ["310000043"],
      removed: [],
      changed: ["310000019", "310000035"],
    });
    const fewer = { systemId, rights: [right], customers: { "310000027": { name: "Snekkeriet AS" }, "310000035": {} } };
    expect(groupChanges("SystemUserRequestGroup", olds, fewer)).toEqual({ added: [], removed: ["310000019"], changed: ["310000035"] });
  });

  test("a title change of an accepted customer is no change; a changed group right changes every customer", () => {
    const titled = {
      systemId,
      rights: [right],
      customers: { "310000019": {}, "310000027": { name: "Snekkeriet AS", integrationTitle: "x" }, "310000035": {} },
    };
    expect(groupChanges("SystemUserRequestGroup", olds, titled).changed).toEqual(["310000035"]);
    const other = { resource: [{ id: "urn:altinn:resource", value: "annen" }] };
    const rights = { systemId, rights: [other], customers: { "310000019": {}, "310000027": { name: "Snekkeriet AS" }, "310000035": {} } };
    expect(groupChanges("SystemUserRequestGroup", olds, rights).changed).toEqual(["310000019", "310000027", "310000035"]);
  });

  test("another system replaces the group", () => {
    expect(groupDiff("SystemUserRequestGroup", olds, { systemId: "991825827_other", customers: {} }).replaces).toEqual(["systemId"]);
  });
});
