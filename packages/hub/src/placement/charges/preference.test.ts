import { describe, expect, it } from "vitest";
import { plan } from "../plan.ts";
import { aCluster, aFleet, aWorkload } from "../testing/builders.ts";

describe("preference charge", () => {
  const fleet = (cloudPrice: number) =>
    aFleet([
      aCluster({ name: "dc", tier: "onprem", pricing: { gpuHour: { H100: 3 } } }),
      aCluster({ name: "cloud", tier: "cloud", pricing: { gpuHour: { H100: cloudPrice } } }),
      aCluster({ name: "edge", tier: "edge", pricing: { gpuHour: { H100: cloudPrice } } }),
    ]);
  const w = aWorkload({ durationHours: 2, resources: { gpu: { count: 4 } } });
  const premium = { order: ["onprem", "cloud"] as ("onprem" | "cloud")[], usdPerGpuHour: 0.5 };

  it("adds the stated premium per GPU-hour for each step down the order, unlisted tiers last", () => {
    const d = plan(fleet(3), w, { tierPremium: premium, headroomFactor: 0 });
    const pref = (n: string) => d.clusters.find((c) => c.cluster === n)?.rankCost?.preference;
    expect([pref("dc"), pref("cloud"), pref("edge")]).toEqual([0, 4, 8]);
    expect(d.assignments[0]?.cluster).toBe("dc");
    expect(d.clusters.find((c) => c.cluster === "cloud")?.reasons).toContainEqual({
      code: "preference",
      message: "preference $4.00: tier cloud is #2 in onprem > cloud, $0.50/GPU-h per step down",
    });
  });
  it("lets a cheaper tier win when it saves more than the premium", () => {
    // cloud at $2.40 saves 4 × 2 × $0.60 = $4.80 on compute against a $4.00 premium.
    expect(plan(fleet(2.4), w, { tierPremium: premium, headroomFactor: 0 }).assignments[0]?.cluster).toBe("cloud");
    expect(plan(fleet(2.6), w, { tierPremium: premium, headroomFactor: 0 }).assignments[0]?.cluster).toBe("dc");
  });
  it("bills none of it", () => {
    expect(plan(fleet(3), w, { tierPremium: premium }).estimatedCost.total).toBe(24);
  });
});

describe("preference charge: its sentence", () => {
  it("says a tier outside the order ranks after all of it", () => {
    const edge = aFleet([aCluster({ name: "edge", tier: "edge", pricing: { gpuHour: { H100: 1 } } })]);
    const w = aWorkload({ durationHours: 2, resources: { gpu: { count: 4 } } });
    // Two steps down (past onprem and cloud) × $0.50 × 4 GPUs × 2 h = $8.
    const d = plan(edge, w, { tierPremium: { order: ["onprem", "cloud"], usdPerGpuHour: 0.5 }, headroomFactor: 0 });
    expect(d.clusters[0]?.reasons).toContainEqual({
      code: "preference",
      message: "preference $8.00: tier edge is not in onprem > cloud, $0.50/GPU-h per step down",
    });
  });
  it("has no sentence and no charge without a stated order", () => {
    const d = plan(aFleet([aCluster({ tier: "edge" })]), aWorkload(), { headroomFactor: 0 });
    expect(d.rankCost?.preference).toBe(0);
    expect(d.clusters[0]?.reasons.map((r) => r.code)).not.toContain("preference");
  });
});
