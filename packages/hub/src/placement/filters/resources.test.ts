import { describe, expect, it } from "vitest";
import { aCluster, aNodeGroup, aWorkload } from "../testing/builders.ts";
import { runFilter } from "../testing/harness.ts";

const node = aCluster({ nodes: [aNodeGroup({ count: 1, cpu: 64, cpuUsed: 16, memoryGiB: 512 })] });

describe("resources filter", () => {
  it("passes when CPU and memory per replica fit beside the GPUs", () => {
    const w = aWorkload({ replicas: 2, gang: true, resources: { gpu: { count: 4 }, cpu: 24, memoryGiB: 256 } });
    expect(runFilter("resources", node, w).rejection).toBeUndefined();
  });
  it("rejects when CPU or memory run out first", () => {
    const cpu = aWorkload({ replicas: 2, gang: true, resources: { gpu: { count: 4 }, cpu: 32 } });
    expect(runFilter("resources", node, cpu).rejection).toMatchObject({
      code: "insufficient_cpu",
      message: "needs 32 CPU per replica beside 4 H100; room for 1 of 2 replicas",
    });
    const mem = aWorkload({ replicas: 2, gang: true, resources: { gpu: { count: 4 }, memoryGiB: 300 } });
    expect(runFilter("resources", node, mem).rejection?.code).toBe("insufficient_memory");
  });
  it("checks GPU-less workloads on CPU alone", () => {
    expect(runFilter("resources", node, aWorkload({ resources: { cpu: 48 } })).rejection).toBeUndefined();
    expect(runFilter("resources", node, aWorkload({ resources: { cpu: 49 } })).rejection?.code).toBe(
      "insufficient_cpu",
    );
  });
});
