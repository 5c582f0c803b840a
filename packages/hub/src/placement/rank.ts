/**
 * The rank value: every charge of the profile for a number of replicas on a candidate, each rounded to the cent
 * once, and their sum. Rounding the terms rather than the total means the terms a verdict shows add up exactly to
 * the total it shows, and that two clusters tie exactly when their totals agree to the cent.
 */
import { type RankCost, RankTerm } from "@gantry/shared";
import type { Deferred } from "./evaluate.ts";
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
 * the `need` lowest rank totals. `prepared` (the clusters that fit only part of the workload, which a split compares
 * per replica) are all ranked; of the `deferred` whole fits, only those a bound cannot rule out are made candidates.
 * Every term of a rank value is ≥ 0 and rounds to ≥ 0 cents, so its compute term (price × GPUs × hours) bounds it
 * from below. Whole fits are ranked in two rounds: those whose bound is among the `need` lowest, then those whose
 * bound does not exceed R, the larger of the `need`-th lowest total and the second-best whole fit's total found so
 * far. Every whole fit left out then has a bound, hence a total, strictly above R: it cannot be selected, be the
 * runner-up, tie either, or be among the `need` cheapest. Returns the ranked candidates in fleet order.
 */
export const rankBounded = (
  prepared: readonly Candidate[],
  deferred: Deferred,
  req: PlanRequest,
  atLeast: number,
): Candidate[] => {
  const need = Math.max(2, atLeast);
  const t = noTerms();
  for (const c of prepared) rankOne(c, req, t);
  // Whole fits made candidates, by position in fleet order (`ranked` lists them in the order they were ranked).
  const made: (Candidate | undefined)[] = new Array(deferred.count);
  const ranked: Candidate[] = [];
  const bounds = deferred.boundCents;
  const rankUpTo = (limit: number) => {
    for (let j = 0; j < deferred.count; j++) {
      if (made[j] !== undefined || bounds[j]! > limit) continue;
      const c = deferred.prepare(j);
      rankOne(c, req, t);
      made[j] = c;
      ranked.push(c);
    }
  };
  if (deferred.count <= need) rankUpTo(Number.POSITIVE_INFINITY);
  else {
    rankUpTo(kthSmallest(bounds.slice(), need - 1));
    // R over what is ranked now: the need-th lowest total of all ranked candidates, and the second-best whole fit.
    const totals = new Float64Array(prepared.length + ranked.length);
    const wholeTotals = new Float64Array(ranked.length);
    for (let i = 0; i < prepared.length; i++) totals[i] = prepared[i]!.rankCents;
    for (let i = 0; i < ranked.length; i++) {
      totals[prepared.length + i] = ranked[i]!.rankCents;
      wholeTotals[i] = ranked[i]!.rankCents;
    }
    rankUpTo(Math.max(kthSmallest(totals, need - 1), kthSmallest(wholeTotals, 1)));
  }
  // Both in fleet order: merge the parts with the whole fits made.
  const out: Candidate[] = [];
  let i = 0;
  for (const c of made) {
    if (c === undefined) continue;
    while (i < prepared.length && prepared[i]!.index < c.index) out.push(prepared[i++]!);
    out.push(c);
  }
  while (i < prepared.length) out.push(prepared[i++]!);
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
