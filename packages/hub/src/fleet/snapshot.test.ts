import { ClusterDescription, FleetCluster, NodeGroup } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import { type ClusterFacts, fleetClusterOf, gpuTotals } from "./snapshot.ts";

const thresholds = { unknownAfterMs: 1_000, offlineAfterMs: 5_000 };
const now = new Date("2026-01-01T00:00:10Z");

const facts = (over: Partial<ClusterFacts> = {}): ClusterFacts => ({
  description: ClusterDescription.parse({ name: "c1", tier: "cloud", region: "r", labels: { team: "ml" } }),
  capacity: { nodes: [NodeGroup.parse({ name: "n", gpu: { model: "A100", count: 8, memoryGiB: 80 }, gpusUsed: 3 })] },
  lastSeenAt: new Date(now.getTime() - 500),
  ...over,
});

describe("fleetClusterOf", () => {
  it("joins description, reported nodes and health computed from the last heartbeat", () => {
    const c = fleetClusterOf(facts(), now, thresholds);
    expect(c).toMatchObject({ name: "c1", tier: "cloud", region: "r", labels: { team: "ml" }, health: "ready" });
    expect(c.nodes.map((n) => [n.name, n.gpusUsed])).toEqual([["n", 3]]);
    expect(FleetCluster.parse(c)).toEqual(c);
  });

  it.each([
    [1_000, "ready"],
    [1_001, "unknown"],
    [5_000, "unknown"],
    [5_001, "offline"],
  ] as const)("is %s ms after the last heartbeat: %s", (age, health) => {
    expect(fleetClusterOf(facts({ lastSeenAt: new Date(now.getTime() - age) }), now, thresholds).health).toBe(health);
  });

  it("is unknown with no nodes until the cluster has reported capacity, however recent its hello", () => {
    const c = fleetClusterOf(facts({ capacity: null, lastSeenAt: now }), now, thresholds);
    expect(c.health).toBe("unknown");
    expect(c.nodes).toEqual([]);
    expect(fleetClusterOf(facts({ lastSeenAt: null }), now, thresholds).health).toBe("unknown");
  });
});

describe("gpuTotals", () => {
  it("counts GPUs over grouped nodes and frees only ready, schedulable ones", () => {
    const c = FleetCluster.parse({
      name: "c",
      tier: "onprem",
      nodes: [
        { name: "h", count: 2, gpu: { model: "H100", count: 8, memoryGiB: 80 }, gpusUsed: 2 },
        { name: "a", count: 1, gpu: { model: "A100", count: 4, memoryGiB: 40 }, ready: false },
        { name: "l", count: 3, gpu: { model: "L4", count: 1, memoryGiB: 24 }, schedulable: false },
        { name: "cpu", count: 4 },
      ],
    });
    expect(gpuTotals(c)).toEqual({ total: 23, free: 12, models: ["A100", "H100", "L4"] });
  });

  it("never counts an over-used node as negative free capacity", () => {
    const c = FleetCluster.parse({
      name: "c",
      tier: "onprem",
      nodes: [
        { name: "x", gpu: { model: "A100", count: 4, memoryGiB: 40 }, gpusUsed: 6 },
        { name: "y", gpu: { model: "A100", count: 4, memoryGiB: 40 } },
      ],
    });
    expect(gpuTotals(c)).toEqual({ total: 8, free: 4, models: ["A100"] });
  });
});
