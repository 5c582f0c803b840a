import type { Tier, Workload } from "@gantry/shared";
import type { DataNeed, PlanRequest, Rejection, ScorerName } from "./framework.ts";
import { compileMatcher } from "./glob.ts";
import { DEFAULT_HEADROOM_FACTOR, DEFAULT_WEIGHTS } from "./profile.ts";
import { type FleetSnapshot, TIERS } from "./snapshot.ts";

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
  /**
   * Headroom charge: hours of a GPU's price charged for the last free GPU of a cluster's model (see
   * `scorers/headroom.ts`); 0 ranks by estimated cost alone. Defaults to `DEFAULT_HEADROOM_FACTOR`.
   */
  headroomFactor?: number;
}

const modelLabelOf = (models: readonly string[]): string =>
  models.length === 0 ? "GPU" : [...models].sort().join("/");

/** The workload's datasets as the snapshot resolved them; datasets the fleet does not describe are ignored. */
const resolveData = (snap: FleetSnapshot, names: readonly string[]): DataNeed[] => {
  const out: DataNeed[] = [];
  for (const name of names) {
    const ds = snap.datasets.get(name);
    if (ds === undefined || ds.sizeGB === 0) continue;
    out.push({ name, sizeGB: ds.sizeGB, holds: ds.holds, sourceEgressPerGB: ds.cheapestSourceEgressPerGB });
  }
  return out;
};

const mask = (size: number, ids: Iterable<number | undefined>): Uint8Array => {
  const out = new Uint8Array(size);
  for (const id of ids) if (id !== undefined) out[id] = 1;
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
  const tierPreference = options.tierPreference ?? [];
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
    tierRank: tierPreference.length > 0 ? new Map(tierPreference.map((t, i) => [t as Tier, i])) : null,
    tierPreference,
    weights: { ...DEFAULT_WEIGHTS, ...stripUndefined(options.weights) },
    headroomFactor: options.headroomFactor ?? DEFAULT_HEADROOM_FACTOR,
    memo: new Map(),
  };
};

const stripUndefined = (w: Partial<Record<ScorerName, number>> | undefined): Partial<Record<ScorerName, number>> => {
  const out: Partial<Record<ScorerName, number>> = {};
  if (w === undefined) return out;
  for (const [k, v] of Object.entries(w) as [ScorerName, number | undefined][]) if (v !== undefined) out[k] = v;
  return out;
};
