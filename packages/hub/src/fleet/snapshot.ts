import type { ClusterDescription, FleetCluster } from "@gantry/shared";
import { type HealthThresholds, healthOf } from "./health.ts";

/** What the fleet view knows of a cluster that a snapshot needs. */
export interface ClusterFacts {
  description: ClusterDescription;
  capacity: { nodes: FleetCluster["nodes"] } | null;
  lastSeenAt: Date | null;
}

/** A cluster as the API and the engine see it: description, latest capacity, computed health. */
export const fleetClusterOf = (c: ClusterFacts, now: Date, thresholds: HealthThresholds): FleetCluster => ({
  ...c.description,
  nodes: c.capacity?.nodes ?? [],
  health: c.capacity ? healthOf(c.lastSeenAt, now, thresholds) : "unknown",
});

/** Free and total GPUs of a cluster, for listings. */
export const gpuTotals = (cluster: FleetCluster): { total: number; free: number; models: string[] } => {
  let total = 0;
  let free = 0;
  const models = new Set<string>();
  for (const n of cluster.nodes) {
    if (!n.gpu) continue;
    models.add(n.gpu.model);
    total += n.gpu.count * n.count;
    if (n.ready && n.schedulable) free += Math.max(0, n.gpu.count - n.gpusUsed) * n.count;
  }
  return { total, free, models: [...models].sort() };
};
