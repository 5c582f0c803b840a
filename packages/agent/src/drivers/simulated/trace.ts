/**
 * Load traces for the simulated serving model: requests/s per user region over time, as recorded points
 * (interpolated) or a diurnal generator (base, bell-shaped peaks, spikes). Pure: time is an argument.
 */
import { parseDocument, parseWith } from "@gantry/shared";
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
