/**
 * The inference autoscaler: pure functions from a service's spec, its agents' recent signals and the feasible
 * clusters (prices, free capacity, RTT to user regions) to a plan. No I/O, no clock: time is `atSeconds`, and
 * what carries over between passes is the returned `state`.
 *
 * - `observe` folds signals into windows (per cluster, then summed); `desiredReplicas` is the KPA-style count
 *   (stable and panic windows, hold for one stable window, min/max, scale to zero).
 * - `allocate` chooses replicas per cluster and capacity kind at the lowest cost that keeps each region's p95
 *   (RTT + M/M/c latency of the pool serving it) within the SLO, with an on-demand floor.
 * - `autoscale` runs one pass: the two above, per-cluster hysteresis, one sentence per change, and endpoint
 *   weights for the global load balancer (traffic goes only to replicas past their cold start where it can).
 */

export { type Allocation, type AllocationInput, allocate, type Pool } from "./allocate.ts";
export {
  type DesiredReplicas,
  desiredReplicas,
  initialScaleState,
  type ScaleMode,
  type ScaleState,
} from "./desired.ts";
export {
  type CapacityKind,
  type LatencyModel,
  type Offer,
  poolRate,
  predictedP95Ms,
  type RttTable,
  rttMs,
  type ServingCluster,
  SLO_QUANTILE,
} from "./fleet.ts";
export { estimateServiceRate, type Observation, observe, type SignalSample, type Windows } from "./observe.ts";
export {
  type AutoscaleInput,
  type AutoscalePlan,
  type AutoscaleResult,
  type AutoscalerState,
  autoscale,
  type ClusterTarget,
  initialAutoscalerState,
  type PlanChange,
} from "./plan.ts";
export { type EndpointWeights, endpointWeights, type WeightsInput } from "./weights.ts";
