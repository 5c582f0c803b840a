/**
 * Free capacity of a cluster's nodes, from its node groups minus reservations.
 * A group with `count: N` stands for N identical nodes; the counts are computed per group with arithmetic, so a
 * 1,000-node group costs the same as one node. Only nodes named in reservations are looked at one by one.
 */
import type { Fleet, FleetCluster, NodeGroup } from "@gantry/shared";
import type { GroupReservations, NodeUse, Offer, PlanRequest } from "./framework.ts";
import { isUsableNode } from "./framework.ts";

/** The name of node `index` of a group: the group name when it has one node, `group-index` otherwise. */
export const nodeName = (group: NodeGroup, index: number): string =>
  group.count === 1 ? group.name : `${group.name}-${index}`;

/** Sums the fleet's reservations per cluster and node name, once per decision. */
export const indexReservations = (fleet: Fleet): Map<string, Map<string, NodeUse>> => {
  const out = new Map<string, Map<string, NodeUse>>();
  for (const r of fleet.reservations) {
    let byNode = out.get(r.cluster);
    if (byNode === undefined) {
      byNode = new Map();
      out.set(r.cluster, byNode);
    }
    for (const n of r.nodes) {
      const u = byNode.get(n.node);
      if (u === undefined) byNode.set(n.node, { gpus: n.gpus, cpu: n.cpu, memoryGiB: n.memoryGiB });
      else {
        u.gpus += n.gpus;
        u.cpu += n.cpu;
        u.memoryGiB += n.memoryGiB;
      }
    }
  }
  return out;
};

const addUse = (a: NodeUse | undefined, b: NodeUse): NodeUse =>
  a === undefined ? { ...b } : { gpus: a.gpus + b.gpus, cpu: a.cpu + b.cpu, memoryGiB: a.memoryGiB + b.memoryGiB };

/**
 * Maps reserved node names onto the cluster's groups. A reservation naming a multi-node group itself is applied to
 * every node of the group (the conservative reading: it can only under-commit). Unknown names are ignored: the node
 * is gone from the snapshot, so there is nothing left to protect.
 */
export const resolveReservations = (
  cluster: FleetCluster,
  uses: ReadonlyMap<string, NodeUse>,
): (GroupReservations | undefined)[] => {
  const out: (GroupReservations | undefined)[] = [];
  for (const g of cluster.nodes) {
    let gr: GroupReservations | undefined;
    const direct = uses.get(g.name);
    if (direct !== undefined) gr = { all: { ...direct }, byIndex: new Map() };
    if (g.count > 1) {
      const prefix = `${g.name}-`;
      for (const [name, use] of uses) {
        if (!name.startsWith(prefix)) continue;
        const rest = name.slice(prefix.length);
        if (!/^\d+$/.test(rest)) continue;
        const index = Number(rest);
        if (index >= g.count) continue;
        gr ??= { all: undefined, byIndex: new Map() };
        gr.byIndex.set(index, addUse(gr.byIndex.get(index), use));
      }
    }
    out.push(gr);
  }
  return out;
};

/** Whether nodes of this group can host the workload: usable, and for GPU workloads the right model and memory. */
export const groupServes = (g: NodeGroup, model: string | undefined, req: PlanRequest): boolean => {
  if (!isUsableNode(g)) return false;
  if (req.gpus === 0) return true;
  const gpu = g.gpu;
  return gpu !== undefined && gpu.model === model && gpu.memoryGiB >= req.minGpuMemoryGiB;
};

const freeGpusOf = (g: NodeGroup, u: NodeUse | undefined): number =>
  Math.max(0, (g.gpu?.count ?? 0) - g.gpusUsed - (u?.gpus ?? 0));
const freeCpuOf = (g: NodeGroup, u: NodeUse | undefined): number => Math.max(0, g.cpu - g.cpuUsed - (u?.cpu ?? 0));
const freeMemOf = (g: NodeGroup, u: NodeUse | undefined): number =>
  Math.max(0, g.memoryGiB - g.memoryUsedGiB - (u?.memoryGiB ?? 0));

/** Replicas one node fits along one resource; `cap` bounds it (no node needs more than all replicas). */
const per = (free: number, need: number, cap: number): number =>
  need > 0 ? Math.min(cap, Math.floor(free / need)) : cap;

/** Adds `count` nodes with the given free resources to the offer's slot counts. */
const countNodes = (offer: Offer, req: PlanRequest, count: number, fg: number, fc: number, fm: number): void => {
  if (count <= 0) return;
  const cap = req.replicas;
  const gs = per(fg, req.gpus, cap);
  const cs = per(fc, req.cpu, cap);
  const ms = per(fm, req.memoryGiB, cap);
  offer.gpuSlots += count * gs;
  offer.cpuSlots += count * Math.min(gs, cs);
  offer.memorySlots += count * Math.min(gs, ms);
  offer.slots += count * Math.min(gs, cs, ms);
  offer.freeGpus += count * fg;
  if (fg > offer.largestFreeBlock) offer.largestFreeBlock = fg;
};

/** Counts replica slots for one offer across the cluster's nodes, honouring reservations. */
export const countSlots = (
  cluster: FleetCluster,
  reservations: ReadonlyArray<GroupReservations | undefined> | undefined,
  offer: Offer,
  req: PlanRequest,
): void => {
  offer.gpuSlots = 0;
  offer.cpuSlots = 0;
  offer.memorySlots = 0;
  offer.slots = 0;
  offer.freeGpus = 0;
  offer.largestFreeBlock = 0;
  const groups = cluster.nodes;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    if (!groupServes(g, offer.model, req)) continue;
    const r = reservations?.[i];
    if (r === undefined) {
      countNodes(offer, req, g.count, freeGpusOf(g, undefined), freeCpuOf(g, undefined), freeMemOf(g, undefined));
      continue;
    }
    const all = r.all;
    countNodes(offer, req, g.count - r.byIndex.size, freeGpusOf(g, all), freeCpuOf(g, all), freeMemOf(g, all));
    for (const u of r.byIndex.values()) {
      const use = all === undefined ? u : addUse(all, u);
      countNodes(offer, req, 1, freeGpusOf(g, use), freeCpuOf(g, use), freeMemOf(g, use));
    }
  }
};
