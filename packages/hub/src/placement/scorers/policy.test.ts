import { describe, expect, it } from "vitest";
import { plan } from "../plan.ts";
import { aCluster, aFleet, aWorkload } from "../testing/builders.ts";

describe("policy scorer", () => {
  const fleet = aFleet([
    aCluster({ name: "dc", tier: "onprem", pricing: { gpuHour: { H100: 3 } } }),
    aCluster({ name: "cloud", tier: "cloud", spot: true, pricing: { gpuHour: { H100: 3 }, spotGpuHour: { H100: 3 } } }),
    aCluster({ name: "edge", tier: "edge", pricing: { gpuHour: { H100: 3 } } }),
  ]);

  it("follows the burst policy's tier order", () => {
    const d = plan(fleet, aWorkload(), { tierPreference: ["onprem", "cloud"] });
    const score = (n: string) => d.clusters.find((c) => c.cluster === n)?.scores.policy;
    expect([score("dc"), score("cloud"), score("edge")]).toEqual([300, 150, 0]);
    expect(d.assignments[0]?.cluster).toBe("dc");
  });
  it("penalises clusters without spot when spot is preferred", () => {
    const d = plan(fleet, aWorkload({ placement: { spot: "preferred" } }));
    expect(d.clusters.find((c) => c.cluster === "dc")?.scores.policy).toBe(150);
    expect(d.assignments[0]).toMatchObject({ cluster: "cloud", spot: true });
  });
});
