/** Dollars as explanations print them. */

export const usd = (n: number): string => `$${n.toFixed(2)}`;

/** A signed difference: "+$0.90", "−$40.00" (a real minus sign, as in "$38.20 cheaper: compute −$40.00"). */
export const signedUsd = (n: number): string => `${n < 0 ? "−" : "+"}$${Math.abs(n).toFixed(2)}`;

/** Whole cents; every rank term is rounded here once, so the terms shown sum exactly to the total shown. */
export const toCents = (n: number): number => Math.round(n * 100);
