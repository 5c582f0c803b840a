import type { FleetCluster } from "@gantry/shared";
import { z } from "zod";
import { gpuTotals } from "../fleet/snapshot.ts";
import type { ClusterEntry } from "../fleet/view.ts";
import type { EventRow, WorkloadWithPlacements } from "../store/index.ts";

const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;

/** A workload as the API shows it: what was asked (spec, with read-only metadata) and what happened (status). */
export const workloadView = (w: WorkloadWithPlacements) => ({
  apiVersion: w.manifest.apiVersion,
  kind: w.manifest.kind,
  metadata: {
    ...w.manifest.metadata,
    uid: w.uid,
    resourceVersion: String(w.rv),
    creationTimestamp: w.createdAt.toISOString(),
  },
  spec: w.manifest.spec,
  status: {
    phase: w.phase,
    message: w.message,
    generation: w.generation,
    decisionId: w.decisionId,
    ...(w.quarantine ? { quarantine: w.quarantine } : {}),
    createdAt: w.createdAt.toISOString(),
    placedAt: iso(w.placedAt),
    startedAt: iso(w.startedAt),
    finishedAt: iso(w.finishedAt),
    policy: w.policy,
    pool: w.pool,
    ...(w.autoscaling ? { autoscaling: w.autoscaling } : {}),
    placements: w.placements.map((p) => ({
      cluster: p.cluster,
      replicas: p.replicas,
      generation: p.generation,
      ...(p.routing ? { routing: p.routing } : {}),
      active: p.active,
      spot: p.spot,
      gpuModel: p.gpuModel,
      pricePerGpuHour: p.pricePerGpuHour,
      phase: p.status?.phase ?? "Pending",
      readyReplicas: p.status?.readyReplicas ?? 0,
      message: p.status?.message ?? "",
      reason: p.status?.reason ?? null,
      events: p.status?.events ?? [],
      missingSince: iso(p.missingSince),
      /** The decision's staging plan for this cluster (what its agent copies in first), and its progress. */
      staging: p.staging,
      stagingProgress: p.status?.staging ?? null,
    })),
  },
});

/** The compact form lists return with `view=summary`: enough for a table, a fraction of the bytes. */
export const workloadSummary = (w: WorkloadWithPlacements) => ({
  apiVersion: w.manifest.apiVersion,
  kind: w.manifest.kind,
  metadata: {
    name: w.name,
    tenant: w.tenant,
    uid: w.uid,
    resourceVersion: String(w.rv),
    labels: w.manifest.metadata.labels,
  },
  spec: {
    type: w.manifest.spec.type,
    replicas: w.manifest.spec.replicas,
    resources: { gpu: w.manifest.spec.resources.gpu },
  },
  status: {
    phase: w.phase,
    message: w.message,
    createdAt: w.createdAt.toISOString(),
    ...(w.autoscaling
      ? {
          autoscaling: {
            desiredReplicas: w.autoscaling.desiredReplicas,
            readyReplicas: w.autoscaling.readyReplicas,
            mode: w.autoscaling.mode,
            clusters: w.autoscaling.clusters,
          },
        }
      : {}),
    placements: w.placements
      .filter((p) => p.active)
      .map((p) => ({
        cluster: p.cluster,
        replicas: p.replicas,
        spot: p.spot,
        active: p.active,
        phase: p.status?.phase ?? "Pending",
        readyReplicas: p.status?.readyReplicas ?? 0,
      })),
  },
});

export const eventView = (e: EventRow) => ({
  at: e.at.toISOString(),
  type: e.type,
  reason: e.reason,
  cluster: e.cluster,
  message: e.message,
});

/** A cluster as the API shows it: description, latest capacity, computed health, agent, registration. */
export const clusterView = (e: ClusterEntry, cluster: FleetCluster, summary = false) => ({
  ...(summary
    ? { name: cluster.name, tier: cluster.tier, provider: cluster.provider, region: cluster.region }
    : cluster),
  health: cluster.health,
  state: e.state,
  gpus: gpuTotals(cluster),
  agent: { id: e.agentId, driver: e.driver, version: e.agentVersion },
  lastSeenAt: iso(e.lastSeenAt),
});

export const WorkloadView = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.looseObject({ name: z.string(), tenant: z.string() }),
  spec: z.looseObject({}),
  status: z.looseObject({ phase: z.string(), message: z.string() }),
});
export const ClusterView = z.looseObject({
  name: z.string(),
  tier: z.string(),
  health: z.string(),
  state: z.string(),
  gpus: z.object({ total: z.number(), free: z.number(), models: z.array(z.string()) }),
  lastSeenAt: z.string().nullable(),
});
export const EventView = z.object({
  at: z.string(),
  type: z.string(),
  reason: z.string(),
  cluster: z.string().nullable(),
  message: z.string(),
});
