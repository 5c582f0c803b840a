import type { ClusterVerdict, Decision, RankCost, Reservation, Workload } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import {
  CONSTRAINED_OPTIONS,
  expectedCost,
  placeInRegretOrder,
  QUEUE_PRICING_MIN,
  queuePricing,
  REGRET_RANK,
} from "./batch.ts";
import { planOn } from "./plan.ts";
import { reservationsFor } from "./reservations.ts";
import { compileFleet } from "./snapshot.ts";
import { aCluster, aFleet, aNodeGroup, aWorkload } from "./testing/builders.ts";
import { curveAt } from "./transport.ts";

/** Decides `workloads` one after another in the given order, or as one batch, on the same fleet. */
const decideAll = (fleet: ReturnType<typeof aFleet>, workloads: Workload[], mode: "order" | "batch") => {
  const compiled = compileFleet(fleet);
  const reservations: Reservation[] = [];
  const decide = (w: Workload) => planOn(compiled, reservations, w);
  const commit = (w: Workload, d: Decision) => {
    reservations.push(...reservationsFor(w.metadata.name, w, d));
  };
  if (mode === "batch") return placeInRegretOrder(workloads, decide, commit);
  const placed: { item: Workload; decision: Decision }[] = [];
  const unplaced: { item: Workload; decision: Decision }[] = [];
  for (const w of workloads) {
    const d = decide(w);
    if (d.feasible) commit(w, d);
    (d.feasible ? placed : unplaced).push({ item: w, decision: d });
  }
  return { placed, unplaced };
};

const where = (r: ReturnType<typeof decideAll>) =>
  Object.fromEntries(r.placed.map((p) => [p.item.metadata.name, p.decision.assignments[0]?.cluster]));
const total = (r: ReturnType<typeof decideAll>) => r.placed.reduce((n, p) => n + p.decision.estimatedCost.total, 0);

const oneNode = [aNodeGroup({ count: 1 })];

describe("placeInRegretOrder", () => {
  it("places a constrained workload before a flexible one that would take its only cluster", () => {
    const fleet = aFleet([
      aCluster({ name: "us", region: "us-east-1", nodes: oneNode, pricing: { gpuHour: { H100: 2 } } }),
      aCluster({ name: "eu", region: "eu-west-1", nodes: oneNode, pricing: { gpuHour: { H100: 3 } } }),
    ]);
    const flexible = aWorkload({ resources: { gpu: { count: 8 } } }, "flexible");
    const pinned = aWorkload({ resources: { gpu: { count: 8 } }, placement: { regions: ["us-*"] } }, "pinned");

    const inOrder = decideAll(fleet, [flexible, pinned], "order");
    expect(where(inOrder)).toEqual({ flexible: "us" });
    expect(inOrder.unplaced.map((u) => u.item.metadata.name)).toEqual(["pinned"]);

    const batch = decideAll(fleet, [flexible, pinned], "batch");
    expect(where(batch)).toEqual({ pinned: "us", flexible: "eu" });
    expect(batch.unplaced).toEqual([]);
    expect(batch.placed.map((p) => p.item.metadata.name)).toEqual(["pinned", "flexible"]);
  });

  it("gives the cheap cluster to the workload that saves most on it", () => {
    const fleet = aFleet([
      aCluster({ name: "cheap", nodes: oneNode, pricing: { gpuHour: { H100: 1 } } }),
      aCluster({ name: "dear", nodes: oneNode, pricing: { gpuHour: { H100: 2 } } }),
    ]);
    // Both can use either cluster; the long job loses $80 on the dear one, the short job $8.
    const short = aWorkload({ resources: { gpu: { count: 8 } }, durationHours: 1 }, "short");
    const long = aWorkload({ resources: { gpu: { count: 8 } }, durationHours: 10 }, "long");

    const inOrder = decideAll(fleet, [short, long], "order");
    expect(where(inOrder)).toEqual({ short: "cheap", long: "dear" });
    const batch = decideAll(fleet, [short, long], "batch");
    expect(where(batch)).toEqual({ long: "cheap", short: "dear" });
    expect(total(inOrder)).toBe(8 + 160);
    expect(total(batch)).toBe(80 + 16);
  });

  it("keeps the caller's order between equally urgent workloads", () => {
    const fleet = aFleet([aCluster({ name: "only", nodes: oneNode })]);
    const ws = ["w3", "w1", "w2"].map((n) => aWorkload({ resources: { gpu: { count: 4 } } }, n));
    const batch = decideAll(fleet, ws, "batch");
    expect(batch.placed.map((p) => p.item.metadata.name)).toEqual(["w3", "w1"]);
    expect(batch.unplaced.map((u) => u.item.metadata.name)).toEqual(["w2"]);
    expect(batch.unplaced[0]!.decision.feasible).toBe(false);
  });

  it("returns nothing for an empty batch, and never calls decide", () => {
    const result = placeInRegretOrder(
      [],
      () => {
        throw new Error("decide called");
      },
      () => undefined,
    );
    expect(result).toEqual({ placed: [], unplaced: [] });
  });
});

