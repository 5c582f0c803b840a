import { z } from "zod";
import { Identifier } from "./common.ts";
import { boundedInt, boundedList, boundedNumber, boundedString, LIMITS } from "./limits.ts";

/**
 * A dataset and where copies of it live: cluster names or region names (globs allowed, e.g. `eu-*`). A workload
 * placed where no copy lives is staged first: its agent copies the data in (from `source` with `mover` on Kubernetes;
 * at the link's bandwidth in the simulator), and the finished copy becomes a cached location later decisions see.
 */
export const Dataset = z.strictObject({
  name: Identifier,
  sizeGB: boundedNumber(LIMITS.datasetSizeGB),
  locations: boundedList(Identifier, LIMITS.locations).default([]),
  /** Where the data can always be read from (`s3://…`, `gs://…`, `https://…`), for movers. */
  source: boundedString(LIMITS.uriLength).optional(),
  /**
   * A Kubernetes Job manifest that copies the data into the cluster (an `rclone` or `s5cmd` image, say); the agent
   * runs it with `GANTRY_DATASET`, `GANTRY_SOURCE`, `GANTRY_SHARDS` set and waits for it to succeed.
   */
  mover: z.looseObject({ apiVersion: z.string().min(1), kind: z.literal("Job") }).optional(),
  /**
   * The dataset is split into this many equal shards. A workload split across clusters (not a gang) stages only the
   * shards its replicas there read: replica i of R reads shards j with j mod R = i.
   */
  shards: boundedInt(LIMITS.shards).min(1, "must be at least 1").optional(),
});
export type Dataset = z.infer<typeof Dataset>;
export type DatasetInput = z.input<typeof Dataset>;

/** What a placement must have in its cluster before it starts: one dataset (or some of its shards), from where. */
export const StagingItem = z.strictObject({
  dataset: Identifier,
  /** GB this copy moves (the shards' share of the dataset). */
  sizeGB: boundedNumber(LIMITS.datasetSizeGB),
  /** The link the engine expects the copy to take, Gbit/s. */
  gbps: boundedNumber(LIMITS.bandwidthGbps, { positive: true }),
  /** Shards this cluster's replicas read; absent: the whole dataset. */
  shards: boundedList(boundedInt(LIMITS.shards), LIMITS.shards).optional(),
  source: boundedString(LIMITS.uriLength).optional(),
  mover: z.looseObject({ apiVersion: z.string().min(1), kind: z.literal("Job") }).optional(),
});
export type StagingItem = z.infer<typeof StagingItem>;

/** A copy of a dataset in a cluster, as its agent reports it. */
export const DatasetCopy = z.strictObject({
  dataset: Identifier,
  state: z.enum(["staging", "ready"]),
  sizeGB: boundedNumber(LIMITS.datasetSizeGB),
  copiedGB: boundedNumber(LIMITS.datasetSizeGB),
  /** Shards held; absent: the whole dataset. */
  shards: boundedList(boundedInt(LIMITS.shards), LIMITS.shards).optional(),
  /** When a running workload last used it (the agent evicts the least recently used first). */
  lastUsedAt: z.iso.datetime({ offset: true }).optional(),
});
export type DatasetCopy = z.infer<typeof DatasetCopy>;

/** The shards replicas [from, from + count) of `replicas` read: j mod replicas in that range. */
export const shardsFor = (shards: number, replicas: number, from: number, count: number): number[] => {
  const out: number[] = [];
  for (let j = 0; j < shards; j++) {
    const i = j % replicas;
    if (i >= from && i < from + count) out.push(j);
  }
  return out;
};
