import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, test } from "vitest";
import { inlineCustomerFiles, readCustomersCsv } from "../../stacks/csv";
import { planShards } from "../../stacks/groups";
import { promotionDiff } from "../../stacks/promote";
import { formatProblem, StackSource } from "../../stacks/source";
import { validateStackFile } from "../../stacks/validate";

/** A stack file whose group reads customers from `customers.csv` beside it. */
const stackYaml = [
  'organisation: { orgNo: "991825827" }',
  "systems:",
  "  smartcloud:",
  "    name: { nb: SmartCloud, nn: SmartCloud, en: SmartCloud }",
  "    description: { nb: d, nn: d, en: d }",
  "    rights: [ske-krav-og-betalinger, ske-innrapportering-boligselskap]",
  "    accessPackages: [skattegrunnlag]",
  "requests:",
  "  smartcloud:",
  "    rights: [ske-krav-og-betalinger]",
  "    customers:",
  '      - { orgNo: "310000019", name: Bakeriet AS }',
  "    customersFile: customers.csv",
].join("\n");

function validate(csv: string | undefined, yaml = stackYaml) {
  const dir = mkdtempSync(path.join(tmpdir(), "csv-"));
  mkdirSync(path.join(dir, "stacks"));
  writeFileSync(path.join(dir, "stacks", "dev.yaml"), yaml);
  if (csv !== undefined) writeFileSync(path.join(dir, "stacks", "customers.csv"), csv);
  return validateStackFile(path.join(dir, "stacks", "dev.yaml"), { environment: "test", displayName: "stacks/dev.yaml" });
}

const header = "orgNo,name,externalRef,rights,accessPackages";

