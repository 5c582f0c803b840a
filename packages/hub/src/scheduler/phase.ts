import type { PlacementStatus, WorkloadPhase, WorkloadType } from "@gantry/shared";
import type { StatusTransition } from "../store/index.ts";

/**
 * A workload's phase from its placements' statuses (a split workload has several): any failure
 * fails it; a job succeeds when every part has; it runs once any part runs.
 */
export const aggregatePhase = (
  type: WorkloadType,
  statuses: (PlacementStatus | null)[],
): { phase: WorkloadPhase; message: string } => {
  if (statuses.length === 0) return { phase: "Pending", message: "no placement" };
  const failed = statuses.find((s) => s?.phase === "Failed");
  if (failed) return { phase: "Failed", message: failed.message || "a placement failed" };
  if (type === "job" && statuses.every((s) => s?.phase === "Succeeded")) {
    return { phase: "Succeeded", message: "all replicas completed" };
  }
  // Data still coming in somewhere and nothing running yet: the workload is staging (progress in the message).
  const staging = statuses.find((s) => s?.phase === "Staging");
  if (staging && !statuses.some((s) => s?.phase === "Running")) {
    return { phase: "Staging", message: staging.message || "staging its data" };
  }
  const ready = statuses.reduce((n, s) => n + (s?.readyReplicas ?? 0), 0);
  const wanted = statuses.reduce((n, s) => n + (s?.replicas ?? 0), 0);
  if (statuses.some((s) => s?.phase === "Running" || s?.phase === "Succeeded")) {
    return { phase: "Running", message: `${ready}/${wanted} replicas ready` };
  }
  const pending = statuses.find((s) => s?.phase === "Pending" && s.message);
  return { phase: "Placed", message: pending?.message ?? "applied; waiting for the cluster to start it" };
};

/** What a placement needs for the transition below: a subset of the stored row. */
export interface PlacementFacts {
  cluster: string;
  active: boolean;
  generation: number;
  replicas: number;
  status: PlacementStatus | null;
}

/** What a workload needs for the transition below. */
export interface WorkloadFacts {
  phase: string;
  generation: number;
  pool: string | null;
  manifest: { spec: { type: WorkloadType; restartable: boolean } };
}

/** Reasons an agent gives for a placement it stopped on its own: the job can run elsewhere if it may restart. */
const LOST_REASONS = new Set(["fenced", "cluster_lost"]);

/**
 * What a status report does to its workload (the store applies it in the report's transaction). Pure: the
 * workload's current placements in, a transition out.
 * - A restartable job a cluster stopped on its own (fenced: cut off from the hub) goes back to the queue; any other
 *   job that was stopped so fails with the reason.
 * - While older placements drain (drain-back, a service failing over), the workload runs on them until every new
 *   placement is ready; then they are retired.
 * - Otherwise the phase is the aggregate of the current generation's placements.
 */
export const statusTransition = (w: WorkloadFacts, placements: readonly PlacementFacts[]): StatusTransition => {
  if (w.phase === "Succeeded" || w.phase === "Failed") return { kind: "none" };
  const active = placements.filter((p) => p.active);
  const current = active.filter((p) => p.generation === w.generation);
  const draining = active.filter((p) => p.generation < w.generation);
  const lost = current.find((p) => p.status?.phase === "Failed" && LOST_REASONS.has(p.status.reason ?? ""));
  if (lost?.status && w.manifest.spec.type === "job") {
    const why = `${lost.cluster} stopped it: ${lost.status.message || lost.status.reason}`;
    return w.manifest.spec.restartable
      ? { kind: "requeue", message: `${why}; restartable, so it is placed again`, reason: "Requeued" }
      : { kind: "phase", phase: "Failed", message: `${why}; not restartable`, reason: lost.status.reason ?? "Failed" };
  }
  const { phase, message } = aggregatePhase(
    w.manifest.spec.type,
    current.map((p) => p.status),
  );
  if (draining.length > 0) {
    const allReady =
      current.length > 0 && current.every((p) => p.status?.phase === "Running" && p.status.readyReplicas >= p.replicas);
    return allReady
      ? { kind: "retire-old", message: `moved to ${w.pool ?? "its new placement"}; ${message}` }
      : { kind: "none" };
  }
  if (phase === "Pending") return { kind: "none" };
  return { kind: "phase", phase, message };
};
