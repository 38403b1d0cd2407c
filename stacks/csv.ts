import { readFileSync } from "node:fs";
import * as path from "node:path";
import { isPlainObject as isRecord } from "../providers/core/check";
import type { Problem } from "./source";
import { nearest } from "../providers/core/suggest";

/**
 * A request group's customers from a CSV file beside the stack file (`customersFile:`, stacks/README.md, "Customers
 * from a CSV file"): a header row naming the columns, then one customer a line. RFC 4180 quoting (`"..."`, `""` for
 * a quote inside); a list cell (rights, access packages) separates its items with `;` or spaces; an empty cell
 * means the group's value. Every problem is positioned `file:line:col`, the column of the cell.
 */

export const csvColumns = ["orgNo", "name", "externalRef", "rights", "accessPackages"] as const;
export type CsvColumn = (typeof csvColumns)[number];

/** Other spellings of a column in a header, as people export them from spreadsheets. */
const aliases: Record<string, CsvColumn> = {
  orgno: "orgNo",
  organisationsnummer: "orgNo",
  orgnr: "orgNo",
  "org number": "orgNo",
  "organisation number": "orgNo",
  "organization number": "orgNo",
  name: "name",
  navn: "name",
  externalref: "externalRef",
  "external ref": "externalRef",
  rights: "rights",
  accesspackages: "accessPackages",
  "access packages": "accessPackages",
};

export interface Cell {
  value: string;
  line: number;
  col: number;
}

export interface CsvCustomer {
  /** The row's first line. */
  line: number;
  /** The cells the row fills (empty cells are left out: the group's value applies). */
  cells: Partial<Record<CsvColumn, Cell>>;
  /** As a customer entry of the stack file: `{orgNo, name?, externalRef?, rights?, accessPackages?}`. */
  decl: Record<string, unknown>;
}

export interface CsvResult {
  customers: CsvCustomer[];
  problems: Problem[];
}

