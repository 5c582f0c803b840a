import type { Reservation } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import { freeGpusBySlot, priceCapacity } from "./pricing.ts";
import { compileFleet } from "./snapshot.ts";
import { aCluster, aFleet, aNodeGroup, aWorkload } from "./testing/builders.ts";
import { curveAt } from "./transport.ts";

describe("freeGpusBySlot", () => {
  it("counts usable nodes' free GPUs per cluster and model, less what reservations hold on each node", () => {
    const fleet = aFleet([
      // Not ready: none of its GPUs count.
      aCluster({ name: "down", health: "offline", nodes: [aNodeGroup({ count: 1 })] }),
      aCluster({
        name: "a",
        nodes: [
          // Four nodes with 6 of 8 H100 free each, two with all 8 free.
          aNodeGroup({ name: "g", count: 4, gpusUsed: 2 }),
          aNodeGroup({ name: "h", count: 2 }),
          aNodeGroup({ name: "cpu", count: 2, gpu: undefined }),
          aNodeGroup({ name: "old", count: 1, gpu: { model: "A100", count: 8, memoryGiB: 40 }, ready: false }),
          aNodeGroup({ name: "new", count: 1, gpu: { model: "A100", count: 4, memoryGiB: 80 } }),
          aNodeGroup({ name: "spare", count: 1, gpu: { model: "A100", count: 8, memoryGiB: 40 } }),
        ],
      }),
    ]);
    const snap = compileFleet(fleet);
    const slot = (cluster: string, model: string) =>
      snap.indexByName.get(cluster)! * snap.models.length + snap.modelIds.get(model)!;

    const free = freeGpusBySlot(snap, []);
    // 4 × 6 + 2 × 8.
    expect(free[slot("a", "H100")]).toBe(40);
    // The unready A100 node is out; the two ready ones add up: 4 + 8.
    expect(free[slot("a", "A100")]).toBe(12);
    expect(free[slot("down", "H100")]).toBe(0);

    // 1 GPU on every node of g, 4 more on g-0 and 10 more on g-1 (more than it has); 3 on h-1 alone; 1 on the
    // single-node group "new"; and a cluster that is gone.
    const reservations: Reservation[] = [
      {
        workload: "x",
        cluster: "a",
        nodes: [
          { node: "g", gpus: 1, cpu: 0, memoryGiB: 0 },
          { node: "g-0", gpus: 4, cpu: 0, memoryGiB: 0 },
          { node: "g-1", gpus: 10, cpu: 0, memoryGiB: 0 },
          { node: "h-1", gpus: 3, cpu: 0, memoryGiB: 0 },
          { node: "new", gpus: 1, cpu: 0, memoryGiB: 0 },
        ],
      },
      { workload: "y", cluster: "gone", nodes: [{ node: "g-2", gpus: 8, cpu: 0, memoryGiB: 0 }] },
    ];
    const held = freeGpusBySlot(snap, reservations);
    // g-2, g-3: 6 − 1 = 5 each; g-0: 6 − 1 − 4 = 1; g-1: nothing left (never negative); h-0 8, h-1 5.
    expect(held[slot("a", "H100")]).toBe(10 + 1 + 0 + 8 + 5);
    // new: 4 − 1 = 3, spare untouched: 8.
    expect(held[slot("a", "A100")]).toBe(11);
    expect([...held].reduce((n, x) => n + x, 0)).toBe(35);
  });
});

