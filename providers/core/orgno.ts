/**
 * Norwegian organisation numbers (organisasjonsnummer, Enhetsregisteret): nine digits, the last a mod-11 check
 * digit over the first eight with weights 3 2 7 6 5 4 3 2. A remainder that would give check digit 10 is never
 * issued, so such numbers are invalid. Shared by the Altinn providers and the stack validator.
 */

const weights = [3, 2, 7, 6, 5, 4, 3, 2];

/** The check digit for the first eight digits, or undefined when no valid number starts with them. */
export function orgNoCheckDigit(first8: string): number | undefined {
  if (!/^\d{8}$/.test(first8)) return undefined;
  const sum = weights.reduce((acc, w, i) => acc + w * Number(first8[i]), 0);
  const digit = 11 - (sum % 11);
  if (digit === 11) return 0;
  return digit === 10 ? undefined : digit;
}

export function isValidOrgNo(value: string): boolean {
  return orgNoProblem(value) === undefined;
}

/**
 * What is wrong with an organisation number, as the end of a sentence ("must be ..."), or undefined when it is
 * valid. Says what was expected and, for a wrong check digit, the valid number with the same first eight digits.
 */
export function orgNoProblem(value: unknown): string | undefined {
  if (typeof value !== "string") return "must be a 9-digit organisation number, as a string";
  if (/^0192:/.test(value)) return `must be the bare 9-digit organisation number, without the "0192:" prefix (${value.slice(5)})`;
  const compact = value.replace(/\s+/g, "");
  if (compact !== value && /^\d{9}$/.test(compact)) return `must be 9 digits without spaces (${compact})`;
  if (!/^\d+$/.test(value)) return `must be a 9-digit organisation number; "${value}" holds other characters than digits`;
  if (value.length !== 9) return `must be a 9-digit organisation number; "${value}" has ${value.length} digits`;
  const expected = orgNoCheckDigit(value.slice(0, 8));
  if (expected === undefined)
    return `"${value}" is not a valid organisation number: no check digit exists for its first eight digits (check for a typing error)`;
  if (expected !== Number(value[8])) {
    return `"${value}" is not a valid organisation number: the check digit (mod 11) should be ${expected} (${value.slice(0, 8)}${expected}); check for a typing error`;
  }
  return undefined;
}
