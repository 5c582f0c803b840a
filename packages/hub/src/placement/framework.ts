import type { FleetCluster, RankCost, Reason, SpotPolicy, Tier, Toleration } from "@gantry/shared";
import type { Matcher } from "./glob.ts";
import type { FleetSnapshot } from "./snapshot.ts";

/** Closed set of reasons a filter rejects a cluster; stable for machines, documented in the README. */
export type FilterCode =
  | "not_in_pool"
  | "cluster_not_ready"
  | "tier_not_allowed"
  | "region_not_allowed"
  | "taint_not_tolerated"
  | "no_matching_gpu"
  | "no_usable_price"
  | "price_too_high"
  | "insufficient_gpu"
  | "gpu_fragmented"
  | "insufficient_cpu"
  | "insufficient_memory";

/**
 * Codes of the reasons attached to clusters that passed every filter: what fits, the rank total and each charge that
 * makes it up, the billed estimate, and the best-fit figures that break exact ties.
 */
export type RankCode =
  | "fits"
  | "rank"
  | "cost"
  | "data_locality"
  | "spot_risk"
  | "headroom"
  | "preference"
  | "best_fit";

/** Why a filter rejected a cluster. `summary` is the cluster-independent phrase the decision summary counts. */
export interface Rejection {
  readonly code: FilterCode;
  readonly message: string;
  readonly plugin: string;
  readonly summary: string;
}

/** A dataset the workload reads, resolved against the snapshot. */
export interface DataNeed {
  readonly name: string;
  readonly sizeGB: number;
  /** 1 where the cluster holds a copy. */
  readonly holds: Uint8Array;
  /** Where a copy can come from (`SnapshotDataset.sources`); empty when no cluster in the fleet holds one. */
  readonly sources: readonly DataSource[];
  /** Equal shards the dataset is split into (undefined: one piece). */
  readonly shards: number | undefined;
}

/** The workload and options compiled once per decision, so per-cluster checks are lookups. */
export interface PlanRequest {
  readonly workload: string;
  readonly replicas: number;
  readonly gang: boolean;
  readonly gpus: number;
  readonly cpu: number;
  readonly memoryGiB: number;
  /** Acceptable GPU models; empty means any. */
  readonly models: readonly string[];
  /** "H100", "A100/H100" or "GPU", for messages. */
  readonly modelLabel: string;
  readonly minGpuMemoryGiB: number;
  /** 1 at the ids (`TIERS`) of allowed tiers; null allows every tier. */
  readonly tiers: Uint8Array | null;
  readonly tiersLabel: string;
  readonly regions: Matcher | null;
  /** Region allow-list verdict per snapshot region id, decided on first use: -1 unknown, 0 no, 1 yes. */
  readonly regionOk: Int8Array;
  /** Taint check per snapshot taint-set id, decided on first use: undefined unknown, null tolerated. */
  readonly taintVerdicts: (Rejection | null | undefined)[];
  /** 1 per snapshot GPU model id the workload accepts (model list; memory is checked per group). */
  readonly modelOk: Uint8Array;
  readonly tolerations: readonly Toleration[];
  readonly maxGpuHourPrice: number | undefined;
  readonly spot: SpotPolicy;
  /** Hours the cost estimate covers: `durationHours`, or one hour. */
  readonly hours: number;
  readonly data: readonly DataNeed[];
  readonly totalDataGB: number;
  /** Hours between checkpoints (`spec.checkpointMinutes` or the default): what a spot preemption can lose. */
  readonly checkpointHours: number;
  /** 1 per cluster index in the burst policy's pool; null when there is no pool. */
  readonly pool: Uint8Array | null;
  readonly poolName: string | undefined;
  /** Only spot offers count (a burst pool of spot capacity). */
  readonly spotOnly: boolean;
  /** A stated tier order and its premium, USD per GPU-hour per step down the order; null when none. */
  readonly tierPremium: TierPremium | null;
  /** Hours of a GPU's price charged for the last free GPU of a cluster's model; 0 turns the charge off. */
  readonly headroomFactor: number;
  /**
   * Per (cluster × model): USD a demand forecast loses when GPUs are taken there (`pricing.ts`, read with
   * `curveAt`); null ranks by the utilisation curve alone.
   */
  readonly capacityPrices: readonly (Float64Array | undefined)[] | null;
  /**
   * Per-decision cache of rejections that depend only on a cluster attribute (its tier, region, taint…), so 10,000
   * clusters in the same region share one reason instead of building 10,000 equal sentences.
   */
  readonly memo: Map<string | number, Rejection>;
}

/**
 * Caches a rejection for the rest of the decision. Call sites read `req.memo.get(key)` first and build only on a
 * miss, with a module-level builder: a closure here would make V8 allocate a context on every filter call.
 */
export const remember = (req: PlanRequest, key: string | number, rejection: Rejection): Rejection => {
  req.memo.set(key, rejection);
  return rejection;
};

/** A place a dataset can be copied from: the egress price there and the bandwidth of its link. */
export interface DataSource {
  readonly egressPerGB: number;
  readonly gbps: number;
}

/** A tier order with a price on it: each step down the order costs `usdPerGpuHour` more. */
export interface TierPremium {
  readonly order: readonly Tier[];
  readonly usdPerGpuHour: number;
  /** Position of each tier in `order`; tiers not listed rank after all of them. */
  readonly rank: ReadonlyMap<Tier, number>;
}

/** GPU, CPU and memory already held on one node by reservations. */
export interface NodeUse {
  gpus: number;
  cpu: number;
  memoryGiB: number;
}

