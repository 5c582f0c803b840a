import { describe, expect, it } from "vitest";
import { plan } from "../plan.ts";
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

  it("sends a workload to the empty cluster when the cheaper one is nearly full, and says why", () => {
    const d = plan(fleet, w);
    expect(d.assignments[0]?.cluster).toBe("roomy");
    const full = d.clusters.find((c) => c.cluster === "nearly-full")!;
    expect(full.estimatedCost?.total).toBe(2);
    expect(full.reasons.find((r) => r.code === "cost")?.message).toBe(
      "est. $2.00 for 1 replicas over 1 h ($2.00 compute at $1.00/GPU-h on-demand + $0.00 egress); ranked as if " +
        "$1.22 dearer: takes H100 here from 75% to 81% of 32, keeping headroom for workloads that can only run here " +
        "(options.headroomFactor 0 ranks by cost alone)",
    );
  });
  it("ranks by estimated cost alone with headroomFactor 0", () => {
    expect(plan(fleet, w, { headroomFactor: 0 }).assignments[0]?.cluster).toBe("nearly-full");
  });
  it("bills the real price, never the charge", () => {
    expect(plan(fleet, w).estimatedCost).toEqual({ total: 2.2, perHour: 2.2, compute: 2.2, egress: 0 });
  });
});
