/**
 * A fleet compiled for placement: the attributes filters read, in flat typed arrays indexed by cluster and node
 * group, with tiers, regions, GPU models and taint sets interned to small ids and dataset copies resolved.
 *
 * Why: at 10,000 clusters a decision is bound by memory latency, not arithmetic. A fleet as parsed is ~15 small
 * objects per cluster; each first touch is a cache miss. Here a cluster's hot data is a few adjacent array slots.
 * Compile once per capacity report and make every decision of that cycle on it (`planOn`); `plan(fleet, …)`
 * compiles and plans in one call.
 */
import { ClusterHealth, type Fleet, type FleetCluster, type Taint, Tier } from "@gantry/shared";
import { DEFAULT_BANDWIDTH_GBPS, DEFAULT_SPOT_PREEMPTIONS_PER_HOUR } from "./defaults.ts";
import type { DataSource } from "./framework.ts";
import { compileMatcher } from "./glob.ts";

/** Tier ids index this list. */
export const TIERS: readonly Tier[] = Tier.options;
export const HEALTHS: readonly ClusterHealth[] = ClusterHealth.options;

/** Where copies of one dataset live, resolved against every cluster. */
export interface SnapshotDataset {
  readonly sizeGB: number;
  /** 1 where the cluster holds a copy (a location names the cluster or its region). */
  readonly holds: Uint8Array;
  /**
   * The clusters holding a copy, reduced to the ones worth copying from: no other holder is both cheaper to copy
   * out of and faster. Egress price ascending, bandwidth strictly ascending; a handful at most, whatever the fleet.
   * Empty when no cluster holds a copy. A cache is simply another location of the dataset.
   */
  readonly sources: readonly DataSource[];
  /** Equal shards it is split into (undefined: one piece). */
  readonly shards: number | undefined;
}

export interface FleetSnapshot {
  readonly size: number;
  readonly clusters: readonly FleetCluster[];
  readonly names: readonly string[];
  readonly indexByName: ReadonlyMap<string, number>;
  /** 1 when the cluster's health is `ready`. */
  readonly ready: Uint8Array;
  /** Index into `HEALTHS`. */
  readonly health: Uint8Array;
  /** Position of each cluster's name in code-unit order: ties are broken by name without reading the strings. */
  readonly nameOrder: Uint32Array;
  readonly tier: Uint8Array;
  readonly region: Uint32Array;
  readonly regions: readonly string[];
  /** Id of the cluster's set of NoSchedule/NoExecute taints; 0 for none. */
  readonly taintSet: Uint32Array;
  readonly taintSets: readonly (readonly Taint[])[];
  readonly egressPerGB: Float64Array;
  /** Data link bandwidth per cluster, Gbit/s (`bandwidthGbps`, else `DEFAULT_BANDWIDTH_GBPS`). */
  readonly bandwidthGbps: Float64Array;
  readonly models: readonly string[];
  readonly modelIds: ReadonlyMap<string, number>;
  /** Price per GPU-hour at `cluster * models.length + model`; NaN when not sold (spot: or cluster.spot false). */
  readonly onDemand: Float64Array;
  readonly spot: Float64Array;
  /** Spot preemptions per node-hour at `cluster * models.length + model` (`spotPreemptionsPerHour`, else default). */
  readonly preemptions: Float64Array;
  /**
   * GPUs of each model a cluster has on usable nodes, at `cluster * models.length + model` (used or not): the
   * denominator of the cluster's utilisation for the headroom scorer.
   */
  readonly modelGpus: Float64Array;
  /** Node groups of cluster c are `groupStart[c]` .. `groupStart[c + 1] - 1`, in the cluster's order. */
  readonly groupStart: Uint32Array;
  /** GPU model id; -1 for groups without GPUs. */
  readonly groupModel: Int32Array;
  readonly groupGpuMemory: Float64Array;
  readonly groupNodes: Uint32Array;
  /** Free GPUs, CPU and memory on each node of the group before reservations; 0 when not ready or unschedulable. */
  readonly groupFreeGpus: Float64Array;
  readonly groupFreeCpu: Float64Array;
  readonly groupFreeMemory: Float64Array;
  readonly groupUsable: Uint8Array;
  readonly datasets: ReadonlyMap<string, SnapshotDataset>;
}

const intern = (ids: Map<string, number>, list: string[], key: string): number => {
  let id = ids.get(key);
  if (id === undefined) {
    id = list.length;
    list.push(key);
    ids.set(key, id);
  }
  return id;
};

/** Taint sets are interned by their text, so a decision checks each distinct set against the tolerations once. */
const taintKey = (taints: readonly Taint[]): string => taints.map((t) => `${t.key}=${t.value}:${t.effect}`).join(",");

const bandwidthOf = (c: FleetCluster): number => c.bandwidthGbps ?? DEFAULT_BANDWIDTH_GBPS;

