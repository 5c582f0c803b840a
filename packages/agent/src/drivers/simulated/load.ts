/**
 * The simulated load on inference services. A trace says how many requests/s each user region sends over time;
 * the global load balancer's weights say which share of a region reaches this cluster; each cluster's ready
 * replicas serve it as one M/M/c queue (`@gantry/shared` queueing) with a per-replica capacity. When arrivals
 * outrun the ready replicas, the excess piles up as a backlog (a fluid queue: it grows at λ − cμ and drains at
 * cμ − λ) that every later request waits behind; a request waits at most `timeoutSeconds`, then gives up.
 *
 * Everything here is a pure function of the trace, the replicas and the clock (seconds are an argument), so a
 * replay gives the same figures every time.
 */
import {
  type MmcFigures,
  mmc,
  parseDocument,
  parseWith,
  type ServingSignal,
  waitQuantileSeconds,
} from "@gantry/shared";
import { z } from "zod";

const Region = z.string().min(1).max(63);
/** Requests/s by user region. */
const RegionRates = z.record(Region, z.number().nonnegative().max(1e7));
export type RegionRates = Record<string, number>;

const TracePoint = z.strictObject({ atSeconds: z.number().nonnegative(), rps: RegionRates });

const PointsTrace = z
  .strictObject({
    kind: z.literal("points"),
    /** Between points: a straight line (`linear`) or the earlier point's value (`step`). */
    interpolation: z.enum(["linear", "step"]).default("linear"),
    /** Start over after this long (a one-day recording replays daily). Absent: the last point holds. */
    repeatSeconds: z.number().positive().optional(),
    points: z.array(TracePoint).min(1).max(100_000),
  })
  .superRefine((t, ctx) => {
    t.points.forEach((p, i) => {
      const before = t.points[i - 1];
      if (before && p.atSeconds <= before.atSeconds) {
        ctx.addIssue({
          code: "custom",
          path: ["points", i, "atSeconds"],
          message: "points must be in increasing time",
        });
      }
    });
  });

const Peak = z.strictObject({
  region: Region,
  /** Time of day (seconds into the period) of the peak's top. */
  atSeconds: z.number().nonnegative(),
  /** Standard deviation of the bell; about 2.5× this is the peak's visible width. */
  widthSeconds: z.number().positive(),
  /** Requests/s the peak adds to the region's base at its top. */
  rps: z.number().nonnegative().max(1e7),
});

const Spike = z.strictObject({
  /** The region that spikes; absent: every region. */
  region: Region.optional(),
  /** Absolute trace time the spike starts (not a time of day: a spike happens once). */
  atSeconds: z.number().nonnegative(),
  durationSeconds: z.number().positive(),
  /** Demand is multiplied by this while the spike lasts. */
  factor: z.number().min(1).max(1000),
  /** Linear ramp at each end; 0 is a step, the hardest case for an autoscaler. */
  rampSeconds: z.number().nonnegative().default(0),
});

const DiurnalTrace = z
  .strictObject({
    kind: z.literal("diurnal"),
    periodSeconds: z.number().positive().default(86_400),
    base: RegionRates,
    peaks: z.array(Peak).max(1000).default([]),
    spikes: z.array(Spike).max(1000).default([]),
  })
  .superRefine((t, ctx) => {
    t.peaks.forEach((p, i) => {
      if (p.atSeconds >= t.periodSeconds) {
        ctx.addIssue({ code: "custom", path: ["peaks", i, "atSeconds"], message: "must be within periodSeconds" });
      }
    });
    t.spikes.forEach((s, i) => {
      if (2 * s.rampSeconds > s.durationSeconds) {
        ctx.addIssue({ code: "custom", path: ["spikes", i, "rampSeconds"], message: "both ramps must fit the spike" });
      }
    });
  });

/** A load trace as written in YAML: recorded points, or a diurnal generator with peaks and spikes. */
export const LoadTrace = z.discriminatedUnion("kind", [PointsTrace, DiurnalTrace]);
export type LoadTrace = z.infer<typeof LoadTrace>;
export type LoadTraceInput = z.input<typeof LoadTrace>;

/** Parse a trace file (YAML or JSON); a bad field throws a ValidationError naming it. */
export const parseLoadTrace = (text: string, source = "load trace"): LoadTrace =>
  parseWith(LoadTrace, parseDocument(text, source), source);

const regionsOf = (trace: LoadTrace): string[] => {
  const names =
    trace.kind === "points"
      ? trace.points.flatMap((p) => Object.keys(p.rps))
      : [...Object.keys(trace.base), ...trace.peaks.map((p) => p.region)];
  return [...new Set(names)].sort();
};

const pointsAt = (trace: z.infer<typeof PointsTrace>, at: number, region: string): number => {
  const pts = trace.points;
  const t = trace.repeatSeconds === undefined ? at : at % trace.repeatSeconds;
  // Binary search for the last point at or before t.
  let lo = 0;
  let hi = pts.length - 1;
  if (t <= pts[0]!.atSeconds) return pts[0]!.rps[region] ?? 0;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (pts[mid]!.atSeconds <= t) lo = mid;
    else hi = mid - 1;
  }
  const a = pts[lo]!;
  const b = pts[lo + 1];
  const va = a.rps[region] ?? 0;
  if (!b || trace.interpolation === "step") return va;
  const vb = b.rps[region] ?? 0;
  return va + ((vb - va) * (t - a.atSeconds)) / (b.atSeconds - a.atSeconds);
};

const spikeFactor = (spike: z.infer<typeof Spike>, at: number): number => {
  const into = at - spike.atSeconds;
  if (into < 0 || into >= spike.durationSeconds) return 1;
  const edge = Math.min(into, spike.durationSeconds - into);
  const ramp = spike.rampSeconds > 0 ? Math.min(1, edge / spike.rampSeconds) : 1;
  return 1 + (spike.factor - 1) * ramp;
};

const diurnalAt = (trace: z.infer<typeof DiurnalTrace>, at: number, region: string): number => {
  const period = trace.periodSeconds;
  const phase = at % period;
  let rate = trace.base[region] ?? 0;
  for (const p of trace.peaks) {
    if (p.region !== region) continue;
    // Distance on the circle of the day, so a peak near midnight wraps.
    const d = Math.abs(phase - p.atSeconds);
    const wrapped = Math.min(d, period - d);
    rate += p.rps * Math.exp(-(wrapped * wrapped) / (2 * p.widthSeconds * p.widthSeconds));
  }
  for (const s of trace.spikes) {
    if (s.region === undefined || s.region === region) rate *= spikeFactor(s, at);
  }
  return rate;
};

/** Requests/s per user region at trace time `atSeconds`. Every region the trace names appears, 0 included. */
export const demandAt = (trace: LoadTrace, atSeconds: number): RegionRates => {
  const out: RegionRates = {};
  for (const r of regionsOf(trace)) {
    out[r] = trace.kind === "points" ? pointsAt(trace, atSeconds, r) : diurnalAt(trace, atSeconds, r);
  }
  return out;
};

/** Endpoint weights: for each user region, the share of its traffic each cluster receives. */
export type EndpointWeights = Record<string, Record<string, number>>;

/** The requests/s by user region that reach `cluster` when the global load balancer splits `demand` by `weights`. */
export const arrivalsFor = (demand: RegionRates, weights: EndpointWeights, cluster: string): RegionRates => {
  const out: RegionRates = {};
  for (const [region, rate] of Object.entries(demand)) {
    const share = weights[region]?.[cluster] ?? 0;
    if (share > 0) out[region] = rate * share;
  }
  return out;
};

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
