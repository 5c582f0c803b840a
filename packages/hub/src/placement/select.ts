/** Chooses among scored candidates. Deterministic: every comparison ends with the cluster name. */
import type { Candidate } from "./framework.ts";
import { costPerReplica } from "./scorers/cost.ts";

const byName = (a: Candidate, b: Candidate): number => a.nameOrder - b.nameOrder;

/** Ranking order: clusters that take every replica first, then higher total score, then name. */
export const rank = (a: Candidate, b: Candidate): number =>
  (a.fullFit === b.fullFit ? 0 : a.fullFit ? -1 : 1) || b.total - a.total || byName(a, b);

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

/**
 * Places the workload. A cluster that takes every replica wins outright (gangs only ever have such candidates).
 * Otherwise a non-gang workload is split: cheapest per replica first, each cluster up to what it fits. Returns
 * undefined when even the split cannot place every replica; partial placements are never made.
 */
export const select = (candidates: readonly Candidate[], replicas: number): Portion[] | undefined => {
  const top = best(candidates);
  if (top === undefined) return undefined;
  if (top.fullFit) return [{ candidate: top, replicas }];
  const order = [...candidates].sort(
    (a, b) => costPerReplica(a) - costPerReplica(b) || b.total - a.total || byName(a, b),
  );
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
