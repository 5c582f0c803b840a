import type { Decision, Reservation, Workload } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import { placeInRegretOrder } from "./batch.ts";
import { planOn } from "./plan.ts";
import { reservationsFor } from "./reservations.ts";
import { compileFleet } from "./snapshot.ts";
import { aCluster, aFleet, aNodeGroup, aWorkload } from "./testing/builders.ts";

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
