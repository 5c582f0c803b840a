/** USD for people: cents for real amounts, more digits for the fractions a short test run accrues. */
export const usd = (n: number): string => {
  const abs = Math.abs(n);
  if (abs === 0 || abs >= 0.01) return `$${n.toFixed(2)}`;
  return `$${n.toPrecision(2).replace(/(\.\d*?[1-9])0+$/, "$1")}`;
};
