import { describe, expect, it } from "vitest";
import { plan } from "../plan.ts";
import { aCluster, aFleet, aNodeGroup, aWorkload } from "../testing/builders.ts";

describe("availability scorer", () => {
  const fleet = aFleet([
    aCluster({ name: "snug", nodes: [aNodeGroup({ count: 1, gpusUsed: 4 }), aNodeGroup({ name: "b", count: 1 })] }),
    aCluster({ name: "roomy", nodes: [aNodeGroup({ count: 1, gpusUsed: 2 })] }),
  ]);
  const d = plan(fleet, aWorkload({ resources: { gpu: { count: 4 } } }), { weights: { availability: 1 } });
  const by = (name: string) => d.clusters.find((c) => c.cluster === name)!;

  it("scores 100 for a best fit that strands nothing (fills the 4-free node, keeps the whole node)", () => {
    expect(by("snug").scores.availability).toBe(100);
    expect(d.assignments[0]?.nodes).toEqual([{ node: "gpu", replicas: 1 }]);
  });
  it("scores lower where the placement strands GPUs", () => {
    expect(by("roomy").scores.availability).toBeCloseTo(66.67, 1);
    expect(by("roomy").reasons).toContainEqual({
      code: "availability",
      message: "leaves 2 free H100; 2 stranded on the nodes it uses",
    });
  });
});
