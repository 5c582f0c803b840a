import { describe, expect, it } from "vitest";
import { plan } from "./plan.ts";
import { reservationsFor } from "./reservations.ts";
import { aCluster, aFleet, aNodeGroup, aWorkload } from "./testing/builders.ts";

describe("reservationsFor", () => {
  it("holds replicas × per-replica GPUs, CPU and memory on each node a decision uses", () => {
    const fleet = aFleet([aCluster({ nodes: [aNodeGroup({ name: "gpu", count: 1 })] })]);
    const w = aWorkload({ replicas: 4, resources: { gpu: { count: 2 }, cpu: 8, memoryGiB: 64 } });
    const d = plan(fleet, w);
    expect(d.assignments.map((a) => a.nodes)).toEqual([[{ node: "gpu", replicas: 4 }]]);
    expect(reservationsFor("w1", w, d)).toEqual([
      { workload: "w1", cluster: "c1", nodes: [{ node: "gpu", gpus: 8, cpu: 32, memoryGiB: 256 }] },
    ]);
  });

  it("keeps the next decision off GPUs an earlier one holds", () => {
    const fleet = aFleet([aCluster({ nodes: [aNodeGroup({ name: "gpu", count: 1 })] })]);
    const w = aWorkload({ replicas: 2, resources: { gpu: { count: 4 } } });
    const first = plan(fleet, w);
    expect(first.feasible).toBe(true);
    const next = plan({ ...fleet, reservations: reservationsFor("w1", w, first) }, aWorkload({}, "w2"));
    expect(next.feasible).toBe(false);
  });
});
