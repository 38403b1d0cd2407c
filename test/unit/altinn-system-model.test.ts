import { describe, expect, test } from "vitest";
import { unknownValue } from "../../providers/core/check";
import { normaliseRedirectUrl } from "../../providers/altinn/model";
import {
  changedSystemFields,
  checkSystemInputs,
  systemDeleteOutcome,
  systemIdTakenHint,
  systemOutputs,
  systemReplaces,
  type LiveSystem,
  type SystemInputs,
} from "../../providers/altinn/system-model";

const texts = (s: string) => ({ nb: s, nn: s, en: s });
const smartcloud = {
  systemId: "991825827_smartcloud",
  name: { nb: "SmartCloud 1", nn: "Smart SKY", en: "SmartCloud 1" },
  description: { nb: "SmartCloud er verdens beste system.", nn: "SmartSky er vestlandets beste system", en: "SmartCloud Rocks." },
  rights: [{ resource: [{ id: "urn:altinn:resource", value: "ske-krav-og-betalinger" }] }],
  accessPackages: [{ urn: "urn:altinn:accesspackage:skattegrunnlag" }],
  clientIds: ["32ef65ac-6e62-498d-880f-76c85c2052ae"],
  allowedRedirectUrls: ["https://smartcloud.example.no/receipt"],
  isVisible: true,
};

function reasons(r: { failures: { property: string; reason: string }[] }): Record<string, string> {
  return Object.fromEntries(r.failures.map((f) => [f.property, f.reason]));
}

