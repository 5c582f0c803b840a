/**
 * The rank value: every charge of the profile for a number of replicas on a candidate, each rounded to the cent
 * once, and their sum. Rounding the terms rather than the total means the terms a verdict shows add up exactly to
 * the total it shows, and that two clusters tie exactly when their totals agree to the cent.
 */
import { type RankCost, RankTerm } from "@gantry/shared";
import type { Candidate, PlanRequest, Terms } from "./framework.ts";
import { toCents } from "./money.ts";
import { CHARGES } from "./profile.ts";

export const TERMS: readonly RankTerm[] = RankTerm.options;

export const noTerms = (): Terms => ({ compute: 0, egress: 0, staging: 0, spotRisk: 0, headroom: 0, preference: 0 });

export const ZERO_RANK: RankCost = Object.freeze({ total: 0, ...noTerms() });

const charge = (c: Candidate, req: PlanRequest, replicas: number, into: Terms): void => {
  for (const p of CHARGES) p.charge(c, req, replicas, into);
};

/** Rounds each term to the cent; `total` is their sum, and `cents` the same in whole cents. */
export const rounded = (t: Terms): { rank: RankCost; cents: number } => {
  const compute = toCents(t.compute);
  const egress = toCents(t.egress);
  const staging = toCents(t.staging);
  const spotRisk = toCents(t.spotRisk);
  const headroom = toCents(t.headroom);
  const preference = toCents(t.preference);
  const cents = compute + egress + staging + spotRisk + headroom + preference;
  return {
    rank: {
      total: cents / 100,
      compute: compute / 100,
      egress: egress / 100,
      staging: staging / 100,
      spotRisk: spotRisk / 100,
      headroom: headroom / 100,
      preference: preference / 100,
    },
    cents,
  };
};

/** Ranks every candidate for the replicas it would take, through one scratch record of terms. */
export const rankAll = (candidates: readonly Candidate[], req: PlanRequest): void => {
  const t = noTerms();
  for (const c of candidates) {
    t.compute = t.egress = t.staging = t.spotRisk = t.headroom = t.preference = 0;
    charge(c, req, c.take, t);
    const r = rounded(t);
    c.rank = r.rank;
    c.rankCents = r.cents;
  }
};

/** The rank value of `replicas` replicas on a candidate (a portion of a split may take fewer than it fits). */
export const rankFor = (c: Candidate, req: PlanRequest, replicas: number): RankCost => {
  if (replicas === c.take && c.rank !== undefined) return c.rank;
  const t = noTerms();
  charge(c, req, replicas, t);
  return rounded(t).rank;
};

/** Sums rank values term by term, in cents. */
export const sumRanks = (ranks: readonly RankCost[]): RankCost => {
  const t = noTerms();
  for (const r of ranks) for (const k of TERMS) t[k] += r[k];
  return rounded(t).rank;
};
