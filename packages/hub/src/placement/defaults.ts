/**
 * What the engine assumes when the fleet file or the workload does not say. Each is documented where the field is
 * (`ClusterDescription`, `WorkloadSpec`) and in the README; changing one changes rankings, not what is billed.
 */

/** A cluster's data link when `bandwidthGbps` is unset: 10 Gbit/s, a common cross-site link. */
export const DEFAULT_BANDWIDTH_GBPS = 10;

/**
 * Spot preemptions per node-hour when `spotPreemptionsPerHour` is unset: one every 20 hours, between the published
 * interruption frequencies of the large clouds' calmer and busier GPU pools.
 */
export const DEFAULT_SPOT_PREEMPTIONS_PER_HOUR = 0.05;

/** Minutes between checkpoints when `spec.checkpointMinutes` is unset. */
export const DEFAULT_CHECKPOINT_MINUTES = 60;

/**
 * The headroom charge (`charges/headroom.ts`) without a demand forecast: the last free GPU of a cluster's model is
 * charged 4 hours of its price, a GPU at half fill a quarter of that. Measured on the quality benchmark.
 */
export const DEFAULT_HEADROOM_FACTOR = 1;
