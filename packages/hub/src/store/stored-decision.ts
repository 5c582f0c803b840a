import type { ClusterVerdict, Decision, DecisionOmitted } from "@gantry/shared";

/**
 * What the hub keeps of a decision. The engine explains a decision against every cluster (one verdict each, with
 * reasons and dollars): ~370 KB of JSON at 1,000 clusters and ~3.7 MB at 10,000. Stored whole, every placement wrote
 * that to PostgreSQL, which made the scheduler's placement transactions, not the engine, the cost of a pass on a
 * large fleet (issue 12). Above `KEEP_ALL_UP_TO` clusters the stored decision keeps what a person asking "why here,
 * why not there" reads: every selected cluster, the runner-up, the cheapest feasible others, and a few clusters of
 * each rejection reason; `omitted` counts the rest and says why they were filtered.
 */
export const KEEP_ALL_UP_TO = 100;
/** Feasible, not selected clusters kept besides the runner-up, cheapest rank total first. */
export const KEEP_FEASIBLE = 20;
/** Filtered clusters kept per first reason code, as examples of that rejection. */
export const KEEP_PER_REASON = 3;

const rankTotal = (v: ClusterVerdict) => v.rankCost?.total ?? Number.POSITIVE_INFINITY;

/**
 * The `k` verdicts of lowest rank total, equal totals in the engine's order. A bounded insertion instead of sorting
 * every feasible cluster: at 10,000 clusters the sort was most of what storing a decision cost the event loop.
 */
export const cheapest = (verdicts: readonly ClusterVerdict[], k: number): ClusterVerdict[] => {
  const best: { v: ClusterVerdict; t: number }[] = [];
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

export const storedDecision = (d: Decision): Decision => {
  if (d.clusters.length <= KEEP_ALL_UP_TO) return d;
  const keep = new Set<ClusterVerdict>();
  const feasible: ClusterVerdict[] = [];
  const perReason = new Map<string, { kept: number; count: number; example: string }>();
  for (const v of d.clusters) {
    if (v.verdict === "selected" || v.cluster === d.runnerUp) keep.add(v);
    else if (v.verdict === "feasible") feasible.push(v);
    else {
      const reason = v.reasons[0];
      const code = reason?.code ?? "filtered";
      const r = perReason.get(code) ?? { kept: 0, count: 0, example: reason?.message ?? "" };
      perReason.set(code, r);
      if (r.kept < KEEP_PER_REASON) {
        r.kept++;
        keep.add(v);
      } else r.count++;
    }
  }
  for (const v of cheapest(feasible, KEEP_FEASIBLE)) keep.add(v);
  const clusters = d.clusters.filter((v) => keep.has(v));
  const omitted: DecisionOmitted = {
    clusters: d.clusters.length - clusters.length,
    feasible: Math.max(0, feasible.length - KEEP_FEASIBLE),
    filtered: [...perReason]
      .filter(([, r]) => r.count > 0)
      .map(([code, r]) => ({ code, count: r.count, example: r.example }))
      .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code)),
  };
  return { ...d, clusters, omitted };
};

/** One line for readers of a stored decision: what its verdict list leaves out. */
export const omittedLine = (o: DecisionOmitted): string => {
  const parts = [`${o.feasible} feasible but dearer than those shown`];
  for (const f of o.filtered) parts.push(`${f.count} filtered (${f.code}: e.g. ${f.example})`);
  return `… and ${o.clusters} more clusters not kept in the stored decision: ${parts.join("; ")}`;
};
