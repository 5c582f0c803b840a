import type { FleetCluster, NodeGroup, SpotPolicy, Toleration } from "@gantry/shared";
import type { Matcher } from "./glob.ts";

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

/** Codes of the reasons attached to clusters that passed every filter. */
export type ScoreCode = "fits" | "cost" | "data_locality" | "availability" | "policy";

export type ScorerName = "cost" | "locality" | "availability" | "policy";

/** Why a filter rejected a cluster. `summary` is the cluster-independent phrase the decision summary counts. */
export interface Rejection {
  readonly code: FilterCode;
  readonly message: string;
  readonly plugin: string;
  readonly summary: string;
}

/** A dataset the workload reads, resolved against the fleet once per decision. */
export interface DataNeed {
  readonly name: string;
  readonly sizeGB: number;
  readonly locations: Matcher;
  /** Cheapest egress price among clusters holding a copy; undefined when no cluster in the fleet holds one. */
  readonly sourceEgressPerGB: number | undefined;
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
  readonly tiers: ReadonlySet<string> | null;
  readonly tiersLabel: string;
  readonly regions: Matcher | null;
  readonly tolerations: readonly Toleration[];
  readonly maxGpuHourPrice: number | undefined;
  readonly spot: SpotPolicy;
  /** Hours the cost estimate covers: `durationHours`, or one hour. */
  readonly hours: number;
  readonly data: readonly DataNeed[];
  readonly totalDataGB: number;
  readonly pool: ReadonlySet<string> | null;
  readonly poolName: string | undefined;
  /** Rank of each tier in the burst policy's order (0 = most preferred). */
  readonly tierRank: ReadonlyMap<string, number> | null;
  readonly tierPreference: readonly string[];
  readonly weights: Readonly<Record<ScorerName, number>>;
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
  readonly model: string | undefined;
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

/** Per-cluster state the filters read and fill; the engine owns one per cluster under evaluation. */
export interface ClusterContext {
  readonly cluster: FleetCluster;
  readonly request: PlanRequest;
  /** Reservations aligned with `cluster.nodes`; undefined when the cluster has none. */
  readonly reservations: ReadonlyArray<GroupReservations | undefined> | undefined;
  offers: Offer[];
  /** The offer chosen by the fit filter. */
  chosen: Offer | undefined;
  fitReplicas: number;
}

/** A feasibility check. Returns undefined when the cluster passes (no allocation on the happy path). */
export interface FilterPlugin {
  readonly name: string;
  filter(ctx: ClusterContext): Rejection | undefined;
}

/** A cluster that passed every filter, with what the scorers need. */
export interface Candidate {
  readonly cluster: FleetCluster;
  readonly index: number;
  readonly offer: Offer;
  readonly reservations: ReadonlyArray<GroupReservations | undefined> | undefined;
  /** Replicas it would take: min(fit, replicas). */
  readonly take: number;
  readonly fullFit: boolean;
  compute: number;
  egress: number;
  localGB: number;
  /** GPUs left unusable on the nodes the placement touches (best-fit measure). */
  strandedGpus: number;
  freeAfter: number;
  scores: Record<string, number>;
  total: number;
}

/** Stats over all candidates, for scorers that normalise relative to the best one. */
export interface CandidateStats {
  minCostPerReplica: number;
}

/**
 * A ranking component. `raw` is 0..100, higher better; the engine multiplies by the weight.
 * `explain` produces the sentence shown for feasible clusters.
 */
export interface ScorePlugin {
  readonly name: ScorerName;
  score(c: Candidate, req: PlanRequest, stats: CandidateStats): number;
  explain(c: Candidate, req: PlanRequest): { code: ScoreCode; message: string } | undefined;
}

export const isUsableNode = (g: NodeGroup): boolean => g.ready && g.schedulable;