/** Each mistake, and exactly the problems it gives, at the CSV's own line and column. */
const catalogue: Array<{ what: string; csv: string | undefined; expect: string[] }> = [
  {
    what: "a file that does not exist",
    csv: undefined,
    expect: ["stacks/customers.csv:1:1 cannot read the customers file (no such file)"],
  },
  {
    what: "an empty file",
    csv: "",
    expect: [
      "stacks/customers.csv:1:1 the file is empty: it needs a header row naming its columns (orgNo,name,externalRef,rights,accessPackages), then one customer a line",
    ],
  },
  {
    what: "no header row",
    csv: "310000027,Snekkeriet AS,,,\n",
    expect: [
      "stacks/customers.csv:1:1 the first row is a customer, not a header: add a header row first (orgNo,name,externalRef,rights,accessPackages)",
    ],
  },
  {
    what: "an unknown and a repeated column",
    csv: "orgNo,navn,colour,name\n310000027,Snekkeriet AS,red,Snekkeriet\n",
    expect: [
      'stacks/customers.csv:1:12 unknown column "colour"; the columns are orgNo, name, externalRef, rights, accessPackages (a header row first)',
      "stacks/customers.csv:1:19 the column name is named twice (first at column 7): remove one",
    ],
  },
  {
    what: "a misspelt column",
    csv: "orgNo,externalRefs\n310000027,x\n",
    expect: [
      'stacks/customers.csv:1:7 unknown column "externalRefs": did you mean externalRef?; the columns are orgNo, name, externalRef, rights, accessPackages (a header row first)',
    ],
  },
  {
    what: "no orgNo column",
    csv: "name,rights\nSnekkeriet AS,\n",
    expect: [
      "stacks/customers.csv:1:1 no orgNo column: the header row must name the customers' organisation numbers (orgNo), e.g. orgNo,name,externalRef,rights,accessPackages",
    ],
  },
  {
    what: "rows with too many and too few cells",
    csv: `${header}\n310000027,Snekkeriet, AS,,,\n310000035,Borettslaget\n`,
    expect: [
      "stacks/customers.csv:2:28 6 cells, but the header names 5 columns: put a cell with a comma in quotes, or remove the extra cells",
      "stacks/customers.csv:3:23 2 cells, but the header names 5 columns: add the missing cells (empty for the group's value)",
    ],
  },
  {
    what: "an unclosed quote, and a quote inside an unquoted cell",
    csv: `${header}\n310000027,Snekke"riet,,,\n310000035,"Borettslaget\n`,
    expect: [
      'stacks/customers.csv:2:17 a quote inside an unquoted cell: put the whole cell in quotes and write "" for the quote',
      'stacks/customers.csv:3:11 a quoted cell is not closed: end it with ", and write "" for a quote inside it',
    ],
  },
  {
    what: "organisation numbers: a wrong check digit, too short, missing",
    csv: `${header}\n310000028,A,,,\n31000002,B,,,\n,C,,,\n`,
    expect: [
      expect.stringMatching(/^stacks\/customers\.csv:2:1 orgNo: .*310000028.*check digit/),
      expect.stringMatching(/^stacks\/customers\.csv:3:1 orgNo: .*9-digit organisation number; "31000002" has 8 digits/),
      "stacks/customers.csv:4:1 no organisation number: every row is a customer and needs its orgNo",
    ] as unknown as string[],
  },
  {
    what: "a right and a package the system does not offer, a bad externalRef",
    csv: `${header}\n310000027,A,,ske-krav-og-betalinger;ikke-tilbudt,\n310000035,B,avd/bergen,,ukjent-pakke\n`,
    expect: [
      expect.stringMatching(/^stacks\/customers\.csv:2:14 rights\[1\]: ikke-tilbudt is not among the system's rights/),
      expect.stringMatching(/^stacks\/customers\.csv:3:13 externalRef: "avd\/bergen" contains/),
      expect.stringMatching(
        /^stacks\/customers\.csv:3:25 accessPackages\[0\]: urn:altinn:accesspackage:ukjent-pakke is not among the system's access packages/,
      ),
    ] as unknown as string[],
  },
  {
    what: "the same customer twice, and once more in the YAML",
    csv: `${header}\n310000027,A,,,\n310000019,Bakeriet igjen,,,\n"310000027",A again,,,\n`,
    expect: [
      "stacks/customers.csv:3:1 customer 310000019 (externalRef 310000019) of system `smartcloud` is also requested at line 12: Altinn keeps one request per system, customer and externalRef; remove one, or give each its own externalRef",
      "stacks/customers.csv:4:1 customer 310000027 (externalRef 310000027) of system `smartcloud` is also requested at stacks/customers.csv:2: Altinn keeps one request per system, customer and externalRef; remove one, or give each its own externalRef",
    ],
  },
];

describe("customers from a CSV file: every problem at its file:line:col", () => {
  for (const c of catalogue) {
    test(c.what, () => {
      const { problems } = validate(c.csv);
      expect(problems.map(formatProblem)).toEqual(c.expect);
    });
  }

  test("a valid file: quoted cells, a BOM, CRLF, blank lines, lists by ; or space, empty cells take the group's value", () => {
    const csv = `\uFEFFOrgNo,Name,externalRef,rights,accessPackages\r\n310000027,"Snekkeriet ""Nord"" AS",,,\r\n\r\n310000035,"Borettslag, Bergen",avd-bergen,ske-krav-og-betalinger ske-innrapportering-boligselskap,skattegrunnlag\r\n`;
    const { problems, plan } = validate(csv);
    expect(problems).toEqual([]);
    expect(
      plan.requests.map((r) => ({ name: r.name, customer: r.customer, own: r.own, rights: (r.args.rights as unknown[]).length })),
    ).toEqual([
      { name: "smartcloud/310000019", customer: { orgNo: "310000019", name: "Bakeriet AS" }, own: [], rights: 1 },
      { name: "smartcloud/310000027", customer: { orgNo: "310000027", name: 'Snekkeriet "Nord" AS' }, own: [], rights: 1 },
      {
        name: "smartcloud/310000035/avd-bergen",
        customer: { orgNo: "310000035", name: "Borettslag, Bergen" },
        own: ["externalRef", "rights", "accessPackages"],
        rights: 2,
      },
    ]);
    const shards = planShards(plan);
    const keys = shards.flatMap((s) => Object.keys(s.args.customers as object)).sort();
    expect(keys).toEqual(["310000019", "310000027", "310000035/avd-bergen"]);
  });

  test("a group without customers or a file is refused", () => {
    const yaml = stackYaml.replace(/ {4}customers:\n.*\n {4}customersFile: customers.csv/, "    integrationTitle: x");
    expect(validate(undefined, yaml).problems.map(formatProblem)).toEqual([
      "stacks/dev.yaml:9:3 requests.smartcloud: a group needs `customers:` (a list), `customersFile:` (a CSV file beside the stack file), or both",
    ]);
  });

  test("promotion compares the customers of both files, not their file names", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "promote-csv-"));
    writeFileSync(path.join(dir, "dev.csv"), `${header}\n310000027,A,,,\n310000035,B,,,\n`);
    writeFileSync(path.join(dir, "prod.csv"), `${header}\n310000027,A,,,\n`);
    const data = (file: string) => inlineCustomerFiles(new StackSource("x.yaml", stackYaml.replace("customers.csv", file)).data(), dir);
    const diffs = promotionDiff(data("dev.csv"), data("prod.csv"), []);
    expect(diffs).toEqual([{ kind: "missing", path: "requests.smartcloud.customers.310000035", from: { orgNo: "310000035", name: "B" } }]);
  });

  test("the reader alone: cells keep their positions", () => {
    const { customers, problems } = readCustomersCsv(`orgNo,name\n310000027,"two\nlines"\n310000035,x\n`, "c.csv");
    expect(problems).toEqual([]);
    expect(customers.map((c) => [c.line, c.cells.orgNo?.col, c.cells.name?.line, c.decl.name])).toEqual([
      [2, 1, 2, "two\nlines"],
      [4, 1, 4, "x"],
    ]);
  });
});
