import * as path from "node:path";
import { parse } from "yaml";
import { describe, expect, test } from "vitest";
import { exportFile } from "../../stacks/export/cli";
import { clientFromWire, scopeFromWire } from "../../providers/digdir/wire";
import type { LiveOrganisation } from "../../stacks/export/live";
import { uniqueName } from "../../stacks/export/stack-file";
import { unmanagedObjects } from "../../stacks/export/unmanaged";

/** The export's pure half: a live organisation (as read) → a stack file that validates, and the unmanaged listing. */

const ORG = "991825827";
const right = (value: string) => ({ resource: [{ id: "urn:altinn:resource", value }] });
const machine = {
  application_type: "web",
  token_endpoint_auth_method: "private_key_jwt",
  grant_types: ["urn:ietf:params:oauth:grant-type:jwt-bearer"],
  access_token_lifetime: 120,
};

function organisation(): LiveOrganisation {
  return {
    orgNo: ORG,
    adminClientId: "admin",
    clients: [
      {
        client: clientFromWire({
          client_id: "admin",
          client_name: "Admin",
          integration_type: "maskinporten",
          scopes: ["idporten:dcr.write"],
          ...machine,
        }),
        keys: [],
      },
      {
        client: clientFromWire({
          client_id: "c1",
          client_name: "Regnskap API",
          integration_type: "maskinporten",
          scopes: ["altinn:authentication/systemuser.request.read"],
          ...machine,
        }),
        keys: [],
      },
      {
        client: clientFromWire({ client_id: "c2", client_name: "Regnskap API", integration_type: "maskinporten", scopes: [], ...machine }),
        keys: [],
      },
      { client: clientFromWire({ client_id: "c3", client_name: "Post", integration_type: "eformidling", scopes: [] }), keys: [] },
    ],
    scopes: [
      {
        scope: scopeFromWire({ prefix: "leverandor", subscope: "a/b.read", name: "leverandor:a/b.read", description: "Les", active: true }),
        consumers: ["974761076"],
      },
    ],
    systems: [
      {
        system: {
          systemId: `${ORG}_regnskap`,
          vendorOrgNo: ORG,
          name: { nb: "Regnskap", nn: "Rekneskap", en: "Accounting" },
          description: { nb: "R", nn: "R", en: "R" },
          rights: [right("ske-krav-og-betalinger")],
          accessPackages: [],
          clientIds: ["c1"],
          allowedRedirectUrls: [],
          isVisible: true,
          isDeleted: false,
        },
        requests: [
          {
            kind: "standard",
            request: {
              requestId: "r1",
              systemId: `${ORG}_regnskap`,
              partyOrgNo: "310000019",
              externalRef: "310000019",
              rights: [right("ske-krav-og-betalinger")],
              accessPackages: [],
              status: "Accepted",
              timedOut: false,
              escalated: false,
            },
          },
          {
            kind: "standard",
            request: {
              requestId: "r2",
              systemId: `${ORG}_regnskap`,
              partyOrgNo: "310000027",
              externalRef: "avd",
              integrationTitle: "Avdeling",
              rights: [right("ske-krav-og-betalinger")],
              accessPackages: [],
              status: "New",
              timedOut: false,
              escalated: false,
            },
          },
          {
            kind: "standard",
            request: {
              requestId: "r3",
              systemId: `${ORG}_regnskap`,
              partyOrgNo: "310000035",
              externalRef: "310000035",
              rights: [right("ske-krav-og-betalinger")],
              accessPackages: [],
              status: "Rejected",
              timedOut: false,
              escalated: false,
            },
          },
        ],
        systemUsers: [
          { systemUserId: "u1", systemId: `${ORG}_regnskap`, partyOrgNo: "310000019", externalRef: "310000019", userType: "standard" },
          { systemUserId: "u2", systemId: `${ORG}_regnskap`, partyOrgNo: "310000043", externalRef: "310000043", userType: "standard" },
        ],
      },
    ],
  };
}