/** Splits CSV text into rows of positioned cells; problems for unterminated quotes and stray quotes. */
export function parseCsv(text: string, file: string): { rows: Cell[][]; problems: Problem[] } {
  const rows: Cell[][] = [];
  const problems: Problem[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a byte-order mark (spreadsheets write one)
  let line = 1;
  let lineStart = i;
  const n = text.length;
  while (i < n) {
    const row: Cell[] = [];
    const rowLine = line;
    for (;;) {
      const col = i - lineStart + 1;
      const cellLine = line;
      let value = "";
      if (text[i] === '"') {
        i++;
        let closed = false;
        while (i < n) {
          const ch = text[i]!;
          if (ch === '"') {
            if (text[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          if (ch === "\n") {
            line++;
            lineStart = i + 1;
          }
          value += ch;
          i++;
        }
        if (!closed) {
          problems.push({
            file,
            line: cellLine,
            col,
            path: "",
            message: 'a quoted cell is not closed: end it with ", and write "" for a quote inside it',
          });
          return { rows, problems };
        }
        // After the closing quote: the next separator or the end of the line.
        const rest = /^[^,\r\n]*/.exec(text.slice(i, i + 200))![0];
        if (rest.trim())
          problems.push({
            file,
            line,
            col: i - lineStart + 1,
            path: "",
            message: `text after a quoted cell ("${rest.trim()}"): put the whole cell in quotes`,
          });
        i += rest.length;
      } else {
        const start = i;
        while (i < n && text[i] !== "," && text[i] !== "\n" && text[i] !== "\r") i++;
        value = text.slice(start, i);
        if (value.includes('"'))
          problems.push({
            file,
            line,
            col: col + value.indexOf('"'),
            path: "",
            message: 'a quote inside an unquoted cell: put the whole cell in quotes and write "" for the quote',
          });
      }
      row.push({ value, line: cellLine, col });
      if (text[i] === ",") {
        i++;
        continue;
      }
      break;
    }
    if (text[i] === "\r") i++;
    if (text[i] === "\n") i++;
    line++;
    lineStart = i;
    // A blank line separates nothing: skipped.
    if (!(row.length === 1 && row[0]!.value.trim() === "")) rows.push(row.map((c) => ({ ...c, line: c.line ?? rowLine })));
  }
  return { rows, problems };
}

/**
 * The customers of a CSV file, with every problem of its shape: the header (required columns, unknown or repeated
 * ones), rows with too many or too few cells, and cells that cannot be a value of their column. What the values
 * mean (organisation numbers, rights the system offers, repeated customers) the stack validator judges, with the
 * providers' own checks, at each cell's position.
 */
export function readCustomersCsv(text: string, file: string): CsvResult {
  const { rows, problems } = parseCsv(text, file);
  const at = (line: number, col: number, message: string) => problems.push({ file, line, col, path: "", message });
  const customers: CsvCustomer[] = [];
  const header = rows[0];
  if (!header) {
    at(1, 1, `the file is empty: it needs a header row naming its columns (${csvColumns.join(",")}), then one customer a line`);
    return { customers, problems };
  }
  const columns: Array<CsvColumn | undefined> = [];
  const seen = new Map<CsvColumn, Cell>();
  if (!header.some((c) => aliases[c.value.trim().toLowerCase()]) && header.some((c) => /^\d{9}$/.test(c.value.trim()))) {
    at(header[0]!.line, 1, `the first row is a customer, not a header: add a header row first (${csvColumns.join(",")})`);
    return { customers, problems };
  }
  for (const cell of header) {
    const name = cell.value.trim();
    const column = aliases[name.toLowerCase()];
    if (!column) {
      at(cell.line, cell.col, unknownColumn(name));
      columns.push(undefined);
      continue;
    }
    const first = seen.get(column);
    if (first) at(cell.line, cell.col, `the column ${column} is named twice (first at column ${first.col}): remove one`);
    seen.set(column, cell);
    columns.push(first ? undefined : column);
  }
  if (!seen.has("orgNo")) {
    at(header[0]!.line, 1, noOrgNoColumn());
    return { customers, problems };
  }
  for (const row of rows.slice(1)) {
    const line = row[0]!.line;
    if (row.length !== header.length) {
      const last = row[row.length - 1]!;
      at(line, row.length > header.length ? row[header.length]!.col : last.col + last.value.length, cellCount(row.length, header.length));
      if (row.length < header.length && !row.some((c, i) => columns[i] === "orgNo" && c.value.trim())) continue;
    }
    const cells: Partial<Record<CsvColumn, Cell>> = {};
    const decl: Record<string, unknown> = {};
    row.forEach((cell, i) => {
      const column = columns[i];
      const value = cell.value.trim();
      if (!column || value === "") return;
      cells[column] = cell;
      if (column === "rights" || column === "accessPackages") decl[column] = value.split(/[;\s]+/).filter(Boolean);
      else decl[column] = value;
    });
    if (!cells.orgNo) {
      at(line, (row[columns.indexOf("orgNo")] ?? row[0]!).col, "no organisation number: every row is a customer and needs its orgNo");
      continue;
    }
    customers.push({ line, cells, decl });
  }
  return { customers, problems };
}

function unknownColumn(name: string): string {
  const near = nearest(name, [...csvColumns]);
  return `unknown column "${name}"${near ? `: did you mean ${near}?` : ""}; the columns are ${csvColumns.join(", ")} (a header row first)`;
}

function noOrgNoColumn(): string {
  return `no orgNo column: the header row must name the customers' organisation numbers (orgNo), e.g. ${csvColumns.join(",")}`;
}

function cellCount(cells: number, columns: number): string {
  const fix =
    cells > columns
      ? "put a cell with a comma in quotes, or remove the extra cells"
      : "add the missing cells (empty for the group's value)";
  return `${cells} cells, but the header names ${columns} columns: ${fix}`;
}

/** Reads a group's customers file; `shown` is how problems name it. */
export function readCustomersFile(file: string, shown: string): CsvResult {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message;
    return { customers: [], problems: [{ file: shown, line: 1, col: 1, path: "", message: `cannot read the customers file (${why})` }] };
  }
  return readCustomersCsv(text, shown);
}

/**
 * The stack file's data with each group's `customersFile` read into its `customers` (after those written in the
 * YAML), for promotion: two environments compare their customers, not the names of their files.
 */
export function inlineCustomerFiles(data: unknown, dir: string): unknown {
  if (!isRecord(data)) return data;
  const out: Record<string, unknown> = { ...data };
  for (const section of ["requests", "agentRequests"]) {
    const groups = data[section];
    if (!isRecord(groups)) continue;
    out[section] = Object.fromEntries(
      Object.entries(groups).map(([name, g]) => {
        if (!isRecord(g) || typeof g.customersFile !== "string") return [name, g];
        const { customersFile, ...rest } = g;
        const fromFile = readCustomersFile(path.resolve(dir, customersFile), customersFile).customers.map((c) => c.decl);
        return [name, { ...rest, customers: [...(Array.isArray(g.customers) ? g.customers : []), ...fromFile] }];
      }),
    );
  }
  return out;
}
