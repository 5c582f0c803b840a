import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { evaluate } from "./evaluate.ts";
import { kthSmallest, rankAll, rankFor, rounded, sumRanks, ZERO_RANK } from "./rank.ts";
import { compileRequest, type PlanOptions } from "./request.ts";
import { compileFleet } from "./snapshot.ts";
import { aCluster, aFleet, aNodeGroup, aWorkload } from "./testing/builders.ts";

describe("kthSmallest", () => {
  it("is the k-th value of the sorted array, duplicates included", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 40 }), fc.nat(), (xs, k0) => {
        const k = k0 % xs.length;
        expect(kthSmallest(Float64Array.from(xs), k)).toBe([...xs].sort((a, b) => a - b)[k]);
      }),
      { numRuns: 2000, seed: 7 },
    );
  });
});

describe("rounded", () => {
  it("rounds each term to the cent and totals the rounded terms, so the terms shown add up to the total shown", () => {
    const r = rounded({
      compute: 1.004,
      egress: 2.006,
      staging: 0.333,
      spotRisk: 0.0049,
      headroom: 3.996,
      preference: 0.011,
    });
    // 1.00 + 2.01 + 0.33 + 0.00 + 4.00 + 0.01 = 7.35 (the unrounded sum, 7.3549, would round to the same here).
    expect(r.rank).toEqual({
      total: 7.35,
      compute: 1,
      egress: 2.01,
      staging: 0.33,
      spotRisk: 0,
      headroom: 4,
      preference: 0.01,
    });
    expect(r.cents).toBe(735);
    // Six terms of $0.004 each: every one shows $0.00, so the total is $0.00, not the $0.02 they sum to unrounded.
    const tiny = rounded({
      compute: 0.004,
      egress: 0.004,
      staging: 0.004,
      spotRisk: 0.004,
      headroom: 0.004,
      preference: 0.004,
    });
    expect(tiny).toEqual({ rank: ZERO_RANK, cents: 0 });
  });
});

describe("sumRanks", () => {
  it("adds rank values term by term, to the cent", () => {
    const a = { total: 3.6, compute: 1.1, egress: 0.2, staging: 0.3, spotRisk: 0.4, headroom: 0.5, preference: 1.1 };
    const b = { total: 6.3, compute: 2.2, egress: 0.1, staging: 0, spotRisk: 1, headroom: 2, preference: 1 };
    // 0.1 + 0.2 is 0.30000000000000004 in floating point: the sum is taken back to the cent.
    expect(sumRanks([a, b])).toEqual({
      total: 9.9,
      compute: 3.3,
      egress: 0.3,
      staging: 0.3,
      spotRisk: 1.4,
      headroom: 2.5,
      preference: 2.1,
    });
    expect(sumRanks([])).toEqual(ZERO_RANK);
  });
});

describe("rankAll and rankFor", () => {
  // "sp" sells spot at $1 (on-demand $4), "od" on-demand at $2; a dataset lives on od only.
  const fleet = aFleet(
    [
      aCluster({
        name: "sp",
        spot: true,
        spotPreemptionsPerHour: { H100: 0.1 },
        pricing: { gpuHour: { H100: 4 }, spotGpuHour: { H100: 1 }, egressPerGB: 0.1 },
        nodes: [aNodeGroup({ count: 1 })],
      }),
      aCluster({ name: "od", pricing: { gpuHour: { H100: 2 }, egressPerGB: 0.1 }, nodes: [aNodeGroup({ count: 1 })] }),
    ],
    { datasets: [{ name: "ds", sizeGB: 100, locations: ["od"] }] },
  );
  const setup = (options: PlanOptions = { headroomFactor: 0 }) => {
    const snap = compileFleet(fleet);
    const w = aWorkload({
      replicas: 2,
      durationHours: 2,
      resources: { gpu: { count: 4 } },
      data: ["ds"],
      placement: { spot: "preferred" },
    });
    const req = compileRequest(snap, w, options);
    const { candidates } = evaluate(snap, [], req);
    rankAll(candidates, req);
    return { req, sp: candidates[0]!, od: candidates[1]! };
  };

  it("ranks each candidate on its own terms for the replicas it takes", () => {
    const { sp, od } = setup();
    // sp: 8 GPUs × $1 × 2 h = $16; 100 GB × $0.10 = $10 over 10 Gbit/s (0.0222 h × $8/h = $0.18); rework
    // 2 × ((e^0.1 − 1)/0.1 − 1) = 0.10342 h × 8 × $1 = $0.83.
    expect(sp.rank).toEqual({
      total: 27.01,
      compute: 16,
      egress: 10,
      staging: 0.18,
      spotRisk: 0.83,
      headroom: 0,
      preference: 0,
    });
    expect(sp.rankCents).toBe(2701);
    // od: 8 × $2 × 2 h = $32, its data is local, never preempted: nothing of sp's spot risk or egress carries over.
    expect(od.rank).toEqual({ total: 32, compute: 32, egress: 0, staging: 0, spotRisk: 0, headroom: 0, preference: 0 });
    expect(od.rankCents).toBe(3200);
  });
  it("prices fewer replicas than a candidate takes afresh, and reuses its own rank for the replicas it takes", () => {
    const { req, sp } = setup();
    expect(rankFor(sp, req, 2)).toBe(sp.rank);
    // One replica: $8 compute, the same $10 egress, 0.0222 h × $4/h = $0.09 staging, 0.10342 × 4 = $0.41 spot risk.
    expect(rankFor(sp, req, 1)).toEqual({
      total: 18.5,
      compute: 8,
      egress: 10,
      staging: 0.09,
      spotRisk: 0.41,
      headroom: 0,
      preference: 0,
    });
  });
  it("computes the rank afresh for a candidate not ranked yet", () => {
    const snap = compileFleet(fleet);
    const req = compileRequest(snap, aWorkload({ resources: { gpu: { count: 4 } } }), { headroomFactor: 0 });
    const od = evaluate(snap, [], req).candidates[1]!;
    expect(od.rank).toBeUndefined();
    expect(rankFor(od, req, od.take)).toMatchObject({ total: 8, compute: 8 });
  });
});
