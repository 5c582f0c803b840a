/**
 * Chooses among ranked candidates. The lowest rank value wins; best fit (fewer GPUs stranded on the nodes it
 * touches) and then the cluster name break exact ties, and only those. Deterministic.
 */
import type { Candidate } from "./framework.ts";

/** Among equal rank values: fewer stranded GPUs, then name. */
export const tieBreak = (a: Candidate, b: Candidate): number =>
  a.strandedGpus - b.strandedGpus || a.nameOrder - b.nameOrder;

/**
 * Ranking order: clusters that take every replica before those that take some (a workload is split over clusters
 * only when no single one can take it), then lower rank value, then the tie-breaks.
 */
export const rank = (a: Candidate, b: Candidate): number =>
  (a.fullFit === b.fullFit ? 0 : a.fullFit ? -1 : 1) || a.rankCents - b.rankCents || tieBreak(a, b);

/** Best candidate by `rank` that is not excluded; a linear scan, no sort. */
export const best = (candidates: readonly Candidate[], exclude?: ReadonlySet<Candidate>): Candidate | undefined => {
  let top: Candidate | undefined;
  for (const c of candidates) {
    if (exclude?.has(c) === true) continue;
    if (top === undefined || rank(c, top) < 0) top = c;
  }
  return top;
};

/** One chunk of a split placement. */
export interface Portion {
  readonly candidate: Candidate;
  readonly replicas: number;
}

/** Rank value per replica it would take: the fair basis when clusters take different numbers of replicas. */
export const rankPerReplica = (c: Candidate): number => c.rankCents / Math.max(1, c.take);

/**
 * Places the workload. A cluster that takes every replica wins outright (gangs only ever have such candidates).
 * Otherwise a non-gang workload is split: lowest rank value per replica first, each cluster up to what it fits.
 * Returns undefined when even the split cannot place every replica; partial placements are never made.
 */
export const select = (candidates: readonly Candidate[], replicas: number): Portion[] | undefined => {
  const top = best(candidates);
  if (top === undefined) return undefined;
  if (top.fullFit) return [{ candidate: top, replicas }];
  const order = [...candidates].sort((a, b) => rankPerReplica(a) - rankPerReplica(b) || tieBreak(a, b));
  const out: Portion[] = [];
  let left = replicas;
  for (const c of order) {
    if (left === 0) break;
    const take = Math.min(c.take, left);
    out.push({ candidate: c, replicas: take });
    left -= take;
  }
  return left === 0 ? out : undefined;
};
