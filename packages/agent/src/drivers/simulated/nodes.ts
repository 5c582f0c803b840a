import type { FleetCluster, NodeGroup } from "@gantry/shared";

/** One simulated node, with what is taken on it. */
export interface SimNode {
  name: string;
  group: NodeGroup;
  gpusUsed: number;
  cpuUsed: number;
  memoryUsedGiB: number;
}

/**
 * Expand node groups into nodes. Names follow the placement engine's convention (`group-i`, or the
 * group's name when it stands for one node) so reservations and hints line up.
 */
export const expandNodes = (cluster: FleetCluster): SimNode[] =>
  cluster.nodes.flatMap((group) =>
    Array.from({ length: group.count }, (_, i) => ({
      name: group.count === 1 ? group.name : `${group.name}-${i}`,
      group,
      gpusUsed: group.gpusUsed,
      cpuUsed: group.cpuUsed,
      memoryUsedGiB: group.memoryUsedGiB,
    })),
  );

export interface ReplicaShape {
  gpus: number;
  models: string[];
  minMemoryGiB: number;
  cpu: number;
  memoryGiB: number;
}

const fits = (n: SimNode, r: ReplicaShape): boolean => {
  const g = n.group;
  if (!g.ready || !g.schedulable) return false;
  if (r.gpus > 0) {
    if (!g.gpu) return false;
    if (r.models.length > 0 && !r.models.includes(g.gpu.model)) return false;
    if (g.gpu.memoryGiB < r.minMemoryGiB) return false;
    if (g.gpu.count - n.gpusUsed < r.gpus) return false;
  }
  if (g.cpu > 0 && g.cpu - n.cpuUsed < r.cpu) return false;
  if (g.memoryGiB > 0 && g.memoryGiB - n.memoryUsedGiB < r.memoryGiB) return false;
  return true;
};

/** Best fit: the node with the fewest free GPUs that still fits, so big blocks stay whole. */
export const pickNode = (nodes: SimNode[], r: ReplicaShape): SimNode | undefined => {
  let best: SimNode | undefined;
  for (const n of nodes) {
    if (!fits(n, r)) continue;
    const free = (n.group.gpu?.count ?? 0) - n.gpusUsed;
    const bestFree = best ? (best.group.gpu?.count ?? 0) - best.gpusUsed : Number.POSITIVE_INFINITY;
    if (free < bestFree || (free === bestFree && best && n.name < best.name)) best = n;
  }
  return best;
};

export const take = (n: SimNode, r: ReplicaShape, sign: 1 | -1): void => {
  n.gpusUsed += sign * r.gpus;
  n.cpuUsed += sign * r.cpu;
  n.memoryUsedGiB += sign * r.memoryGiB;
};

/** Largest free GPU block on a node that could take the replica, for "why pending" messages. */
export const largestFreeBlock = (nodes: SimNode[], r: ReplicaShape): number =>
  nodes.reduce((max, n) => {
    const g = n.group.gpu;
    if (!g || !n.group.ready || !n.group.schedulable) return max;
    if ((r.models.length && !r.models.includes(g.model)) || g.memoryGiB < r.minMemoryGiB) return max;
    return Math.max(max, g.count - n.gpusUsed);
  }, 0);
