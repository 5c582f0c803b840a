import { z } from "zod";
import { StagingItem } from "./dataset.ts";
import { Workload } from "./workload.ts";

/** How many replicas of a workload one cluster runs, and on which nodes the engine meant them to go. */
export const Assignment = z.object({
  cluster: z.string().min(1),
  replicas: z.number().int().positive(),
  spot: z.boolean().default(false),
  gpuModel: z.string().optional(),
  /** Replicas per node (names from the snapshot); a hint for the agent, the cluster's scheduler decides. */
  nodes: z.array(z.object({ node: z.string(), replicas: z.number().int().positive() })).default([]),
  pricePerGpuHour: z.number().nonnegative().default(0),
});
export type Assignment = z.infer<typeof Assignment>;

/**
 * The desired state of one workload in one cluster, as sent to its agent. A workload is named within its tenant;
 * `uid` tells one incarnation of a name from the next, `generation` one placement of it from the next.
 */
export const Placement = z.strictObject({
  uid: z.string().min(1).max(64),
  workload: z.string().min(1).max(63),
  tenant: z.string().min(1).max(63),
  cluster: z.string().min(1).max(63),
  replicas: z.number().int().positive(),
  /** Bumped on every change of the desired state; agents ignore older generations. */
  generation: z.number().int().positive(),
  decisionId: z.string().min(1),
  spot: z.boolean().default(false),
  gpuModel: z.string().optional(),
  /** Data to copy in before the workload starts here (empty: everything it reads is local). */
  staging: z.array(StagingItem).max(64).default([]),
  /**
   * A service's endpoint weights here: per user region, the share of its traffic the global load balancer sends
   * to this cluster (the hub's autoscaler sets them). Absent: none decided yet.
   */
  routing: z.record(z.string().min(1).max(63), z.number().min(0).max(1)).optional(),
  spec: Workload.shape.spec,
});
export type Placement = z.infer<typeof Placement>;
export type PlacementInput = z.input<typeof Placement>;

/** The key an agent knows a placement by: tenant and name (unique together in the hub). */
export const placementKey = (p: { tenant: string; workload: string }): string => `${p.tenant}/${p.workload}`;
