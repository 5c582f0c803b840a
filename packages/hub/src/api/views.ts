import { Fleet, type FleetCluster, FleetCluster as FleetClusterSchema } from "@gantry/shared";
import { z } from "zod";
import { gpuTotals } from "../fleet/snapshot.ts";
import type { ClusterRow, WorkloadWithPlacements } from "../store/index.ts";

/** A workload as the API shows it: what was asked (spec) and what happened (status). */
export const workloadView = (w: WorkloadWithPlacements) => ({
  ...w.manifest,
  status: {
    phase: w.phase,
    message: w.message,
    generation: w.generation,
    decisionId: w.decisionId,
    createdAt: w.createdAt.toISOString(),
    placedAt: w.placedAt?.toISOString() ?? null,
    startedAt: w.startedAt?.toISOString() ?? null,
    finishedAt: w.finishedAt?.toISOString() ?? null,
    placements: w.placements.map((p) => ({
      cluster: p.cluster,
      replicas: p.replicas,
      generation: p.generation,
      active: p.active,
      spot: p.spot,
      gpuModel: p.gpuModel,
      pricePerGpuHour: p.pricePerGpuHour,
      phase: p.status?.phase ?? "Pending",
      readyReplicas: p.status?.readyReplicas ?? 0,
      message: p.status?.message ?? "",
      events: p.status?.events ?? [],
    })),
  },
});

/** A cluster as the API shows it: description, latest capacity, computed health, agent. */
export const clusterView = (row: ClusterRow, cluster: FleetCluster) => ({
  ...cluster,
  gpus: gpuTotals(cluster),
  agent: { id: row.agentId, driver: row.driver, version: row.agentVersion },
  lastSeenAt: row.lastSeenAt?.toISOString() ?? null,
  revision: row.revision,
});

export const WorkloadView = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.looseObject({ name: z.string(), tenant: z.string() }),
  spec: z.looseObject({}),
  status: z.looseObject({ phase: z.string(), message: z.string() }),
});
export const ClusterView = FleetClusterSchema.extend({
  gpus: z.object({ total: z.number(), free: z.number(), models: z.array(z.string()) }),
  lastSeenAt: z.string().nullable(),
});
export const FleetView = Fleet;
