import { describe, expect, it } from "vitest";
import { plan } from "../plan.ts";
import { aCluster, aFleet, aNodeGroup, aWorkload } from "../testing/builders.ts";
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

describe("resources filter: the sentences", () => {
  it("says which resource ran out, per replica, beside which GPUs", () => {
    const mem = aWorkload({ replicas: 2, gang: true, resources: { gpu: { count: 4 }, memoryGiB: 300 } });
    expect(runFilter("resources", node, mem).rejection).toEqual({
      code: "insufficient_memory",
      message: "needs 300 GiB memory per replica beside 4 H100; room for 1 of 2 replicas",
      plugin: "resources",
      summary: "insufficient memory",
    });
    expect(runFilter("resources", node, aWorkload({ resources: { cpu: 49 } })).rejection).toEqual({
      code: "insufficient_cpu",
      message: "needs 49 CPU per replica; room for 0 of 1 replicas",
      plugin: "resources",
      summary: "insufficient CPU",
    });
  });

  it("names CPU when both CPU and memory run out", () => {
    const w = aWorkload({ replicas: 2, gang: true, resources: { gpu: { count: 4 }, cpu: 40, memoryGiB: 300 } });
    expect(runFilter("resources", node, w).rejection?.message).toBe(
      "needs 40 CPU per replica beside 4 H100; room for 1 of 2 replicas",
    );
  });

  it("gives each cluster of one decision its own resource, model and count", () => {
    const one = (over: Parameters<typeof aNodeGroup>[0]) => [aNodeGroup({ count: 1, memoryGiB: 512, ...over })];
    const fleet = aFleet([
      aCluster({ name: "a", nodes: one({ cpu: 64, cpuUsed: 16 }) }),
      aCluster({ name: "b", nodes: one({ cpu: 96, cpuUsed: 80, memoryGiB: 1024 }) }),
      aCluster({ name: "c", nodes: one({ cpu: 96 }) }),
      aCluster({
        name: "d",
        nodes: one({ cpu: 64, cpuUsed: 16, gpu: { model: "A100", count: 8, memoryGiB: 80 } }),
      }),
    ]);
    const w = aWorkload({ replicas: 2, gang: true, resources: { gpu: { count: 4 }, cpu: 32, memoryGiB: 300 } });
    // a: 48 CPU → 1 slot of 32; b: 16 → 0; c: CPU for both, 512 GiB → 1 of 300; d: as a, on A100.
    expect(plan(fleet, w).clusters.map((v) => [v.cluster, v.reasons[0]?.message])).toEqual([
      ["a", "needs 32 CPU per replica beside 4 H100; room for 1 of 2 replicas"],
      ["b", "needs 32 CPU per replica beside 4 H100; room for 0 of 2 replicas"],
      ["c", "needs 300 GiB memory per replica beside 4 H100; room for 1 of 2 replicas"],
      ["d", "needs 32 CPU per replica beside 4 A100; room for 1 of 2 replicas"],
    ]);
  });
});
