import { X509Certificate } from "node:crypto";

// Business certificates (virksomhetssertifikat) in a grant's x5c header. The simulator has no CA trust path:
// it takes the leaf certificate as given, checks its validity dates on the simulator clock and reads the
// organisation number from its subject. Revocation and chain checks are not simulated.

export function parseLeafCertificate(x5c: unknown[]): X509Certificate | undefined {
  const leaf = x5c[0];
  if (typeof leaf !== "string" || leaf.length === 0) return undefined;
  try {
    return new X509Certificate(Buffer.from(leaf, "base64"));
  } catch {
    return undefined;
  }
}

/** The organisation number in the subject: `serialNumber=<orgno>` or `organizationIdentifier=NTRNO-<orgno>`. */
export function certificateOrgNo(cert: X509Certificate): string | undefined {
  const subject = cert.subject;
  const byIdentifier = /(?:^|\n)(?:organizationIdentifier|2\.5\.4\.97)=NTRNO-(\d{9})(?:\n|$)/.exec(subject);
  if (byIdentifier) return byIdentifier[1];
  const bySerial = /(?:^|\n)serialNumber=(?:NTRNO-)?(\d{9})(?:\n|$)/.exec(subject);
  return bySerial?.[1];
}

export function isValidAt(cert: X509Certificate, nowMs: number): boolean {
  return Date.parse(cert.validFrom) <= nowMs && nowMs <= Date.parse(cert.validTo);
}
