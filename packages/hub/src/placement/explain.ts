/** Turns what the engine recorded into the one-line summaries users read, Kubernetes-scheduler style. */
import type { Assignment, CostEstimate } from "@gantry/shared";
import type { Rejection } from "./framework.ts";

/** At most this many distinct reasons in a summary; the rest are counted. */
const MAX_GROUPS = 6;

export const usd = (n: number): string => `$${n.toFixed(2)}`;

/**
 * Counts rejections by their cluster-independent phrase: "2 no H100 with >=80 GiB, 1 not in allowed tiers". A
 * phrase seen once shows the full message, which carries the cluster's own numbers ("largest free block is 4").
 */
export const aggregateRejections = (rejections: readonly Rejection[]): string => {
  const groups = new Map<string, { count: number; message: string }>();
  for (const r of rejections) {
    const g = groups.get(r.summary);
    if (g === undefined) groups.set(r.summary, { count: 1, message: r.message });
    else g.count++;
  }
  const sorted = [...groups].sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const parts = sorted.slice(0, MAX_GROUPS).map(([summary, g]) => `${g.count} ${g.count === 1 ? g.message : summary}`);
  const rest = sorted.slice(MAX_GROUPS).reduce((n, [, g]) => n + g.count, 0);
  if (rest > 0) parts.push(`${rest} for other reasons`);
  return parts.join(", ");
};

/** "0/4 clusters can run resnet-train: …" */
export const infeasibleSummary = (
  workload: string,
  clusters: number,
  rejections: readonly Rejection[],
  capacityNote?: string,
): string => {
  const why = aggregateRejections(rejections);
  if (capacityNote !== undefined) {
    return `${workload} does not fit: ${capacityNote}${why === "" ? "" : `; ${rejections.length}/${clusters} clusters filtered: ${why}`}`;
  }
  if (clusters === 0) return `0/0 clusters can run ${workload}: the fleet is empty`;
  return `0/${clusters} clusters can run ${workload}: ${why}`;
};

const describe = (a: Assignment, gpus: number): string => {
  if (gpus === 0) return `${a.cluster} (${a.replicas} × no GPU)`;
  return `${a.cluster} (${a.replicas} × ${gpus} ${a.gpuModel ?? "GPU"} ${a.spot ? "spot" : "on-demand"} at ${usd(a.pricePerGpuHour)}/GPU-h)`;
};

/** "resnet-train → onprem-dc1 (2 × 4 A100 on-demand at $1.00/GPU-h); est. $4.00 …; 3/4 clusters feasible; runner-up …" */
export const placedSummary = (
  workload: string,
  assignments: readonly Assignment[],
  gpus: number,
  cost: CostEstimate,
  feasibleCount: number,
  clusters: number,
  runnerUp: string | null,
): string => {
  const where = assignments.map((a) => describe(a, gpus)).join(" + ");
  const split = assignments.length > 1 ? " split" : "";
  return (
    `${workload}${split} → ${where}; est. ${usd(cost.total)} (${usd(cost.compute)} compute + ${usd(cost.egress)} egress); ` +
    `${feasibleCount}/${clusters} clusters feasible; runner-up ${runnerUp ?? "none"}`
  );
};
