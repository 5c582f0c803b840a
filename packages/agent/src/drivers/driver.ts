import type { CapacityReport, ClusterDescription, Placement, PlacementStatus, ServingSignal } from "@gantry/shared";

/**
 * What the agent needs from a cluster. The simulated and Kubernetes drivers implement it and run
 * the same contract suite (`driver.contract.ts`).
 */
export interface ClusterDriver {
  /** Short name for logs and the hello message: `simulated`, `kubernetes`. */
  readonly kind: string;
  /** Connect, list and start watching. Resolves once the first inventory is known. */
  start(): Promise<void>;
  /** Stop watches and timers. */
  close(): Promise<void>;
  /** Cluster identity, tier and prices. */
  describe(): ClusterDescription;
  /** Per-node capacity now. */
  capacity(): CapacityReport;
  /**
   * Converge the cluster on `desired`: create or update what is listed, delete what Gantry owns
   * and is not listed. Never touches objects Gantry does not own.
   */
  reconcile(desired: readonly Placement[]): Promise<void>;
  /** Status of every placement Gantry owns in this cluster. */
  statuses(): Promise<PlacementStatus[]>;
  /**
   * Per service in this cluster: load, latency and readiness over the last window, for the hub's autoscaler.
   * Optional: a driver that cannot observe serving reports nothing and its services scale on replica counts only.
   */
  servingSignals?(): Promise<ServingSignal[]>;
  /**
   * One replica's log lines: the last `tailLines` (all when absent), then, with `follow`, new lines as they are
   * written until the replica ends or `signal` aborts. Optional: a driver without logs makes the agent answer so.
   * Throws a `LogsUnavailable` when this cluster has no such placement or replica.
   */
  logs?(request: LogsQuery): AsyncIterable<string[]>;
  /** Called when something changed that the hub should hear about soon (capacity or status). */
  onChange(listener: () => void): void;
  /**
   * Present when several agent replicas serve one cluster (DaemonSet mode): only the leader sends
   * the cluster's heartbeats and applies placements.
   */
  readonly leadership?: Leadership;
}

export interface Leadership {
  isLeader(): boolean;
  onChange(listener: (leader: boolean) => void): void;
}

export interface LogsQuery {
  uid: string;
  replica: number;
  follow: boolean;
  tailLines?: number | undefined;
  signal: AbortSignal;
}

/** A logs request this cluster cannot answer (no such placement or replica here); the message says which. */
export class LogsUnavailable extends Error {
  readonly code = "logs_unavailable";
  constructor(message: string) {
    super(message);
    this.name = "LogsUnavailable";
  }
}
