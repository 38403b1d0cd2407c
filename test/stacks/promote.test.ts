import * as path from "node:path";
import { parse } from "yaml";
import { describe, expect, test } from "vitest";
import { promoteCommand } from "../../stacks/cli";
import { promotionDiff } from "../../stacks/promote";

const root = path.resolve(__dirname, "../..");

function run(args: string[]): { code: number; lines: string[] } {
  const lines: string[] = [];
  const cwd = process.cwd();
  process.chdir(root);
  try {
    return { code: promoteCommand(args, (l) => lines.push(l)), lines };
  } finally {
    process.chdir(cwd);
  }
}

const staging = "test/stacks/fixtures/promote/staging.yaml";
const production = "test/stacks/fixtures/promote/production.yaml";

describe("npm run promote", () => {
  test("shows what the target lacks, what differs and what only it has, leaving out what is meant to differ", () => {
    expect(run([staging, production])).toEqual({
      code: 0,
      lines: [
        `promotion ${staging} → ${production}`,
        "left out as meant to differ: promotion, public keys (clients.*.keys; a generated key's settings are compared), requests.*.customers, requests.*.redirectUrl, systems.*.allowedRedirectUrls, apiScopes.*.consumers",
        "~ clients.smartcloud.scopes: production lacks altinn:authentication/systemregister.write",
        // The generated key's settings are compared (list form in staging, map form in production); the public key is not.
        "~ clients.smartcloud.keys.rotateAfterDays: staging 90, production 30",
        "- clients.smartcloud.accessTokenLifetime: only in production: 300",
        '+ clients.smartcloud-krr: in staging, not in production: {"type":"krr"}',
        "~ apiScopes.regnskap.description: staging Les regnskapsdata, production Les regnskapsdata i SmartCloud",
        // A scope production lacks is shown without its test consumers.
        '+ apiScopes.partner: in staging, not in production: {"prefix":"smartcloud","subscope":"partner.read","description":"For partners"}',
        "~ systems.smartcloud.rights: production lacks ske-innrapportering-boligselskap",
        '- systems.legacy: only in production: {"name":{"nb":"Gammel","nn":"Gammal","en":"Old"},"description":{"nb":"Gammel","nn":"Gammal","en":"Old"},"rights":["ske-krav-og-betalinger"]}',
        "8 differences: 2 missing in production, 4 different, 2 only in production",
      ],
    });
  });

  test("with --exit-code, a pipeline fails while the target lags behind", () => {
    expect(run([staging, production, "--exit-code"]).code).toBe(1);
    expect(run([staging, staging, "--exit-code"])).toMatchObject({
      code: 0,
      lines: expect.arrayContaining(["staging has everything staging has"]),
    });
  });

  test("--json gives the differences to machines", () => {
    const { lines } = run([staging, production, "--json"]);
    const report = JSON.parse(lines.join("\n")) as { differences: { kind: string; path: string }[] };
    expect(report.differences.map((d) => `${d.kind} ${d.path}`)).toEqual([
      "changed clients.smartcloud.scopes",
      "changed clients.smartcloud.keys.rotateAfterDays",
      "extra clients.smartcloud.accessTokenLifetime",
      "missing clients.smartcloud-krr",
      "changed apiScopes.regnskap.description",
      "missing apiScopes.partner",
      "changed systems.smartcloud.rights",
      "extra systems.legacy",
    ]);
  });

  test("the example prod stack has everything the dev stack has", () => {
    expect(run(["dev", "prod"]).lines.at(-1)).toBe("prod has everything dev has");
  });

  test("refuses to compare a stack file with problems", () => {
    const { code, lines } = run(["test/stacks/fixtures/orgno.yaml", production]);
    expect(code).toBe(1);
    expect(lines.at(-1)).toBe("not compared: correct the problems above first (npm run validate)");
  });
});

