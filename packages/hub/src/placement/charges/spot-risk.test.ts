import type { Decision, WorkloadSpecInput } from "@gantry/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { plan } from "../plan.ts";
import { compileRequest } from "../request.ts";
import { compileFleet } from "../snapshot.ts";
import { aCluster, aFleet, aNodeGroup, aWorkload } from "../testing/builders.ts";
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

  it("says the interruption rate of what rolls back together, the checkpoint interval and the rework expected", () => {
    const fleet = aFleet([spotCluster(0.1)]);
    const w = (replicas: number, gang: boolean, spec: Partial<WorkloadSpecInput> = {}) =>
      aWorkload({
        replicas,
        gang,
        durationHours: 4,
        resources: { gpu: { count: 8 } },
        placement: { spot: "allowed" },
        ...spec,
      });
    const sentence = (d: Decision) => d.clusters[0]?.reasons.find((r) => r.code === "spot_risk")?.message;
    // Gang of 2: Λ = 0.2/h, 4 × ((e^0.2 − 1)/0.2 − 1) = 0.4281 h of rework on 16 GPUs at $1: $6.85.
    expect(sentence(plan(fleet, w(2, true)))).toBe(
      "spot risk $6.85: preemptions 0.200/h for the gang of 2, checkpoint every 60 min, ~0.43 h of rework expected on 16 GPUs",
    );
    // Independent replicas: Λ = 0.1/h each, 4 × ((e^0.1 − 1)/0.1 − 1) = 0.2068 h on 16 GPUs: $3.31.
    expect(sentence(plan(fleet, w(2, false)))).toBe(
      "spot risk $3.31: preemptions 0.1/h per node, checkpoint every 60 min, ~0.21 h of rework expected on 16 GPUs",
    );
    // A gang of one is one node; a half-hour job checkpoints at its end: 0.5 × ... = (e^0.05 − 1)/0.1 − 0.5 = 0.0127 h.
    expect(sentence(plan(fleet, w(1, true, { durationHours: 0.5 })))).toBe(
      "spot risk $0.10: preemptions 0.1/h per node, checkpoint every 30 min, ~0.01 h of rework expected on 8 GPUs",
    );
  });

  it("has no sentence on on-demand capacity or for a GPU-less workload", () => {
    const onDemand = plan(aFleet([spotCluster(0.1)]), aWorkload({ placement: { spot: "never" } }));
    expect(onDemand.clusters[0]?.reasons.map((r) => r.code)).not.toContain("spot_risk");
    const cpu = aFleet([aCluster({ spot: true, nodes: [aNodeGroup({ name: "cpu", count: 1, gpu: undefined })] })]);
    const d = plan(cpu, aWorkload({ resources: { cpu: 4 }, placement: { spot: "preferred" } }));
    expect(d.rankCost?.spotRisk).toBe(0);
    expect(d.clusters[0]?.reasons.map((r) => r.code)).not.toContain("spot_risk");
  });

  it("expects no rework where preemptions never come, and stays finite where they always do", () => {
    const req = (hours: number, checkpointMinutes: number) =>
      compileRequest(compileFleet(aFleet([])), aWorkload({ durationHours: hours, checkpointMinutes }));
    expect(reworkHours(0, req(10, 60))).toBe(0);
    // 2.5 h checkpointed hourly at Λ = 0.1: two hour intervals, (e^0.1 − 1)/0.1 − 1 = 0.051709 each, and a half
    // hour, (e^0.05 − 1)/0.1 − 0.5 = 0.012711: 0.116129 h.
    expect(reworkHours(0.1, req(2.5, 60))).toBeCloseTo(0.116129, 6);
    // Λc = 1,000 is capped at 50: (e^50 − 1)/1000 − 1 ≈ 5.2 × 10^18 h, a run that practically never finishes.
    const capped = reworkHours(1000, req(1, 60));
    expect(Number.isFinite(capped)).toBe(true);
    expect(capped / (Math.exp(50) / 1000)).toBeCloseTo(1, 9);
  });
});
