/** Turns what the engine recorded into the one-line summaries users read, Kubernetes-scheduler style. */
import type { Assignment, CostEstimate, Margin, RankCost, RankTerm } from "@gantry/shared";
import type { Candidate, Rejection } from "./framework.ts";
import { signedUsd, toCents, usd } from "./money.ts";
import { TERMS } from "./rank.ts";

/** At most this many distinct reasons in a summary; the rest are counted. */
const MAX_GROUPS = 6;

export { usd };

/** How each term is named in sentences. */
export const TERM_LABEL: Readonly<Record<RankTerm, string>> = {
  compute: "compute",
  egress: "egress",
  staging: "staging",
  spotRisk: "spot risk",
  headroom: "headroom",
  preference: "preference",
};

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

/** "ranked $12.34 = compute $8.00 + egress $1.20 + headroom $3.14": compute always, other terms when not zero. */
export const rankSentence = (r: RankCost): string => {
  const parts = TERMS.filter((k) => k === "compute" || r[k] !== 0).map((k) => `${TERM_LABEL[k]} ${usd(r[k])}`);
  return `ranked ${usd(r.total)} = ${parts.join(" + ")}`;
};

/** Why the chosen cluster beat the runner-up: the rank difference, term by term, chosen minus runner-up. */
export const marginOf = (chosen: Candidate, runnerUp: Candidate): Margin => {
  const a = chosen.rank!;
  const b = runnerUp.rank!;
  const terms = {
    compute: (toCents(a.compute) - toCents(b.compute)) / 100,
    egress: (toCents(a.egress) - toCents(b.egress)) / 100,
    staging: (toCents(a.staging) - toCents(b.staging)) / 100,
    spotRisk: (toCents(a.spotRisk) - toCents(b.spotRisk)) / 100,
    headroom: (toCents(a.headroom) - toCents(b.headroom)) / 100,
    preference: (toCents(a.preference) - toCents(b.preference)) / 100,
  };
  const cents = runnerUp.rankCents - chosen.rankCents;
  let decidedBy: Margin["decidedBy"] = chosen.strandedGpus !== runnerUp.strandedGpus ? "best_fit" : "name";
  if (cents > 0) {
    // The term that favoured the chosen cluster most; the terms sum to −cents < 0, so one is negative.
    let most: RankTerm = "compute";
    for (const k of TERMS) if (terms[k] < terms[most]) most = k;
    decidedBy = most;
  }
  return { runnerUp: runnerUp.name, usd: cents / 100, terms, decidedBy };
};

/**
 * "$38.20 cheaper than far-west, decided by compute: compute −$40.00, egress +$0.90, staging +$0.90", or how an
 * exact tie was broken.
 */
export const marginSentence = (m: Margin, chosen: Candidate, runnerUp: Candidate): string => {
  if (m.usd === 0) {
    const how =
      m.decidedBy === "best_fit"
        ? `chosen by best fit (strands ${chosen.strandedGpus} GPUs, ${m.runnerUp} would strand ${runnerUp.strandedGpus})`
        : "chosen by name";
    return `tied with ${m.runnerUp} at ${usd(chosen.rank!.total)}; ${how}`;
  }
  const diffs = TERMS.filter((k) => m.terms[k] !== 0).sort(
    (x, y) => Math.abs(m.terms[y]) - Math.abs(m.terms[x]) || TERMS.indexOf(x) - TERMS.indexOf(y),
  );
  const parts = diffs.map((k) => `${TERM_LABEL[k]} ${signedUsd(m.terms[k])}`);
  const by = m.decidedBy as RankTerm;
  return `${usd(m.usd)} cheaper than ${m.runnerUp}, decided by ${TERM_LABEL[by]}: ${parts.join(", ")}`;
};

const describe = (a: Assignment, gpus: number): string => {
  if (gpus === 0) return `${a.cluster} (${a.replicas} × no GPU)`;
  return `${a.cluster} (${a.replicas} × ${gpus} ${a.gpuModel ?? "GPU"} ${a.spot ? "spot" : "on-demand"} at ${usd(a.pricePerGpuHour)}/GPU-h)`;
};

/**
 * "resnet-train → onprem-dc1 (2 × 4 A100 on-demand at $1.00/GPU-h); ranked $4.12 = …; bills est. $4.00 ($4.00
 * compute + $0.00 egress); $38.20 cheaper than far-west, decided by compute: …; 3/4 clusters feasible"
 */
export const placedSummary = (
  workload: string,
  assignments: readonly Assignment[],
  gpus: number,
  billed: CostEstimate,
  rank: RankCost,
  comparison: string,
  feasibleCount: number,
  clusters: number,
): string => {
  const where = assignments.map((a) => describe(a, gpus)).join(" + ");
  const split = assignments.length > 1 ? " split" : "";
  return (
    `${workload}${split} → ${where}; ${rankSentence(rank)}; bills est. ${usd(billed.total)} ` +
    `(${usd(billed.compute)} compute + ${usd(billed.egress)} egress); ${comparison}; ` +
    `${feasibleCount}/${clusters} clusters feasible`
  );
};
