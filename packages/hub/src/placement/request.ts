import type { Fleet, Workload } from "@gantry/shared";
import type { DataNeed, PlanRequest, ScorerName } from "./framework.ts";
import { compileMatcher } from "./glob.ts";
import { DEFAULT_WEIGHTS } from "./profile.ts";

/** Options a caller (the scheduler, a burst policy, the CLI) passes to `plan`. */
export interface PlanOptions {
  /** Override scorer weights; missing ones keep their defaults (see `DEFAULT_WEIGHTS`). */
  weights?: Partial<Record<ScorerName, number>>;
  /** Restrict to a burst policy's pool; other clusters are filtered with `not_in_pool`. */
  onlyClusters?: string[];
  /** Name of that pool, for messages. */
  poolName?: string;
  /** Tier order from a burst policy, most preferred first (e.g. ["onprem", "cloud"]). */
  tierPreference?: string[];
}

const modelLabelOf = (models: readonly string[]): string =>
  models.length === 0 ? "GPU" : [...models].sort().join("/");

/**
 * Resolves the workload's datasets against the fleet's catalogue. Datasets the fleet does not describe are ignored
 * (nothing known to move, nothing to charge). Source prices are filled in by the engine's pass over the clusters.
 */
const resolveData = (fleet: Fleet, names: readonly string[]): DataNeed[] => {
  const out: DataNeed[] = [];
  for (const name of names) {
    const ds = fleet.datasets.find((d) => d.name === name);
    if (ds === undefined || ds.sizeGB === 0) continue;
    out.push({ name, sizeGB: ds.sizeGB, locations: compileMatcher(ds.locations), sourceEgressPerGB: undefined });
  }
  return out;
};

/** Compiles a workload and options into the form the filters and scorers read: sets, matchers, resolved data. */
export const compileRequest = (fleet: Fleet, workload: Workload, options: PlanOptions = {}): PlanRequest => {
  const spec = workload.spec;
  const placement = spec.placement;
  const data = resolveData(fleet, spec.data);
  let totalDataGB = 0;
  for (const d of data) totalDataGB += d.sizeGB;
  const tierPreference = options.tierPreference ?? [];
  return {
    workload: workload.metadata.name,
    replicas: spec.replicas,
    gang: spec.gang,
    gpus: spec.resources.gpu.count,
    cpu: spec.resources.cpu,
    memoryGiB: spec.resources.memoryGiB,
    models: spec.resources.gpu.models,
    modelLabel: modelLabelOf(spec.resources.gpu.models),
    minGpuMemoryGiB: spec.resources.gpu.minMemoryGiB,
    tiers: placement.tiers.length > 0 ? new Set(placement.tiers) : null,
    tiersLabel: placement.tiers.join(", "),
    regions: placement.regions.length > 0 ? compileMatcher(placement.regions) : null,
    tolerations: placement.tolerations,
    maxGpuHourPrice: placement.maxGpuHourPrice,
    spot: placement.spot,
    hours: spec.durationHours ?? 1,
    data,
    totalDataGB,
    pool: options.onlyClusters === undefined ? null : new Set(options.onlyClusters),
    poolName: options.poolName,
    tierRank: tierPreference.length > 0 ? new Map(tierPreference.map((t, i) => [t, i])) : null,
    tierPreference,
    weights: { ...DEFAULT_WEIGHTS, ...stripUndefined(options.weights) },
    memo: new Map(),
  };
};

const stripUndefined = (w: Partial<Record<ScorerName, number>> | undefined): Partial<Record<ScorerName, number>> => {
  const out: Partial<Record<ScorerName, number>> = {};
  if (w === undefined) return out;
  for (const [k, v] of Object.entries(w) as [ScorerName, number | undefined][]) if (v !== undefined) out[k] = v;
  return out;
};