/** The Pareto front of (egress price, bandwidth) over the holders: cheaper-or-faster sources only. */
const sourcesOf = (holders: readonly FleetCluster[]): DataSource[] => {
  const all = holders.map((c) => ({ egressPerGB: c.pricing.egressPerGB, gbps: bandwidthOf(c) }));
  all.sort((a, b) => a.egressPerGB - b.egressPerGB || b.gbps - a.gbps);
  const out: DataSource[] = [];
  for (const s of all) if (out.length === 0 || s.gbps > out[out.length - 1]!.gbps) out.push(s);
  return out;
};

const resolveDatasets = (fleet: Fleet): Map<string, SnapshotDataset> => {
  const out = new Map<string, SnapshotDataset>();
  for (const ds of fleet.datasets) {
    const at = compileMatcher(ds.locations);
    const holds = new Uint8Array(fleet.clusters.length);
    const holders: FleetCluster[] = [];
    fleet.clusters.forEach((c, i) => {
      if (!at.matches(c.name) && !(c.region !== "" && at.matches(c.region))) return;
      holds[i] = 1;
      holders.push(c);
    });
    out.set(ds.name, { sizeGB: ds.sizeGB, holds, sources: sourcesOf(holders), shards: ds.shards });
  }
  return out;
};

const nameOrderOf = (clusters: readonly FleetCluster[]): Uint32Array => {
  const order = clusters.map((_, i) => i);
  order.sort((a, b) => {
    const x = clusters[a]!.name;
    const y = clusters[b]!.name;
    return x < y ? -1 : x > y ? 1 : a - b;
  });
  const out = new Uint32Array(clusters.length);
  order.forEach((cluster, position) => {
    out[cluster] = position;
  });
  return out;
};

/** Compiles a fleet for placement. O(clusters + node groups); reservations are not part of it. */
export const compileFleet = (fleet: Fleet): FleetSnapshot => {
  const clusters = fleet.clusters;
  const n = clusters.length;
  const modelIds = new Map<string, number>();
  const models: string[] = [];
  let groups = 0;
  for (const c of clusters) {
    groups += c.nodes.length;
    for (const g of c.nodes) if (g.gpu !== undefined) intern(modelIds, models, g.gpu.model);
    for (const m of Object.keys(c.pricing.gpuHour)) intern(modelIds, models, m);
    for (const m of Object.keys(c.pricing.spotGpuHour)) intern(modelIds, models, m);
  }
  const m = models.length;
  const s = {
    size: n,
    clusters,
    names: clusters.map((c) => c.name),
    indexByName: new Map(clusters.map((c, i) => [c.name, i] as const)),
    ready: new Uint8Array(n),
    health: new Uint8Array(n),
    nameOrder: nameOrderOf(clusters),
    tier: new Uint8Array(n),
    region: new Uint32Array(n),
    regions: [] as string[],
    taintSet: new Uint32Array(n),
    taintSets: [[]] as Taint[][],
    egressPerGB: new Float64Array(n),
    bandwidthGbps: new Float64Array(n),
    models,
    modelIds,
    onDemand: new Float64Array(n * m).fill(Number.NaN),
    spot: new Float64Array(n * m).fill(Number.NaN),
    preemptions: new Float64Array(n * m),
    modelGpus: new Float64Array(n * m),
    groupStart: new Uint32Array(n + 1),
    groupModel: new Int32Array(groups),
    groupGpuMemory: new Float64Array(groups),
    groupNodes: new Uint32Array(groups),
    groupFreeGpus: new Float64Array(groups),
    groupFreeCpu: new Float64Array(groups),
    groupFreeMemory: new Float64Array(groups),
    groupUsable: new Uint8Array(groups),
    datasets: resolveDatasets(fleet),
  };
  const regionIds = new Map<string, number>();
  const taintIds = new Map<string, number>([["", 0]]);
  const taintNames: string[] = [""];
  let g = 0;
  for (let i = 0; i < n; i++) {
    const c = clusters[i]!;
    s.tier[i] = TIERS.indexOf(c.tier);
    s.region[i] = intern(regionIds, s.regions, c.region);
    const hard = c.taints.filter((t) => t.effect !== "PreferNoSchedule");
    const tid = intern(taintIds, taintNames, taintKey(hard));
    if (tid === s.taintSets.length) s.taintSets.push(hard);
    s.taintSet[i] = tid;
    s.egressPerGB[i] = c.pricing.egressPerGB;
    s.bandwidthGbps[i] = bandwidthOf(c);
    const rates = c.spotPreemptionsPerHour;
    const anyModel = rates?.["*"] ?? DEFAULT_SPOT_PREEMPTIONS_PER_HOUR;
    for (let k = 0; k < m; k++) s.preemptions[i * m + k] = rates?.[models[k]!] ?? anyModel;
    for (const [model, price] of Object.entries(c.pricing.gpuHour)) s.onDemand[i * m + modelIds.get(model)!] = price;
    if (c.spot !== false) {
      for (const [model, price] of Object.entries(c.pricing.spotGpuHour)) s.spot[i * m + modelIds.get(model)!] = price;
    }
    s.groupStart[i] = g;
    for (const node of c.nodes) {
      const gpu = node.gpu;
      s.groupModel[g] = gpu === undefined || gpu.count === 0 ? -1 : modelIds.get(gpu.model)!;
      s.groupGpuMemory[g] = gpu?.memoryGiB ?? 0;
      s.groupNodes[g] = node.count;
      g++;
    }
    fillUsage(s, i, c);
  }
  s.groupStart[n] = g;
  return s;
};

