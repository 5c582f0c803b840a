import { z } from "zod";

/**
 * Every number, string and list a user or an agent sends has a finite, documented bound, so no input can crash the
 * database (`priority: 2^40` overflowed an int4 column) or make the engine loop over a billion replicas. The table is
 * data: the README and the API print it, and the schemas are built from it, so the two cannot disagree.
 */
export interface Limit {
  /** The key in `LIMITS`, as printed. */
  readonly name: string;
  /** Largest value (numbers), length (strings) or number of entries (lists and maps). */
  readonly value: number;
  /** Smallest value; 0 unless said otherwise. Lists and strings have their own lower bounds at the field. */
  readonly min: number;
  readonly unit: string;
  readonly why: string;
}

/** int4, the type of the store's replicas, priority and generation columns. */
export const INT4_MAX = 2_147_483_647;

const limit = (name: string, value: number, unit: string, why: string, min = 0): Limit => ({
  name,
  value,
  min,
  unit,
  why,
});

const REPLICAS = 10_000;
const GPUS_PER_REPLICA = 1_024;

/** The bounds of the contract, by name. */
export const LIMITS = {
  replicas: limit(
    "replicas",
    REPLICAS,
    "replicas",
    "per workload; stored as int4; larger than any cluster's GPU count, so more is a typo",
    1,
  ),
  priority: limit(
    "priority",
    1_000_000_000,
    "",
    "int4 column; Kubernetes' highest user-definable PriorityClass value (HighestUserDefinablePriority)",
    -1_000_000_000,
  ),
  generation: limit("generation", INT4_MAX, "", "placements' generations are int4 columns"),
  gpusPerReplica: limit(
    "gpusPerReplica",
    GPUS_PER_REPLICA,
    "GPUs",
    "a replica runs on one node, and no node has more; gpus_per_replica is int4",
  ),
  gpusPerNode: limit("gpusPerNode", 1_024, "GPUs", "per node (GPU count and GPUs in use); today's largest hold 16"),
  gpuMemoryGiB: limit("gpuMemoryGiB", 1_024, "GiB", "memory of one GPU; today's largest have 192 GiB"),
  cpuCores: limit("cpuCores", 65_536, "cores", "per replica or node; the largest machines have under 2,000 vCPUs"),
  memoryGiB: limit("memoryGiB", 262_144, "GiB", "per replica or node (256 TiB); the largest machines have 32 TiB"),
  nodesPerGroup: limit(
    "nodesPerGroup",
    100_000,
    "nodes",
    "identical nodes in one node entry; Kubernetes supports 5,000 nodes per cluster",
    1,
  ),
  nodeGroups: limit(
    "nodeGroups",
    100_000,
    "node entries",
    "per cluster; agents report each node of a 5,000-node cluster",
  ),
  clusters: limit("clusters", 10_000, "clusters", "per fleet file or snapshot"),
  datasets: limit("datasets", 10_000, "datasets", "per fleet file or snapshot"),
  reservations: limit("reservations", 100_000, "reservations", "per fleet snapshot"),
  hours: limit(
    "hours",
    87_600,
    "hours",
    "durationHours and maxRuntimeHours (10 years, a double); cost estimates multiply by it",
  ),
  seconds: limit(
    "seconds",
    2_592_000,
    "seconds",
    "waits, hysteresis and failover delays (30 days, a double); longer means never, which absence already says",
  ),
  checkpointMinutes: limit("checkpointMinutes", 10_080, "minutes", "one week between checkpoints"),
  gpuHourPrice: limit(
    "gpuHourPrice",
    10_000,
    "USD",
    "per GPU-hour (prices and maxGpuHourPrice, doubles); the dearest GPU rents for under $100",
  ),
  egressPerGB: limit("egressPerGB", 1_000, "USD", "per GB moved; clouds charge cents"),
  shards: limit("shards", 100_000, "shards", "of one dataset"),
  uriLength: limit("uriLength", 2_048, "characters", "a dataset's source URI"),
  cacheGB: limit("cacheGB", 1_000_000_000, "GB", "a cluster's dataset cache (an exabyte)"),
  bandwidthGbps: limit("bandwidthGbps", 100_000, "Gbit/s", "a cluster's data link (100 Tbit/s is no limit)"),
  preemptionsPerHour: limit("preemptionsPerHour", 3_600, "per hour", "spot preemptions of one node (one a second)", 0),
  usd: limit("usd", 1_000_000_000, "USD", "budgets and spend caps (doubles); a billion dollars a day is no limit"),
  weight: limit("weight", 1_000_000, "", "fair-share weight of a tenant", 0),
  datasetSizeGB: limit("datasetSizeGB", 1_000_000_000, "GB", "one exabyte"),
  gpuCount: limit(
    "gpuCount",
    REPLICAS * GPUS_PER_REPLICA,
    "GPUs",
    "GPU totals in policies: the most one workload can ask for (replicas × GPUs per replica)",
  ),
  nameLength: limit("nameLength", 63, "characters", "names are DNS-1123 labels: Kubernetes objects and NATS subjects"),
  stringLength: limit(
    "stringLength",
    253,
    "characters",
    "other identifiers (provider, region, zone, GPU model, globs): a DNS-1123 subdomain's length",
  ),
  labelKeyLength: limit("labelKeyLength", 317, "characters", "a DNS-1123 subdomain prefix (253), '/', a name (63)"),
  labelValueLength: limit("labelValueLength", 63, "characters", "Kubernetes' label value limit"),
  annotationValueLength: limit(
    "annotationValueLength",
    4_096,
    "characters",
    "a workload annotation's value (notes, links)",
  ),
  labels: limit("labels", 64, "labels", "per object or selector; every label is copied into every placement"),
  taints: limit("taints", 64, "taints", "per cluster"),
  tolerations: limit("tolerations", 64, "tolerations", "per workload"),
  listItems: limit(
    "listItems",
    64,
    "entries",
    "other short lists: tiers, regions, GPU models, names, datasets, prices",
  ),
  pools: limit("pools", 32, "pools", "per burst policy; the scheduler walks them in order on every pass"),
  tenants: limit("tenants", 1_000, "tenants", "per burst policy"),
  locations: limit("locations", 1_000, "locations", "copies of one dataset"),
  templateManifests: limit("templateManifests", 32, "manifests", "Kubernetes objects in one workload's template"),
  nesting: limit(
    "nesting",
    64,
    "levels",
    "of lists and maps in a YAML or JSON document; yaml's composer recurses per level, and deep input can kill Node",
  ),
  aliases: limit(
    "aliases",
    100,
    "expansions",
    "YAML alias expansions per document (yaml's maxAliasCount): refuses a 'billion laughs' bomb in microseconds",
  ),
} as const satisfies Record<string, Limit>;
export type LimitName = keyof typeof LIMITS;

