/**
 * Free capacity of a cluster's nodes, from its node groups minus reservations.
 * A group with `count: N` stands for N identical nodes; the counts are computed per group with arithmetic, so a
 * 1,000-node group costs the same as one node. Only nodes named in reservations are looked at one by one.
 */
import type { FleetCluster, NodeGroup, Reservation } from "@gantry/shared";
import type { GroupReservations, NodeUse, Offer, PlanRequest } from "./framework.ts";
import type { FleetSnapshot } from "./snapshot.ts";

/** The name of node `index` of a group: the group name when it has one node, `group-index` otherwise. */
export const nodeName = (group: NodeGroup, index: number): string =>
  group.count === 1 ? group.name : `${group.name}-${index}`;

/** Sums reservations per cluster and node name, once per decision. */
export const indexReservations = (reservations: readonly Reservation[]): Map<string, Map<string, NodeUse>> => {
  const out = new Map<string, Map<string, NodeUse>>();
  for (const r of reservations) {
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

/** Whether nodes of snapshot group `g` can host the workload: usable, and for GPU work the model and memory. */
export const groupServes = (snap: FleetSnapshot, g: number, modelId: number, req: PlanRequest): boolean =>
  snap.groupUsable[g] === 1 &&
  (req.gpus === 0 || (snap.groupModel[g] === modelId && snap.groupGpuMemory[g]! >= req.minGpuMemoryGiB));

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

const less = (free: number, used: number): number => Math.max(0, free - used);

/** Counts replica slots for one offer across the cluster's node groups, honouring reservations. */
export const countSlots = (
  snap: FleetSnapshot,
  cluster: number,
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
  const start = snap.groupStart[cluster]!;
  const end = snap.groupStart[cluster + 1]!;
  for (let g = start; g < end; g++) {
    if (!groupServes(snap, g, offer.modelId, req)) continue;
    const fg = snap.groupFreeGpus[g]!;
    const fc = snap.groupFreeCpu[g]!;
    const fm = snap.groupFreeMemory[g]!;
    const r = reservations?.[g - start];
    if (r === undefined) {
      countNodes(offer, req, snap.groupNodes[g]!, fg, fc, fm);
      continue;
    }
    const all = r.all ?? NO_USE;
    countNodes(
      offer,
      req,
      snap.groupNodes[g]! - r.byIndex.size,
      less(fg, all.gpus),
      less(fc, all.cpu),
      less(fm, all.memoryGiB),
    );
    for (const u of r.byIndex.values()) {
      countNodes(
        offer,
        req,
        1,
        less(fg, all.gpus + u.gpus),
        less(fc, all.cpu + u.cpu),
        less(fm, all.memoryGiB + u.memoryGiB),
      );
    }
  }
};

export const NO_USE: NodeUse = { gpus: 0, cpu: 0, memoryGiB: 0 };
