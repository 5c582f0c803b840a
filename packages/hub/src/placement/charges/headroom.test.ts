import { describe, expect, it } from "vitest";
import type { Candidate } from "../framework.ts";
import { plan } from "../plan.ts";
import { compileRequest } from "../request.ts";
import { compileFleet } from "../snapshot.ts";
import { aCluster, aFleet, aNodeGroup, aWorkload } from "../testing/builders.ts";
import { utilisation } from "./headroom.ts";

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
    // Roomy, the runner-up, says where its charge comes from; nearly-full, charged nothing, has no headroom sentence.
    expect(roomy.reasons).toContainEqual({
      code: "headroom",
      message:
        "headroom $0.50: takes H100 here from 0% to 6% of 32, what the demand forecast expects the workloads it displaces to pay more elsewhere",
    });
    const full = d.clusters.find((c) => c.cluster === "nearly-full")!;
    expect(full.reasons.map((r) => r.code)).not.toContain("headroom");
  });
  it("counts at most four hours of the price, however long the workload holds the GPUs", () => {
    // 75% → 81.25% of 32 GPUs at $1: 32 × (0.8125³ − 0.75³) / 3 = 1.2214 GPU-hours-worth per hour counted.
    const at = (durationHours: number) =>
      plan(fleet, aWorkload({ durationHours, resources: { gpu: { count: 2 } } })).clusters.find(
        (c) => c.cluster === "nearly-full",
      )?.rankCost?.headroom;
    expect(at(2)).toBe(2.44);
    expect(at(4)).toBe(4.89);
    expect(at(10)).toBe(4.89);
  });
  it("charges a GPU-less workload nothing", () => {
    const cpu = aFleet([
      aCluster({ nodes: [aNodeGroup({ gpusUsed: 6 }), aNodeGroup({ name: "cpu", gpu: undefined })] }),
    ]);
    const d = plan(cpu, aWorkload({ resources: { cpu: 4 } }));
    expect(d.rankCost?.headroom).toBe(0);
    expect(d.clusters[0]?.reasons.map((r) => r.code)).not.toContain("headroom");
  });
});

describe("utilisation", () => {
  it("is the share of the model's GPUs in use before and after the placement, 0 without GPUs", () => {
    const snapshot = compileFleet(aFleet([aCluster()]));
    const c = { capacityGpus: 32, freeGpus: 8 } as Candidate;
    const req = compileRequest(snapshot, aWorkload({ resources: { gpu: { count: 4 } } }));
    expect(utilisation(c, req, 2)).toEqual({ before: 0.75, after: 1 });
    expect(utilisation(c, req, 1)).toEqual({ before: 0.75, after: 0.875 });
    expect(utilisation({ capacityGpus: 0, freeGpus: 0 } as Candidate, req, 1)).toEqual({ before: 0, after: 0 });
  });
});

describe("headroom charge with a forecast, on several models", () => {
  it("reads the price of the candidate's own cluster and model", () => {
    const both = [
      aNodeGroup({ name: "h", count: 1 }),
      aNodeGroup({ name: "a", count: 1, gpu: { model: "A100", count: 8, memoryGiB: 80 } }),
    ];
    const f = aFleet([
      aCluster({ name: "x", pricing: { gpuHour: { H100: 2, A100: 1 } }, nodes: both }),
      aCluster({ name: "y", pricing: { gpuHour: { H100: 2, A100: 1 } }, nodes: both }),
    ]);
    const snapshot = compileFleet(f);
    const m = snapshot.models.length;
    const at = (cluster: string, model: string) =>
      snapshot.indexByName.get(cluster)! * m + snapshot.modelIds.get(model)!;
    const curves: (Float64Array | undefined)[] = new Array(snapshot.size * m).fill(undefined);
    // Different flat prices per slot, so reading the wrong slot shows: $25 a GPU for x's A100s, $1.50 for y's,
    // $35 for y's H100s.
    curves[at("x", "A100")] = Float64Array.of(0, 0, 2, 50);
    curves[at("y", "A100")] = Float64Array.of(0, 0, 2, 3);
    curves[at("y", "H100")] = Float64Array.of(0, 0, 2, 70);
    const w = aWorkload({ resources: { gpu: { count: 2, models: ["A100"] } } });
    const d = plan(f, w, { capacityPrices: { snapshot, curves } });
    const headroom = (c: string) => d.clusters.find((v) => v.cluster === c)?.rankCost?.headroom;
    expect(headroom("x")).toBe(50);
    expect(headroom("y")).toBe(3);
    expect(d.assignments[0]?.cluster).toBe("y");
  });
});
