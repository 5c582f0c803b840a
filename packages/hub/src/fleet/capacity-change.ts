import type { CapacityReport } from "@gantry/shared";

/**
 * What of a capacity report can change a placement decision: every field of every node group — what is taken and
 * whether it is usable, but also how many nodes a group has, their GPUs, CPU, memory and labels (a cluster that scales
 * out or relabels a node changes what fits where).
 */
export const capacityFingerprint = (report: CapacityReport): string => JSON.stringify(report.nodes);

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