describe("priceCapacity", () => {
  // cheap: one node, 8 H100 free at $1; dear: one node at $3 with `dearFree` of its 8 free; other: A100 only.
  const fleetWith = (dearFree: number) =>
    aFleet([
      aCluster({ name: "cheap", pricing: { gpuHour: { H100: 1 } }, nodes: [aNodeGroup({ count: 1 })] }),
      aCluster({
        name: "dear",
        pricing: { gpuHour: { H100: 3 } },
        nodes: [aNodeGroup({ count: 1, gpusUsed: 8 - dearFree })],
      }),
      aCluster({
        name: "other",
        pricing: { gpuHour: { A100: 1 } },
        nodes: [aNodeGroup({ count: 1, gpu: { model: "A100", count: 8, memoryGiB: 80 } })],
      }),
    ]);
  // Five 2-GPU one-hour jobs expected: 10 GPUs wanted, ranked $1 a GPU on cheap, $3 on dear; left unplaced, one
  // costs twice its dearest option, $12, $6 a GPU.
  const twoGpu = aWorkload({ resources: { gpu: { count: 2, models: ["H100"] } } }, "two");

  it("charges what the displaced demand pays more elsewhere, or loses unplaced", () => {
    const fleet = fleetWith(2);
    const snap = compileFleet(fleet);
    const slot = (cluster: string, model: string) =>
      snap.indexByName.get(cluster)! * snap.models.length + snap.modelIds.get(model)!;
    const prices = priceCapacity(snap, [], {
      samples: [
        { workload: twoGpu, weight: 5 },
        // No single cluster takes both 8-GPU replicas: not an option anywhere, so it prices nothing.
        { workload: aWorkload({ replicas: 2, resources: { gpu: { count: 8 } } }, "wide"), weight: 1 },
        // Expected zero times, and GPU-less: neither counts.
        { workload: aWorkload({ resources: { gpu: { count: 1, models: ["A100"] } } }, "a100"), weight: 0 },
        { workload: aWorkload({ resources: { cpu: 4 } }, "cpu"), weight: 3 },
      ],
    });
    expect(prices.snapshot).toBe(snap);
    // The optimum puts 8 GPUs on cheap and 2 on dear, which is then full: a GPU taken on either leaves one of the
    // jobs' GPUs unplaced, $6 instead of $1 on cheap (+$5) and instead of $3 on dear (+$3).
    const cheap = prices.curves[slot("cheap", "H100")]!;
    const dear = prices.curves[slot("dear", "H100")]!;
    expect(curveAt(cheap, 1)).toBeCloseTo(5, 9);
    expect(curveAt(cheap, 2)).toBeCloseTo(10, 9);
    expect(curveAt(dear, 1)).toBeCloseTo(3, 9);
    expect(curveAt(dear, 2)).toBeCloseTo(6, 9);
    // Nobody in the forecast could use the A100s (the one who could is expected zero times), nor H100s there.
    expect(prices.curves[slot("other", "A100")]).toBeUndefined();
    expect(prices.curves.filter((c) => c !== undefined)).toHaveLength(2);
  });

  it("prices exactly up to the largest forecast workload and extends the last slope past it", () => {
    // dear has 6 free: the optimum leaves 4 spare there, so a GPU taken on cheap moves one to dear for +$2.
    const snap = compileFleet(fleetWith(6));
    const slot = (cluster: string) => snap.indexByName.get(cluster)! * snap.models.length + snap.modelIds.get("H100")!;
    // The 8-GPU pair no single cluster takes is no forecast workload here: it does not lengthen the curves.
    const wide = aWorkload({ replicas: 2, resources: { gpu: { count: 8 } } }, "wide");
    const prices = priceCapacity(snap, [], {
      samples: [
        { workload: twoGpu, weight: 5 },
        { workload: wide, weight: 1 },
      ],
    });
    const cheap = prices.curves[slot("cheap")]!;
    expect(curveAt(cheap, 2)).toBeCloseTo(4, 9);
    // Taking all 8 would in truth push 4 GPUs past dear's room (+$5 each): $28. Priced to 2 GPUs, it reads $2 × 8.
    expect(curveAt(cheap, 8)).toBeCloseTo(16, 9);
    // dear keeps spare room for the first GPUs taken there: free.
    expect(curveAt(prices.curves[slot("dear")]!, 2)).toBe(0);
  });

  it("prices the bend within the largest forecast workload", () => {
    // dear has 3 free: 2 used by the optimum, 1 spare. On cheap, the first GPU taken moves to dear (+$2), the
    // second finds dear full and goes unplaced (+$5): $7 for the two.
    const snap = compileFleet(fleetWith(3));
    const cheap = snap.indexByName.get("cheap")! * snap.models.length + snap.modelIds.get("H100")!;
    const prices = priceCapacity(snap, [], { samples: [{ workload: twoGpu, weight: 5 }] });
    expect(curveAt(prices.curves[cheap]!, 1)).toBeCloseTo(2, 9);
    expect(curveAt(prices.curves[cheap]!, 2)).toBeCloseTo(7, 9);
  });

  it("prices two samples of one workload like one sample with their weights added", () => {
    const snap = compileFleet(fleetWith(2));
    const slot = (cluster: string) => snap.indexByName.get(cluster)! * snap.models.length + snap.modelIds.get("H100")!;
    const prices = priceCapacity(snap, [], {
      samples: [
        { workload: twoGpu, weight: 3 },
        { workload: aWorkload({ resources: { gpu: { count: 2, models: ["H100"] } } }, "two-again"), weight: 2 },
      ],
    });
    // The same 10 GPUs wanted as in the first case: +$5 a GPU on cheap, +$3 on dear.
    expect(curveAt(prices.curves[slot("cheap")]!, 2)).toBeCloseTo(10, 9);
    expect(curveAt(prices.curves[slot("dear")]!, 2)).toBeCloseTo(6, 9);
  });

  it("prices a model other than the fleet's first at its own slot", () => {
    // Ten one-GPU A100 jobs for "other"'s 8 A100s at $1; unplaced, one costs $2. The optimum leaves 2 unplaced, so
    // an A100 taken there leaves one more: +$1.
    const snap = compileFleet(fleetWith(2));
    const a100 = snap.indexByName.get("other")! * snap.models.length + snap.modelIds.get("A100")!;
    const w = aWorkload({ resources: { gpu: { count: 1, models: ["A100"] } } }, "a100");
    const prices = priceCapacity(snap, [], { samples: [{ workload: w, weight: 10 }] });
    expect(curveAt(prices.curves[a100]!, 1)).toBeCloseTo(1, 9);
    expect(prices.curves.filter((c) => c !== undefined)).toHaveLength(1);
  });

  it("prices nothing without forecast workloads that any cluster can take", () => {
    const snap = compileFleet(fleetWith(2));
    const none = priceCapacity(snap, [], { samples: [] });
    expect(none.snapshot).toBe(snap);
    expect(none.curves).toHaveLength(snap.size * snap.models.length);
    expect(none.curves.every((c) => c === undefined)).toBe(true);
  });
});
