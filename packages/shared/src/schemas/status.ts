import { z } from "zod";

/** Phases of a workload as the hub reports it. Services stay `Running`. */
export const WorkloadPhase = z.enum(["Pending", "Placed", "Staging", "Running", "Succeeded", "Failed"]);
export type WorkloadPhase = z.infer<typeof WorkloadPhase>;

export const TERMINAL_PHASES: readonly WorkloadPhase[] = ["Succeeded", "Failed"];

/** Phase of one placement as the agent sees it in its cluster. */
export const PlacementPhase = z.enum(["Pending", "Staging", "Running", "Succeeded", "Failed", "Deleted"]);
export type PlacementPhase = z.infer<typeof PlacementPhase>;

export const PlacementStatus = z.strictObject({
  uid: z.string().min(1).max(64),
  tenant: z.string().min(1).max(63),
  workload: z.string().min(1).max(63),
  generation: z.number().int().nonnegative().max(2_147_483_647),
  phase: PlacementPhase,
  replicas: z.number().int().nonnegative().max(1_000_000),
  readyReplicas: z.number().int().nonnegative().max(1_000_000).default(0),
  message: z.string().max(4_096).default(""),
  /** A stable code for why it is in this phase (`fenced`, `immutable_field`, `unschedulable`, …). */
  reason: z.string().max(64).optional(),
  /** While staging: how much of the data is in, and when the rest should be. */
  staging: z
    .strictObject({
      copiedGB: z.number().nonnegative().max(1e9),
      totalGB: z.number().nonnegative().max(1e9),
      etaSeconds: z.number().nonnegative().max(1e9),
    })
    .optional(),
  /** Kubernetes events or simulator notes that explain the phase. */
  events: z.array(z.string().max(1_024)).max(50).default([]),
  startedAt: z.iso.datetime({ offset: true }).optional(),
  finishedAt: z.iso.datetime({ offset: true }).optional(),
});
export type PlacementStatus = z.infer<typeof PlacementStatus>;