describe("system inputs: what check refuses before any call", () => {
  test("seed 001's example (with a real host in its redirect URL) passes and is completed", () => {
    const r = checkSystemInputs(smartcloud);
    expect(r.failures).toEqual([]);
    expect(r.inputs).toEqual({ ...smartcloud, vendorOrgNo: "991825827" });
  });

  test("seed 002's system, with name and description only in nb, is refused naming the missing languages", () => {
    const seed002 = {
      systemId: "974761076_skatt_demo_system",
      name: { nb: "Skatteetatens Test SBS" },
      description: { nb: "En beskrivelse av systemet" },
      rights: [{ resource: [{ id: "urn:altinn:resource", value: "ske-innrapportering-boligselskap" }] }],
      clientIds: ["e6c868ef-d9d6-4847-ba25-409bbd040540"],
      isVisible: true,
      allowedRedirectUrls: [],
    };
    const r = checkSystemInputs(seed002);
    expect(reasons(r).name).toBe(
      "needs a text in each of nb, nn and en; nn and en are missing (only nb given). Altinn shows all three and answers 500 when one is missing",
    );
    expect(reasons(r).description).toMatch(/nn and en are missing/);
    expect(r.failures).toHaveLength(2);
  });

  test("a missing name and a name given as one string are refused with the expected shape", () => {
    const { name: _n, ...noName } = smartcloud;
    expect(reasons(checkSystemInputs(noName)).name).toMatch(/^required: texts in bokmål, nynorsk and English/);
    expect(reasons(checkSystemInputs({ ...smartcloud, name: "SmartCloud" })).name).toMatch(/not one string/);
    expect(reasons(checkSystemInputs({ ...smartcloud, name: { ...texts("x"), de: "y" } }))["name.de"]).toMatch(/unknown language de/);
    expect(reasons(checkSystemInputs({ ...smartcloud, name: { ...texts("x"), nn: " " } }))["name.nn"]).toMatch(/must not be empty/);
  });

  test("a system id that is not <vendor orgno>_<name> is refused", () => {
    expect(reasons(checkSystemInputs({ ...smartcloud, systemId: "smartcloud" })).systemId).toMatch(
      /must be <vendor orgno>_<name>, e.g. 991825827_smartcloud/,
    );
    expect(reasons(checkSystemInputs({ ...smartcloud, systemId: "991825827_" })).systemId).toMatch(/must be <vendor orgno>_<name>/);
    expect(reasons(checkSystemInputs({ ...smartcloud, systemId: "acme_smartcloud" })).systemId).toMatch(
      /vendor part must be a 9-digit organisation number/,
    );
  });

  test("a system id with spaces is refused", () => {
    expect(reasons(checkSystemInputs({ ...smartcloud, systemId: "991825827_smart cloud" })).systemId).toMatch(
      /contains spaces: Altinn refuses them \(AUTH.VLD-00013\)/,
    );
  });

  test("a system id with characters that break URL paths is refused", () => {
    expect(reasons(checkSystemInputs({ ...smartcloud, systemId: "991825827_smart/cloud" })).systemId).toMatch(/used in URL paths/);
  });

  test("a vendor orgno that fails the mod-11 check is refused", () => {
    expect(reasons(checkSystemInputs({ ...smartcloud, systemId: "991825828_smartcloud" })).systemId).toMatch(
      /check digit \(mod 11\) should be 7/,
    );
    expect(reasons(checkSystemInputs({ ...smartcloud, vendorOrgNo: "991825828" })).vendorOrgNo).toMatch(/check digit/);
  });

  test("a vendorOrgNo that differs from the id's prefix is refused", () => {
    expect(reasons(checkSystemInputs({ ...smartcloud, vendorOrgNo: "974761076" })).vendorOrgNo).toMatch(
      /is 974761076, but systemId starts with 991825827_/,
    );
  });

  test("a vendor other than the configured digdir:orgNo is refused; without configuration only the format is checked", () => {
    const r = checkSystemInputs(smartcloud, { configuredVendor: "974761076" });
    expect(reasons(r).systemId).toMatch(
      /belongs to vendor 991825827, but the configured vendor \(digdir:orgNo\) is 974761076: .*use 974761076_<name>/,
    );
    expect(checkSystemInputs(smartcloud, { configuredVendor: "991825827" }).failures).toEqual([]);
    expect(checkSystemInputs(smartcloud).failures).toEqual([]);
  });

  test("non-https redirect URLs are refused, each by its index", () => {
    const r = checkSystemInputs({
      ...smartcloud,
      allowedRedirectUrls: ["https://ok.example.no/", "http://smartcloud.example.no/receipt", "/receipt"],
    });
    expect(reasons(r)["allowedRedirectUrls[1]"]).toMatch(/must use https:\/\/ \(Altinn refuses other schemes: AUTH.VLD-00005\)/);
    expect(reasons(r)["allowedRedirectUrls[2]"]).toMatch(/is not an absolute URL/);
    expect(r.failures).toHaveLength(2);
  });

  test("duplicate rights, packages, client ids and redirect URLs are refused naming both positions", () => {
    const right = { resource: [{ id: "urn:altinn:resource", value: "ske-krav-og-betalinger" }] };
    const r = checkSystemInputs({
      ...smartcloud,
      rights: [right, { resource: [{ value: "ske-innrapportering-boligselskap" }] }, right],
      accessPackages: [{ urn: "urn:altinn:accesspackage:skattegrunnlag" }, { urn: "urn:altinn:accesspackage:skattegrunnlag" }],
      clientIds: ["32ef65ac-6e62-498d-880f-76c85c2052ae", "32EF65AC-6E62-498D-880F-76C85C2052AE"],
      allowedRedirectUrls: ["https://Smartcloud.example.no", "https://smartcloud.example.no/"],
    });
    expect(reasons(r)).toEqual({
      "rights[2]": "the same right as rights[0] (ske-krav-og-betalinger): remove the duplicate",
      "accessPackages[1]": "the same package as accessPackages[0] (urn:altinn:accesspackage:skattegrunnlag): remove the duplicate",
      "clientIds[1]": "the same client id as clientIds[0] (32EF65AC-6E62-498D-880F-76C85C2052AE): remove the duplicate",
      "allowedRedirectUrls[1]": "the same URL as allowedRedirectUrls[0] (https://smartcloud.example.no/): remove the duplicate",
    });
  });

  test("isVisible: true with a client package (not assignable) is refused, also when isVisible is left at its default", () => {
    const agentSystem = {
      ...smartcloud,
      accessPackages: [
        { urn: "urn:altinn:accesspackage:skattegrunnlag" },
        { urn: "urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet" },
      ],
    };
    expect(reasons(checkSystemInputs(agentSystem)).isVisible).toMatch(
      /^must be false: accessPackages\[1\] \(urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet\) is a client package, not assignable, .*AUTH.VLD-00018/,
    );
    const { isVisible: _v, ...defaulted } = agentSystem;
    expect(reasons(checkSystemInputs(defaulted)).isVisible).toMatch(/^must be false \(it defaults to true\)/);
    expect(checkSystemInputs({ ...agentSystem, isVisible: false }).failures).toEqual([]);
  });

  test("a package marked isAssignable: false is judged by the hint; a client package marked assignable is let through", () => {
    const hinted = { ...smartcloud, accessPackages: [{ urn: "urn:altinn:accesspackage:some-client-package", isAssignable: false }] };
    expect(reasons(checkSystemInputs(hinted)).isVisible).toMatch(/accessPackages\[0\] \(urn:altinn:accesspackage:some-client-package\)/);
    const overridden = { ...smartcloud, accessPackages: [{ urn: "urn:altinn:accesspackage:regnskapsforer-lonn", isAssignable: true }] };
    expect(checkSystemInputs(overridden).failures).toEqual([]);
  });

  test("rights need the urn:altinn:resource attribute id, filled in when left out", () => {
    const r = checkSystemInputs({ ...smartcloud, rights: [{ resource: [{ value: "ske-krav-og-betalinger" }] }] });
    expect(r.failures).toEqual([]);
    expect(r.inputs.rights).toEqual([{ resource: [{ id: "urn:altinn:resource", value: "ske-krav-og-betalinger" }] }]);
    const bad = checkSystemInputs({ ...smartcloud, rights: [{ resource: [{ id: "urn:altinn:app", value: "x" }] }, { resource: [] }] });
    expect(reasons(bad)["rights[0].resource[0].id"]).toMatch(/must be "urn:altinn:resource" .*AUTH.VLD-00009/);
    expect(reasons(bad)["rights[1].resource"]).toMatch(/needs at least one attribute/);
  });

  test("access packages must be {urn: urn:altinn:accesspackage:<name>}", () => {
    const r = checkSystemInputs({ ...smartcloud, accessPackages: ["urn:altinn:accesspackage:skattegrunnlag", { urn: "skattegrunnlag" }] });
    expect(reasons(r)["accessPackages[0]"]).toMatch(/must be an object \{urn: "urn:altinn:accesspackage:skattegrunnlag"\}/);
    expect(reasons(r)["accessPackages[1].urn"]).toMatch(/must be urn:altinn:accesspackage:<name>/);
  });

  test("the wire's clientId (singular) is refused as an unknown field with the input's name suggested", () => {
    const { clientIds: _c, ...rest } = smartcloud;
    expect(reasons(checkSystemInputs({ ...rest, clientId: ["32ef65ac-6e62-498d-880f-76c85c2052ae"] })).clientId).toBe(
      "unknown field clientId: remove it or check the spelling (did you mean clientIds?)",
    );
  });

  test("defaults are written into the inputs: empty lists, isVisible true, vendorOrgNo from the id", () => {
    const r = checkSystemInputs({ systemId: "991825827_minimal", name: texts("Minimal"), description: texts("Minimal") });
    expect(r.failures).toEqual([]);
    expect(r.inputs).toEqual({
      systemId: "991825827_minimal",
      vendorOrgNo: "991825827",
      name: texts("Minimal"),
      description: texts("Minimal"),
      rights: [],
      accessPackages: [],
      clientIds: [],
      allowedRedirectUrls: [],
      isVisible: true,
    });
  });

  test("client ids not known yet (a MaskinportenClient created in the same run) are kept and not judged", () => {
    const r = checkSystemInputs({ ...smartcloud, clientIds: [unknownValue, unknownValue, "32ef65ac-6e62-498d-880f-76c85c2052ae"] });
    expect(r.failures).toEqual([]);
    expect(r.inputs.clientIds).toEqual([unknownValue, unknownValue, "32ef65ac-6e62-498d-880f-76c85c2052ae"]);
  });

  test("an unknown system id is kept, and the vendor derived from it is unknown too", () => {
    const r = checkSystemInputs({ ...smartcloud, systemId: unknownValue }, { configuredVendor: "974761076" });
    expect(r.failures).toEqual([]);
    expect(r.inputs.vendorOrgNo).toBe(unknownValue);
  });

  test("engine-internal keys such as __provider are not taken for unknown fields", () => {
    expect(checkSystemInputs({ ...smartcloud, __provider: "shim" }).failures).toEqual([]);
  });
});

