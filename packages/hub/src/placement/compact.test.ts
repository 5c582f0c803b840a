/**
 * The compact path (`PlanOptions.keep`) against the whole decision: deciding compactly must give exactly what
 * compacting the whole decision afterwards gives (`compactDecision`), while ranking only some clusters. The whole
 * decision ranks and lists every cluster, so it is an independent account of what the compact one may leave out.
 */
import type { Reservation, Tier } from "@gantry/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { placeInRegretOrder, REGRET_RANK } from "./batch.ts";
import { evaluate } from "./evaluate.ts";
import { compactDecision, type KeepPolicy, STORED_KEEP } from "./keep.ts";
import { planOn } from "./plan.ts";
import { priceCapacity } from "./pricing.ts";
import { rankBounded } from "./rank.ts";
import { compileRequest } from "./request.ts";
import { reservationsFor } from "./reservations.ts";
import { compileFleet } from "./snapshot.ts";
import { fleetArb, largeFleetArb, workloadArb } from "./testing/arbitraries.ts";
import { aCluster, aFleet, aNodeGroup, aWorkload } from "./testing/builders.ts";
import { runs } from "./testing/runs.ts";

const keepArb: fc.Arbitrary<KeepPolicy> = fc.record({
  allUpTo: fc.integer({ min: 0, max: 4 }),
  feasible: fc.integer({ min: 0, max: 6 }),
  perReason: fc.integer({ min: 0, max: 2 }),
});

const optionsArb = fc.record(
  {
    headroomFactor: fc.constantFrom(0, 1, 3),
    tierPremium: fc.constant<{ order: Tier[]; usdPerGpuHour: number }>({
      order: ["onprem", "cloud"],
      usdPerGpuHour: 0.5,
    }),
    forecast: fc.boolean(),
  },
  { requiredKeys: [] },
);