/** The arrays a cluster's usage and health write (the ones `patchFleet` copies). */
type UsageArrays = Pick<
  FleetSnapshot,
  "ready" | "health" | "modelGpus" | "groupUsable" | "groupFreeGpus" | "groupFreeCpu" | "groupFreeMemory"
>;

/** Cluster `i`'s health and its node groups' usable and free capacity (its groups and model slots already laid out). */
const fillUsage = (
  s: UsageArrays & Pick<FleetSnapshot, "groupStart" | "groupModel" | "models">,
  i: number,
  c: FleetCluster,
) => {
  const m = s.models.length;
  s.ready[i] = c.health === "ready" ? 1 : 0;
  s.health[i] = HEALTHS.indexOf(c.health);
  s.modelGpus.fill(0, i * m, (i + 1) * m);
  let g = s.groupStart[i]!;
  for (const node of c.nodes) {
    const usable = node.ready && node.schedulable;
    const gpu = node.gpu;
    s.groupUsable[g] = usable ? 1 : 0;
    s.groupFreeGpus[g] = usable ? Math.max(0, (gpu?.count ?? 0) - node.gpusUsed) : 0;
    s.groupFreeCpu[g] = usable ? Math.max(0, node.cpu - node.cpuUsed) : 0;
    s.groupFreeMemory[g] = usable ? Math.max(0, node.memoryGiB - node.memoryUsedGiB) : 0;
    if (usable && gpu !== undefined && gpu.count > 0) {
      const at = i * m + s.groupModel[g]!;
      s.modelGpus[at] = s.modelGpus[at]! + node.count * gpu.count;
    }
    g++;
  }
};

/** Whether `next` differs from `prev` only in what `fillUsage` writes: usage, readiness, schedulability, health. */
const sameShape = (prev: FleetCluster, next: FleetCluster): boolean => {
  if (
    prev.name !== next.name ||
    prev.tier !== next.tier ||
    prev.region !== next.region ||
    prev.spot !== next.spot ||
    prev.bandwidthGbps !== next.bandwidthGbps ||
    // Shared with the registration's description unless it changed (then the whole fleet is compiled again).
    prev.taints !== next.taints ||
    prev.pricing !== next.pricing ||
    prev.spotPreemptionsPerHour !== next.spotPreemptionsPerHour ||
    prev.nodes.length !== next.nodes.length
  ) {
    return false;
  }
  for (let k = 0; k < prev.nodes.length; k++) {
    const a = prev.nodes[k]!;
    const b = next.nodes[k]!;
    if (a.count !== b.count || a.gpu?.model !== b.gpu?.model || a.gpu?.count !== b.gpu?.count) return false;
    if (a.gpu?.memoryGiB !== b.gpu?.memoryGiB) return false;
  }
  return true;
};

/**
 * `prev` with the clusters at `changed` replaced by `clusters`' (the same fleet otherwise, in the same order), or
 * undefined when one of them changed more than usage and health (then compile the fleet). At 10,000 clusters a
 * compile is tens of milliseconds of the event loop, and every slice of a busy pass needed one because placements
 * change usage somewhere; this copies the few usage arrays and rewrites the changed clusters' slots.
 */
export const patchFleet = (
  prev: FleetSnapshot,
  clusters: readonly FleetCluster[],
  changed: readonly number[],
): FleetSnapshot | undefined => {
  if (clusters.length !== prev.size) return undefined;
  for (const i of changed) if (!sameShape(prev.clusters[i]!, clusters[i]!)) return undefined;
  const s = {
    ...prev,
    clusters,
    ready: prev.ready.slice(),
    health: prev.health.slice(),
    modelGpus: prev.modelGpus.slice(),
    groupUsable: prev.groupUsable.slice(),
    groupFreeGpus: prev.groupFreeGpus.slice(),
    groupFreeCpu: prev.groupFreeCpu.slice(),
    groupFreeMemory: prev.groupFreeMemory.slice(),
  };
  for (const i of changed) fillUsage(s, i, clusters[i]!);
  return s;
};