describe("queuePricing", () => {
  const fleet = aFleet([
    aCluster({ name: "cheap", nodes: [aNodeGroup({ count: 1 })], pricing: { gpuHour: { H100: 1 } } }),
    aCluster({ name: "dear", nodes: [aNodeGroup({ count: 4 })], pricing: { gpuHour: { H100: 3 } } }),
  ]);
  const snapshot = compileFleet(fleet);
  const ones = Array.from({ length: 20 }, (_, i) => aWorkload({ resources: { gpu: { count: 1 } } }, `w${i}`));
  const slot = (name: string) =>
    snapshot.indexByName.get(name)! * snapshot.models.length + snapshot.modelIds.get("H100")!;

  it("prices capacity at what the workloads still waiting would lose: $2 a GPU moved from cheap to dear", () => {
    const pricing = queuePricing(snapshot, [], ones, (w) => w)!;
    const curves = pricing.prices().curves;
    // 8 of the 20 GPUs fit on cheap; a GPU taken there sends one to dear, $2 more. Dear has room left: free.
    expect(curveAt(curves[slot("cheap")]!, 1)).toBeCloseTo(2, 6);
    expect(curveAt(curves[slot("cheap")]!, 8)).toBeCloseTo(16, 6);
    expect(curveAt(curves[slot("dear")]!, 8)).toBe(0);
  });
  it("re-prices after every tenth commit, on what still waits", () => {
    const pricing = queuePricing(snapshot, [], ones, (w) => w)!;
    const first = pricing.prices();
    for (const w of ones.slice(0, 9)) pricing.committed(w);
    expect(pricing.prices()).toBe(first);
    pricing.committed(ones[9]!);
    const second = pricing.prices();
    expect(second).not.toBe(first);
    // 10 waiting, 8 fit on cheap: still $2 for the ninth GPU's owner, nothing beyond the 10 wanted.
    expect(curveAt(second.curves[slot("cheap")]!, 2)).toBeCloseTo(4, 6);
  });
  it("leaves batches smaller than the minimum to the utilisation charge", () => {
    expect(queuePricing(snapshot, [], ones.slice(0, QUEUE_PRICING_MIN - 1), (w) => w)).toBeUndefined();
  });
});

/** A rank value whose total is `total`; the terms do not matter to the batch order. */
const rankOf = (total: number, headroom = 0): RankCost => ({
  total,
  compute: total - headroom,
  egress: 0,
  staging: 0,
  spotRisk: 0,
  headroom,
  preference: 0,
});

/**
 * A feasible decision whose clusters could take the workload at these rank totals (one cluster each, in this
 * order); `extra` adds verdicts that must not count as options.
 */
const feasibleAt = (totals: readonly number[], extra: ClusterVerdict[] = []): Decision => ({
  feasible: true,
  assignments: [],
  estimatedCost: { total: 0, perHour: 0, compute: 0, egress: 0 },
  rankCost: rankOf(Math.min(...totals)),
  clusters: [
    ...totals.map(
      (t, i): ClusterVerdict => ({
        cluster: `k${i}`,
        verdict: i === 0 ? "selected" : "feasible",
        reasons: [],
        fitReplicas: 1,
        rankCost: rankOf(t),
      }),
    ),
    ...extra,
  ],
  runnerUp: null,
  summary: "",
});
const infeasible: Decision = {
  feasible: false,
  assignments: [],
  estimatedCost: { total: 0, perHour: 0, compute: 0, egress: 0 },
  clusters: [],
  runnerUp: null,
  summary: "",
};

