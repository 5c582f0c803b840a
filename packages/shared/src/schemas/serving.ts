import { z } from "zod";

/**
 * Inference services: how they scale (`spec.autoscaling`), whom they serve (`spec.serving`), and the signals an
 * agent reports for each service in its cluster. The hub's autoscaler decides on these; both sides import them.
 */

/** The metric a service scales on: in-flight requests per replica, p95 latency, queued requests, tokens/s per replica. */
export const ServingMetric = z.enum(["concurrency", "p95LatencyMs", "queueDepth", "tokensPerSecond"]);
export type ServingMetric = z.infer<typeof ServingMetric>;

/** Upper bound on replicas a service may scale to (fits the database's integer columns with room to spare). */
export const MAX_SERVICE_REPLICAS = 10_000;

export const AutoscalingSpec = z
  .strictObject({
    minReplicas: z.number().int().min(0).max(MAX_SERVICE_REPLICAS).default(1),
    maxReplicas: z.number().int().min(1).max(MAX_SERVICE_REPLICAS),
    metric: ServingMetric.default("concurrency"),
    /** Target value of `metric` per replica (p95LatencyMs: the latency to keep under). */
    target: z.number().positive().max(1e9),
    /** Idle (no requests) this long: scale to zero. Absent: never below `minReplicas`. */
    scaleToZeroAfterSeconds: z.number().int().positive().max(86_400).optional(),
    /** Time a new replica needs to load its model and serve; counted against the latency SLO. */
    coldStartSeconds: z.number().nonnegative().max(3_600).default(30),
    /** Knative-style windows: decisions average over the stable window, and react on the panic window. */
    stableWindowSeconds: z.number().int().positive().max(3_600).default(60),
    panicWindowSeconds: z.number().int().positive().max(600).default(6),
    /** Panic when the panic-window demand exceeds this multiple of current capacity. */
    panicThreshold: z.number().min(1).max(100).default(2),
  })
  .refine((a) => a.minReplicas <= a.maxReplicas, {
    message: "minReplicas must not exceed maxReplicas",
    path: ["minReplicas"],
  });
export type AutoscalingSpec = z.infer<typeof AutoscalingSpec>;
export type AutoscalingSpecInput = z.input<typeof AutoscalingSpec>;

export const ServingSpec = z.strictObject({
  /** End-to-end latency the service promises (network RTT from the user's region + time to first token). */
  latencySloMs: z.number().positive().max(600_000),
  /** Share of demand per user region (weights, any scale). */
  demand: z.record(z.string().min(1).max(63), z.number().nonnegative().max(1e9)).optional(),
  /** Take the regional split from the request rates agents report instead of `demand`. */
  fromMetrics: z.boolean().default(false),
  /** Replicas that must stay on on-demand (or owned) capacity whatever spot costs. */
  minOnDemand: z.number().int().nonnegative().max(MAX_SERVICE_REPLICAS).default(0),
  /**
   * Requests/s one busy replica completes (1/mean service time). The autoscaler's latency model needs it; it
   * estimates it from the signals (requests/s over in-service concurrency) and uses this until it can.
   */
  replicaRequestsPerSecond: z.number().positive().max(1e6).optional(),
});
export type ServingSpec = z.infer<typeof ServingSpec>;
export type ServingSpecInput = z.input<typeof ServingSpec>;

/** What one cluster's agent observed for one service over the last window. */
export const ServingSignal = z.strictObject({
  tenant: z.string().min(1).max(63),
  workload: z.string().min(1).max(63),
  generation: z.number().int().nonnegative(),
  replicas: z.number().int().nonnegative(),
  readyReplicas: z.number().int().nonnegative(),
  /** Requests in flight, summed over replicas. */
  concurrency: z.number().nonnegative(),
  /** Requests waiting for a replica, summed over replicas. */
  queueDepth: z.number().nonnegative(),
  /** p95 of time to first token (or of request latency) in the cluster, ms. */
  p95LatencyMs: z.number().nonnegative(),
  tokensPerSecond: z.number().nonnegative(),
  requestsPerSecond: z.number().nonnegative(),
  /** Requests/s by the user region they came from, when the cluster can tell. */
  byRegion: z.record(z.string().min(1).max(63), z.number().nonnegative()).default({}),
  /** Seconds the last replica took from start to ready (model load). */
  modelLoadSeconds: z.number().nonnegative().optional(),
  /** Length of the window these figures cover. */
  windowSeconds: z.number().positive(),
});
export type ServingSignal = z.infer<typeof ServingSignal>;
export type ServingSignalInput = z.input<typeof ServingSignal>;

/** How a replica is paid for: owned (on-prem, edge), cloud on-demand, cloud spot. */
export const CapacityKind = z.enum(["owned", "onDemand", "spot"]);

/** One scaling decision the hub's autoscaler applied, with its sentence. */
export const ScalingDecision = z.strictObject({
  at: z.iso.datetime({ offset: true }),
  cluster: z.string().min(1).max(63),
  kind: CapacityKind,
  from: z.number().int().nonnegative(),
  to: z.number().int().nonnegative(),
  explanation: z.string().max(2_000),
});
export type ScalingDecision = z.infer<typeof ScalingDecision>;

/** Replicas of a service in one cluster: what the autoscaler wants, what runs, what serves. */
export const ClusterReplicas = z.strictObject({
  cluster: z.string().min(1).max(63),
  kind: CapacityKind,
  desired: z.number().int().nonnegative(),
  current: z.number().int().nonnegative(),
  ready: z.number().int().nonnegative(),
  pricePerReplicaHour: z.number().nonnegative(),
});
export type ClusterReplicas = z.infer<typeof ClusterReplicas>;

/** A service's `status.autoscaling` in the hub's API: the last pass's figures and the recent decisions. */
export const AutoscalingStatus = z.strictObject({
  updatedAt: z.iso.datetime({ offset: true }),
  metric: ServingMetric,
  /** The metric averaged over the stable window, summed over clusters (p95: traffic-weighted). */
  metricValue: z.number().nonnegative(),
  target: z.number().positive(),
  mode: z.enum(["stable", "panic", "held", "idle"]),
  /** The KPA's sentence for the count. */
  reason: z.string().max(2_000),
  desiredReplicas: z.number().int().nonnegative(),
  readyReplicas: z.number().int().nonnegative(),
  requestsPerSecond: z.number().nonnegative(),
  /** Requests/s per user region the plan serves. */
  demand: z.record(z.string(), z.number().nonnegative()),
  /** Expected p95 per user region after the plan (RTT included), ms. */
  predictedP95Ms: z.record(z.string(), z.number()),
  costPerHour: z.number().nonnegative(),
  clusters: z.array(ClusterReplicas).max(10_000),
  /** Per user region, the share of its traffic each cluster gets (the global load balancer's weights). */
  weights: z.record(z.string(), z.record(z.string(), z.number().min(0).max(1))),
  /** The latest decisions, newest first. */
  decisions: z.array(ScalingDecision).max(100),
});
export type AutoscalingStatus = z.infer<typeof AutoscalingStatus>;
