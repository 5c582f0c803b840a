import type { ClusterVerdict, Decision, DecisionOmitted } from "@gantry/shared";

/**
 * Which verdicts a compact decision lists. A decision explains itself against every cluster (~3.7 MB of JSON at
 * 10,000 clusters); what a person asking "why here, why not there" reads is the selected clusters, the runner-up, the
 * cheapest feasible others and a few clusters of each rejection reason, with counts of the rest (`omitted`).
 */
export interface KeepPolicy {
  /** Decisions over at most this many clusters are kept whole. */
  readonly allUpTo: number;
  /** Feasible, not selected clusters kept besides the runner-up, cheapest rank total first. */
  readonly feasible: number;
  /** Filtered clusters kept per first reason code, as examples of that rejection. */
  readonly perReason: number;
}

/** What the hub stores of every decision (`store/stored-decision.ts`). */
export const STORED_KEEP: KeepPolicy = Object.freeze({ allUpTo: 100, feasible: 20, perReason: 3 });

const rankTotal = (v: ClusterVerdict) => v.rankCost?.total ?? Number.POSITIVE_INFINITY;

/**
 * The `k` verdicts of lowest rank total, equal totals in the engine's order. A bounded insertion instead of sorting
 * every feasible cluster: at 10,000 clusters the sort was most of what storing a decision cost the event loop.
 */
export const cheapest = (verdicts: readonly ClusterVerdict[], k: number): ClusterVerdict[] => {
  const best: { v: ClusterVerdict; t: number }[] = [];
  if (k <= 0) return [];
  for (const v of verdicts) {
    const t = rankTotal(v);
    // Ties go after what is kept: an earlier verdict with the same total stays first.
    if (best.length === k && !(t < best[k - 1]!.t)) continue;
    let i = best.length;
    while (i > 0 && best[i - 1]!.t > t) i--;
    best.splice(i, 0, { v, t });
    if (best.length > k) best.pop();
  }
  return best.map((b) => b.v);
};

/**
 * `d` with only the verdicts `keep` lists and `omitted` counting the rest. `unlisted` feasible clusters have no
 * verdict in `d.clusters` at all: the engine's compact path (`PlanOptions.keep`) leaves out clusters it proved
 * dearer than every one listed, and they count as omitted feasible clusters.
 */
export const compactDecision = (d: Decision, keep: KeepPolicy, unlisted = 0): Decision => {
  if (d.clusters.length + unlisted <= keep.allUpTo) return d;
  const kept = new Set<ClusterVerdict>();
  const feasible: ClusterVerdict[] = [];
  const perReason = new Map<string, { kept: number; count: number; example: string }>();
  for (const v of d.clusters) {
    if (v.verdict === "selected" || v.cluster === d.runnerUp) kept.add(v);
    else if (v.verdict === "feasible") feasible.push(v);
    else {
      const reason = v.reasons[0];
      const code = reason?.code ?? "filtered";
      const r = perReason.get(code) ?? { kept: 0, count: 0, example: reason?.message ?? "" };
      perReason.set(code, r);
      if (r.kept < keep.perReason) {
        r.kept++;
        kept.add(v);
      } else r.count++;
    }
  }
  for (const v of cheapest(feasible, keep.feasible)) kept.add(v);
  const clusters = d.clusters.filter((v) => kept.has(v));
  const omitted: DecisionOmitted = {
    clusters: d.clusters.length + unlisted - clusters.length,
    feasible: Math.max(0, feasible.length + unlisted - keep.feasible),
    filtered: [...perReason]
      .filter(([, r]) => r.count > 0)
      .map(([code, r]) => ({ code, count: r.count, example: r.example }))
      .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code)),
  };
  return { ...d, clusters, omitted };
};
