/**
 * `pnpm bench --only inference`: a day of inference traffic (two regional peaks, a 5× surge) on a mixed fleet,
 * three ways: Gantry's autoscaler on the whole fleet; the same autoscaler on on-demand cloud only; and static
 * provisioning at the on-demand run's peak. Each runs with three preemption seeds; figures are medians.
 */
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { FLEET, loadScenario, ON_DEMAND_FLEET } from "./scenario.ts";
import { type RunResult, simulate } from "./simulate.ts";

export const SEEDS = [7, 11, 13];

export interface InferenceReport {
  dayCompressedBy: number;
  tickSeconds: number;
  loadAverage: number[];
  wallSeconds: number;
  runs: { gantry: RunResult[]; onDemand: RunResult[]; staticPeak: RunResult[] };
}

/**
 * Run the three configurations with every seed. The day is compressed 4× (6 simulated hours: ramps 4× steeper
 * than real, the spike kept at its 15 minutes); `quick` compresses it 12×.
 */
export const runInference = (quick: boolean): InferenceReport => {
  const compress = quick ? 12 : 4;
  const scenario = loadScenario(compress);
  const base = {
    scenario,
    tickSeconds: 5,
    durationSeconds: 86_400 / compress,
    warmupSeconds: 600,
  };
  const started = performance.now();
  const runs: InferenceReport["runs"] = { gantry: [], onDemand: [], staticPeak: [] };
  for (const seed of SEEDS) {
    runs.gantry.push(simulate({ ...base, label: "gantry", fleet: FLEET, autoscaling: scenario.autoscaling, seed }));
    const onDemand = simulate({
      ...base,
      label: "on-demand",
      fleet: ON_DEMAND_FLEET,
      autoscaling: scenario.autoscaling,
      seed,
    });
    runs.onDemand.push(onDemand);
    // Static: each cloud holds the on-demand run's peak there all day (its capacity set to that, min = max = the sum).
    const staticFleet = ON_DEMAND_FLEET.map((c) => ({
      ...c,
      offers: c.offers.map((off) => ({ ...off, capacity: onDemand.peakByCluster[c.name] ?? 0 })),
    }));
    const peak = Object.values(onDemand.peakByCluster).reduce((a, b) => a + b, 0);
    const fixed = { ...scenario.autoscaling, minReplicas: peak, maxReplicas: peak };
    runs.staticPeak.push(simulate({ ...base, label: "static-peak", fleet: staticFleet, autoscaling: fixed, seed }));
  }
  return {
    dayCompressedBy: compress,
    tickSeconds: base.tickSeconds,
    loadAverage: loadavg(),
    wallSeconds: (performance.now() - started) / 1000,
    runs,
  };
};

/** The median of three (or any odd count) values. */
export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[(s.length - 1) >> 1] ?? Number.NaN;
};