describe("compact decisions", () => {
  it("equal the whole decision compacted, across fleets, reservations, options and keep policies", () => {
    const arb = fc.tuple(
      fc.oneof(fleetArb, largeFleetArb(6, 40)),
      workloadArb("first"),
      workloadArb("w"),
      keepArb,
      optionsArb,
    );
    fc.assert(
      fc.property(arb, ([fleet, first, w, keep, o]) => {
        const snap = compileFleet(fleet);
        // Some capacity already held: an earlier decision's reservations, as between two capacity reports.
        const reservations = reservationsFor("first", first, planOn(snap, [], first));
        const { forecast, ...rest } = o;
        const options = forecast
          ? {
              ...rest,
              capacityPrices: priceCapacity(snap, reservations, { samples: [{ workload: first, weight: 1 }] }),
            }
          : rest;
        const whole = planOn(snap, reservations, w, options);
        expect(planOn(snap, reservations, w, { ...options, keep })).toEqual(compactDecision(whole, keep));
      }),
      { numRuns: runs(400), seed: 20261202 },
    );
  });

  it("ranks only the clusters that can be listed: 3 of 40 when prices differ", () => {
    const fleet = aFleet(
      Array.from({ length: 40 }, (_, i) =>
        aCluster({
          name: `c${String(i).padStart(2, "0")}`,
          pricing: { gpuHour: { H100: 1 + i } },
          nodes: [aNodeGroup()],
        }),
      ),
    );
    const snap = compileFleet(fleet);
    const req = compileRequest(snap, aWorkload({ resources: { gpu: { count: 1, models: ["H100"] } } }));
    const { candidates, deferred } = evaluate(snap, [], req, true);
    // Every cluster takes the workload whole: none is made a candidate until the bound says it may matter.
    expect(candidates).toHaveLength(0);
    expect(deferred?.count).toBe(40);
    const ranked = rankBounded(candidates, deferred!, req, 3);
    expect(ranked.map((c) => c.name)).toEqual(["c00", "c01", "c02"]);
    // The decision names the same winner and runner-up as the whole one, and counts the 37 it left out.
    const d = planOn(snap, [], aWorkload({ resources: { gpu: { count: 1, models: ["H100"] } } }), {
      keep: { allUpTo: 10, feasible: 1, perReason: 1 },
    });
    expect(d.assignments[0]?.cluster).toBe("c00");
    expect(d.runnerUp).toBe("c01");
    expect(d.clusters.map((v) => v.cluster)).toEqual(["c00", "c01", "c02"]);
    expect(d.omitted).toEqual({ clusters: 37, feasible: 37, filtered: [] });
  });

  it("lists the earliest clusters of a tie at the cut, as compacting the whole decision does", () => {
    const fleet = aFleet(
      Array.from({ length: 30 }, (_, i) =>
        aCluster({ name: `c${String(i).padStart(2, "0")}`, pricing: { gpuHour: { H100: 2 } }, nodes: [aNodeGroup()] }),
      ),
    );
    const snap = compileFleet(fleet);
    const w = aWorkload({ resources: { gpu: { count: 1, models: ["H100"] } } });
    const keep = { ...STORED_KEEP, allUpTo: 10 };
    const d = planOn(snap, [], w, { keep });
    expect(d).toEqual(compactDecision(planOn(snap, [], w), keep));
    expect(d.clusters).toHaveLength(22);
    expect(d.omitted?.feasible).toBe(8);
  });

  it("ranks every whole fit that may beat the second-best one found, even when parts of a split are cheaper", () => {
    const h100 = (count: number, gpusUsed: number) => [
      aNodeGroup({ count: 1, gpusUsed, gpu: { model: "H100", count, memoryGiB: 80 } }),
    ];
    const fleet = aFleet([
      // Each takes one replica of two, for $1 an hour plus headroom: cheaper totals than any whole fit.
      ...["p0", "p1", "p2"].map((name) => aCluster({ name, pricing: { gpuHour: { H100: 1 } }, nodes: h100(1, 0) })),
      // Whole fits at $2 whose last free GPUs carry a large headroom charge ($11 in all).
      ...["w0", "w1", "w2"].map((name) => aCluster({ name, pricing: { gpuHour: { H100: 2 } }, nodes: h100(4, 2) })),
      // Dearer per GPU-hour, so its bound is the highest, but empty: $5.06 in all, the best whole fit.
      aCluster({ name: "w3", pricing: { gpuHour: { H100: 2.5 } }, nodes: h100(16, 0) }),
    ]);
    const snap = compileFleet(fleet);
    const w = aWorkload({ replicas: 2, resources: { gpu: { count: 1, models: ["H100"] } } });
    const keep = { allUpTo: 0, feasible: 1, perReason: 1 };
    const d = planOn(snap, [], w, { keep, headroomFactor: 3 });
    expect(d.assignments.map((a) => a.cluster)).toEqual(["w3"]);
    expect(d).toEqual(compactDecision(planOn(snap, [], w, { headroomFactor: 3 }), keep));
  });

  it("leave a batch in regret order as it was: the same order and the same assignments", () => {
    const arb = fc.tuple(
      largeFleetArb(6, 30),
      fc.tuple(workloadArb("w0"), workloadArb("w1"), workloadArb("w2"), workloadArb("w3"), workloadArb("w4")),
      // Regret is measured against the REGRET_RANK-th option: a policy must keep that many others (the store keeps 20).
      keepArb.map((k) => ({ ...k, feasible: Math.max(k.feasible, REGRET_RANK + 1) })),
    );
    fc.assert(
      fc.property(arb, ([fleet, workloads, keep]) => {
        const snap = compileFleet(fleet);
        const run = (options: { keep?: KeepPolicy }) => {
          const held: Reservation[] = [];
          const r = placeInRegretOrder(
            workloads,
            (w) => planOn(snap, held, w, options),
            (w, d) => held.push(...reservationsFor(w.metadata.name, w, d)),
          );
          return r.placed.map((p) => [p.item.metadata.name, p.decision.assignments]);
        };
        expect(run({ keep })).toEqual(run({}));
      }),
      { numRuns: runs(150), seed: 1202 },
    );
  });
});