const atMost = (l: Limit): string => `must be at most ${l.value}${l.unit ? ` ${l.unit}` : ""}`;
const atLeast = (l: Limit): string => `must be at least ${l.min}${l.unit ? ` ${l.unit}` : ""}`;

/** An integer within `limit` (zod already refuses NaN and ±Infinity, so YAML's `.inf` and `.nan` fail here). */
export const boundedInt = (l: Limit) => z.number().int().min(l.min, atLeast(l)).max(l.value, atMost(l));

/** A number within `limit`; `positive` makes the lower bound exclusive 0 (durations, weights). */
export const boundedNumber = (l: Limit, options: { positive?: boolean } = {}) =>
  options.positive
    ? z.number().positive().max(l.value, atMost(l))
    : z.number().min(l.min, atLeast(l)).max(l.value, atMost(l));

/** A string of at most `limit` characters (`stringLength` by default), non-empty unless `min` is 0. */
export const boundedString = (l: Limit = LIMITS.stringLength, min = 1) =>
  z.string().min(min).max(l.value, `must be at most ${l.value} characters`);

/** A list of at most `limit` entries. */
export const boundedList = <T extends z.ZodType>(item: T, l: Limit = LIMITS.listItems) =>
  z.array(item).max(l.value, `must have at most ${l.value} ${l.unit}`);

/** A map of at most `limit` entries (zod has no size bound on records). */
export const boundedRecord = <K extends z.core.$ZodRecordKey, V extends z.ZodType>(key: K, value: V, l: Limit) =>
  z
    .record(key, value)
    .refine((r) => Object.keys(r).length <= l.value, { message: `must have at most ${l.value} ${l.unit}` });

/** The limits as the README's Markdown table (a test holds the README to it). */
export const limitsTable = (): string =>
  [
    "| limit | min | max | unit | why |",
    "| --- | --- | --- | --- | --- |",
    ...Object.values(LIMITS).map(
      (l: Limit) =>
        `| \`${l.name}\` | ${l.min.toLocaleString("en-US")} | ${l.value.toLocaleString("en-US")} | ${l.unit || "-"} | ${l.why.replaceAll("|", "\\|")} |`,
    ),
  ].join("\n");