/** Reservations of one node group: per node index, or (`all`) on every node when the group itself was named. */
export interface GroupReservations {
  all: NodeUse | undefined;
  byIndex: Map<number, NodeUse>;
}

/**
 * One way to run the workload in a cluster: a GPU model (undefined for GPU-less workloads) at a price.
 * Filled in by the model, spot and price filters; the fit filter counts slots per offer.
 */
export interface Offer {
  model: string | undefined;
  /** Snapshot model id; -1 for the GPU-less offer. */
  modelId: number;
  pricePerGpuHour: number;
  spot: boolean;
  /** Replica slots counting GPUs only, and counting GPUs, CPU and memory. */
  gpuSlots: number;
  slots: number;
  cpuSlots: number;
  memorySlots: number;
  largestFreeBlock: number;
  freeGpus: number;
}

/**
 * Per-cluster state the filters read and fill. The engine reuses one context for every cluster of a decision (it
 * resets the fields), so the hot loop allocates nothing for clusters that are rejected early.
 */
export interface ClusterContext {
  readonly snapshot: FleetSnapshot;
  /** Index of the cluster in the snapshot. */
  index: number;
  /** The cluster as parsed, for messages; hot checks read the snapshot's arrays instead. */
  cluster: FleetCluster;
  readonly request: PlanRequest;
  /** Reservations aligned with `cluster.nodes`; undefined when the cluster has none. */
  reservations: ReadonlyArray<GroupReservations | undefined> | undefined;
  /**
   * Offer objects, reused from cluster to cluster: only the first `offerCount` belong to this cluster. Filters
   * narrow them with `dropOffer`, which swaps rather than overwrites so no pooled object is lost or shared.
   */
  readonly offers: Offer[];
  offerCount: number;
  /** The offer chosen by the fit filter. */
  chosen: Offer | undefined;
  fitReplicas: number;
}

/** A feasibility check. Returns undefined when the cluster passes (no allocation on the happy path). */
export interface FilterPlugin {
  readonly name: string;
  filter(ctx: ClusterContext): Rejection | undefined;
}

/** The USD terms of one cluster's rank value, unrounded; `rank.ts` rounds each to the cent and sums them. */
export interface Terms {
  compute: number;
  egress: number;
  staging: number;
  spotRisk: number;
  headroom: number;
  preference: number;
}

/** A cluster that passed every filter, with what the charges need. */
export interface Candidate {
  readonly snapshot: FleetSnapshot;
  readonly cluster: FleetCluster;
  readonly name: string;
  /** The name's position in code-unit order (snapshot `nameOrder`), for tie-breaks. */
  readonly nameOrder: number;
  readonly tier: Tier;
  /** Index of the cluster in the snapshot. */
  readonly index: number;
  /** The chosen GPU model (undefined for GPU-less workloads), its price under the spot policy, and whether spot. */
  readonly model: string | undefined;
  readonly modelId: number;
  readonly pricePerGpuHour: number;
  readonly spot: boolean;
  /** Expected preemptions per node-hour of that spot capacity; 0 for on-demand. */
  readonly preemptionsPerHour: number;
  readonly reservations: ReadonlyArray<GroupReservations | undefined> | undefined;
  /** Replicas it would take: min(fit, replicas). */
  readonly take: number;
  readonly fullFit: boolean;
  /** GPUs left unusable on the nodes the placement touches (best fit: breaks exact ties). */
  readonly strandedGpus: number;
  /** Free GPUs of the chosen model before the placement, on usable nodes, after reservations. */
  readonly freeGpus: number;
  /** GPUs of the chosen model the cluster has on usable nodes, used or free (0 for GPU-less workloads). */
  readonly capacityGpus: number;
  /** The same rounded to the cent, with their sum: what the verdict shows. Set by `rankAll`. */
  rank: RankCost | undefined;
  /** `rank.total` in whole cents: what selection compares, so equal-to-the-cent totals are exact ties. */
  rankCents: number;
}

/**
 * One charge of the rank value (compute, data, spot risk, headroom, preference): adds its USD terms for `replicas`
 * replicas of the workload on a candidate, and says what it charged. Wired in `profile.ts`.
 */
export interface ChargePlugin {
  readonly name: string;
  charge(c: Candidate, req: PlanRequest, replicas: number, into: Terms): void;
  /** The sentence for detailed verdicts; undefined when the charge does not apply. */
  explain(c: Candidate, req: PlanRequest, replicas: number, terms: RankCost): Reason | undefined;
}

/** Appends an offer for `model`, reusing a pooled object: the hot loop allocates no offers for rejected clusters. */
export const addOffer = (ctx: ClusterContext, modelId: number): void => {
  const model = modelId < 0 ? undefined : ctx.snapshot.models[modelId];
  const o = ctx.offers[ctx.offerCount];
  if (o === undefined) {
    ctx.offers.push({
      model,
      modelId,
      pricePerGpuHour: 0,
      spot: false,
      gpuSlots: 0,
      slots: 0,
      cpuSlots: 0,
      memorySlots: 0,
      largestFreeBlock: 0,
      freeGpus: 0,
    });
  } else {
    o.model = model;
    o.modelId = modelId;
    o.pricePerGpuHour = 0;
    o.spot = false;
  }
  ctx.offerCount++;
};

/** Removes offer `i` by swapping it with the last live one; callers iterating forward must revisit index `i`. */
export const dropOffer = (ctx: ClusterContext, i: number): void => {
  const last = --ctx.offerCount;
  const o = ctx.offers[i]!;
  ctx.offers[i] = ctx.offers[last]!;
  ctx.offers[last] = o;
};
