import { describe, expect, it } from "vitest";
import { plan } from "../plan.ts";
import { compileFleet } from "../snapshot.ts";
import { aCluster, aFleet, aNodeGroup, aWorkload } from "../testing/builders.ts";

describe("headroom charge", () => {
  // "nearly-full" is a little cheaper but three quarters used; "roomy" is empty.
  const fleet = aFleet([
    aCluster({
      name: "nearly-full",
      pricing: { gpuHour: { H100: 1 } },
      nodes: [aNodeGroup({ count: 4, gpusUsed: 6 })],
    }),
    aCluster({ name: "roomy", pricing: { gpuHour: { H100: 1.1 } }, nodes: [aNodeGroup({ count: 4 })] }),
  ]);
  const w = aWorkload({ durationHours: 1, resources: { gpu: { count: 2 } } });

  it("sends a workload to the empty cluster when the cheaper one is nearly full, and says why in dollars", () => {
    const d = plan(fleet, w);
    expect(d.assignments[0]?.cluster).toBe("roomy");
    const full = d.clusters.find((c) => c.cluster === "nearly-full")!;
    expect(full.estimatedCost?.total).toBe(2);
    expect(full.rankCost).toMatchObject({ compute: 2, headroom: 1.22, total: 3.22 });
    expect(full.reasons).toContainEqual({
      code: "headroom",
      message:
        "headroom $1.22: takes H100 here from 75% to 81% of 32, keeping headroom for workloads that can only run here (options.headroomFactor 0 turns it off)",
    });
    expect(d.summary).toContain("cheaper than nearly-full, decided by headroom: headroom −$1.22, compute +$0.20");
  });
  it("ranks by the other terms alone with headroomFactor 0", () => {
    expect(plan(fleet, w, { headroomFactor: 0 }).assignments[0]?.cluster).toBe("nearly-full");
  });
  it("bills the real price, never the charge", () => {
    expect(plan(fleet, w).estimatedCost).toEqual({ total: 2.2, perHour: 2.2, compute: 2.2, egress: 0 });
  });
  it("charges what the forecast loses for the GPUs taken when given capacity prices", () => {
    const snapshot = compileFleet(fleet);
    const curves: (Float64Array | undefined)[] = new Array(snapshot.size * snapshot.models.length).fill(undefined);
    // Roomy: the first GPU free, then $0.50 a GPU (the forecast's demand re-routed elsewhere).
    curves[snapshot.indexByName.get("roomy")! * snapshot.models.length + snapshot.modelIds.get("H100")!] =
      Float64Array.of(0, 0, 1, 0, 4, 1.5);
    const d = plan(fleet, w, { capacityPrices: { snapshot, curves } });
    const roomy = d.clusters.find((c) => c.cluster === "roomy")!;
    expect(roomy.rankCost?.headroom).toBe(0.5);
    expect(d.clusters.find((c) => c.cluster === "nearly-full")?.rankCost?.headroom).toBe(0);
    expect(d.assignments[0]?.cluster).toBe("nearly-full");
  });
});
