import { describe, expect, it } from "vitest";
import { plan } from "../plan.ts";
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

describe("gpu-fit filter: which offer the cluster would use", () => {
  const a100 = (count: number) => aNodeGroup({ name: "a", count, gpu: { model: "A100", count: 8, memoryGiB: 80 } });
  const h100 = (count: number) => aNodeGroup({ name: "h", count });
  const both = (groups: ReturnType<typeof aNodeGroup>[], h: number, a: number) =>
    aCluster({ nodes: groups, pricing: { gpuHour: { H100: h, A100: a } } });
  const job = (replicas: number, over: { cpu?: number } = {}) =>
    aWorkload({ replicas, resources: { gpu: { count: 8, models: ["A100", "H100"] }, ...over } });
  const chosen = (c: ReturnType<typeof aCluster>, w: ReturnType<typeof aWorkload>) => {
    const r = runFilter("gpu-fit", c, w);
    return [r.ctx.chosen?.model, r.ctx.fitReplicas];
  };

  it("prefers a model that takes every replica over a cheaper one that takes some", () => {
    // A100: 4 nodes → 4 slots of 8 GPUs; H100: 1 node → 1 slot, at a third of the price.
    for (const groups of [
      [a100(4), h100(1)],
      [h100(1), a100(4)],
    ]) {
      expect(chosen(both(groups, 1, 3), job(3))).toEqual(["A100", 3]);
    }
  });

  it("among partial fits prefers more slots, whatever the price", () => {
    for (const groups of [
      [a100(4), h100(1)],
      [h100(1), a100(4)],
    ]) {
      expect(chosen(both(groups, 1, 3), job(6))).toEqual(["A100", 4]);
    }
  });

  it("among full fits takes the cheaper model, and the first by name at the same price", () => {
    for (const groups of [
      [a100(4), h100(2)],
      [h100(2), a100(4)],
    ]) {
      expect(chosen(both(groups, 1, 3), job(2))).toEqual(["H100", 2]);
      expect(chosen(both(groups, 3, 1), job(2))).toEqual(["A100", 2]);
      expect(chosen(both(groups, 2, 2), job(2))).toEqual(["A100", 2]);
    }
  });

  it("when no model has a full slot, prefers the one with more GPU slots (what CPU would need to free)", () => {
    // 200 CPU per replica fits no 96-CPU node: 0 slots each; A100 has 4 GPU slots, H100 1.
    for (const groups of [
      [a100(4), h100(1)],
      [h100(1), a100(4)],
    ]) {
      expect(chosen(both(groups, 1, 3), job(2, { cpu: 200 }))).toEqual(["A100", 0]);
    }
  });
});

describe("gpu-fit filter: the sentence and the code", () => {
  const gang4 = (count: number, gpusUsed: number, replicas: number) =>
    runFilter("gpu-fit", aCluster({ nodes: [aNodeGroup({ count, gpusUsed })] }), gang(replicas, 8)).rejection;

  it("calls a gang fragmented when the free GPUs would hold it, counting the boundary as fragmented", () => {
    // 4 nodes × 4 free = 16 = 2 × 8: fragmented. 3 × 4 = 12 < 16: too few GPUs.
    expect(gang4(4, 4, 2)).toEqual({
      code: "gpu_fragmented",
      message: "needs 8 free H100 on one node; largest free block is 4",
      plugin: "gpu-fit",
      summary: "needs 8 free H100 on one node",
    });
    expect(gang4(3, 4, 2)?.code).toBe("insufficient_gpu");
  });

  it("passes a gang with exactly one block per replica and records how many fit", () => {
    const r = runFilter("gpu-fit", aCluster({ nodes: [aNodeGroup({ count: 2 })] }), gang(2, 8));
    expect(r.rejection).toBeUndefined();
    expect(r.ctx.fitReplicas).toBe(2);
  });

  it("counts blocks of a gang when each is big enough but there are too few", () => {
    // 2 nodes: one with 8 free, one with 4: room for 1 of 2, 12 free, largest 8.
    const c = aCluster({
      nodes: [aNodeGroup({ name: "x", count: 1 }), aNodeGroup({ name: "y", count: 1, gpusUsed: 4 })],
    });
    const r = runFilter("gpu-fit", c, gang(2, 8));
    expect(r.rejection).toEqual({
      code: "insufficient_gpu",
      message: "needs 2 × 8 free H100, one block per node; room for 1 (12 free, largest block 8)",
      plugin: "gpu-fit",
      summary: "needs 2 × 8 free H100",
    });
    expect(r.ctx.fitReplicas).toBe(1);
  });

  it("asks a non-gang workload for one replica's block", () => {
    // 3 replicas, non-gang: one replica is enough to be feasible here; none fits on 4-GPU blocks.
    const w = aWorkload({ replicas: 3, resources: { gpu: { count: 8, models: ["H100"] } } });
    const c = aCluster({ nodes: [aNodeGroup({ count: 1, gpusUsed: 4 })] });
    expect(runFilter("gpu-fit", c, w).rejection).toEqual({
      code: "insufficient_gpu",
      message: "needs 8 free H100 on one node; largest free block is 4",
      plugin: "gpu-fit",
      summary: "needs 8 free H100 on one node",
    });
    const roomy = runFilter("gpu-fit", aCluster({ nodes: [aNodeGroup({ count: 1 })] }), w);
    expect(roomy.rejection).toBeUndefined();
    expect(roomy.ctx.fitReplicas).toBe(1);
  });

  it("gives every cluster of one decision its own numbers (rejections are shared only when equal)", () => {
    const fleet = aFleet([
      aCluster({ name: "a", nodes: [aNodeGroup({ count: 2, gpusUsed: 4 })] }),
      aCluster({ name: "b", nodes: [aNodeGroup({ count: 1 })] }),
      aCluster({
        name: "c",
        nodes: [aNodeGroup({ name: "x", count: 1 }), aNodeGroup({ name: "y", count: 1, gpusUsed: 4 })],
      }),
      aCluster({ name: "d", nodes: [aNodeGroup({ count: 4, gpusUsed: 4 })] }),
      aCluster({ name: "e", nodes: [aNodeGroup({ count: 2, gpusUsed: 2 })] }),
      aCluster({ name: "f", nodes: [aNodeGroup({ count: 2, gpusUsed: 4 })] }),
    ]);
    const d = plan(fleet, gang(2, 8));
    expect(d.clusters.map((v) => [v.cluster, v.reasons[0]?.code, v.reasons[0]?.message])).toEqual([
      ["a", "insufficient_gpu", "needs 8 free H100 on one node; largest free block is 4"],
      ["b", "insufficient_gpu", "needs 2 × 8 free H100, one block per node; room for 1 (8 free, largest block 8)"],
      ["c", "insufficient_gpu", "needs 2 × 8 free H100, one block per node; room for 1 (12 free, largest block 8)"],
      ["d", "gpu_fragmented", "needs 8 free H100 on one node; largest free block is 4"],
      ["e", "insufficient_gpu", "needs 8 free H100 on one node; largest free block is 6"],
      ["f", "insufficient_gpu", "needs 8 free H100 on one node; largest free block is 4"],
    ]);
  });
});

