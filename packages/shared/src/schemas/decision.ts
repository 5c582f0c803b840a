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

export const CostEstimate = z.object({
  /** USD for the whole run (`durationHours`, or one hour for services and jobs without a duration). */
  total: z.number(),
  perHour: z.number(),
  compute: z.number(),
  egress: z.number(),
});
export type CostEstimate = z.infer<typeof CostEstimate>;

export const ClusterVerdict = z.object({
  cluster: z.string(),
  verdict: Verdict,
  reasons: z.array(Reason),
  /** Score components by scorer name (weighted); their sum is `total`. Empty when filtered. */
  scores: z.record(z.string(), z.number()),
  estimatedCost: CostEstimate.optional(),
  /** Replicas this cluster could take now. */
  fitReplicas: z.number().int().nonnegative().optional(),
});
export type ClusterVerdict = z.infer<typeof ClusterVerdict>;

/** What the placement engine decided, and everything it weighed to get there. */
export const Decision = z.object({
  feasible: z.boolean(),
  assignments: z.array(Assignment),
  estimatedCost: CostEstimate,
  clusters: z.array(ClusterVerdict),
  runnerUp: z.string().nullable(),
  /** One-line summary: why this placement, or why none. */
  summary: z.string(),
});
export type Decision = z.infer<typeof Decision>;
