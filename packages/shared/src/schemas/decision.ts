import { z } from "zod";
import { Assignment } from "./placement.ts";

export const Verdict = z.enum(["selected", "feasible", "filtered"]);
export type Verdict = z.infer<typeof Verdict>;

/** A reason with a stable code (for machines) and a sentence a person can act on. */
export const Reason = z.object({
  code: z.string().min(1),
  message: z.string(),
});
export type Reason = z.infer<typeof Reason>;

/**
 * The expected spend the hub bills and holds against budgets: compute and egress, nothing else. The ranking charges
 * (staging, spot risk, headroom, preference) are in `RankCost`, never here.
 */
export const CostEstimate = z.object({
  /** USD for the whole run (`durationHours`, or one hour for services and jobs without a duration). */
  total: z.number(),
  perHour: z.number(),
  compute: z.number(),
  egress: z.number(),
});
export type CostEstimate = z.infer<typeof CostEstimate>;

/** The USD terms a cluster is ranked by, in the order explanations list them. */
export const RankTerm = z.enum(["compute", "egress", "staging", "spotRisk", "headroom", "preference"]);
export type RankTerm = z.infer<typeof RankTerm>;

/**
 * What running the workload on a cluster is expected to cost, in USD, as the engine ranks it: `total` is the sum of
 * the terms (each to the cent) and the lowest total wins. `compute` and `egress` are billed (`CostEstimate`); the
 * rest are ranking charges.
 */
export const RankCost = z.object({
  total: z.number(),
  /** GPUs × price per GPU-hour (spot or on-demand) × hours. Billed. */
  compute: z.number(),
  /** Copying the data the cluster lacks, at the chosen source's egress price. Billed. */
  egress: z.number(),
  /** GPU time held while that data is copied in: transfer hours × GPUs × price. */
  staging: z.number(),
  /** Expected rework from spot preemptions, at the spot price. */
  spotRisk: z.number(),
  /** Shadow price on scarce capacity: what taking these GPUs is expected to cost later workloads. */
  headroom: z.number(),
  /** A caller's stated dollar preference (a tier order's premium per GPU-hour). */
  preference: z.number(),
});
export type RankCost = z.infer<typeof RankCost>;

export const ClusterVerdict = z.object({
  cluster: z.string(),
  verdict: Verdict,
  reasons: z.array(Reason),
  /** Replicas this cluster could take now. */
  fitReplicas: z.number().int().nonnegative().optional(),
  /** What the cluster would run the workload on (feasible clusters): GPU model, spot or not, price per GPU-hour. */
  gpuModel: z.string().optional(),
  spot: z.boolean().optional(),
  pricePerGpuHour: z.number().optional(),
  /** Billed estimate for the replicas it takes (selected) or could take (feasible). */
  estimatedCost: CostEstimate.optional(),
  /** What it is ranked by, for the same replicas. Absent when filtered. */
  rankCost: RankCost.optional(),
});
export type ClusterVerdict = z.infer<typeof ClusterVerdict>;

/** Why the chosen cluster beat the runner-up, in the same dollars. */
export const Margin = z.object({
  runnerUp: z.string(),
  /** USD by which the chosen cluster's rank total is below the runner-up's; 0 on an exact tie. */
  usd: z.number(),
  /** Chosen minus runner-up, per term: negative where the chosen cluster is cheaper. */
  terms: RankCost.omit({ total: true }),
  /** The term that favoured the chosen cluster most; on an exact tie, the tie-break that decided. */
  decidedBy: z.union([RankTerm, z.enum(["best_fit", "name"])]),
});
export type Margin = z.infer<typeof Margin>;

/** The verdicts a stored decision left out: how many, how many were feasible, and why the others were filtered. */
export const DecisionOmitted = z.object({
  clusters: z.number().int().nonnegative(),
  feasible: z.number().int().nonnegative(),
  /** Left-out filtered clusters per first reason code, most common first, with one example sentence. */
  filtered: z.array(z.object({ code: z.string(), count: z.number().int().positive(), example: z.string() })),
});
export type DecisionOmitted = z.infer<typeof DecisionOmitted>;

/** What the placement engine decided, and everything it weighed to get there. */
export const Decision = z.object({
  feasible: z.boolean(),
  assignments: z.array(Assignment),
  /** Billed estimate of the assignments: compute + egress (what budgets and the ledger count). */
  estimatedCost: CostEstimate,
  /** Rank terms of the assignments, summed; all zero when nothing is placed. Absent in decisions stored before it. */
  rankCost: RankCost.optional(),
  /** Against the runner-up, when one cluster takes every replica and another could have. */
  margin: Margin.optional(),
  clusters: z.array(ClusterVerdict),
  /**
   * Present when a stored decision keeps only some verdicts (a large fleet): `clusters` then holds the selected ones,
   * the runner-up, the cheapest feasible others and a few examples of each rejection; this says what the rest were.
   */
  omitted: DecisionOmitted.optional(),
  runnerUp: z.string().nullable(),
  /** One-line summary: why this placement, or why none. */
  summary: z.string(),
});
export type Decision = z.infer<typeof Decision>;
