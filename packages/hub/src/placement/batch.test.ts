import type { Decision, Reservation, Workload } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import { placeInRegretOrder, QUEUE_PRICING_MIN, queuePricing } from "./batch.ts";
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
