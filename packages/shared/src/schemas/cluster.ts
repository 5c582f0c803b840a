import { z } from "zod";
import { GpuHourPrice, GpuModel, Identifier, Name } from "./common.ts";
import { Labels } from "./labels.ts";
import { boundedInt, boundedList, boundedNumber, boundedRecord, boundedString, LIMITS } from "./limits.ts";
import { Taints } from "./tolerations.ts";

export const Tier = z.enum(["cloud", "onprem", "edge"]);
export type Tier = z.infer<typeof Tier>;

export const ClusterHealth = z.enum(["ready", "unknown", "offline"]);
export type ClusterHealth = z.infer<typeof ClusterHealth>;

const Prices = boundedRecord(GpuModel, GpuHourPrice, LIMITS.listItems);

/** Prices in USD. `gpuHour` for on-prem is the amortised cost of owning the GPU. */
export const Pricing = z.strictObject({
  gpuHour: Prices.default({}),
  spotGpuHour: Prices.default({}),
  egressPerGB: boundedNumber(LIMITS.egressPerGB).default(0),
});
export type Pricing = z.infer<typeof Pricing>;

export const GpuShape = z.strictObject({
  model: GpuModel,
  count: boundedInt(LIMITS.gpusPerNode),
  memoryGiB: boundedNumber(LIMITS.gpuMemoryGiB),
});
export type GpuShape = z.infer<typeof GpuShape>;

/** A node entry stands for `count` identical nodes, each with `gpusUsed` GPUs already taken. */
export const NodeGroup = z.strictObject({
  name: Identifier,
  count: boundedInt(LIMITS.nodesPerGroup).default(1),
  gpu: GpuShape.optional(),
  gpusUsed: boundedInt(LIMITS.gpusPerNode).default(0),
  cpu: boundedNumber(LIMITS.cpuCores).default(0),
  cpuUsed: boundedNumber(LIMITS.cpuCores).default(0),
  memoryGiB: boundedNumber(LIMITS.memoryGiB).default(0),
  memoryUsedGiB: boundedNumber(LIMITS.memoryGiB).default(0),
  ready: z.boolean().default(true),
  schedulable: z.boolean().default(true),
  labels: Labels.default({}),
});
export type NodeGroup = z.infer<typeof NodeGroup>;
export type NodeGroupInput = z.input<typeof NodeGroup>;

/** Free text such as a region may be empty: "unknown" is a fact too. */
const Optional = boundedString(LIMITS.stringLength, 0);

/** What a cluster is: identity, placement attributes and prices. Capacity is reported separately. */
export const ClusterDescription = z.strictObject({
  name: Name,
  tier: Tier,
  provider: Optional.default(""),
  region: Optional.default(""),
  zone: Optional.default(""),
  labels: Labels.default({}),
  taints: Taints.default([]),
  pricing: Pricing.default({ gpuHour: {}, spotGpuHour: {}, egressPerGB: 0 }),
  /** Whether the cluster offers spot/preemptible capacity at `pricing.spotGpuHour`. */
  spot: z.boolean().optional(),
  /**
   * Bandwidth of the cluster's data link in Gbit/s: how fast a dataset it lacks is copied in (or one it holds is
   * copied out). The placement engine assumes 10 Gbit/s when unset.
   */
  bandwidthGbps: boundedNumber(LIMITS.bandwidthGbps, { positive: true }).optional(),
  /**
   * Room for dataset copies in the cluster, GB: past it, the agent evicts the least recently used copies no running
   * workload uses. Absent: no limit.
   */
  cacheGB: boundedNumber(LIMITS.cacheGB).optional(),
  /**
   * Expected preemptions per hour of one spot node, by GPU model (`"*"` for every model not listed). The placement
   * engine assumes 0.05 (one every 20 h) when unset.
   */
  spotPreemptionsPerHour: boundedRecord(
    GpuModel.or(z.literal("*")),
    boundedNumber(LIMITS.preemptionsPerHour),
    LIMITS.listItems,
  ).optional(),
});
export type ClusterDescription = z.infer<typeof ClusterDescription>;

/** A cluster in a fleet file: its description, its nodes and its health, all in one place. */
export const FleetCluster = ClusterDescription.extend({
  nodes: boundedList(NodeGroup, LIMITS.nodeGroups).default([]),
  health: ClusterHealth.default("ready"),
});
export type FleetCluster = z.infer<typeof FleetCluster>;
export type FleetClusterInput = z.input<typeof FleetCluster>;
