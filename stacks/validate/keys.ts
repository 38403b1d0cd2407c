import type { ClientKeysArgs } from "../../providers";
import { isPlainObject as isRecord } from "../../providers/core/check";
import { checkClientKeysInputs } from "../../providers/digdir/client-keys-model";
import { keyEntrySchema, keyFileSchema, keyPolicyFields, keyPolicySchema } from "../schema";
import { parsePath, pathString, type Path } from "../../providers/core/path";
import { didYouMean } from "../../providers/core/suggest";
import { keyFile } from "./key-files";
import { judgedArgs, type PlannedKeySet } from "./plan";
import type { ValidationRun } from "./run";
import { describe } from "./words";

/** The keys a key entry may hold beside the generated key's settings: those of a key (refused together). */
const keyMaterial = ["file", "kty", "kid", "n", "e"];

const isSettings = (v: unknown) => isRecord(v) && Object.keys(v).some((k) => keyPolicyFields.includes(k));

/**
 * A client's `keys` → one key set, checked as one ClientKeys by client-keys-model.ts. `keys` is a list of entries
 * (inline public JWKs, committed files, and at most one entry of generated-key settings), or a map: short for a
 * list holding only the generated key's settings. A file's keys are reported at its entry. `kids` records every
 * key id of the file by client: a key id is unique across Digdir.
 */
export function clientKeys(run: ValidationRun, client: string, raw: unknown, kids: Map<string, string>): PlannedKeySet | undefined {
  const base: Path = ["clients", client, "keys"];
  let entries: { raw: unknown; at: Path }[];
  if (Array.isArray(raw)) entries = raw.map((r, i) => ({ raw: r, at: [...base, i] }));
  else if (isSettings(raw)) entries = [{ raw, at: base }];
  else {
    run.at(base, notAKeyList(raw));
    return undefined;
  }
  if (!entries.length) return undefined;

  const jwks: { jwk: Record<string, unknown>; at: Path; file?: string }[] = [];
  let policy: { values: Record<string, unknown>; at: Path } | undefined;
  let refused = false;
  for (const { raw: rawEntry, at } of entries) {
    const entry = run.parse(keyEntrySchema, rawEntry, at);
    refused ||= !entry;
    if (!entry) continue;
    if (isSettings(entry)) {
      const material = Object.keys(entry).filter((k) => keyMaterial.includes(k));
      if (material.length) {
        refused = true;
        run.at(at, keyAndSettings(material));
      } else if (policy) {
        run.at(at, settingsTwice(run.lineOf(policy.at)));
      } else {
        const values = run.parse(keyPolicySchema, entry, at);
        if (values) policy = { values: Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)), at };
      }
      continue;
    }
    if (!("file" in entry)) {
      jwks.push({ jwk: entry, at });
      continue;
    }
    const decl = run.parse(keyFileSchema, entry, at);
    if (!decl) continue;
    for (const jwk of keyFile(run, client, decl.file, decl.kid, at)) jwks.push({ jwk, at, file: decl.file });
  }
  // Every entry refused already: the set's own rules (at least one key) would only repeat it.
  if (refused && !jwks.length && !policy) return undefined;
  const { failures } = checkClientKeysInputs({ clientId: client, keys: jwks.map((j) => j.jwk), ...policy?.values }, run.now);
  for (const f of failures) {
    const segs = parsePath(f.property);
    if (segs[0] === "keys" && typeof segs[1] === "number" && jwks[segs[1]]) {
      const j = jwks[segs[1]]!;
      const rest = segs.slice(2);
      if (j.file) run.at(j.at, `${j.file}${rest.length ? ` ${pathString(rest)}` : ""}: ${f.reason}`);
      else run.at([...j.at, ...rest], f.reason);
    } else if (policy && typeof segs[0] === "string" && keyPolicyFields.includes(segs[0])) {
      run.at([...policy.at, ...segs], f.reason);
    } else {
      run.at(base, f.reason);
    }
  }
  for (const j of jwks) {
    const kid = j.jwk.kid;
    if (typeof kid !== "string") continue;
    const other = kids.get(kid);
    if (other && other !== client) run.at(j.file ? j.at : [...j.at, "kid"], kidOfAnotherClient(kid, other));
    kids.set(kid, client);
  }
  if (policy) keyVerification(run, client, policy.values, policy.at);
  const { keys = [], ...policyArgs } = judgedArgs<Omit<ClientKeysArgs, "clientId">>({ keys: jwks.map((j) => j.jwk), ...policy?.values });
  return { keys, policy: policyArgs };
}

/**
 * What only the whole client can tell about `verifyToken`: the provider proves a new key by getting a Maskinporten
 * token with it, for `verifyScope` or the client's first scope, so the client must be a Maskinporten or KRR client
 * and the scope one of its own.
 */
function keyVerification(run: ValidationRun, client: string, policy: Record<string, unknown>, at: Path): void {
  const inputs = run.checkedClients.get(client);
  if (!inputs) return;
  const machine = inputs.integrationType === "maskinporten" || inputs.integrationType === "krr";
  if (policy.verifyToken === true && !machine) run.at([...at, "verifyToken"], cannotVerify(inputs.integrationType));
  if (typeof policy.verifyScope === "string" && machine && Array.isArray(inputs.scopes) && !inputs.scopes.includes(policy.verifyScope))
    run.at([...at, "verifyScope"], notTheClientsScope(policy.verifyScope, inputs.scopes));
}

function notAKeyList(raw: unknown): string {
  return isRecord(raw)
    ? "must be a list of keys, e.g. [{file: keys/smartcloud.jwk.json}]: a map here stands only for the generated key's settings, {generate: true, rotateAfterDays, ...}"
    : `must be a list of keys (public JWKs, {file: <path>}), or the generated key's settings {generate: true, rotateAfterDays, ...}, not ${describe(raw)}`;
}

function keyAndSettings(material: string[]): string {
  return `holds both a key (${material.join(", ")}) and the generated key's settings: write the key and the settings ({generate: true, ...}) as two entries`;
}

function settingsTwice(firstLine: number): string {
  return `the generated key's settings appear twice (first at line ${firstLine}): a client has one generated key; write its settings once`;
}

function kidOfAnotherClient(kid: string, other: string): string {
  return `the key id "${kid}" is also registered on client \`${other}\`: Digdir requires every kid to be unique (and a key belongs to one client); give each key its own kid`;
}

function cannotVerify(integrationType: string): string {
  return `proves a new key with a Maskinporten token, which an ${integrationType} client cannot get: remove verifyToken (only maskinporten and krr clients can verify their keys)`;
}

function notTheClientsScope(scope: string, scopes: string[]): string {
  return `"${scope}" is not one of the client's scopes (${scopes.join(", ")}): Maskinporten gives a token only for a scope registered on the client${didYouMean(scope, scopes)}`;
}
