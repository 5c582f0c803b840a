import type { CapacityReport } from "@gantry/shared";

/** What of a capacity report can change a placement decision: per node, what is taken and whether it is usable. */
export const capacityFingerprint = (report: CapacityReport): string =>
  report.nodes
    .map((n) => `${n.name}:${n.gpusUsed}:${n.cpuUsed}:${n.memoryUsedGiB}:${n.ready ? 1 : 0}${n.schedulable ? 1 : 0}`)
    .join("|");

/**
 * Remembers each cluster's last fingerprint, so the queue is re-evaluated when a heartbeat frees or
 * takes capacity, not on every heartbeat of a quiet fleet.
 */
export const capacityChanges = () => {
  const last = new Map<string, string>();
  return (cluster: string, report: CapacityReport): boolean => {
    const fp = capacityFingerprint(report);
    if (last.get(cluster) === fp) return false;
    last.set(cluster, fp);
    return true;
  };
};
