import type { PlacementStatus, WorkloadPhase, WorkloadType } from "@gantry/shared";

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
  const ready = statuses.reduce((n, s) => n + (s?.readyReplicas ?? 0), 0);
  const wanted = statuses.reduce((n, s) => n + (s?.replicas ?? 0), 0);
  if (statuses.some((s) => s?.phase === "Running" || s?.phase === "Succeeded")) {
    return { phase: "Running", message: `${ready}/${wanted} replicas ready` };
  }
  const pending = statuses.find((s) => s?.phase === "Pending" && s.message);
  return { phase: "Placed", message: pending?.message ?? "applied; waiting for the cluster to start it" };
};
