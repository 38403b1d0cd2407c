// Norwegian organisation numbers: 9 digits, the last a mod-11 check digit (weights 3,2,7,6,5,4,3,2).
const WEIGHTS = [3, 2, 7, 6, 5, 4, 3, 2];

export function isValidOrgNo(orgNo: string): boolean {
  if (!/^\d{9}$/.test(orgNo)) return false;
  const sum = WEIGHTS.reduce((acc, w, i) => acc + w * Number(orgNo[i]), 0);
  const rest = sum % 11;
  const check = rest === 0 ? 0 : 11 - rest;
  return check !== 10 && check === Number(orgNo[8]);
}
