/**
 * The simulated load on inference services. A trace (`trace.ts`) says how many requests/s each user region sends;
 * the global load balancer's weights say which share of a region reaches this cluster; each cluster's ready
 * replicas serve it as one M/M/c queue (`@gantry/shared` queueing) with a per-replica capacity. When arrivals
 * outrun the ready replicas, the excess piles up as a backlog (a fluid queue: it grows at λ − cμ and drains at
 * cμ − λ) that every later request waits behind; a request waits at most `timeoutSeconds`, then gives up.
 *
 * Everything here is a pure function of the trace, the replicas and the clock (seconds are an argument), so a
 * replay gives the same figures every time.
 */
import { type MmcFigures, mmc, type ServingSignal, waitQuantileSeconds } from "@gantry/shared";
import { z } from "zod";
import type { RegionRates } from "./trace.ts";

export * from "./trace.ts";

/** How one replica of a service behaves. */
export const ServiceModel = z.strictObject({
  /** μ: requests/s one replica completes when busy; 1/μ is the mean service time. */
  replicaRequestsPerSecond: z.number().positive().max(1e6),
  /** Tokens generated per request (for `tokensPerSecond`). */
  tokensPerRequest: z.number().nonnegative().max(1e7).default(0),
  /** A replica serves this long after it started (model load). */
  coldStartSeconds: z.number().nonnegative().max(3_600).default(30),
  /** A request that waited this long gives up; bounds the backlog and the reported latency. */
  timeoutSeconds: z.number().positive().max(3_600).default(30),
});
export type ServiceModel = z.infer<typeof ServiceModel>;
export type ServiceModelInput = z.input<typeof ServiceModel>;

/** Replicas that finished loading: started at least `coldStartSeconds` before `atSeconds`. */
export const readyReplicas = (startedAtSeconds: readonly number[], atSeconds: number, coldStartSeconds: number) =>
  startedAtSeconds.filter((s) => atSeconds - s >= coldStartSeconds).length;

/** What a service's load model carries from one step to the next in one cluster. */
export interface ServiceLoadState {
  /** Requests queued beyond the M/M/c steady state (the fluid backlog of an overload). */
  backlog: number;
  /** Trace time of the previous step; absent before the first. */
  atSeconds?: number;
}

export const initialServiceLoad: ServiceLoadState = { backlog: 0 };

export interface ServiceLoadInput {
  atSeconds: number;
  /** Requests/s by user region reaching this cluster (see `arrivalsFor`). */
  arrivals: RegionRates;
  /** Replicas past their cold start; the others do not serve. */
  readyReplicas: number;
  model: ServiceModel;
}

/** The tail of the latency distribution at one instant: what share of requests take longer than a threshold. */
export interface LatencyTail {
  /** Every request takes at least this: the backlog ahead of it plus one mean service time. */
  floorSeconds: number;
  /** M/M/c queueing on top of the floor: P(wait > t) = probWait·e^(−decayRate·t). */
  probWait: number;
  decayRate: number;
  /** Requests reach the timeout (no ready replica, or a backlog past it). */
  timedOut: boolean;
}

/** The `ServingSignal` figures a cluster reports for one service. */
export interface ServingFigures {
  concurrency: number;
  queueDepth: number;
  p95LatencyMs: number;
  tokensPerSecond: number;
  requestsPerSecond: number;
  byRegion: RegionRates;
}

export interface ServiceLoadStep {
  state: ServiceLoadState;
  figures: ServingFigures;
  latency: LatencyTail;
}

const sum = (r: RegionRates): number => Object.values(r).reduce((a, b) => a + b, 0);

/**
 * Advance one service in one cluster to `atSeconds`: update the backlog over the time since the last step
 * (arrivals taken constant over it), then report the figures at `atSeconds`.
 */
export const stepServiceLoad = (state: ServiceLoadState, input: ServiceLoadInput): ServiceLoadStep => {
  const { model, readyReplicas: ready } = input;
  const mu = model.replicaRequestsPerSecond;
  const lambda = sum(input.arrivals);
  const capacity = ready * mu;
  const dt = state.atSeconds === undefined ? 0 : Math.max(0, input.atSeconds - state.atSeconds);
  // Requests older than the timeout have left: at most timeoutSeconds of arrivals wait.
  const backlog = Math.min(Math.max(0, state.backlog + (lambda - capacity) * dt), lambda * model.timeoutSeconds);
  const next: ServiceLoadState = { backlog, atSeconds: input.atSeconds };
  const overloaded = lambda >= capacity && lambda > 0;
  const queue: MmcFigures | undefined = overloaded
    ? undefined
    : mmc({ arrivalRate: lambda, serviceRate: mu, servers: ready });
  const aheadSeconds = capacity > 0 ? backlog / capacity : lambda > 0 ? Number.POSITIVE_INFINITY : 0;
  const floorSeconds = aheadSeconds + 1 / mu;
  const timedOut = lambda > 0 && (ready === 0 || aheadSeconds >= model.timeoutSeconds);
  const latency: LatencyTail = {
    floorSeconds: Math.min(floorSeconds, model.timeoutSeconds),
    probWait: queue ? queue.probWait : 1,
    decayRate: queue ? queue.waitDecayRate : 0,
    timedOut,
  };
  const p95 = lambda === 0 ? 0 : timedOut ? model.timeoutSeconds : p95Seconds(latency, queue);
  const served = overloaded || backlog > 0 ? capacity : lambda;
  const queueDepth = backlog + (queue?.meanQueueLength ?? 0);
  const busy = served / mu;
  return {
    state: next,
    latency,
    figures: {
      concurrency: busy + queueDepth,
      queueDepth,
      p95LatencyMs: Math.min(p95, model.timeoutSeconds) * 1000,
      tokensPerSecond: served * model.tokensPerRequest,
      requestsPerSecond: lambda,
      byRegion: { ...input.arrivals },
    },
  };
};

const p95Seconds = (tail: LatencyTail, queue: MmcFigures | undefined): number => {
  // Overloaded: the backlog sets everyone's wait; the steady-state tail does not exist.
  if (!queue) return tail.floorSeconds;
  return tail.floorSeconds + waitQuantileSeconds(queue, 0.95);
};

/** Share of requests, at this instant, that take longer than `thresholdSeconds` (1 when they time out). */
export const shareSlowerThan = (tail: LatencyTail, thresholdSeconds: number): number => {
  if (tail.timedOut) return 1;
  const slack = thresholdSeconds - tail.floorSeconds;
  if (slack < 0) return 1;
  // Overloaded (no decay): every request waits the backlog, which the floor already holds.
  if (tail.decayRate === 0) return 0;
  return Math.min(1, tail.probWait * Math.exp(-tail.decayRate * slack));
};

/** Who a signal is about; the rest of the signal comes from the load step. */
export interface ServiceIdentity {
  tenant: string;
  workload: string;
  generation: number;
  replicas: number;
  readyReplicas: number;
  modelLoadSeconds?: number;
}

/** The `ServingSignal` a simulated cluster reports for one service after a load step over `windowSeconds`. */
export const servingSignalOf = (
  id: ServiceIdentity,
  figures: ServingFigures,
  windowSeconds: number,
): ServingSignal => ({
  ...id,
  ...figures,
  byRegion: { ...figures.byRegion },
  windowSeconds: Math.max(windowSeconds, 1e-3),
});
