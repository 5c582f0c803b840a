import { z } from "zod";

/** Phases of a workload as the hub reports it. Services stay `Running`. */
export const WorkloadPhase = z.enum(["Pending", "Placed", "Running", "Succeeded", "Failed"]);
export type WorkloadPhase = z.infer<typeof WorkloadPhase>;

export const TERMINAL_PHASES: readonly WorkloadPhase[] = ["Succeeded", "Failed"];

/** Phase of one placement as the agent sees it in its cluster. */
export const PlacementPhase = z.enum(["Pending", "Running", "Succeeded", "Failed", "Deleted"]);
export type PlacementPhase = z.infer<typeof PlacementPhase>;

export const PlacementStatus = z.object({
  workload: z.string().min(1),
  generation: z.number().int().nonnegative(),
  phase: PlacementPhase,
  replicas: z.number().int().nonnegative(),
  readyReplicas: z.number().int().nonnegative().default(0),
  message: z.string().default(""),
  /** Kubernetes events or simulator notes that explain the phase. */
  events: z.array(z.string()).default([]),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
});
export type PlacementStatus = z.infer<typeof PlacementStatus>;
