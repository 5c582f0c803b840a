import { z } from "zod";
import { ClusterDescription, NodeGroup } from "../schemas/cluster.ts";
import { Placement } from "../schemas/placement.ts";
import { PlacementStatus } from "../schemas/status.ts";
import { PROTOCOL_VERSION } from "./version.ts";

const envelope = {
  protocol: z.literal(PROTOCOL_VERSION),
  cluster: z.string().min(1),
  sentAt: z.string(),
};

/** Per-node facts as the agent observes them. `count` is 1 unless identical nodes are grouped. */
export const NodeReport = NodeGroup;
export type NodeReport = z.infer<typeof NodeReport>;

export const CapacityReport = z.object({
  nodes: z.array(NodeReport),
  /** Workload generations the report already accounts for (lets the hub release reservations). */
  accountedWorkloads: z.array(z.object({ workload: z.string(), generation: z.number().int() })).default([]),
});
export type CapacityReport = z.infer<typeof CapacityReport>;

export const HelloMessage = z.object({
  ...envelope,
  kind: z.literal("hello"),
  agentId: z.string().min(1),
  agentVersion: z.string(),
  driver: z.string(),
  description: ClusterDescription,
});
export type HelloMessage = z.infer<typeof HelloMessage>;

export const HeartbeatMessage = z.object({
  ...envelope,
  kind: z.literal("heartbeat"),
  agentId: z.string().min(1),
  seq: z.number().int().nonnegative(),
  capacity: CapacityReport,
});
export type HeartbeatMessage = z.infer<typeof HeartbeatMessage>;

export const StatusMessage = z.object({
  ...envelope,
  kind: z.literal("status"),
  statuses: z.array(PlacementStatus),
});
export type StatusMessage = z.infer<typeof StatusMessage>;

export const SyncRequest = z.object({
  ...envelope,
  kind: z.literal("sync"),
  agentId: z.string().min(1),
});
export type SyncRequest = z.infer<typeof SyncRequest>;

/**
 * The full desired state of one cluster. Sent on every change and in reply to a sync request:
 * the agent converges on it (level-triggered), so a lost message costs only latency.
 * `revision` grows with every change, so an agent drops a stale message that arrives late.
 */
export const DesiredState = z.object({
  ...envelope,
  kind: z.literal("desired"),
  revision: z.number().int().nonnegative(),
  placements: z.array(Placement),
});
export type DesiredState = z.infer<typeof DesiredState>;

/** Stamp the envelope fields every message carries. */
export const envelopeFor = (cluster: string, now: Date) => ({
  protocol: PROTOCOL_VERSION,
  cluster,
  sentAt: now.toISOString(),
});