describe("the promotion diff", () => {
  const diff = (a: string, b: string, ignore: string[] = []) => promotionDiff(parse(a), parse(b), ignore);

  test("shorthands and their full forms are the same", () => {
    const short = [
      "organisation: { orgNo: 991825827 }",
      "systems: { s: { rights: [ske-krav-og-betalinger], accessPackages: [skattegrunnlag] } }",
      "requests: { s: { customers: [310000019] } }",
    ].join("\n");
    const full = [
      'organisation: { orgNo: "991825827" }',
      "systems: { s: { rights: [{ resource: [{ id: urn:altinn:resource, value: ske-krav-og-betalinger }] }], accessPackages: [{ urn: urn:altinn:accesspackage:skattegrunnlag }] } }",
      'requests: { s: { customers: [{ orgNo: "310000019" }] } }',
    ].join("\n");
    expect(diff(short, full)).toEqual([]);
  });

  test("customers are matched by organisation number and externalRef, not by their place in the list", () => {
    const a =
      'requests: { s: { customers: ["310000019", { orgNo: "310000027", rights: [a] }, { orgNo: "310000027", externalRef: two }] } }';
    const b = 'requests: { s: { customers: [{ orgNo: "310000027", rights: [b] }, "310000019"] } }';
    expect(diff(a, b)).toEqual([
      { kind: "changed", path: "requests.s.customers.310000027.rights", from: ["a"], to: ["b"], lacks: ["a"], adds: ["b"] },
      { kind: "missing", path: "requests.s.customers.310000027/two", from: { orgNo: "310000027", externalRef: "two" } },
    ]);
  });

  test("a scope's consumers are matched by organisation number, written short or in full", () => {
    const a = 'apiScopes: { s: { prefix: p, subscope: x, consumers: ["974761076", 991825827] } }';
    const b = 'apiScopes: { s: { prefix: p, subscope: x, consumers: [{ orgNo: "991825827" }, { orgNo: 974761076, name: Partner }] } }';
    expect(diff(a, b)).toEqual([{ kind: "extra", path: "apiScopes.s.consumers.974761076.name", to: "Partner" }]);
    expect(diff(a, 'apiScopes: { s: { prefix: p, subscope: x, consumers: ["991825827"] } }')).toEqual([
      { kind: "missing", path: "apiScopes.s.consumers.974761076", from: { orgNo: "974761076" } },
    ]);
    expect(diff(a, 'apiScopes: { s: { prefix: p, subscope: x, consumers: ["310000019"] } }', ["apiScopes.*.consumers"])).toEqual([]);
  });

  test("public keys are never compared; the generated key's settings are, in either form", () => {
    const byo = "clients: { c: { type: krr, keys: [{ file: keys/dev.jwk.json }] } }";
    const other = "clients: { c: { type: krr, keys: [{ kty: RSA, kid: prod-1, n: abc, e: AQAB }] } }";
    const none = "clients: { c: { type: krr } }";
    expect(diff(byo, other)).toEqual([]);
    expect(diff(byo, none)).toEqual([]);
    const list = "clients: { c: { type: krr, keys: [{ file: keys/dev.jwk.json }, { generate: true, rotateAfterDays: 90 }] } }";
    const map = "clients: { c: { type: krr, keys: { generate: true, rotateAfterDays: 90 } } }";
    expect(diff(list, map)).toEqual([]);
    expect(diff(map, byo)).toEqual([{ kind: "missing", path: "clients.c.keys", from: { generate: true, rotateAfterDays: 90 } }]);
    expect(diff(list, map.replace("90", "30"))).toEqual([{ kind: "changed", path: "clients.c.keys.rotateAfterDays", from: 90, to: 30 }]);
    expect(diff(list, map.replace("90", "30"), ["clients.*.keys"])).toEqual([]);
  });

  test("a pattern leaves out every value it matches, with * for any one name", () => {
    const a = "clients: { x: { scopes: [a], keys: [k1] }, y: { scopes: [b] } }\nrequests: { s: { customers: [310000019] } }";
    const b = "clients: { x: { scopes: [a], keys: [k2] }, y: { scopes: [c] } }\nrequests: { s: { customers: [974761076] } }";
    expect(diff(a, b, ["requests.*.customers", "clients.y.scopes"])).toEqual([]);
    expect(diff(a, b).map((d) => d.path)).toEqual(["clients.y.scopes", "requests.s.customers.310000019", "requests.s.customers.974761076"]);
  });
});
