import { describe, expect, it } from "vitest";
import { aCluster, aFleet, aNodeGroup, aWorkload } from "../testing/builders.ts";
import { runFilter } from "../testing/harness.ts";

const gang = (replicas: number, gpus: number) =>
  aWorkload({ replicas, gang: true, resources: { gpu: { count: gpus, models: ["H100"] } } });

describe("gpu-fit filter", () => {
  it("fits a gang whose replicas each find a whole block on one node", () => {
    const c = aCluster({ nodes: [aNodeGroup({ count: 4 })] });
    const r = runFilter("gpu-fit", c, gang(4, 8));
    expect(r.rejection).toBeUndefined();
    expect(r.ctx.fitReplicas).toBe(4);
  });
  it("rejects 4 × 8 on 32 free GPUs spread 4 per node", () => {
    const c = aCluster({ nodes: [aNodeGroup({ count: 8, gpusUsed: 4 })] });
    expect(runFilter("gpu-fit", c, gang(4, 8)).rejection).toMatchObject({
      code: "gpu_fragmented",
      message: "needs 8 free H100 on one node; largest free block is 4",
    });
  });
  it("rejects a gang with too few blocks, and counts reservations against named nodes", () => {
    const c = aCluster({ nodes: [aNodeGroup({ count: 2 })] });
    expect(runFilter("gpu-fit", c, gang(3, 8)).rejection?.code).toBe("insufficient_gpu");
    const fleet = aFleet([c], {
      reservations: [{ workload: "x", cluster: "c1", nodes: [{ node: "gpu-1", gpus: 8 }] }],
    });
    expect(runFilter("gpu-fit", c, gang(2, 8), {}, fleet).rejection).toMatchObject({
      code: "insufficient_gpu",
      message: "needs 2 × 8 free H100, one block per node; room for 1 (8 free, largest block 8)",
    });
  });
  it("ignores nodes that are not ready or not schedulable", () => {
    const c = aCluster({
      nodes: [aNodeGroup({ count: 1, ready: false }), aNodeGroup({ name: "b", schedulable: false })],
    });
    expect(runFilter("gpu-fit", c, gang(1, 1)).rejection?.code).toBe("insufficient_gpu");
  });
});
