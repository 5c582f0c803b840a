import { describe, expect, it } from "vitest";
import { plan } from "../plan.ts";
import { aCluster, aFleet, aNodeGroup, aWorkload } from "../testing/builders.ts";

describe("compute charge", () => {
  const fleet = aFleet([
    aCluster({ name: "cheap", pricing: { gpuHour: { H100: 1 } } }),
    aCluster({ name: "dear", pricing: { gpuHour: { H100: 2 } } }),
  ]);
  const w = aWorkload({ replicas: 2, durationHours: 3, resources: { gpu: { count: 4 } } });
  // Decided inside each test, not once while the suite is collected: what a test checks must run in it.
  const decide = () => plan(fleet, w, { headroomFactor: 0 });
  const by = (name: string) => decide().clusters.find((c) => c.cluster === name)!;

  it("charges replicas × GPUs × price × hours, and bills exactly that", () => {
    expect(by("cheap").rankCost).toMatchObject({ total: 24, compute: 24 });
    expect(by("cheap").estimatedCost).toEqual({ total: 24, perHour: 8, compute: 24, egress: 0 });
    expect(by("dear").rankCost?.compute).toBe(48);
  });
  it("ranks the cheaper cluster first and says by how much, in dollars", () => {
    const d = decide();
    expect(d.assignments[0]?.cluster).toBe("cheap");
    expect(d.margin).toEqual({
      runnerUp: "dear",
      usd: 24,
      terms: { compute: -24, egress: 0, staging: 0, spotRisk: 0, headroom: 0, preference: 0 },
      decidedBy: "compute",
    });
    expect(d.summary).toContain("$24.00 cheaper than dear, decided by compute: compute −$24.00");
  });
  it("states the billed estimate in the selected cluster's cost reason", () => {
    expect(by("cheap").reasons).toContainEqual({
      code: "cost",
      message:
        "bills est. $24.00 for 2 replicas over 3 h: $24.00 compute (8 × H100 on-demand at $1.00/GPU-h) + $0.00 egress",
    });
  });
});

describe("compute charge: what the cost sentence names", () => {
  it("names spot capacity as spot, at the spot price", () => {
    const fleet = aFleet([
      aCluster({ name: "sp", spot: true, pricing: { gpuHour: { H100: 4 }, spotGpuHour: { H100: 1 } } }),
    ]);
    const w = aWorkload({
      replicas: 2,
      durationHours: 3,
      resources: { gpu: { count: 4 } },
      placement: { spot: "preferred" },
    });
    // 2 × 4 GPUs × $1 × 3 h = $24.
    expect(plan(fleet, w).clusters[0]?.reasons).toContainEqual({
      code: "cost",
      message:
        "bills est. $24.00 for 2 replicas over 3 h: $24.00 compute (8 × H100 spot at $1.00/GPU-h) + $0.00 egress",
    });
  });
  it("says no GPU for a GPU-less workload, whose bill is its egress alone", () => {
    const fleet = aFleet([aCluster({ name: "cpu", nodes: [aNodeGroup({ name: "cpu", count: 1, gpu: undefined })] })], {
      datasets: [{ name: "logs", sizeGB: 100, locations: ["elsewhere"] }],
    });
    // 100 GB from outside the fleet at the cluster's own $0.05/GB.
    const d = plan(fleet, aWorkload({ resources: { cpu: 4 }, data: ["logs"] }));
    expect(d.clusters[0]?.reasons).toContainEqual({
      code: "cost",
      message: "bills est. $5.00 for 1 replicas over 1 h: $0.00 compute (no GPU) + $5.00 egress",
    });
  });
});
