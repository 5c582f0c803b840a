import type { ClusterDescription } from "@gantry/shared";

import type { AgentLogger } from "../../logger.ts";
import type { KubeConnection } from "./kubeconfig.ts";
import type { NodeGpuFacts } from "./node-facts.ts";

/** The agent's logger shape (pino satisfies it); the driver logs through whatever the agent passes. */
export type DriverLogger = AgentLogger;

/** Where each tenant's objects go, and whether the agent may create that namespace. */
export interface NamespacePolicy {
  /** `{tenant}` is replaced by the tenant's name. Default `gantry-{tenant}`. */
  template?: string;
  /** Create the namespace when it is missing (needs `namespaces: create` in the ClusterRole). Default false. */
  create?: boolean;
}

/** DaemonSet mode: one agent pod per node, one leader per cluster via a coordination.k8s.io Lease. */
export interface LeaderElectionOptions {
  /** Namespace the agent runs in; holds the leader Lease and the per-node Leases. */
  namespace: string;
  /** This pod's identity in the Lease (the pod name is a good one). */
  identity: string;
  /** The node this pod runs on (`NODE_NAME` from the downward API); names its per-node Lease. */
  nodeName?: string;
  /** Default `gantry-agent-leader`. */
  leaseName?: string;
  /** Default 15. */
  leaseDurationSeconds?: number;
  /** Default 5000. */
  renewIntervalMs?: number;
  /**
   * With `nodeName`: how this pod learns its node's GPUs for its per-node Lease (default: nvidia-smi), and how
   * often it renews that Lease (default 30000 ms; it lapses after three missed renewals).
   */
  nodeFacts?: { read?: () => Promise<NodeGpuFacts | undefined>; intervalMs?: number };
}

/** Options of `createKubernetesDriver`. */
export interface KubernetesDriverOptions {
  /**
   * A loaded `KubeConfig` from @kubernetes/client-node (or anything of that shape); wins over
   * `kubeconfigPath`. Neither: in-cluster service account, else $KUBECONFIG or ~/.kube/config.
   */
  kubeConfig?: KubeConnection;
  kubeconfigPath?: string;
  /** Identity, tier, region and prices come from configuration: Kubernetes does not know them. */
  cluster: ClusterDescription;
  logger: DriverLogger;
  /** Server-side apply field manager. Default `gantry-agent`. */
  fieldManager?: string;
  namespaces?: NamespacePolicy;
  /** Present in DaemonSet mode: enables `driver.leadership`. */
  leaderElection?: LeaderElectionOptions;
  /** Node labels copied into capacity reports. Default: region, zone, instance type, GPU product. */
  reportLabels?: readonly string[];
  /** Taint keys that do not make a node unschedulable for Gantry (GPU operator taints). */
  toleratedTaintKeys?: readonly string[];
  /** List page size. Default 500. */
  pageSize?: number;
  /** Default 300. */
  watchTimeoutSeconds?: number;
  /** Default 1000. */
  retryDelayMs?: number;
  /**
   * A placement update the API refuses because immutable fields changed is done by delete-and-recreate (where the
   * workload allows it): how long one reconcile waits for the old object to go (default 20000 ms, polling every
   * 250 ms) before it reports the placement held back and leaves the rest to the next reconcile.
   */
  recreate?: { waitMs?: number; pollMs?: number };
  /** Milliseconds since the epoch; a test can pass its own. Default `Date.now`. */
  now?: () => number;
}

export const DEFAULT_FIELD_MANAGER = "gantry-agent";
export const DEFAULT_REPORT_LABELS = [
  "topology.kubernetes.io/region",
  "topology.kubernetes.io/zone",
  "node.kubernetes.io/instance-type",
  "nvidia.com/gpu.product",
] as const;
export const DEFAULT_TOLERATED_TAINTS = ["nvidia.com/gpu", "amd.com/gpu"] as const;
