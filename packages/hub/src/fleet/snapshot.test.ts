import { FleetCluster, NodeGroup } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import type { ClusterRow } from "../store/index.ts";
import { buildSnapshot, fleetClusterOf, gpuTotals } from "./snapshot.ts";

const thresholds = { unknownAfterMs: 1_000, offlineAfterMs: 5_000 };
const now = new Date("2026-01-01T00:00:10Z");

const aRow = (over: Partial<ClusterRow> = {}): ClusterRow => ({
  name: "c1",
  description: {
    name: "c1",
    tier: "cloud",
    provider: "",
    region: "r",
    zone: "",
    labels: {},
    taints: [],
    pricing: { gpuHour: {}, spotGpuHour: {}, egressPerGB: 0 },
  },
  agentId: "a",
  driver: "simulated",
  agentVersion: "0.1.0",
  capacity: {
    nodes: [NodeGroup.parse({ name: "n", gpu: { model: "A100", count: 8, memoryGiB: 80 }, gpusUsed: 3 })],
    accountedWorkloads: [],
  },
  lastSeenAt: new Date(now.getTime() - 500),
  revision: 0,
  createdAt: now,
  ...over,
});

describe("fleetClusterOf", () => {
  it("joins description, reported nodes and health computed from the last heartbeat", () => {
    const c = fleetClusterOf(aRow(), now, thresholds);
    expect(c).toMatchObject({ name: "c1", tier: "cloud", region: "r", health: "ready" });
    expect(c.nodes.map((n) => [n.name, n.gpusUsed])).toEqual([["n", 3]]);
    expect(fleetClusterOf(aRow({ lastSeenAt: new Date(now.getTime() - 60_000) }), now, thresholds).health).toBe(
      "offline",
    );
  });

  it("is unknown with no nodes until the cluster has reported capacity, however recent its hello", () => {
    const c = fleetClusterOf(aRow({ capacity: null, lastSeenAt: now }), now, thresholds);
    expect(c.health).toBe("unknown");
    expect(c.nodes).toEqual([]);
  });
});

describe("buildSnapshot", () => {
  it("carries clusters, datasets and reservations as given", () => {
    const reservations = [{ workload: "w", cluster: "c1", nodes: [{ node: "n", gpus: 2, cpu: 0, memoryGiB: 0 }] }];
    const datasets = [{ name: "d", sizeGB: 1, locations: ["c1"] }];
    const s = buildSnapshot({ clusters: [aRow(), aRow({ name: "c2" })], datasets, reservations, now, thresholds });
    expect(s.clusters).toHaveLength(2);
    expect(s.datasets).toBe(datasets);
    expect(s.reservations).toBe(reservations);
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
