import { describe, expect, it } from "vitest";
import { plan } from "../plan.ts";
import { aCluster, aFleet, aNodeGroup, aWorkload } from "../testing/builders.ts";
import { runFilter } from "../testing/harness.ts";

const mixed = aCluster({
  nodes: [
    aNodeGroup({ name: "a", gpu: { model: "A100", count: 8, memoryGiB: 40 } }),
    aNodeGroup({ name: "h", gpu: { model: "H100", count: 8, memoryGiB: 80 } }),
  ],
});

describe("gpu-model filter", () => {
  it("offers each accepted model with enough GPU memory", () => {
    const r = runFilter("gpu-model", mixed, aWorkload({ resources: { gpu: { count: 1, models: ["A100", "H100"] } } }));
    expect(r.rejection).toBeUndefined();
    expect(r.ctx.offers.map((o) => o.model)).toEqual(["A100", "H100"]);
    const big = runFilter("gpu-model", mixed, aWorkload({ resources: { gpu: { count: 1, minMemoryGiB: 80 } } }));
    expect(big.ctx.offers.map((o) => o.model)).toEqual(["H100"]);
  });
  it("rejects a cluster without the model or with too little GPU memory", () => {
    const w = aWorkload({ resources: { gpu: { count: 1, models: ["A100"], minMemoryGiB: 80 } } });
    expect(runFilter("gpu-model", mixed, w).rejection).toMatchObject({
      code: "no_matching_gpu",
      message: "no A100 with >=80 GiB",
      summary: "no A100 with >=80 GiB",
    });
  });
  it("holds the memory minimum exactly: 72 GiB is not 80, 80 is", () => {
    const at = (memoryGiB: number) =>
      runFilter(
        "gpu-model",
        aCluster({ nodes: [aNodeGroup({ gpu: { model: "H100", count: 8, memoryGiB } })] }),
        aWorkload({ resources: { gpu: { count: 1, minMemoryGiB: 80 } } }),
      );
    expect(at(72).rejection).toMatchObject({ code: "no_matching_gpu", message: "no GPU with >=80 GiB" });
    expect(at(79).rejection?.code).toBe("no_matching_gpu");
    expect(at(72).ctx.offers).toHaveLength(0);
    expect(at(80).rejection).toBeUndefined();
    expect(at(80).ctx.offers.map((o) => o.model)).toEqual(["H100"]);
  });
  it("lets a GPU-less workload use any node", () => {
    const cpuOnly = aCluster({ nodes: [aNodeGroup({ gpu: undefined })] });
    expect(runFilter("gpu-model", cpuOnly, aWorkload({ resources: { cpu: 4 } })).rejection).toBeUndefined();
  });
});

describe("gpu-model filter: offers and the sentence", () => {
  it("makes one offer per model however many groups have it, and skips GPU-less groups", () => {
    const c = aCluster({
      nodes: [
        aNodeGroup({ name: "cpu", gpu: undefined }),
        aNodeGroup({ name: "h1" }),
        aNodeGroup({ name: "a", gpu: { model: "A100", count: 8, memoryGiB: 80 } }),
        aNodeGroup({ name: "h2" }),
      ],
    });
    const r = runFilter("gpu-model", c, aWorkload());
    expect(r.ctx.offers.slice(0, r.ctx.offerCount).map((o) => o.model)).toEqual(["H100", "A100"]);
  });

  it("skips models the workload does not accept", () => {
    const r = runFilter("gpu-model", mixed, aWorkload({ resources: { gpu: { count: 1, models: ["H100"] } } }));
    expect(r.ctx.offers.slice(0, r.ctx.offerCount).map((o) => o.model)).toEqual(["H100"]);
  });

  it("makes one GPU-less offer for a workload without GPUs", () => {
    const r = runFilter("gpu-model", mixed, aWorkload({ resources: { cpu: 4 } }));
    expect(r.ctx.offerCount).toBe(1);
    expect(r.ctx.offers[0]).toMatchObject({ model: undefined, modelId: -1 });
  });

  it("names the accepted models, or says GPUs when there is no memory minimum", () => {
    const w = aWorkload({ resources: { gpu: { count: 1, models: ["L4", "A100"] } } });
    const cpuOnly = aCluster({ nodes: [aNodeGroup({ gpu: undefined })] });
    expect(runFilter("gpu-model", cpuOnly, w).rejection).toEqual({
      code: "no_matching_gpu",
      message: "no A100/L4 GPUs",
      plugin: "gpu-model",
      summary: "no A100/L4 GPUs",
    });
  });

  it("looks only at the cluster's own node groups", () => {
    // a has only A100; b, next in the fleet, has H100: a must not borrow b's group.
    const fleet = aFleet([
      aCluster({ name: "a", nodes: [aNodeGroup({ gpu: { model: "A100", count: 8, memoryGiB: 80 } })] }),
      aCluster({ name: "b" }),
    ]);
    const d = plan(fleet, aWorkload({ resources: { gpu: { count: 1, models: ["H100"] } } }));
    expect(d.clusters.map((v) => [v.cluster, v.verdict, v.reasons[0]?.code])).toEqual([
      ["a", "filtered", "no_matching_gpu"],
      ["b", "selected", "fits"],
    ]);
  });
});
