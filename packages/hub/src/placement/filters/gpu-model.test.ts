import { describe, expect, it } from "vitest";
import { aCluster, aNodeGroup, aWorkload } from "../testing/builders.ts";
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
