/**
 * Last line of defence for anything that may reach an error message or a log: JWTs (grants, access tokens),
 * PEM blocks, private JWK members and secrets in JSON or form bodies are masked. Error texts are built from
 * parsed fields in the first place; this catches what an upstream echoes back.
 */
const patterns: Array<[RegExp, string]> = [
  [/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, "[redacted jwt]"],
  [/-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g, "[redacted pem]"],
  [/"(d|p|q|dp|dq|qi|client_secret|access_token|assertion|clientSecret|privateJwk|privateKey)"\s*:\s*"[^"]*"/g, '"$1":"[redacted]"'],
  [/\b(assertion|client_secret|access_token)=[^&\s]+/g, "$1=[redacted]"],
  [/\b(Bearer)\s+[A-Za-z0-9._~+/=-]+/gi, "$1 [redacted]"],
];

export function redact(text: string): string {
  let out = text;
  for (const [re, replacement] of patterns) out = out.replace(re, replacement);
  return out;
}
