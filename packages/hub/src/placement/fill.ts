/**
 * Best-fit placement of replicas on a cluster's nodes: nodes with the fewest free GPUs that still hold a replica go
 * first, so large free blocks stay whole for later gangs. Used to score candidates (how many GPUs a placement
 * strands) and to name the nodes of the selected ones.
 */
import type { FleetCluster, NodeGroup } from "@gantry/shared";
import { groupServes, nodeName } from "./capacity.ts";
import type { GroupReservations, NodeUse, Offer, PlanRequest } from "./framework.ts";

interface Bucket {
  readonly group: NodeGroup;
  readonly order: number;
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

const bucketOf = (
  g: NodeGroup,
  order: number,
  index: number,
  count: number,
  skip: ReadonlyMap<number, NodeUse> | undefined,
  u: NodeUse,
  req: PlanRequest,
): Bucket => {
  const fg = sub((g.gpu?.count ?? 0) - g.gpusUsed, u.gpus);
  const fc = sub(g.cpu - g.cpuUsed, u.cpu);
  const fm = sub(g.memoryGiB - g.memoryUsedGiB, u.memoryGiB);
  let slots = req.replicas;
  if (req.gpus > 0) slots = Math.min(slots, Math.floor(fg / req.gpus));
  if (req.cpu > 0) slots = Math.min(slots, Math.floor(fc / req.cpu));
  if (req.memoryGiB > 0) slots = Math.min(slots, Math.floor(fm / req.memoryGiB));
  return { group: g, order, index, count, skip, freeGpus: fg, freeCpu: fc, slots };
};

const NO_USE: NodeUse = { gpus: 0, cpu: 0, memoryGiB: 0 };

const bucketsFor = (
  cluster: FleetCluster,
  reservations: ReadonlyArray<GroupReservations | undefined> | undefined,
  offer: Offer,
  req: PlanRequest,
): Bucket[] => {
  const out: Bucket[] = [];
  const groups = cluster.nodes;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    if (!groupServes(g, offer, req)) continue;
    const r = reservations?.[i];
    const all = r?.all ?? NO_USE;
    const skip = r?.byIndex;
    const free = g.count - (skip?.size ?? 0);
    if (free > 0) out.push(bucketOf(g, i, -1, free, skip, all, req));
    if (skip === undefined) continue;
    for (const [index, u] of skip) {
      const use = { gpus: all.gpus + u.gpus, cpu: all.cpu + u.cpu, memoryGiB: all.memoryGiB + u.memoryGiB };
      out.push(bucketOf(g, i, index, 1, undefined, use, req));
    }
  }
  return out;
};

/** Best fit first: least free GPUs (CPU for GPU-less work), then fleet order, then node index. */
const byBestFit =
  (gpu: boolean) =>
  (a: Bucket, b: Bucket): number =>
    (gpu ? a.freeGpus - b.freeGpus : a.freeCpu - b.freeCpu) || a.order - b.order || a.index - b.index;

/** Places up to `replicas` replicas; names nodes only when `withNodes` (the selected clusters). */
export const fillNodes = (
  cluster: FleetCluster,
  reservations: ReadonlyArray<GroupReservations | undefined> | undefined,
  offer: Offer,
  req: PlanRequest,
  replicas: number,
  withNodes: boolean,
): FillResult => {
  const buckets = bucketsFor(cluster, reservations, offer, req).sort(byBestFit(req.gpus > 0));
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
      stranded += b.freeGpus - take * req.gpus < req.gpus ? b.freeGpus - take * req.gpus : 0;
      if (!withNodes) continue;
      let index = b.index;
      if (index < 0) {
        while (b.skip?.has(nextIndex) === true) nextIndex++;
        index = nextIndex++;
      }
      nodes.push({ node: nodeName(b.group, index), replicas: take });
    }
  }
  const placed = replicas - left;
  return { placed, usedGpus: placed * req.gpus, strandedGpus: stranded, nodes };
};
