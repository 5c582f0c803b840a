import type { ClusterDescription } from "@gantry/shared";

import type { AgentLogger } from "../../logger.ts";
import type { KubeConnection } from "./kubeconfig.ts";
import type { NodeGpuFacts } from "./node-facts.ts";
import type { ServingQueryMetric } from "./promql.ts";
import type { RoutingConfig } from "./routing.ts";
import type { FetchLike } from "./scrape.ts";

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

/**
 * How `servingSignals()` learns each service's load. Default: scrape every ready pod's Prometheus endpoint
 * through the API server's pod proxy (port from the pod's `prometheus.io/port` annotation, else `metrics.port`,
 * else its `metrics` or first container port) and read vLLM's or TGI's series. With `prometheus`, one PromQL
 * query per figure against the cluster's Prometheus instead.
 */
export interface ServingOptions {
  metrics?: {
    port?: number;
    /** Default `/metrics` (a pod's `prometheus.io/path` wins). */
    path?: string;
    /** `proxy` (default) or `direct` to the pod IP, when the agent runs in the pod network. */
    via?: "proxy" | "direct";
    /** Per scrape or query. Default 2000. */
    timeoutMs?: number;
    /** Pods scraped at once. Default 8. */
    concurrency?: number;
  };
  prometheus?: {
    /** Base URL, e.g. `http://prometheus-operated.monitoring:9090`. */
    url: string;
    /** Range of the `rate()` windows, `{window}` in queries. Default 60. */
    windowSeconds?: number;
    /** Per figure, a PromQL template overriding the vLLM default (see promql.ts for the placeholders). */
    queries?: Partial<Record<ServingQueryMetric, string>>;
  };
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
  serving?: ServingOptions;
  /**
   * Routing objects for services: an HTTPRoute to the cluster's Gateway (when gateway.networking.k8s.io/v1 is
   * served and `gateway` is set), an InferencePool of the service's pods (when the Inference Extension is served
   * and `inferencePool` is set). Absent: no routing objects.
   */
  routing?: RoutingConfig;
  /** For direct scrapes and Prometheus queries. Default: the global fetch. */
  fetch?: FetchLike;
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
