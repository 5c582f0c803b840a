import { z } from "zod";
import { Labels, Name, Taint, Usd } from "./common.ts";

export const Tier = z.enum(["cloud", "onprem", "edge"]);
export type Tier = z.infer<typeof Tier>;

export const ClusterHealth = z.enum(["ready", "unknown", "offline"]);
export type ClusterHealth = z.infer<typeof ClusterHealth>;

/** Prices in USD. `gpuHour` for on-prem is the amortised cost of owning the GPU. */
export const Pricing = z.object({
  gpuHour: z.record(z.string(), Usd).default({}),
  spotGpuHour: z.record(z.string(), Usd).default({}),
  egressPerGB: Usd.default(0),
});
export type Pricing = z.infer<typeof Pricing>;

export const GpuShape = z.object({
  model: z.string().min(1),
  count: z.number().int().nonnegative(),
  memoryGiB: z.number().nonnegative(),
});
export type GpuShape = z.infer<typeof GpuShape>;

/** A node entry stands for `count` identical nodes, each with `gpusUsed` GPUs already taken. */
export const NodeGroup = z.object({
  name: z.string().min(1),
  count: z.number().int().positive().default(1),
  gpu: GpuShape.optional(),
  gpusUsed: z.number().int().nonnegative().default(0),
  cpu: z.number().nonnegative().default(0),
  cpuUsed: z.number().nonnegative().default(0),
  memoryGiB: z.number().nonnegative().default(0),
  memoryUsedGiB: z.number().nonnegative().default(0),
  ready: z.boolean().default(true),
  schedulable: z.boolean().default(true),
  labels: Labels.default({}),
});
export type NodeGroup = z.infer<typeof NodeGroup>;
export type NodeGroupInput = z.input<typeof NodeGroup>;

/** What a cluster is: identity, placement attributes and prices. Capacity is reported separately. */
export const ClusterDescription = z.object({
  name: Name,
  tier: Tier,
  provider: z.string().default(""),
  region: z.string().default(""),
  zone: z.string().default(""),
  labels: Labels.default({}),
  taints: z.array(Taint).default([]),
  pricing: Pricing.default({ gpuHour: {}, spotGpuHour: {}, egressPerGB: 0 }),
  /** Whether the cluster offers spot/preemptible capacity at `pricing.spotGpuHour`. */
  spot: z.boolean().optional(),
  /**
   * Bandwidth of the cluster's data link in Gbit/s: how fast a dataset it lacks is copied in (or one it holds is
   * copied out). The placement engine assumes 10 Gbit/s when unset.
   */
  bandwidthGbps: z.number().positive().optional(),
  /**
   * Expected preemptions per hour of one spot node, by GPU model (`"*"` for every model not listed). The placement
   * engine assumes 0.05 (one every 20 h) when unset.
   */
  spotPreemptionsPerHour: z.record(z.string(), z.number().nonnegative()).optional(),
});
export type ClusterDescription = z.infer<typeof ClusterDescription>;

/** A cluster in a fleet file: its description, its nodes and its health, all in one place. */
export const FleetCluster = ClusterDescription.extend({
  nodes: z.array(NodeGroup).default([]),
  health: ClusterHealth.default("ready"),
});
export type FleetCluster = z.infer<typeof FleetCluster>;
export type FleetClusterInput = z.input<typeof FleetCluster>;
