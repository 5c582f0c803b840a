/**
 * Decision latency: `plan()` on generated fleets of 100, 1,000 and 10,000 clusters, full explanation included
 * (every cluster's verdict, reasons and scores). One thread, one decision at a time, as the scheduler runs it.
 */
import type { Fleet } from "@gantry/shared";
import { plan, reservationsFor } from "../../src/placement/index.ts";
import { generateFleet, latencyWorkloads } from "./generate.ts";

export interface LatencyRow {
  clusters: number;
  samples: number;
  medianMs: number;
  p99Ms: number;
  maxMs: number;
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

/** Measures `samples` decisions after `warmup` unmeasured ones, cycling through the workload mix. */
export const measureLatency = (clusters: number, samples: number, warmup: number, seed = 42): LatencyRow => {
  const fleet = withReservations(generateFleet(clusters, seed));
  const workloads = latencyWorkloads();
  for (let i = 0; i < warmup; i++) plan(fleet, workloads[i % workloads.length]!);
  const times: number[] = [];
  let feasible = 0;
  for (let i = 0; i < samples; i++) {
    const w = workloads[i % workloads.length]!;
    const start = process.hrtime.bigint();
    const d = plan(fleet, w);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (d.feasible) feasible++;
    if (d.clusters.length !== clusters) throw new Error("a decision must carry one verdict per cluster");
  }
  times.sort((a, b) => a - b);
  return {
    clusters,
    samples,
    medianMs: quantile(times, 0.5),
    p99Ms: quantile(times, 0.99),
    maxMs: times[times.length - 1] ?? Number.NaN,
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