/** Runs a batch whose decisions are fixed per item and round: `script[item][round]`, the last one repeating. */
const scripted = (script: Record<string, Decision[]>) => {
  const calls: string[] = [];
  const committed: string[] = [];
  const seen = new Map<string, number>();
  const result = placeInRegretOrder(
    Object.keys(script),
    (item) => {
      calls.push(item);
      const k = seen.get(item) ?? 0;
      seen.set(item, k + 1);
      const list = script[item]!;
      return list[Math.min(k, list.length - 1)]!;
    },
    (item, d) => {
      expect(d).toBe(script[item]![Math.min((seen.get(item) ?? 1) - 1, script[item]!.length - 1)]);
      committed.push(item);
    },
  );
  return { result, calls, committed, order: result.placed.map((p) => p.item) };
};

describe("placeInRegretOrder: urgency", () => {
  it("puts a workload with 6 options left before one with 7, whatever their regrets", () => {
    const { order } = scripted({
      seven: [feasibleAt([1, 50, 60, 70, 80, 90, 100])],
      six: [feasibleAt([10, 10.5, 11, 11, 11, 11])],
    });
    expect(CONSTRAINED_OPTIONS).toBe(6);
    expect(order).toEqual(["six", "seven"]);
  });

  it("orders constrained workloads by fewer options, then by the gap between their best and worst", () => {
    const { order } = scripted({
      // 3 options, $5 between best and worst.
      threeSmall: [feasibleAt([10, 11, 15])],
      // 3 options, $40: more to lose, goes first among the threes. The worst is listed first: sorted, not read in order.
      threeBig: [feasibleAt([50, 10, 20])],
      // 2 options: fewest, first of all despite a gap of $1.
      two: [feasibleAt([5, 6])],
    });
    expect(order).toEqual(["two", "threeBig", "threeSmall"]);
  });

  it("measures an unconstrained workload's regret to its fourth cheapest option, not its second or last", () => {
    const { order } = scripted({
      // Sorted 1, 2, 3, 9, …: $8 to the fourth; $1 to the second, $99 to the last.
      steepLate: [feasibleAt([100, 9, 3, 2, 1, 50, 60])],
      // Sorted 1, 5, 5, 6, …: $5 to the fourth; $4 to the second, $19 to the last.
      steepEarly: [feasibleAt([1, 5, 5, 6, 20, 20, 20])],
      // Sorted 10, 11, 12, 13, …: $3 to the fourth, but $90 to the last.
      flat: [feasibleAt([10, 11, 12, 13, 100, 100, 100])],
    });
    expect(REGRET_RANK).toBe(3);
    expect(order).toEqual(["steepLate", "steepEarly", "flat"]);
  });

  it("sorts rank totals as numbers: $9 is cheaper than $10", () => {
    const { order } = scripted({
      // 3 options, $85 between best and worst, either way of sorting.
      c: [feasibleAt([0, 85, 1])],
      // 3 options, $95 − $9 = $86 sorted as numbers; as strings 10 < 9 < 95 it would read $95 − $10 = $85, a tie
      // that c, listed first, would win.
      a: [feasibleAt([10, 95, 9])],
    });
    expect(order).toEqual(["a", "c"]);
  });

  it("counts as options only clusters that could take a replica and have a rank value", () => {
    const notOptions: ClusterVerdict[] = [
      { cluster: "f", verdict: "filtered", reasons: [], fitReplicas: 1, rankCost: rankOf(0) },
      // Fits, but not ranked (as in a decision stored before rank values): no price to compare, no option.
      { cluster: "u", verdict: "feasible", reasons: [], fitReplicas: 1 },
      { cluster: "z", verdict: "feasible", reasons: [], fitReplicas: 0, rankCost: rankOf(0) },
      { cluster: "n", verdict: "feasible", reasons: [], rankCost: rankOf(0) },
    ];
    const { order } = scripted({
      // Two options $2 apart.
      plain: [feasibleAt([30, 32])],
      // Two real options $3 apart: more to lose than plain, so first. Any of the four others counted would give it a
      // third option, and plain would go first.
      padded: [feasibleAt([20, 23], notOptions)],
    });
    expect(order).toEqual(["padded", "plain"]);
  });
});