describe("export", () => {
  test("names are the objects' own, made valid and unique", () => {
    const taken = new Set<string>();
    expect(uniqueName("Regnskap API", taken)).toBe("regnskap-api");
    expect(uniqueName("Regnskap API", taken)).toBe("regnskap-api-2");
    expect(uniqueName("Økonomi & lønn", taken)).toBe("okonomi-lonn");
    expect(uniqueName("!!!", taken)).toBe("object");
  });

  test("the live organisation becomes a stack file that validates, leaving out what it cannot declare and saying so", () => {
    const { text, result, validation } = exportFile(organisation(), "dev", "test", path.resolve("stacks"), "stacks/dev.yaml");
    expect(validation.problems).toEqual([]);
    const doc = parse(text);
    expect(Object.keys(doc.clients)).toEqual(["regnskap-api"]);
    expect(doc.clients["regnskap-api"]).toEqual({
      type: "maskinporten",
      clientId: "c1",
      name: "Regnskap API",
      scopes: ["altinn:authentication/systemuser.request.read"],
      accessTokenLifetime: 120,
    });
    expect(doc.systems).toEqual({
      regnskap: {
        name: { nb: "Regnskap", nn: "Rekneskap", en: "Accounting" },
        description: { nb: "R", nn: "R", en: "R" },
        rights: ["ske-krav-og-betalinger"],
        clients: ["regnskap-api"],
        isVisible: true,
      },
    });
    expect(doc.apiScopes).toEqual({
      "leverandor-a-b.read": { prefix: "leverandor", subscope: "a/b.read", description: "Les", consumers: ["974761076"] },
    });
    // Accepted and pending requests, and the system user a customer created; not the rejected one.
    expect(doc.requests).toEqual({
      regnskap: {
        rights: ["ske-krav-og-betalinger"],
        customers: ["310000019", { orgNo: "310000027", externalRef: "avd", integrationTitle: "Avdeling" }, "310000043"],
      },
    });
    const header = text.slice(0, text.indexOf("organisation:"));
    expect(header).toMatch(/client admin \(Admin\): the admin client this export ran with/);
    expect(header).toMatch(/client c3 \(Post\): integration type eformidling is not one the stack file models/);
    expect(header).toMatch(/client c2 \(Regnskap API\): left out, since the stack file cannot declare it as it is: .*at least one scope/);
    expect(header).toMatch(/310000035 \(Rejected\)/);
    expect(text).toMatch(/# adopted: client c1\n {2}regnskap-api:/);
    expect(text).toMatch(
      /# adopted: 310000019: request r1 \(Accepted\); 310000027: request r2 \(New\); 310000043: system user u2, which has no request/,
    );
    expect(result.ids.requests.map((r) => `${r.partyOrgNo}/${r.externalRef}:${r.status}`)).toEqual([
      "310000019/310000019:Accepted",
      "310000027/avd:New",
      "310000043/310000043:Accepted",
    ]);
  });

  test("the unmanaged listing: what neither the state nor the file has", () => {
    const org = organisation();
    const { validation } = exportFile(org, "dev", "test", path.resolve("stacks"), "stacks/dev.yaml");
    expect(unmanagedObjects(org, new Map(), validation.plan)).toEqual([
      'client c2 (maskinporten, "Regnskap API")',
      'client c3 (eformidling, "Post")',
    ]);
    const everything = unmanagedObjects(org, new Map(), undefined);
    expect(everything).toContain("system 991825827_regnskap");
    expect(everything).toContain("grant of leverandor:a/b.read to 974761076");
    expect(everything).toContain("request 991825827_regnskap/310000027/avd (New)");
    expect(everything.some((l) => l.startsWith("system user u2 of 991825827_regnskap for 310000043"))).toBe(true);
    expect(everything).not.toContain("request 991825827_regnskap/310000035/310000035 (Rejected)");
    // The state counts as managed.
    const managed = new Map([["pulumi-nodejs:dynamic/digdir:MaskinportenClient", new Set(["c2"])]]);
    expect(unmanagedObjects(org, managed, validation.plan)).toEqual(['client c3 (eformidling, "Post")']);
  });
});
