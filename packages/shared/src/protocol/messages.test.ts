import { describe, expect, it } from "vitest";
import { ClusterDescription } from "../schemas/cluster.ts";
import {
  CapacityReport,
  DesiredState,
  envelopeFor,
  HeartbeatAck,
  HeartbeatMessage,
  HelloMessage,
  StatusMessage,
  SyncRequest,
} from "./messages.ts";

const AT = new Date("2026-12-01T10:20:30.456Z");
const envelope = envelopeFor("eu-1", "agent-7", 1_764_584_430_456_000, AT);

describe("envelopeFor", () => {
  it("stamps the protocol, the cluster, the agent, the sequence number and the send time", () => {
    expect(envelope).toEqual({
      protocol: 2,
      cluster: "eu-1",
      sentAt: "2026-12-01T10:20:30.456Z",
      agentId: "agent-7",
      seq: 1_764_584_430_456_000,
    });
  });
});

describe("agent messages", () => {
  const description = ClusterDescription.parse({ name: "eu-1", tier: "cloud" });
  const hello = { ...envelope, kind: "hello", agentVersion: "0.2.0", driver: "simulated", description };

  it("accept a message stamped by envelopeFor", () => {
    expect(HelloMessage.safeParse(hello).success).toBe(true);
  });

  it.each<[string, Record<string, unknown>]>([
    ["another protocol version", { protocol: 1 }],
    ["an empty cluster", { cluster: "" }],
    ["a cluster longer than a subject token may be", { cluster: "c".repeat(64) }],
    ["an empty agent id", { agentId: "" }],
    ["a negative sequence number", { seq: -1 }],
    ["a fractional sequence number", { seq: 1.5 }],
    ["a sequence number past what a double holds exactly", { seq: Number.MAX_SAFE_INTEGER + 1 }],
    ["a send time that is no ISO time", { sentAt: "yesterday" }],
    ["a field the protocol does not have", { extra: true }],
  ])("refuse %s", (_what, change) => {
    expect(HelloMessage.safeParse({ ...hello, ...change }).success).toBe(false);
  });

  it("take a send time with an offset", () => {
    expect(HelloMessage.safeParse({ ...hello, sentAt: "2026-12-01T12:20:30+02:00" }).success).toBe(true);
  });

  it("default a heartbeat's revision to -1 (none yet) and a report's accounted workloads and datasets to none", () => {
    const hb = HeartbeatMessage.parse({ ...envelope, kind: "heartbeat", capacity: { nodes: [] } });
    expect(hb.revision).toBe(-1);
    expect(hb.capacity).toEqual({ nodes: [], accountedWorkloads: [], datasets: [] });
    expect(HeartbeatMessage.safeParse({ ...hb, revision: -2 }).success).toBe(false);
  });

  it("default a status report to partial at revision -1, and a sync request to revision -1", () => {
    const status = StatusMessage.parse({ ...envelope, kind: "status", statuses: [] });
    expect([status.full, status.revision]).toEqual([false, -1]);
    expect(SyncRequest.parse({ ...envelope, kind: "sync" }).revision).toBe(-1);
  });

  it("refuse an accounted workload with a negative or fractional generation", () => {
    for (const generation of [-1, 0.5]) {
      expect(CapacityReport.safeParse({ nodes: [], accountedWorkloads: [{ uid: "u", generation }] }).success).toBe(
        false,
      );
    }
  });
});

describe("hub messages", () => {
  const ack = { protocol: 2, kind: "ack", leaseSeconds: 30, revision: 0, registered: true };
  const desired = {
    protocol: 2,
    cluster: "eu-1",
    sentAt: AT.toISOString(),
    kind: "desired",
    origin: "o-1",
    revision: 3,
    fenceAfterSeconds: 60,
    placements: [],
  };

  it("bound a heartbeat ack's lease to more than 0 s and at most a day", () => {
    expect(HeartbeatAck.safeParse(ack).success).toBe(true);
    expect(HeartbeatAck.safeParse({ ...ack, leaseSeconds: 86_400 }).success).toBe(true);
    expect(HeartbeatAck.safeParse({ ...ack, leaseSeconds: 86_401 }).success).toBe(false);
    expect(HeartbeatAck.safeParse({ ...ack, leaseSeconds: 0 }).success).toBe(false);
  });

  it("read a desired state as changed unless it says otherwise, and need an origin", () => {
    expect(DesiredState.parse(desired).unchanged).toBe(false);
    expect(DesiredState.safeParse({ ...desired, origin: "" }).success).toBe(false);
    expect(DesiredState.safeParse({ ...desired, fenceAfterSeconds: 0 }).success).toBe(false);
    expect(DesiredState.safeParse({ ...desired, revision: -1 }).success).toBe(false);
  });
});
