/**
 * The placement profile: which filters run, in which order, and which charges make up the rank value of what
 * passes. Everything is wired here, explicitly; nothing registers itself on import. There are no weights: every
 * charge is in US dollars, and the rank value is their sum.
 */

import { computeCharge } from "./charges/compute.ts";
import { dataCharge } from "./charges/data.ts";
import { headroomCharge } from "./charges/headroom.ts";
import { preferenceCharge } from "./charges/preference.ts";
import { spotRiskCharge } from "./charges/spot-risk.ts";
import { gpuFitFilter } from "./filters/gpu-fit.ts";
import { gpuModelFilter } from "./filters/gpu-model.ts";
import { healthFilter } from "./filters/health.ts";
import { poolFilter } from "./filters/pool.ts";
import { priceFilter } from "./filters/price.ts";
import { regionFilter } from "./filters/region.ts";
import { resourcesFilter } from "./filters/resources.ts";
import { spotFilter } from "./filters/spot.ts";
import { taintFilter } from "./filters/taints.ts";
import { tierFilter } from "./filters/tier.ts";
import type { ChargePlugin, FilterPlugin } from "./framework.ts";

export {
  DEFAULT_BANDWIDTH_GBPS,
  DEFAULT_CHECKPOINT_MINUTES,
  DEFAULT_HEADROOM_FACTOR,
  DEFAULT_SPOT_PREEMPTIONS_PER_HOUR,
} from "./defaults.ts";

/** Cheap, cluster-level checks first; the model → price → fit chain last, each step narrowing the offers. */
export const FILTERS: readonly FilterPlugin[] = [
  poolFilter,
  healthFilter,
  tierFilter,
  regionFilter,
  taintFilter,
  gpuModelFilter,
  spotFilter,
  priceFilter,
  gpuFitFilter,
  resourcesFilter,
];

/**
 * The rank value of a feasible cluster: the expected cost of running the workload there. Compute and egress are
 * what it is billed; staging, spot risk, headroom and preference are what it is expected to cost beyond the bill
 * (GPU time waiting for data, rework after preemptions, capacity later workloads need, a stated preference).
 */
export const CHARGES: readonly ChargePlugin[] = [
  computeCharge,
  dataCharge,
  spotRiskCharge,
  headroomCharge,
  preferenceCharge,
];
