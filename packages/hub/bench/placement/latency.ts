/**
 * Decision latency: `plan()` on generated fleets of 100, 1,000 and 10,000 clusters, full explanation included
 * (every cluster's verdict, reasons and scores). One thread, one decision at a time, as the scheduler runs it.
 */
import type { Fleet } from "@gantry/shared";
import {
  compactDecision,
  compileFleet,
  plan,
  planOn,
  reservationsFor,
  STORED_KEEP,
} from "../../src/placement/index.ts";
import { generateFleet, latencyWorkloads } from "./generate.ts";

export interface LatencyRow {
  clusters: number;
  samples: number;
  /** `planOn` on a snapshot compiled once (the scheduler's loop). */
  medianMs: number;
  p99Ms: number;
  maxMs: number;
  /** `plan(fleet, …)`: compiles the fleet on every call. */
  coldMedianMs: number;
  coldP99Ms: number;
  /**
   * `planOn` with `keep: STORED_KEEP`, the scheduler's compact decisions (only the verdicts the store keeps, only the
   * clusters a bound cannot rule out ranked), against the whole decision compacted afterwards as the store would.
   */
  compactMedianMs: number;
  compactP99Ms: number;
  wholeCompactedMedianMs: number;
  compileMs: number;
  feasibleShare: number;
  targetP99Ms: number | undefined;
}

const TARGETS: Record<number, number> = { 1000: 1, 10000: 10 };

const quantile = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

/** The snapshot after a few decisions: some clusters carry reservations, as between two capacity reports. */
const withReservations = (fleet: Fleet): Fleet => {
  let f = fleet;
  for (const w of latencyWorkloads()) {
    const d = plan(f, w);
    f = { ...f, reservations: [...f.reservations, ...reservationsFor(w.metadata.name, w, d)] };
  }
  return f;
};

const time = (f: () => void): number => {
  const start = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - start) / 1e6;
};

/**
 * Measures `samples` decisions after `warmup` unmeasured ones, cycling through the workload mix: first with the
 * snapshot compiled once (`planOn`, as the scheduler runs between capacity reports), then cold (`plan`, compiling
 * the fleet on every call).
 */
export const measureLatency = (clusters: number, samples: number, warmup: number, seed = 42): LatencyRow => {
  const fleet = withReservations(generateFleet(clusters, seed));
  const workloads = latencyWorkloads();
  const snapshot = compileFleet(fleet);
  const warm = (i: number) => planOn(snapshot, fleet.reservations, workloads[i % workloads.length]!);
  for (let i = 0; i < warmup; i++) warm(i);
  const times: number[] = [];
  let feasible = 0;
  for (let i = 0; i < samples; i++) {
    let d: ReturnType<typeof warm> | undefined;
    times.push(time(() => (d = warm(i))));
    if (d?.feasible === true) feasible++;
    if (d?.clusters.length !== clusters) throw new Error("a decision must carry one verdict per cluster");
  }
  const cold: number[] = [];
  const coldSamples = Math.max(20, Math.floor(samples / 4));
  for (let i = 0; i < coldSamples; i++) cold.push(time(() => plan(fleet, workloads[i % workloads.length]!)));
  // Interleaved, so both see the same machine: the compact path, then the whole decision compacted as stored.
  const compact: number[] = [];
  const wholeCompacted: number[] = [];
  for (let i = 0; i < samples; i++) {
    const w = workloads[i % workloads.length]!;
    compact.push(time(() => planOn(snapshot, fleet.reservations, w, { keep: STORED_KEEP })));
    wholeCompacted.push(time(() => compactDecision(planOn(snapshot, fleet.reservations, w), STORED_KEEP)));
  }
  compact.sort((a, b) => a - b);
  wholeCompacted.sort((a, b) => a - b);
  const compile: number[] = [];
  for (let i = 0; i < 20; i++) compile.push(time(() => compileFleet(fleet)));
  times.sort((a, b) => a - b);
  cold.sort((a, b) => a - b);
  compile.sort((a, b) => a - b);
  return {
    clusters,
    samples,
    medianMs: quantile(times, 0.5),
    p99Ms: quantile(times, 0.99),
    maxMs: times[times.length - 1] ?? Number.NaN,
    coldMedianMs: quantile(cold, 0.5),
    coldP99Ms: quantile(cold, 0.99),
    compactMedianMs: quantile(compact, 0.5),
    compactP99Ms: quantile(compact, 0.99),
    wholeCompactedMedianMs: quantile(wholeCompacted, 0.5),
    compileMs: quantile(compile, 0.5),
    feasibleShare: feasible / samples,
    targetP99Ms: TARGETS[clusters],
  };
};

/** The three fleet sizes; `quick` trims samples for CI smoke runs. */
export const runLatency = (quick: boolean): LatencyRow[] => [
  measureLatency(100, quick ? 400 : 5000, 200),
  measureLatency(1000, quick ? 200 : 3000, 200),
  measureLatency(10_000, quick ? 40 : 600, 40),
];
