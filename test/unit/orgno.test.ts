import { describe, expect, test } from "vitest";
import { isValidOrgNo, orgNoCheckDigit, orgNoProblem } from "../../providers/core/orgno";

describe("organisation numbers (mod 11)", () => {
  test("real and test organisation numbers with valid check digits are accepted", () => {
    for (const n of ["991825827", "974761076", "310000019", "310000027", "310000035", "310000043"]) {
      expect(isValidOrgNo(n), n).toBe(true);
      expect(orgNoProblem(n)).toBeUndefined();
    }
  });

  test("the check digit is computed with weights 3 2 7 6 5 4 3 2, remainder 0 giving 0", () => {
    expect(orgNoCheckDigit("99182582")).toBe(7);
    expect(orgNoCheckDigit("97476107")).toBe(6);
    // A weighted sum that is a multiple of 11 gives check digit 0 (11 - 0 = 11 → 0).
    expect(orgNoCheckDigit("00000000")).toBe(0);
  });

  test("first eight digits whose check digit would be 10 make no valid number", () => {
    // 2 × 6 = 12, remainder 1: 11 - 1 = 10, which is never issued.
    expect(orgNoCheckDigit("00000006")).toBeUndefined();
    expect(orgNoProblem("000000060")).toMatch(/no check digit exists/);
  });

  test("seed 002's 8-digit partyOrgNo 57623423 is refused for its length", () => {
    expect(orgNoProblem("57623423")).toMatch(/9-digit organisation number; "57623423" has 8 digits/);
  });

  test("a wrong check digit is refused, naming the valid number with the same first eight digits", () => {
    expect(orgNoProblem("991825828")).toMatch(/check digit \(mod 11\) should be 7 \(991825827\)/);
  });

  test("a 0192: prefix, spaces and letters are refused with what to write instead", () => {
    expect(orgNoProblem("0192:991825827")).toMatch(/without the "0192:" prefix \(991825827\)/);
    expect(orgNoProblem("991 825 827")).toMatch(/without spaces \(991825827\)/);
    expect(orgNoProblem("99182582X")).toMatch(/other characters than digits/);
    expect(orgNoProblem(991825827)).toMatch(/as a string/);
  });
});
