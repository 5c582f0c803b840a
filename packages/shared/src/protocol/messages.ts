import { z } from "zod";
import { ClusterDescription, NodeGroup } from "../schemas/cluster.ts";
import { DatasetCopy } from "../schemas/dataset.ts";
import { Placement } from "../schemas/placement.ts";
import { ServingSignal } from "../schemas/serving.ts";
import { PlacementStatus } from "../schemas/status.ts";
import { PROTOCOL_VERSION } from "./version.ts";

/**
 * Every agent message names its cluster, its agent and a sequence number. The hub takes the cluster from the subject
 * the server let the agent publish on, never from the body: a body naming another cluster, an agent other than the
 * one that said hello, or a sequence number that does not grow is dropped and counted.
 */
const agentEnvelope = {
  protocol: z.literal(PROTOCOL_VERSION),
  cluster: z.string().min(1).max(63),
  sentAt: z.iso.datetime({ offset: true }),
  /** One agent process (a restart is a new id); its hello starts a session. */
  agentId: z.string().min(1).max(128),
  /** Grows with every message the agent sends, across kinds and restarts (it starts from the clock). */
  seq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
};

/** Per-node facts as the agent observes them. `count` is 1 unless identical nodes are grouped. */
export const NodeReport = NodeGroup;
export type NodeReport = z.infer<typeof NodeReport>;

export const AccountedWorkload = z.strictObject({
  uid: z.string().min(1).max(64),
  generation: z.number().int().nonnegative().max(2_147_483_647),
});

export const CapacityReport = z.strictObject({
  nodes: z.array(NodeReport).max(100_000),
  /** Workload generations the report already accounts for (lets the hub release reservations). */
  accountedWorkloads: z.array(AccountedWorkload).max(100_000).default([]),
  /** Dataset copies in the cluster (staging or ready): ready ones are locations later decisions see. */
  datasets: z.array(DatasetCopy).max(10_000).default([]),
});
export type CapacityReport = z.infer<typeof CapacityReport>;

export const HelloMessage = z.strictObject({
  ...agentEnvelope,
  kind: z.literal("hello"),
  agentVersion: z.string().max(64),
  driver: z.string().max(64),
  description: ClusterDescription,
});
export type HelloMessage = z.infer<typeof HelloMessage>;

/** Sent as a request: the leading hub answers with a `HeartbeatAck`, which renews the agent's lease. */
export const HeartbeatMessage = z.strictObject({
  ...agentEnvelope,
  kind: z.literal("heartbeat"),
  /** The desired-state revision the agent holds (-1: none yet). */
  revision: z.number().int().min(-1).max(Number.MAX_SAFE_INTEGER).default(-1),
  capacity: CapacityReport,
});
export type HeartbeatMessage = z.infer<typeof HeartbeatMessage>;

/**
 * The hub's answer to a heartbeat. The agent may act on its own for `leaseSeconds` from when it *sent* the
 * heartbeat; past that, with no newer ack, it stops the workloads whose partition policy is `stop` (fencing).
 */
export const HeartbeatAck = z.strictObject({
  protocol: z.literal(PROTOCOL_VERSION),
  kind: z.literal("ack"),
  leaseSeconds: z.number().positive().max(86_400),
  /** The cluster's current desired-state revision: an agent behind it asks for the full state. */
  revision: z.number().int().nonnegative(),
  /** Set when the hub does not know this cluster as registered: the agent gets no work. */
  registered: z.boolean(),
});
export type HeartbeatAck = z.infer<typeof HeartbeatAck>;

export const StatusMessage = z.strictObject({
  ...agentEnvelope,
  kind: z.literal("status"),
  /** A full report lists every placement the agent has; the hub notices one that went missing. */
  full: z.boolean().default(false),
  /** The desired-state revision the agent had converged on when it reported (-1: none). */
  revision: z.number().int().min(-1).max(Number.MAX_SAFE_INTEGER).default(-1),
  statuses: z.array(PlacementStatus).max(10_000),
});
export type StatusMessage = z.infer<typeof StatusMessage>;

export const SyncRequest = z.strictObject({
  ...agentEnvelope,
  kind: z.literal("sync"),
  /** The origin and revision the agent holds (-1: none): equal ones get a short "unchanged" answer. */
  origin: z.string().max(64).optional(),
  revision: z.number().int().min(-1).max(Number.MAX_SAFE_INTEGER).default(-1),
});
export type SyncRequest = z.infer<typeof SyncRequest>;

/** Load and latency of the cluster's services, for the autoscaler. */
export const SignalsMessage = z.strictObject({
  ...agentEnvelope,
  kind: z.literal("signals"),
  signals: z.array(ServingSignal).max(10_000),
});
export type SignalsMessage = z.infer<typeof SignalsMessage>;

/**
 * The full desired state of one cluster. Sent on every change and in reply to a sync request: the agent converges
 * on it (level-triggered), so a lost message costs only latency. `revision` grows with every change; an agent drops
 * a message whose revision is older than what it holds. `unchanged` answers a sync whose revision is current.
 */
export const DesiredState = z.strictObject({
  protocol: z.literal(PROTOCOL_VERSION),
  cluster: z.string().min(1).max(63),
  sentAt: z.iso.datetime({ offset: true }),
  kind: z.literal("desired"),
  /**
   * Which incarnation of the cluster's registration the revisions count in (a cluster removed and registered again,
   * or a hub on a new database, starts again from revision 0): a new origin is accepted whatever its revision.
   */
  origin: z.string().min(1).max(64),
  revision: z.number().int().nonnegative(),
  /** How long the agent may keep `stop` workloads running without a heartbeat ack (see HeartbeatAck). */
  fenceAfterSeconds: z.number().positive().max(86_400),
  unchanged: z.boolean().default(false),
  placements: z.array(Placement),
});
export type DesiredState = z.infer<typeof DesiredState>;
export type DesiredStateInput = z.input<typeof DesiredState>;

/** Stamp the envelope fields every agent message carries. */
export const envelopeFor = (cluster: string, agentId: string, seq: number, now: Date) => ({
  protocol: PROTOCOL_VERSION,
  cluster,
  sentAt: now.toISOString(),
  agentId,
  seq,
});
