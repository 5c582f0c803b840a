import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { plan } from "../plan.ts";
import { compileRequest } from "../request.ts";
import { compileFleet } from "../snapshot.ts";
import { aCluster, aFleet, aWorkload } from "../testing/builders.ts";
import { reworkHours } from "./spot-risk.ts";

/** mulberry32, so the simulation below is the same on every run. */
const prng = (seed: number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/**
 * Rework hours of one run, simulated: Poisson preemptions at `rate`, work saved every `c` hours, a preemption
 * loses what was done since the last save. Written from the model, not from the closed form.
 */
const simulateRework = (rate: number, hours: number, c: number, runs: number, seed: number): number => {
  const r = prng(seed);
  let lost = 0;
  for (let k = 0; k < runs; k++) {
    let done = 0;
    while (done < hours - 1e-12) {
      const chunk = Math.min(c, hours - done);
      const failAt = -Math.log(1 - r()) / rate;
      if (failAt >= chunk) done += chunk;
      else lost += failAt;
    }
  }
  return lost / runs;
};

const spotCluster = (preemptions: number, spot = 1, onDemand = 4) =>
  aCluster({
    spot: true,
    spotPreemptionsPerHour: { H100: preemptions },
    pricing: { gpuHour: { H100: onDemand }, spotGpuHour: { H100: spot } },
  });

describe("spot risk", () => {
  it("matches a simulation of preemptions and restarts from the last checkpoint", () => {
    const request = (hours: number, checkpointMinutes: number) =>
      compileRequest(compileFleet(aFleet([])), aWorkload({ durationHours: hours, checkpointMinutes }));
    fc.assert(
      fc.property(
        fc.constantFrom(0.05, 0.2, 1),
        fc.constantFrom(2, 6),
        fc.constantFrom(15, 60, 240),
        (rate, hours, minutes) => {
          const expected = reworkHours(rate, request(hours, minutes));
          const simulated = simulateRework(rate, hours, minutes / 60, 20_000, rate * 1000 + hours + minutes);
          expect(Math.abs(simulated - expected)).toBeLessThanOrEqual(0.05 * expected + 0.002);
        },
      ),
      { numRuns: 12, seed: 4 },
    );
  });

  it("charges rework hours × GPUs × the spot price: ~Λ·H·c/2 when preemptions are rare", () => {
    const d = plan(
      aFleet([spotCluster(0.05)]),
      aWorkload({ durationHours: 10, resources: { gpu: { count: 8 } }, placement: { spot: "allowed" } }),
    );
    // (e^0.05 − 1)/0.05 − 1 = 0.02542 h per hour × 10 h × 8 GPUs × $1 = $2.03 (≈ 0.05 × 10 × 1 / 2 × 8 = $2.00).
    expect(d.rankCost?.spotRisk).toBe(2.03);
    expect(d.estimatedCost.total).toBe(80);
    expect(d.clusters[0]?.reasons).toContainEqual({
      code: "spot_risk",
      message:
        "spot risk $2.03: preemptions 0.05/h per node, checkpoint every 60 min, ~0.25 h of rework expected on 8 GPUs",
    });
  });

  it("rolls a gang back together: R replicas interrupt it R times as often", () => {
    const fleet = aFleet([spotCluster(0.1)]);
    const w = (gang: boolean) =>
      aWorkload({
        replicas: 2,
        gang,
        durationHours: 4,
        resources: { gpu: { count: 8 } },
        placement: { spot: "allowed" },
      });
    const risk = (gang: boolean) => plan(fleet, w(gang)).rankCost?.spotRisk ?? 0;
    const per = (rate: number) => Math.round((Math.expm1(rate) / rate) * 100 - 100) / 100;
    expect(per(0.1)).toBeGreaterThan(0);
    expect(risk(true)).toBeCloseTo((Math.expm1(0.2) / 0.2 - 1) * 4 * 16, 2);
    expect(risk(false)).toBeCloseTo((Math.expm1(0.1) / 0.1 - 1) * 4 * 16, 2);
  });

  it("takes on-demand under allowed when the expected rework makes spot dearer, spot when checkpoints are frequent", () => {
    const fleet = aFleet([spotCluster(1, 0.9, 1)]);
    const w = (checkpointMinutes: number) =>
      aWorkload({ durationHours: 4, checkpointMinutes, placement: { spot: "allowed" } });
    // Λc = 1: rework 0.72 h per hour, so $0.90 spot is worth $1.55; every 5 min it is worth $0.94.
    expect(plan(fleet, w(60)).assignments[0]).toMatchObject({ spot: false, pricePerGpuHour: 1 });
    expect(plan(fleet, w(5)).assignments[0]).toMatchObject({ spot: true, pricePerGpuHour: 0.9 });
  });

  it("charges nothing on on-demand capacity, and defaults to 0.05 preemptions per node-hour", () => {
    const onDemand = plan(aFleet([spotCluster(3)]), aWorkload({ durationHours: 5 }));
    expect(onDemand.rankCost?.spotRisk).toBe(0);
    const defaults = aCluster({ spot: true, pricing: { gpuHour: { H100: 4 }, spotGpuHour: { H100: 1 } } });
    const d = plan(
      aFleet([defaults]),
      aWorkload({ durationHours: 10, resources: { gpu: { count: 8 } }, placement: { spot: "preferred" } }),
    );
    expect(d.rankCost?.spotRisk).toBe(2.03);
  });
});
