/**
 * The placement profile: which filters run, in which order, and which scorers rank what passes, with their
 * weights. Everything is wired here, explicitly; nothing registers itself on import.
 */

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
import type { FilterPlugin, ScorePlugin, ScorerName } from "./framework.ts";
import { availabilityScorer } from "./scorers/availability.ts";
import { costScorer } from "./scorers/cost.ts";
import { localityScorer } from "./scorers/locality.ts";
import { policyScorer } from "./scorers/policy.ts";

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

export const SCORERS: readonly ScorePlugin[] = [costScorer, localityScorer, availabilityScorer, policyScorer];

/**
 * Cost dominates (it is what the fleet pays); tier order from a burst policy is next; data locality breaks near-ties
 * beyond what egress already costs; best fit is a tie-breaker.
 */
export const DEFAULT_WEIGHTS: Readonly<Record<ScorerName, number>> = {
  cost: 6,
  locality: 2,
  availability: 1,
  policy: 3,
};

/**
 * The headroom charge the cost scorer ranks by (`scorers/headroom.ts`): the last free GPU of a cluster's model is
 * charged 4 hours of its price, a GPU at half fill a quarter of that. Keeps room in cheap clusters for later
 * workloads that can only run there; measured on the quality benchmark (docs/benchmarks.md).
 */
export const DEFAULT_HEADROOM_FACTOR = 1;