describe("placeInRegretOrder: rounds", () => {
  it("re-decides what is left after every commit, and drops for good what stops fitting", () => {
    const { result, calls, committed, order } = scripted({
      // Round 1: two options (first); rounds 2+: —.
      a: [feasibleAt([1, 2])],
      // Round 1: 5 options; round 2: infeasible (a took its room): dropped, never asked again.
      b: [feasibleAt([1, 2, 3, 4, 5]), infeasible],
      // Round 1: 4 options; round 2: 1 option; placed second.
      c: [feasibleAt([1, 2, 3, 4]), feasibleAt([7])],
      // Round 1–2: 6 options; placed last.
      d: [feasibleAt([1, 1, 1, 1, 1, 1])],
    });
    expect(order).toEqual(["a", "c", "d"]);
    expect(committed).toEqual(order);
    expect(calls).toEqual(["a", "b", "c", "d", "b", "c", "d", "d"]);
    expect(result.unplaced).toEqual([{ item: "b", decision: infeasible }]);
    expect(result.placed.map((p) => p.decision)).toEqual([
      feasibleAt([1, 2]),
      feasibleAt([7]),
      feasibleAt([1, 1, 1, 1, 1, 1]),
    ]);
  });

  it("stops when nothing left fits, with every item once in unplaced", () => {
    const { result, calls } = scripted({ x: [infeasible], y: [infeasible] });
    expect(calls).toEqual(["x", "y"]);
    expect(result).toEqual({
      placed: [],
      unplaced: [
        { item: "x", decision: infeasible },
        { item: "y", decision: infeasible },
      ],
    });
  });
});

describe("expectedCost", () => {
  it("is the rank value less the headroom charge, or the bill for decisions stored without a rank value", () => {
    const d = feasibleAt([12.5]);
    expect(expectedCost({ ...d, rankCost: rankOf(12.5, 4.25) })).toBe(8.25);
    const old = { ...d, estimatedCost: { total: 3.5, perHour: 1, compute: 3, egress: 0.5 }, rankCost: undefined };
    expect(expectedCost(old)).toBe(3.5);
  });
});

describe("queuePricing: what still waits", () => {
  it("prices on the workloads not yet committed: a cheap GPU costs $5 while 20 wait, $2 once 10 are placed", () => {
    // cheap: 8 H100 at $1, dear: 8 at $3; 1-GPU workloads. With 20 waiting, 16 fit and 4 stay unplaced at
    // 2 × $3 = $6 each: a GPU taken on cheap leaves one more unplaced, $6 − $1 = $5; one taken on dear $6 − $3 = $3.
    // With 10 waiting, dear has 6 GPUs to spare: a GPU taken on cheap moves one to dear, $3 − $1 = $2; dear is free.
    const snap = compileFleet(
      aFleet([
        aCluster({ name: "cheap", nodes: [aNodeGroup({ count: 1 })], pricing: { gpuHour: { H100: 1 } } }),
        aCluster({ name: "dear", nodes: [aNodeGroup({ count: 1 })], pricing: { gpuHour: { H100: 3 } } }),
      ]),
    );
    const at = (name: string) => snap.indexByName.get(name)! * snap.models.length + snap.modelIds.get("H100")!;
    const ws = Array.from({ length: 20 }, (_, i) => aWorkload({ resources: { gpu: { count: 1 } } }, `w${i}`));
    const pricing = queuePricing(snap, [], ws, (w) => w)!;
    const first = pricing.prices().curves;
    expect(curveAt(first[at("cheap")]!, 1)).toBeCloseTo(5, 6);
    expect(curveAt(first[at("dear")]!, 1)).toBeCloseTo(3, 6);
    for (const w of ws.slice(0, 10)) pricing.committed(w);
    const later = pricing.prices().curves;
    expect(curveAt(later[at("cheap")]!, 1)).toBeCloseTo(2, 6);
    expect(curveAt(later[at("dear")]!, 1)).toBe(0);
  });

  it("re-prices on the schedule it was given", () => {
    const snap = compileFleet(aFleet([aCluster({ nodes: [aNodeGroup({ count: 1 })] })]));
    const ws = Array.from({ length: QUEUE_PRICING_MIN }, (_, i) => aWorkload({}, `w${i}`));
    const pricing = queuePricing(snap, [], ws, (w) => w, 2)!;
    const first = pricing.prices();
    pricing.committed(ws[0]!);
    expect(pricing.prices()).toBe(first);
    pricing.committed(ws[1]!);
    const second = pricing.prices();
    expect(second).not.toBe(first);
    expect(pricing.prices()).toBe(second);
  });
});
