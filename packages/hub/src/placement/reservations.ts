import type { Decision, Reservation, Workload } from "@gantry/shared";

/**
 * The capacity a decision holds, per node, as reservations. Add them to `fleet.reservations` before the next
 * decision so back-to-back decisions on a snapshot that does not show them yet never book the same GPUs twice.
 */
export const reservationsFor = (workloadName: string, workload: Workload, decision: Decision): Reservation[] => {
  const r = workload.spec.resources;
  return decision.assignments.map((a) => ({
    workload: workloadName,
    cluster: a.cluster,
    nodes: a.nodes.map((n) => ({
      node: n.node,
      gpus: n.replicas * r.gpu.count,
      cpu: n.replicas * r.cpu,
      memoryGiB: n.replicas * r.memoryGiB,
    })),
  }));
};
