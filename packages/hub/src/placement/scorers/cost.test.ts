import { describe, expect, it } from "vitest";
import { plan } from "../plan.ts";
import { aCluster, aFleet, aWorkload } from "../testing/builders.ts";

describe("cost scorer", () => {
  const fleet = aFleet([
    aCluster({ name: "cheap", pricing: { gpuHour: { H100: 1 } } }),
    aCluster({ name: "dear", pricing: { gpuHour: { H100: 2 } } }),
  ]);
  const w = aWorkload({ replicas: 2, durationHours: 3, resources: { gpu: { count: 4 } } });
  const d = plan(fleet, w, { weights: { cost: 1 } });
  const by = (name: string) => d.clusters.find((c) => c.cluster === name)!;

  it("gives the cheapest cluster the full score and estimates replicas × GPUs × price × hours", () => {
    expect(by("cheap").scores.cost).toBe(100);
    expect(by("cheap").estimatedCost).toEqual({ total: 24, perHour: 8, compute: 24, egress: 0 });
  });
  it("scores a cluster twice as dear about half", () => {
    expect(by("dear").scores.cost).toBeCloseTo(50, 0);
    expect(by("dear").estimatedCost?.total).toBe(48);
  });
});
