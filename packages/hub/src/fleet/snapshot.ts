import type { Dataset, Fleet, FleetCluster, Reservation } from "@gantry/shared";
import type { ClusterRow } from "../store/index.ts";
import { type HealthThresholds, healthOf } from "./health.ts";

/** A cluster as the API and the engine see it: description, latest capacity, computed health. */
export const fleetClusterOf = (row: ClusterRow, now: Date, thresholds: HealthThresholds): FleetCluster => ({
  ...row.description,
  nodes: row.capacity?.nodes ?? [],
  health: row.capacity ? healthOf(row.lastSeenAt, now, thresholds) : "unknown",
});

/** The snapshot the placement engine decides on. */
export const buildSnapshot = (input: {
  clusters: ClusterRow[];
  datasets: Dataset[];
  reservations: Reservation[];
  now: Date;
  thresholds: HealthThresholds;
}): Fleet => ({
  clusters: input.clusters.map((c) => fleetClusterOf(c, input.now, input.thresholds)),
  datasets: input.datasets,
  reservations: input.reservations,
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
