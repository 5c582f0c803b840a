/**
 * The rank value: every charge of the profile for a number of replicas on a candidate, each rounded to the cent
 * once, and their sum. Rounding the terms rather than the total means the terms a verdict shows add up exactly to
 * the total it shows, and that two clusters tie exactly when their totals agree to the cent.
 */
import { type RankCost, RankTerm } from "@gantry/shared";
import { computeCharge } from "./charges/compute.ts";
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

/** Ranks one candidate for the replicas it would take, through the caller's scratch record of terms. */
const rankOne = (c: Candidate, req: PlanRequest, t: Terms): void => {
  t.compute = t.egress = t.staging = t.spotRisk = t.headroom = t.preference = 0;
  charge(c, req, c.take, t);
  const r = rounded(t);
  c.rank = r.rank;
  c.rankCents = r.cents;
};

/** Ranks every candidate for the replicas it would take, through one scratch record of terms. */
export const rankAll = (candidates: readonly Candidate[], req: PlanRequest): void => {
  const t = noTerms();
  for (const c of candidates) rankOne(c, req, t);
};

/** The k-th smallest (0-based) of `xs`, which it reorders (Hoare's selection: linear on average, no sort). */
export const kthSmallest = (xs: Float64Array, k: number): number => {
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const pivot = xs[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (xs[i]! < pivot) i++;
      while (xs[j]! > pivot) j--;
      if (i <= j) {
        const x = xs[i]!;
        xs[i] = xs[j]!;
        xs[j] = x;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return xs[k]!;
  }
  return xs[k]!;
};

/**
 * Ranks only the candidates that can matter to a compact decision (`PlanOptions.keep`): the best, the runner-up and
 * the `need` lowest rank totals. Every term of a rank value is ≥ 0 and rounds to ≥ 0 cents, so its compute term
 * (price × GPUs × hours, a multiplication) bounds it from below. Candidates are ranked in two rounds: those whose
 * bound is among the `need` lowest, then those whose bound does not exceed R, the larger of the `need`-th lowest
 * total and the second-best whole fit's total found so far. Every candidate left unranked then has a bound, hence a
 * total, strictly above R: it cannot be selected, be the runner-up, tie either, or be among the `need` cheapest.
 * Clusters that fit only part of the workload are always ranked (a split compares them per replica); without a
 * whole fit or with few candidates, all are. Returns the ranked candidates, in their order (the others' `rankCents`
 * is meaningless: select among these only).
 */
export const rankBounded = (
  candidates: readonly Candidate[],
  req: PlanRequest,
  atLeast: number,
): readonly Candidate[] => {
  const need = Math.max(2, atLeast);
  const t = noTerms();
  const whole: Candidate[] = [];
  for (const c of candidates) {
    if (c.fullFit) whole.push(c);
    else rankOne(c, req, t);
  }
  if (whole.length <= Math.max(need, 2)) {
    for (const c of whole) rankOne(c, req, t);
    return candidates;
  }
  const bounds = new Float64Array(whole.length);
  for (let i = 0; i < whole.length; i++) {
    const c = whole[i]!;
    t.compute = 0;
    computeCharge.charge(c, req, c.take, t);
    bounds[i] = toCents(t.compute);
  }
  const ranked = new Uint8Array(whole.length);
  let count = 0;
  const rankUpTo = (limit: number) => {
    for (let i = 0; i < whole.length; i++) {
      if (ranked[i] === 0 && bounds[i]! <= limit) {
        rankOne(whole[i]!, req, t);
        ranked[i] = 1;
        count++;
      }
    }
  };
  rankUpTo(kthSmallest(bounds.slice(), need - 1));
  // R over what is ranked now: the need-th lowest total of all ranked candidates, and the second-best whole fit.
  const totals = new Float64Array(count + candidates.length - whole.length);
  const wholeTotals = new Float64Array(count);
  let n = 0;
  let w = 0;
  for (const c of candidates) {
    if (!c.fullFit) totals[n++] = c.rankCents;
  }
  for (let i = 0; i < whole.length; i++) {
    if (ranked[i] === 1) {
      totals[n++] = whole[i]!.rankCents;
      wholeTotals[w++] = whole[i]!.rankCents;
    }
  }
  const limit = Math.max(kthSmallest(totals, need - 1), kthSmallest(wholeTotals, 1));
  rankUpTo(limit);
  if (count === whole.length) return candidates;
  const out: Candidate[] = [];
  let at = 0;
  for (const c of candidates) {
    if (!c.fullFit) out.push(c);
    else if (ranked[at++] === 1) out.push(c);
  }
  return out;
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
