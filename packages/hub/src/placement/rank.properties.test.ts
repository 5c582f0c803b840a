/**
 * The rank value on random fleets, checked against the reference computation in `testing/reference.ts` (written
 * from the documented model and the raw fleet, not from the engine's numbers): every feasible cluster's terms are
 * the reference's to the cent and sum to its total, the chosen cluster has the lowest total among the clusters
 * that can take the whole workload (in the pool, when one is given), and the bill is compute + egress.
 */
import type { ClusterVerdict, Decision, Fleet, RankCost, Reservation, Workload } from "@gantry/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FilterCode } from "./framework.ts";
import { plan } from "./plan.ts";
import type { PlanOptions } from "./request.ts";
import { reservationsFor } from "./reservations.ts";
import { fleetArb, workloadArb } from "./testing/arbitraries.ts";
import { referenceRank, refPrice } from "./testing/reference.ts";
import { runs } from "./testing/runs.ts";

const FILTER_CODES: readonly FilterCode[] = [
  "not_in_pool",
  "cluster_not_ready",
  "tier_not_allowed",
  "region_not_allowed",
  "taint_not_tolerated",
  "no_matching_gpu",
  "no_usable_price",
  "price_too_high",
  "insufficient_gpu",
  "gpu_fragmented",
  "insufficient_cpu",
  "insufficient_memory",
];
const TERMS = ["compute", "egress", "staging", "spotRisk", "headroom", "preference"] as const;

const cents = (n: number): number => Math.round(n * 100);

const optionsArb: fc.Arbitrary<PlanOptions> = fc.record(
  {
    onlyClusters: fc.subarray(["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"], { minLength: 1 }),
    tierPremium: fc.record({
      order: fc.subarray(["onprem", "cloud", "edge"] as ("onprem" | "cloud" | "edge")[], { minLength: 1 }),
      usdPerGpuHour: fc.constantFrom(0.1, 0.5, 2),
    }),
    headroomFactor: fc.constantFrom(0, 0.5, 1, 2),
  },
  { requiredKeys: [] },
);

/** Replicas a verdict's rank value is for: what it takes when selected, what it could take otherwise. */
const replicasOf = (d: Decision, v: ClusterVerdict): number =>
  v.verdict === "selected" ? d.assignments.find((a) => a.cluster === v.cluster)!.replicas : v.fitReplicas!;

const checkDecision = (fleet: Fleet, w: Workload, options: PlanOptions, d: Decision): void => {
  const feasible = d.clusters.filter((v) => v.verdict !== "filtered");
  for (const v of d.clusters) {
    if (v.verdict === "filtered") {
      expect(v.rankCost).toBeUndefined();
      expect(FILTER_CODES).toContain(v.reasons[0]?.code);
      continue;
    }
    const r = v.rankCost!;
    // The explained terms sum to the rank value, to the cent.
    expect(cents(TERMS.reduce((n, k) => n + r[k], 0))).toBe(cents(r.total));
    // The bill is compute + egress, never the ranking charges.
    expect(cents(v.estimatedCost!.total)).toBe(cents(r.compute) + cents(r.egress));
    // Each term is what the reference computes from the raw fleet for the same offer and replicas.
    const c = fleet.clusters.find((x) => x.name === v.cluster)!;
    if (v.gpuModel !== undefined) {
      expect(refPrice(w, c, v.gpuModel, options.spotOnly)).toEqual({ price: v.pricePerGpuHour, spot: v.spot });
    }
    const ref = referenceRank(
      fleet,
      w,
      c,
      { model: v.gpuModel, price: v.pricePerGpuHour!, spot: v.spot! },
      replicasOf(d, v),
      options,
    );
    for (const k of TERMS) expect(Math.abs(r[k] - ref[k])).toBeLessThanOrEqual(0.005 + 1e-9 * Math.abs(ref[k]));
  }
  if (!d.feasible) return;
  if (options.onlyClusters !== undefined) {
    for (const a of d.assignments) expect(options.onlyClusters).toContain(a.cluster);
  }
  const whole = feasible.filter((v) => v.fitReplicas === w.spec.replicas);
  if (d.assignments.length === 1 && whole.length > 0) {
    const chosen = d.clusters.find((v) => v.cluster === d.assignments[0]!.cluster)!;
    const refTotal = (v: ClusterVerdict): number => {
      const c = fleet.clusters.find((x) => x.name === v.cluster)!;
      const t = referenceRank(
        fleet,
        w,
        c,
        { model: v.gpuModel, price: v.pricePerGpuHour!, spot: v.spot! },
        w.spec.replicas,
        options,
      );
      return TERMS.reduce((n, k) => n + t[k], 0);
    };
    for (const other of whole) {
      // The lowest rank value over the clusters that can take it all, by the engine's numbers and the reference's
      // (six terms each rounded to the cent: at most 6 cents apart).
      expect(chosen.rankCost!.total).toBeLessThanOrEqual(other.rankCost!.total);
      expect(refTotal(chosen)).toBeLessThanOrEqual(refTotal(other) + 0.06);
    }
    if (d.margin !== undefined) {
      const second = d.clusters.find((v) => v.cluster === d.margin!.runnerUp)!.rankCost as RankCost;
      expect(cents(d.margin.usd)).toBe(cents(second.total) - cents(chosen.rankCost!.total));
      for (const k of TERMS) expect(cents(d.margin.terms[k])).toBe(cents(chosen.rankCost![k]) - cents(second[k]));
    }
  }
  // The decision's rank value is its assignments' verdicts', summed.
  const selected = d.clusters.filter((v) => v.verdict === "selected");
  for (const k of ["total", ...TERMS] as const) {
    expect(cents(d.rankCost![k])).toBe(selected.reduce((n, v) => n + cents(v.rankCost![k]), 0));
  }
};

const RUNS = { numRuns: runs(400), seed: 20261 };

describe("rank value properties", () => {
  it("chooses the lowest rank value, whose terms match an independent reference and sum to it", () => {
    fc.assert(
      fc.property(fleetArb, workloadArb("w"), optionsArb, (fleet, w, options) => {
        checkDecision(fleet, w, options, plan(fleet, w, options));
      }),
      RUNS,
    );
  });

  it("holds on back-to-back decisions, each on the reservations of the ones before it", () => {
    fc.assert(
      fc.property(fleetArb, fc.tuple(workloadArb("w0"), workloadArb("w1"), workloadArb("w2")), (fleet0, ws) => {
        const reservations: Reservation[] = [];
        for (const w of ws) {
          const fleet = { ...fleet0, reservations: [...reservations] };
          const d = plan(fleet, w);
          checkDecision(fleet, w, {}, d);
          reservations.push(...reservationsFor(w.metadata.name, w, d));
        }
      }),
      { numRuns: runs(200), seed: 20262 },
    );
  });
});
