import { describe, expect, it } from "vitest";
import { HeartbeatMessage } from "../protocol/messages.ts";
import { PROTOCOL_VERSION } from "../protocol/version.ts";
import { Fleet } from "./fleet.ts";
import { Placement } from "./placement.ts";
import { PlacementStatus } from "./status.ts";

describe("fleet schemas", () => {
  it("defaults a node group to one ready, schedulable node with nothing used", () => {
    const fleet = Fleet.parse({ clusters: [{ name: "c1", tier: "cloud", nodes: [{ name: "n" }] }] });
    const c = fleet.clusters[0];
    expect(c).toMatchObject({
      provider: "",
      region: "",
      labels: {},
      taints: [],
      pricing: { gpuHour: {}, spotGpuHour: {}, egressPerGB: 0 },
      health: "ready",
    });
    expect(c?.nodes[0]).toEqual({
      name: "n",
      count: 1,
      gpusUsed: 0,
      cpu: 0,
      cpuUsed: 0,
      memoryGiB: 0,
      memoryUsedGiB: 0,
      ready: true,
      schedulable: true,
      labels: {},
    });
    expect(fleet.datasets).toEqual([]);
    expect(fleet.reservations).toEqual([]);
  });

  it("defaults a taint to NoSchedule with an empty value", () => {
    const fleet = Fleet.parse({ clusters: [{ name: "c1", tier: "edge", taints: [{ key: "edge" }] }] });
    expect(fleet.clusters[0]?.taints).toEqual([{ key: "edge", value: "", effect: "NoSchedule" }]);
  });

  it("names the field of an unknown tier and of a negative price", () => {
    const r = Fleet.safeParse({ clusters: [{ name: "c1", tier: "moon", pricing: { gpuHour: { H100: -1 } } }] });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join(".")).sort()).toEqual([
      "clusters.0.pricing.gpuHour.H100",
      "clusters.0.tier",
    ]);
  });

  it("refuses a cluster name that cannot be a subject token", () => {
    const r = Fleet.safeParse({ clusters: [{ name: "eu.west", tier: "cloud" }] });
    expect(r.error?.issues.map((i) => i.path.join("."))).toEqual(["clusters.0.name"]);
  });
});

describe("placement and status schemas", () => {
  it("requires a positive generation on a placement", () => {
    const r = Placement.safeParse({
      uid: "u",
      workload: "w",
      tenant: "t",
      cluster: "c",
      replicas: 1,
      generation: 0,
      decisionId: "d",
      spec: { type: "job" },
    });
    expect(r.error?.issues.map((i) => i.path.join("."))).toEqual(["generation"]);
  });

  it("defaults a status's ready replicas, message and events", () => {
    const s = PlacementStatus.parse({
      uid: "u",
      tenant: "t",
      workload: "w",
      generation: 1,
      phase: "Pending",
      replicas: 2,
    });
    expect(s).toEqual({
      uid: "u",
      tenant: "t",
      workload: "w",
      generation: 1,
      phase: "Pending",
      replicas: 2,
      readyReplicas: 0,
      message: "",
      events: [],
    });
  });

  it("rejects a heartbeat of another protocol version", () => {
    const hb = {
      cluster: "c",
      sentAt: "2026-12-01T00:00:00Z",
      kind: "heartbeat",
      agentId: "a",
      seq: 0,
      capacity: { nodes: [] },
    };
    expect(HeartbeatMessage.parse({ ...hb, protocol: PROTOCOL_VERSION }).capacity.accountedWorkloads).toEqual([]);
    const r = HeartbeatMessage.safeParse({ ...hb, protocol: PROTOCOL_VERSION + 1 });
    expect(r.error?.issues.map((i) => i.path.join("."))).toEqual(["protocol"]);
  });
});
