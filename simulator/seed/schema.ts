import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { isValidOrgNo } from "../core/orgno";

// The seed: organisations (with the API scope prefixes Digdir assigned them), the Maskinporten scope catalogue
// and which organisations may consume which scopes, Resource Registry resources, access packages and KRR persons. The built-in default (default.yaml beside this
// file) is always loaded; each --seed file (YAML or JSON) extends it: list entries with the same key
// (orgNo, scope name, resource identifier, package urn, personidentifikator) replace the default's, others
// are added, and vendorConsumableScopes are unioned.

export const INTEGRATION_TYPES = ["idporten", "api_klient", "ansattporten", "maskinporten", "krr"] as const;
export type IntegrationType = (typeof INTEGRATION_TYPES)[number];

const OrgNo = z
  .string()
  .regex(/^\d{9}$/, "must be 9 digits")
  .refine(isValidOrgNo, "has a wrong check digit (mod 11)");

/** A scope prefix: no syntax is documented (docs.digdir.no: "no specific rules"; the self-service OpenAPI's GET /prefix), only what cannot be part of a scope name. */
export const SCOPE_PREFIX_PATTERN = /^[^\s:"\\]+$/;
const ScopePrefix = z.string().regex(SCOPE_PREFIX_PATTERN, "must be non-empty, without spaces or ':'");

const Organisation = z
  .object({
    orgNo: OrgNo,
    name: z.string().min(1),
    vendor: z.boolean().default(false),
    /** Scopes this organisation may register on its Maskinporten clients, besides vendorConsumableScopes. */
    consumableScopes: z.array(z.string()).default([]),
    /**
     * Scope prefixes Digdir has assigned to this organisation (by hand, in reality): it may create API scopes
     * `<prefix>:<subscope>` with POST /samarbeid/api/v1/scopes.
     */
    scopePrefixes: z.array(ScopePrefix).default([]),
  })
  .strict();

const Scope = z
  .object({
    name: z.string().regex(/^[^\s:]+:\S+$/, "must look like prefix:subscope"),
    /** Shown by GET /samarbeid/api/v1/scopes/all (default: the name). */
    description: z.string().min(1).optional(),
    allowedIntegrationTypes: z.array(z.enum(INTEGRATION_TYPES)).min(1).default(["maskinporten"]),
    /** Caps the access token lifetime of tokens holding this scope (the scope's at_max_age). */
    atMaxAge: z.number().int().positive().optional(),
    /** Open to every organisation (no per-org access control). */
    accessibleForAll: z.boolean().default(false),
  })
  .strict();

// Resources and access packages belong to the Altinn side; only their keys are fixed here, so that module can
// read further fields from the same entries.
const Resource = z.looseObject({ identifier: z.string().min(1), resourceType: z.string().min(1) });
const AccessPackage = z.looseObject({
  urn: z.string().startsWith("urn:altinn:accesspackage:"),
  assignable: z.boolean(),
  delegable: z.boolean(),
});

const Timestamp = z.string().min(1);
const KrrPerson = z
  .object({
    personidentifikator: z.string().regex(/^\d{11}$/, "must be 11 digits"),
    status: z.enum(["AKTIV", "SLETTET", "IKKE_REGISTRERT"]),
    reservasjon: z.enum(["JA", "NEI"]).optional(),
    reservasjonstidspunkt: Timestamp.optional(),
    reservasjon_oppdatert: Timestamp.optional(),
    varslingsstatus: z.enum(["KAN_VARSLES", "KAN_IKKE_VARSLES"]).optional(),
    kontaktinformasjon: z
      .object({
        epostadresse: z.string().optional(),
        epostadresse_oppdatert: Timestamp.optional(),
        epostadresse_sist_verifisert: Timestamp.optional(),
        epostadresse_duplisert: z.string().optional(),
        mobiltelefonnummer: z.string().optional(),
        mobiltelefonnummer_oppdatert: Timestamp.optional(),
        mobiltelefonnummer_sist_verifisert: Timestamp.optional(),
        mobiltelefonnummer_duplisert: z.string().optional(),
      })
      .strict()
      .optional(),
    digital_post: z.object({ postkasseadresse: z.string(), postkasseleverandoeradresse: z.string() }).strict().optional(),
    sertifikat: z.string().optional(),
    spraak: z.enum(["nb", "nn", "en", "se"]).optional(),
    spraak_oppdatert: Timestamp.optional(),
    oppdatert: Timestamp.optional(),
  })
  .strict();

const SeedFile = z
  .object({
    /** The vendor that owns the bootstrap admin client. */
    bootstrapOrgNo: OrgNo.optional(),
    organisations: z.array(Organisation).optional(),
    /** Scopes every vendor organisation may consume (also vendors added with POST /_sim/orgs). */
    vendorConsumableScopes: z.array(z.string()).optional(),
    /** Scopes the admin clients hold (provisioned by Digdir, not consumable otherwise). */
    adminScopes: z.array(z.string()).optional(),
    scopes: z.array(Scope).optional(),
    resources: z.array(Resource).optional(),
    accessPackages: z.array(AccessPackage).optional(),
    krrPersons: z.array(KrrPerson).optional(),
  })
  .strict();

type SeedFile = z.infer<typeof SeedFile>;
export type SeedOrganisation = z.infer<typeof Organisation>;
export type SeedScope = z.infer<typeof Scope>;
export type SeedResource = z.infer<typeof Resource>;
export type SeedAccessPackage = z.infer<typeof AccessPackage>;
export type KrrPerson = z.infer<typeof KrrPerson>;

export interface Seed {
  bootstrapOrgNo: string;
  organisations: SeedOrganisation[];
  vendorConsumableScopes: string[];
  adminScopes: string[];
  scopes: SeedScope[];
  resources: SeedResource[];
  accessPackages: SeedAccessPackage[];
  krrPersons: KrrPerson[];
}

export class SeedError extends Error {}

export function defaultSeedPath(): string {
  // Beside this file when run from source; from dist/simulator/seed, the source tree two levels up.
  const candidates = [join(__dirname, "default.yaml"), join(__dirname, "..", "..", "..", "simulator", "seed", "default.yaml")];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new SeedError(`default seed not found (looked in ${candidates.join(", ")})`);
  return found;
}

/** The default seed extended by the given files (YAML or JSON), validated. */
export function loadSeed(extraFiles: string[] = []): Seed {
  const files = [defaultSeedPath(), ...extraFiles];
  const parts = files.map((file) => readSeedFile(file));
  const seed = parts.reduce<Seed>(mergeSeed, emptySeed());
  checkSeedReferences(seed, files);
  return seed;
}

/** Validate an in-memory seed extension (programmatic use) against the default. */
export function seedFromObject(extension: unknown, label = "seed option"): Seed {
  const base = readSeedFile(defaultSeedPath());
  const seed = mergeSeed(mergeSeed(emptySeed(), base), parseSeedFile(extension, label));
  checkSeedReferences(seed, [label]);
  return seed;
}

function readSeedFile(file: string): SeedFile {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new SeedError(`seed file ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new SeedError(`seed file ${file}: not valid YAML/JSON: ${(err as Error).message}`);
  }
  return parseSeedFile(raw ?? {}, `seed file ${file}`);
}

function parseSeedFile(raw: unknown, label: string): SeedFile {
  const result = SeedFile.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const where = issue.path.length
      ? issue.path
          .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
          .join("")
          .replace(/^\./, "")
      : "(top level)";
    return `  ${where}: ${issue.message}`;
  });
  throw new SeedError(`${label} is invalid:\n${lines.join("\n")}`);
}

function emptySeed(): Seed {
  return {
    bootstrapOrgNo: "",
    organisations: [],
    vendorConsumableScopes: [],
    adminScopes: [],
    scopes: [],
    resources: [],
    accessPackages: [],
    krrPersons: [],
  };
}

function mergeByKey<T>(base: T[], extra: T[] | undefined, key: (t: T) => string): T[] {
  if (!extra) return base;
  const map = new Map(base.map((t) => [key(t), t]));
  for (const t of extra) map.set(key(t), t);
  return [...map.values()];
}

function mergeSeed(base: Seed, file: SeedFile): Seed {
  return {
    bootstrapOrgNo: file.bootstrapOrgNo ?? base.bootstrapOrgNo,
    organisations: mergeByKey(base.organisations, file.organisations, (o) => o.orgNo),
    vendorConsumableScopes: [...new Set([...base.vendorConsumableScopes, ...(file.vendorConsumableScopes ?? [])])],
    adminScopes: [...new Set([...base.adminScopes, ...(file.adminScopes ?? [])])],
    scopes: mergeByKey(base.scopes, file.scopes, (s) => s.name),
    resources: mergeByKey(base.resources, file.resources, (r) => r.identifier),
    accessPackages: mergeByKey(base.accessPackages, file.accessPackages, (p) => p.urn),
    krrPersons: mergeByKey(base.krrPersons, file.krrPersons, (p) => p.personidentifikator),
  };
}

function checkSeedReferences(seed: Seed, files: string[]): void {
  const problems: string[] = [];
  const orgs = new Map(seed.organisations.map((o) => [o.orgNo, o]));
  const vendor = orgs.get(seed.bootstrapOrgNo);
  if (!seed.bootstrapOrgNo) problems.push("bootstrapOrgNo is missing");
  else if (!vendor) problems.push(`bootstrapOrgNo ${seed.bootstrapOrgNo} is not among the organisations`);
  else if (!vendor.vendor) problems.push(`bootstrapOrgNo ${seed.bootstrapOrgNo} must be an organisation with vendor: true`);
  const scopes = new Set(seed.scopes.map((s) => s.name));
  const unknown = (list: string[], where: string) => {
    for (const s of list) if (!scopes.has(s)) problems.push(`${where}: scope "${s}" is not in the scopes catalogue`);
  };
  unknown(seed.vendorConsumableScopes, "vendorConsumableScopes");
  unknown(seed.adminScopes, "adminScopes");
  for (const o of seed.organisations) unknown(o.consumableScopes, `organisation ${o.orgNo}`);
  // A prefix belongs to one organisation; the catalogue's own prefixes (idporten, krr, altinn, ...) to none, so
  // that scopes under an organisation's prefix exist only through the scopes API.
  const prefixOwner = new Map<string, string>();
  for (const o of seed.organisations) {
    for (const p of o.scopePrefixes) {
      const other = prefixOwner.get(p);
      if (other !== undefined && other !== o.orgNo) problems.push(`scope prefix "${p}" is assigned to both ${other} and ${o.orgNo}`);
      prefixOwner.set(p, o.orgNo);
    }
  }
  for (const s of seed.scopes) {
    const prefix = s.name.slice(0, s.name.indexOf(":"));
    const owner = prefixOwner.get(prefix);
    if (owner !== undefined)
      problems.push(`scopes: "${s.name}" uses the prefix "${prefix}" of organisation ${owner}; such scopes are created with POST /scopes`);
  }
  if (problems.length) throw new SeedError(`seed (${files.join(" + ")}) is inconsistent:\n${problems.map((p) => `  ${p}`).join("\n")}`);
}
