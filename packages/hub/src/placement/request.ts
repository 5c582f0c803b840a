import type { Tier, Workload } from "@gantry/shared";
import { DEFAULT_CHECKPOINT_MINUTES, DEFAULT_HEADROOM_FACTOR } from "./defaults.ts";
import type { DataNeed, PlanRequest, Rejection, TierPremium } from "./framework.ts";
import { compileMatcher } from "./glob.ts";
import type { KeepPolicy } from "./keep.ts";
import type { CapacityPrices } from "./pricing.ts";
import { type FleetSnapshot, TIERS } from "./snapshot.ts";

/** Options a caller (the scheduler, a burst policy, the CLI) passes to `plan`. */
export interface PlanOptions {
  /** Restrict to a burst policy's pool; other clusters are filtered with `not_in_pool`. */
  onlyClusters?: string[];
  /** Name of that pool, for messages. */
  poolName?: string;
  /** Count only spot offers (a pool of spot capacity); clusters without one are filtered with `no_usable_price`. */
  spotOnly?: boolean;
  /**
   * A stated preference between tiers, in dollars: each step down `order` adds `usdPerGpuHour` per GPU-hour to the
   * rank value (tiers not listed rank after all of them). Never billed. Burst policies do not use it: their pools
   * are a hard order.
   */
  tierPremium?: { order: Tier[]; usdPerGpuHour: number };
  /**
   * Headroom charge without a forecast: hours of a GPU's price charged for the last free GPU of a cluster's model
   * (see `charges/headroom.ts`); 0 turns it off. Defaults to `DEFAULT_HEADROOM_FACTOR`.
   */
  headroomFactor?: number;
  /**
   * Prices on capacity from a demand forecast (`priceCapacity`), computed on the same snapshot. When given, the
   * headroom charge is GPUs taken × the price of the cluster's model instead of the utilisation curve.
   */
  capacityPrices?: CapacityPrices;
  /**
   * Decide compactly: list only the verdicts `keep` keeps (`compactDecision`, with `omitted` counting the rest), and
   * rank only the clusters that can be among them (`rankBounded`). The same decision, assignments and summary as
   * without it, made on a 10,000-cluster fleet without a verdict and a rank value for every cluster.
   */
  keep?: KeepPolicy;
}

const modelLabelOf = (models: readonly string[]): string =>
  models.length === 0 ? "GPU" : [...models].sort().join("/");

/** The workload's datasets as the snapshot resolved them; datasets the fleet does not describe are ignored. */
const resolveData = (snap: FleetSnapshot, names: readonly string[]): DataNeed[] => {
  const out: DataNeed[] = [];
  for (const name of names) {
    const ds = snap.datasets.get(name);
    if (ds === undefined || ds.sizeGB === 0) continue;
    out.push({ name, sizeGB: ds.sizeGB, holds: ds.holds, sources: ds.sources, shards: ds.shards });
  }
  return out;
};

const mask = (size: number, ids: Iterable<number | undefined>): Uint8Array => {
  const out = new Uint8Array(size);
  for (const id of ids) if (id !== undefined) out[id] = 1;
  return out;
};

const premiumOf = (p: PlanOptions["tierPremium"]): TierPremium | null =>
  p === undefined || p.order.length === 0
    ? null
    : { order: p.order, usdPerGpuHour: p.usdPerGpuHour, rank: new Map(p.order.map((t, i) => [t, i])) };

/**
 * Capacity prices aligned with `snap`: as they are when computed on it, else carried over by cluster and model
 * name (a cluster or model the prices do not know costs nothing extra).
 */
const pricesOn = (prices: CapacityPrices, snap: FleetSnapshot): readonly (Float64Array | undefined)[] => {
  if (prices.snapshot === snap) return prices.curves;
  const from = prices.snapshot;
  const out: (Float64Array | undefined)[] = new Array(snap.size * snap.models.length).fill(undefined);
  for (let i = 0; i < snap.size; i++) {
    const j = from.indexByName.get(snap.names[i]!);
    if (j === undefined) continue;
    snap.models.forEach((model, k) => {
      const f = from.modelIds.get(model);
      if (f !== undefined) out[i * snap.models.length + k] = prices.curves[j * from.models.length + f];
    });
  }
  return out;
};

/** Compiles a workload and options against a snapshot: masks and lazy verdict tables instead of per-cluster work. */
export const compileRequest = (snap: FleetSnapshot, workload: Workload, options: PlanOptions = {}): PlanRequest => {
  const spec = workload.spec;
  const placement = spec.placement;
  const gpu = spec.resources.gpu;
  const data = resolveData(snap, spec.data);
  let totalDataGB = 0;
  for (const d of data) totalDataGB += d.sizeGB;
  const models = gpu.models;
  return {
    workload: workload.metadata.name,
    replicas: spec.replicas,
    gang: spec.gang,
    gpus: gpu.count,
    cpu: spec.resources.cpu,
    memoryGiB: spec.resources.memoryGiB,
    models,
    modelLabel: modelLabelOf(models),
    minGpuMemoryGiB: gpu.minMemoryGiB,
    modelOk:
      models.length === 0
        ? new Uint8Array(snap.models.length).fill(1)
        : mask(
            snap.models.length,
            models.map((m) => snap.modelIds.get(m)),
          ),
    tiers:
      placement.tiers.length > 0
        ? mask(
            TIERS.length,
            placement.tiers.map((t) => TIERS.indexOf(t)),
          )
        : null,
    tiersLabel: placement.tiers.join(", "),
    regions: placement.regions.length > 0 ? compileMatcher(placement.regions) : null,
    regionOk: new Int8Array(snap.regions.length).fill(-1),
    taintVerdicts: new Array<Rejection | null | undefined>(snap.taintSets.length),
    tolerations: placement.tolerations,
    maxGpuHourPrice: placement.maxGpuHourPrice,
    spot: placement.spot,
    hours: spec.durationHours ?? 1,
    checkpointHours: (spec.checkpointMinutes ?? DEFAULT_CHECKPOINT_MINUTES) / 60,
    data,
    totalDataGB,
    pool:
      options.onlyClusters === undefined
        ? null
        : mask(
            snap.size,
            options.onlyClusters.map((name) => snap.indexByName.get(name)),
          ),
    poolName: options.poolName,
    spotOnly: options.spotOnly ?? false,
    tierPremium: premiumOf(options.tierPremium),
    headroomFactor: options.headroomFactor ?? DEFAULT_HEADROOM_FACTOR,
    capacityPrices: options.capacityPrices === undefined ? null : pricesOn(options.capacityPrices, snap),
    memo: new Map(),
  };
};
