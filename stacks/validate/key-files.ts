import { createPublicKey } from "node:crypto";
import * as path from "node:path";
import { isPlainObject as isRecord } from "../../providers/core/check";
import type { Path } from "../../providers/core/path";
import { maxKeyFileBytes, type ValidationRun } from "./run";
import { readFailure } from "./words";

/**
 * A committed public key: a JWK, a JWKS (`{keys: [...]}`) or a PEM public key (with `kid` beside `file`), read
 * relative to the stack file and returned as JWKs. A private key is refused without being parsed.
 */
export function keyFile(run: ValidationRun, client: string, file: string, kid: string | undefined, at: Path): Record<string, unknown>[] {
  let text: string;
  try {
    text = run.readFile(path.resolve(run.dir, file));
  } catch (e) {
    run.at([...at, "file"], unreadableKeyFile(file, readFailure(e)));
    return [];
  }
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    run.at([...at, "file"], privateKeyFile(file));
    return [];
  }
  if (/-----BEGIN (PUBLIC KEY|RSA PUBLIC KEY|CERTIFICATE)-----/.test(text)) return pemKey(run, client, file, text, kid, at);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    run.at([...at, "file"], `${file} is neither JSON (a JWK or JWKS) nor a PEM public key: ${(e as Error).message}`);
    return [];
  }
  const keys = isRecord(json) && Array.isArray(json.keys) ? (json.keys as unknown[]) : [json];
  if (!keys.every(isRecord)) {
    run.at([...at, "file"], `${file} must hold a JWK object or a JWKS {keys: [...]}`);
    return [];
  }
  if (kid === undefined) return keys;
  if (keys.length !== 1) {
    run.at([...at, "kid"], kidForSeveralKeys(file, keys.length));
    return keys;
  }
  const own = keys[0]!.kid;
  if (own !== undefined && own !== kid) {
    run.at([...at, "kid"], `is "${kid}", but the key in ${file} has kid "${String(own)}": remove \`kid:\` here, or make them the same`);
    return keys;
  }
  return [{ ...keys[0]!, kid }];
}

/** A PEM public key (or certificate) as a JWK; PEM has no key id, so the entry's `kid` is required. */
function pemKey(
  run: ValidationRun,
  client: string,
  file: string,
  text: string,
  kid: string | undefined,
  at: Path,
): Record<string, unknown>[] {
  if (!kid) {
    run.at(at, pemWithoutKid(file, client, run.now));
    return [];
  }
  try {
    const jwk = createPublicKey(text).export({ format: "jwk" }) as Record<string, unknown>;
    return [{ ...jwk, kid }];
  } catch (e) {
    run.at([...at, "file"], `${file} is not a readable PEM public key (${(e as Error).message})`);
    return [];
  }
}

function unreadableKeyFile(file: string, why: string): string {
  return `cannot read ${file} (${why}): give the path of a public key file (JWK, JWKS or PEM, at most ${maxKeyFileBytes / 1024} KB), relative to the stack file's folder`;
}

function privateKeyFile(file: string): string {
  const pub = `${path.basename(file, path.extname(file))}.pub.pem`;
  return `${file} holds a private key: commit only the public key (\`openssl pkey -in key.pem -pubout -out ${pub}\`); the private key stays in your vault`;
}

function pemWithoutKid(file: string, client: string, now: number): string {
  const example = `${client}-${new Date(now * 1000).toISOString().slice(0, 10)}`;
  return `${file} is a PEM key, which has no key id: add \`kid:\` beside \`file:\` (e.g. ${example})`;
}

function kidForSeveralKeys(file: string, count: number): string {
  return `${file} holds ${count} keys: \`kid\` beside \`file\` names a single key; remove it and give each key its kid in the file`;
}