describe("gpu-fit filter: ties between offers and shared rejections", () => {
  const one = (model: string) => aNodeGroup({ name: model, count: 1, gpu: { model, count: 8, memoryGiB: 80 } });
  const both = (groups: ReturnType<typeof aNodeGroup>[], h: number, a: number) =>
    aCluster({ nodes: groups, pricing: { gpuHour: { H100: h, A100: a } } });
  const cpuBound = aWorkload({ replicas: 2, resources: { gpu: { count: 8, models: ["A100", "H100"] }, cpu: 200 } });

  it("with no slot and as many GPU slots on each model, takes the cheaper model", () => {
    for (const groups of [
      [one("A100"), one("H100")],
      [one("H100"), one("A100")],
    ]) {
      expect(runFilter("gpu-fit", both(groups, 1, 3), cpuBound).ctx.chosen?.model).toBe("H100");
      expect(runFilter("gpu-fit", both(groups, 3, 1), cpuBound).ctx.chosen?.model).toBe("A100");
    }
  });

  it("does not share a rejection between clusters whose largest block and free GPUs differ", () => {
    // Gang of 5 × 4. x: blocks of 8 and 4 → 2 + 1 = 3 slots, 12 free, largest 8. y: three blocks of 4 and two of
    // 2 → 3 slots, 16 free, largest 4. Both too few GPUs for 20; largest + free is 20 on both.
    const fleet = aFleet([
      aCluster({
        name: "x",
        nodes: [aNodeGroup({ name: "a", count: 1 }), aNodeGroup({ name: "b", count: 1, gpusUsed: 4 })],
      }),
      aCluster({
        name: "y",
        nodes: [aNodeGroup({ name: "a", count: 3, gpusUsed: 4 }), aNodeGroup({ name: "b", count: 2, gpusUsed: 6 })],
      }),
    ]);
    expect(plan(fleet, gang(5, 4)).clusters.map((v) => v.reasons[0]?.message)).toEqual([
      "needs 5 × 4 free H100, one block per node; room for 3 (12 free, largest block 8)",
      "needs 5 × 4 free H100, one block per node; room for 3 (16 free, largest block 4)",
    ]);
  });

  it("keeps rejections apart when a cluster has 65,536 free GPUs or more", () => {
    // Gang of 3 × 8. x: 1 whole node and 32,770 with 4 free → 1 slot, 131,088 free. y: 2 whole nodes and 16,384 with
    // 4 free → 2 slots, 65,552 free. Both are fragmented (≥ 24 free); their free GPUs differ by exactly 65,536 and
    // their slots by one, the pair a 16-bit field would confuse.
    const fleet = aFleet([
      aCluster({
        name: "x",
        nodes: [aNodeGroup({ name: "a", count: 1 }), aNodeGroup({ name: "b", count: 32_770, gpusUsed: 4 })],
      }),
      aCluster({
        name: "y",
        nodes: [aNodeGroup({ name: "a", count: 2 }), aNodeGroup({ name: "b", count: 16_384, gpusUsed: 4 })],
      }),
    ]);
    expect(plan(fleet, gang(3, 8)).clusters.map((v) => [v.reasons[0]?.code, v.reasons[0]?.message])).toEqual([
      ["gpu_fragmented", "needs 3 × 8 free H100, one block per node; room for 1 (131088 free, largest block 8)"],
      ["gpu_fragmented", "needs 3 × 8 free H100, one block per node; room for 2 (65552 free, largest block 8)"],
    ]);
  });
});