describe("redirect URLs compare as .NET Uri stores them", () => {
  test("an empty path gets a slash, the host is lower-cased, the default port dropped", () => {
    expect(normaliseRedirectUrl("https://Example.NO")).toBe("https://example.no/");
    expect(normaliseRedirectUrl("https://example.no:443/receipt")).toBe("https://example.no/receipt");
    expect(normaliseRedirectUrl("https://example.no/Receipt?x=1")).toBe("https://example.no/Receipt?x=1");
  });
});

describe("system diff", () => {
  const inputs = checkSystemInputs(smartcloud).inputs;
  const live: LiveSystem = { ...inputs, allowedRedirectUrls: ["https://smartcloud.example.no/receipt"], isDeleted: false };

  test("the outputs of an unchanged system show no change, whatever the order and URL spelling", () => {
    const olds = systemOutputs({ ...live, allowedRedirectUrls: ["https://smartcloud.example.no/receipt"] }, inputs, "guid");
    const news: SystemInputs = {
      ...inputs,
      allowedRedirectUrls: ["https://SmartCloud.example.no:443/receipt"],
      clientIds: [...inputs.clientIds].reverse(),
    };
    expect(changedSystemFields(olds, news)).toEqual([]);
  });

  test("https://example.no declared and https://example.no/ stored are the same URL", () => {
    const olds = systemOutputs({ ...live, allowedRedirectUrls: ["https://example.no/"] }, inputs);
    expect(changedSystemFields(olds, { ...inputs, allowedRedirectUrls: ["https://example.no"] })).toEqual([]);
  });

  test("a changed id is a replacement, other changes are an update", () => {
    const olds = systemOutputs(live, inputs);
    const changed = changedSystemFields(olds, { ...inputs, systemId: "991825827_smartcloud2", isVisible: false });
    expect(changed).toEqual(["systemId", "isVisible"]);
    expect(systemReplaces(changed, { systemId: "991825827_smartcloud2" })).toEqual(["systemId"]);
    // Not known yet (a preview): a change, never on its own a replacement.
    const unknownId = { ...inputs, systemId: unknownValue };
    expect(changedSystemFields(olds, unknownId)).toEqual(["systemId"]);
    expect(systemReplaces(["systemId"], unknownId)).toEqual([]);
    expect(systemReplaces(changedSystemFields(olds, { ...inputs, name: { ...inputs.name, en: "SmartCloud 2" } }))).toEqual([]);
  });

  test("a client id not known yet counts as a change", () => {
    const olds = systemOutputs(live, inputs);
    expect(changedSystemFields(olds, { ...inputs, clientIds: [unknownValue] })).toEqual(["clientIds"]);
  });

  test("an isAssignable hint alone is no change (it is never sent)", () => {
    const olds = systemOutputs(live, inputs);
    expect(
      changedSystemFields(olds, { ...inputs, accessPackages: [{ urn: "urn:altinn:accesspackage:skattegrunnlag", isAssignable: true }] }),
    ).toEqual([]);
  });

  test("the outputs carry the declared hints for packages still on the system", () => {
    const outs = systemOutputs(live, { accessPackages: [{ urn: "urn:altinn:accesspackage:skattegrunnlag", isAssignable: true }] }, "3f2c");
    expect(outs.accessPackages).toEqual([{ urn: "urn:altinn:accesspackage:skattegrunnlag", isAssignable: true }]);
    expect(outs.internalId).toBe("3f2c");
    expect(Object.values(outs)).not.toContain(undefined);
  });
});

describe("burned ids and the delete quirk", () => {
  test("reusing the id of a deleted system says it can never be reused", () => {
    expect(systemIdTakenHint("991825827_smartcloud", { isDeleted: true })).toMatch(
      /The system id 991825827_smartcloud belonged to a system that was deleted\. Altinn never releases a system id.*can never be used again\. Choose a new systemId/,
    );
  });

  test("a 200 delete is done without a follow-up read", () => {
    expect(systemDeleteOutcome(200, "not read")).toBe("deleted");
  });

  test("a 400 delete needs a read, and counts as done when the system shows isDeleted or is gone", () => {
    expect(systemDeleteOutcome(400, "not read")).toBe("needs read");
    expect(systemDeleteOutcome(400, { isDeleted: true })).toBe("deleted");
    expect(systemDeleteOutcome(400, undefined)).toBe("deleted");
    expect(systemDeleteOutcome(400, { isDeleted: false })).toBe("failed");
  });

  test("a 403 or 500 delete fails", () => {
    expect(systemDeleteOutcome(403, "not read")).toBe("failed");
    expect(systemDeleteOutcome(500, { isDeleted: true })).toBe("failed");
  });
});
