/**
 * Best-fit placement of replicas on a cluster's nodes: nodes with the fewest free GPUs that still hold a replica go
 * first, so large free blocks stay whole for later gangs. Used to score candidates (how many GPUs a placement
 * strands) and to name the nodes of the selected ones.
 */
import { groupServes, NO_USE, nodeName } from "./capacity.ts";
import type { GroupReservations, NodeUse, PlanRequest } from "./framework.ts";
import type { FleetSnapshot } from "./snapshot.ts";

interface Bucket {
  /** Snapshot group index. */
  readonly group: number;
  /** A single reserved node's index, or -1 for the group's unreserved nodes. */
  readonly index: number;
  readonly count: number;
  readonly skip: ReadonlyMap<number, NodeUse> | undefined;
  readonly freeGpus: number;
  readonly freeCpu: number;
  readonly slots: number;
}

export interface FillResult {
  readonly placed: number;
  readonly usedGpus: number;
  /** Free GPUs left on touched nodes that another replica of this shape could not use. */
  readonly strandedGpus: number;
  readonly nodes: { node: string; replicas: number }[];
}

const sub = (a: number, b: number): number => Math.max(0, a - b);

/** Replicas one node with these free resources holds (capped at the workload's replicas). */
const slotsPerNode = (fg: number, fc: number, fm: number, req: PlanRequest): number => {
  let slots = req.replicas;
  if (req.gpus > 0) slots = Math.min(slots, Math.floor(fg / req.gpus));
  if (req.cpu > 0) slots = Math.min(slots, Math.floor(fc / req.cpu));
  if (req.memoryGiB > 0) slots = Math.min(slots, Math.floor(fm / req.memoryGiB));
  return slots;
};

/** GPUs a touched node keeps that no further replica of this shape could use. */
const strandedOn = (free: number, gpus: number): number => (free < gpus ? free : 0);

const bucketOf = (
  snap: FleetSnapshot,
  g: number,
  index: number,
  count: number,
  skip: ReadonlyMap<number, NodeUse> | undefined,
  u: NodeUse,
  req: PlanRequest,
): Bucket => {
  const fg = sub(snap.groupFreeGpus[g]!, u.gpus);
  const fc = sub(snap.groupFreeCpu[g]!, u.cpu);
  const fm = sub(snap.groupFreeMemory[g]!, u.memoryGiB);
  return { group: g, index, count, skip, freeGpus: fg, freeCpu: fc, slots: slotsPerNode(fg, fc, fm, req) };
};

const bucketsFor = (
  snap: FleetSnapshot,
  cluster: number,
  reservations: ReadonlyArray<GroupReservations | undefined> | undefined,
  modelId: number,
  req: PlanRequest,
): Bucket[] => {
  const out: Bucket[] = [];
  const start = snap.groupStart[cluster]!;
  const end = snap.groupStart[cluster + 1]!;
  for (let g = start; g < end; g++) {
    if (!groupServes(snap, g, modelId, req)) continue;
    const r = reservations?.[g - start];
    const all = r?.all ?? NO_USE;
    const skip = r?.byIndex;
    const free = snap.groupNodes[g]! - (skip?.size ?? 0);
    if (free > 0) out.push(bucketOf(snap, g, -1, free, skip, all, req));
    if (skip === undefined) continue;
    for (const [index, u] of skip) {
      const use = { gpus: all.gpus + u.gpus, cpu: all.cpu + u.cpu, memoryGiB: all.memoryGiB + u.memoryGiB };
      out.push(bucketOf(snap, g, index, 1, undefined, use, req));
    }
  }
  return out;
};

/** Best fit first: least free GPUs (CPU for GPU-less work), then fleet order, then node index. */
const byBestFit =
  (gpu: boolean) =>
  (a: Bucket, b: Bucket): number =>
    (gpu ? a.freeGpus - b.freeGpus : a.freeCpu - b.freeCpu) || a.group - b.group || a.index - b.index;

/** Places up to `replicas` replicas; names nodes only when `withNodes` (the selected clusters). */
export const fillNodes = (
  snap: FleetSnapshot,
  cluster: number,
  reservations: ReadonlyArray<GroupReservations | undefined> | undefined,
  modelId: number,
  req: PlanRequest,
  replicas: number,
  withNodes: boolean,
): FillResult => {
  const buckets = bucketsFor(snap, cluster, reservations, modelId, req).sort(byBestFit(req.gpus > 0));
  const groups = snap.clusters[cluster]!.nodes;
  const start = snap.groupStart[cluster]!;
  const nodes: { node: string; replicas: number }[] = [];
  let left = replicas;
  let stranded = 0;
  for (const b of buckets) {
    if (left === 0) break;
    if (b.slots === 0) continue;
    let touched = 0;
    let nextIndex = 0;
    while (left > 0 && touched < b.count) {
      const take = Math.min(b.slots, left);
      left -= take;
      touched++;
      stranded += strandedOn(b.freeGpus - take * req.gpus, req.gpus);
      if (!withNodes) continue;
      let index = b.index;
      if (index < 0) {
        while (b.skip?.has(nextIndex) === true) nextIndex++;
        index = nextIndex++;
      }
      nodes.push({ node: nodeName(groups[b.group - start]!, index), replicas: take });
    }
  }
  const placed = replicas - left;
  return { placed, usedGpus: placed * req.gpus, strandedGpus: stranded, nodes };
};

/** Groups a bitmask can track; larger clusters take the general path. */
const MAX_FAST_GROUPS = 31;

/**
 * The `strandedGpus` of `fillNodes`, without allocating: for every candidate of a decision, on clusters without
 * reservations, it walks the groups in best-fit order (fewest free GPUs first, then fleet order) and counts whole
 * nodes arithmetically. Falls back to `fillNodes` when reservations split groups into single nodes.
 */
export const strandedAfter = (
  snap: FleetSnapshot,
  cluster: number,
  reservations: ReadonlyArray<GroupReservations | undefined> | undefined,
  modelId: number,
  req: PlanRequest,
  replicas: number,
): number => {
  if (req.gpus === 0) return 0;
  const start = snap.groupStart[cluster]!;
  const end = snap.groupStart[cluster + 1]!;
  if (reservations !== undefined || end - start > MAX_FAST_GROUPS) {
    return fillNodes(snap, cluster, reservations, modelId, req, replicas, false).strandedGpus;
  }
  let visited = 0;
  let left = replicas;
  let stranded = 0;
  while (left > 0) {
    let pick = -1;
    let pickFree = 0;
    let pickSlots = 0;
    for (let g = start; g < end; g++) {
      if ((visited & (1 << (g - start))) !== 0 || !groupServes(snap, g, modelId, req)) continue;
      const fg = snap.groupFreeGpus[g]!;
      const slots = slotsPerNode(fg, snap.groupFreeCpu[g]!, snap.groupFreeMemory[g]!, req);
      if (slots === 0 || (pick >= 0 && fg >= pickFree)) continue;
      pick = g;
      pickFree = fg;
      pickSlots = slots;
    }
    if (pick < 0) break;
    visited |= 1 << (pick - start);
    const nodes = snap.groupNodes[pick]!;
    const full = Math.min(nodes, Math.floor(left / pickSlots));
    left -= full * pickSlots;
    stranded += full * strandedOn(pickFree - pickSlots * req.gpus, req.gpus);
    if (left > 0 && full < nodes) {
      stranded += strandedOn(pickFree - left * req.gpus, req.gpus);
      left = 0;
    }
  }
  return stranded;
};
