import {
  type CapacityReport,
  type ClusterDescription,
  type Placement,
  type PlacementStatus,
  placementKey,
  type ServingSignal,
} from "@gantry/shared";
import type { ClusterDriver } from "../driver.ts";
import { Applier } from "./apply.ts";
import { createKubeHttp, type KubeHttp } from "./http.ts";
import { Inventory } from "./inventory.ts";
import { KindRegistry } from "./kinds.ts";
import { loadKubeConnection } from "./kubeconfig.ts";
import { LeaseElector } from "./leader.ts";
import { NODE_FACTS_LABEL, NodeFactsReporter, readNvidiaSmi } from "./node-facts.ts";
import {
  DEFAULT_FIELD_MANAGER,
  DEFAULT_REPORT_LABELS,
  DEFAULT_TOLERATED_TAINTS,
  type KubernetesDriverOptions,
} from "./options.ts";
import { DEFAULT_RECREATE_TIMING } from "./recreate.ts";
import { createReflector, type ReflectorStats } from "./reflector.ts";
import { DEFAULT_SERVING, ServingObserver } from "./serving.ts";
import { collectStatuses } from "./status.ts";

/** The Kubernetes driver: a ClusterDriver plus counters tests and benchmarks read. */
export interface KubernetesDriver extends ClusterDriver {
  readonly kind: "kubernetes";
  servingSignals(): Promise<ServingSignal[]>;
  readonly stats: { nodes: ReflectorStats; pods: ReflectorStats; inventory: () => { nodes: number; pods: number } };
}

/** Coalesce change notifications: a busy cluster emits thousands of pod events a minute. */
const NOTIFY_DELAY_MS = 100;

/** Build a driver that inventories a Kubernetes cluster and applies placements to it. */
export const createKubernetesDriver = (options: KubernetesDriverOptions): KubernetesDriver => {
  const logger = options.logger;
  const now = options.now ?? Date.now;
  const { kubeConfig, kubeconfigPath } = options;
  const http: KubeHttp = createKubeHttp(() =>
    kubeConfig ? Promise.resolve(kubeConfig) : loadKubeConnection(kubeconfigPath),
  );
  const cluster: ClusterDescription = options.cluster;
  const pageSize = options.pageSize ?? 500;
  const knownModels = [
    ...new Set([...Object.keys(cluster.pricing.gpuHour), ...Object.keys(cluster.pricing.spotGpuHour)]),
  ];
  const inventory = new Inventory({
    now,
    reportLabels: options.reportLabels ?? DEFAULT_REPORT_LABELS,
    toleratedTaintKeys: options.toleratedTaintKeys ?? DEFAULT_TOLERATED_TAINTS,
    // Cluster-level taints are known to the hub (workloads tolerate them explicitly), so a node carrying one
    // exactly is not unschedulable in the report.
    clusterTaints: cluster.taints,
    knownModels,
  });

  const listeners: (() => void)[] = [];
  let notifyTimer: NodeJS.Timeout | undefined;
  const changed = (): void => {
    if (notifyTimer) return;
    notifyTimer = setTimeout(() => {
      notifyTimer = undefined;
      for (const l of listeners) l();
    }, NOTIFY_DELAY_MS);
  };

  const reflectorOptions = {
    http,
    logger,
    pageSize,
    watchTimeoutSeconds: options.watchTimeoutSeconds ?? 300,
    retryDelayMs: options.retryDelayMs ?? 1000,
    onChange: changed,
  };
  const nodes = createReflector({ ...reflectorOptions, path: "/api/v1/nodes", sink: inventory.nodeSink });
  const pods = createReflector({ ...reflectorOptions, path: "/api/v1/pods", sink: inventory.podSink });
  const le = options.leaderElection;
  // DaemonSet mode: the per-node Leases the agent pods keep (node-facts.ts), watched like nodes and pods.
  const facts = le
    ? createReflector({
        ...reflectorOptions,
        path: `/apis/coordination.k8s.io/v1/namespaces/${le.namespace}/leases`,
        labelSelector: `${NODE_FACTS_LABEL}=true`,
        sink: inventory.factsSink,
      })
    : undefined;
  const reporter =
    le?.nodeName !== undefined
      ? new NodeFactsReporter({
          http,
          namespace: le.namespace,
          node: le.nodeName,
          identity: le.identity,
          intervalMs: le.nodeFacts?.intervalMs ?? 30_000,
          now,
          logger,
          read: le.nodeFacts?.read ?? (() => readNvidiaSmi()),
        })
      : undefined;

  const kinds = new KindRegistry(http, now);
  const template = options.namespaces?.template ?? "gantry-{tenant}";
  const applier = new Applier({
    http,
    kinds,
    inventory,
    logger,
    fieldManager: options.fieldManager ?? DEFAULT_FIELD_MANAGER,
    namespaceFor: (tenant) => template.replaceAll("{tenant}", tenant),
    createNamespaces: options.namespaces?.create ?? false,
    pageSize,
    recreate: { ...DEFAULT_RECREATE_TIMING, ...options.recreate },
    now,
    routing: options.routing,
  });

  const servingOptions = options.serving;
  const serving = new ServingObserver({
    http,
    fetch: options.fetch ?? ((url, init) => fetch(url, init)),
    logger,
    now,
    pageSize,
    namespaceFor: (tenant) => template.replaceAll("{tenant}", tenant),
    desired: () => applier.state.desired.values(),
    appliedGeneration: (workload) => applier.state.applied.get(workload),
    config: {
      metrics: { ...DEFAULT_SERVING.metrics, ...servingOptions?.metrics },
      ...(servingOptions?.prometheus
        ? {
            prometheus: {
              url: servingOptions.prometheus.url,
              windowSeconds: servingOptions.prometheus.windowSeconds ?? 60,
              queries: servingOptions.prometheus.queries ?? {},
            },
          }
        : {}),
    },
  });

  const elector = le
    ? new LeaseElector({
        http,
        namespace: le.namespace,
        name: le.leaseName ?? "gantry-agent-leader",
        identity: le.identity,
        leaseDurationSeconds: le.leaseDurationSeconds ?? 15,
        renewIntervalMs: le.renewIntervalMs ?? 5000,
        now,
        logger,
      })
    : undefined;

  // Reconciles run one at a time; a call made while one runs waits for it and then converges on the
  // newest desired set (level-triggered: intermediate sets do not matter).
  let queue: Promise<void> = Promise.resolve();
  let latest: readonly Placement[] = [];
  let version = 0;

  return {
    kind: "kubernetes",
    ...(elector ? { leadership: elector } : {}),
    stats: { nodes: nodes.stats, pods: pods.stats, inventory: () => inventory.size },
    async start() {
      await reporter?.start();
      await Promise.all([nodes.start(), pods.start(), facts?.start()]);
      await elector?.start();
      logger.info({ cluster: cluster.name, ...inventory.size }, "kubernetes inventory synced");
    },
    async close() {
      if (notifyTimer) clearTimeout(notifyTimer);
      await Promise.all([nodes.close(), pods.close(), facts?.close(), reporter?.close()]);
      await elector?.close({ release: true });
      await queue.catch(() => undefined);
    },
    describe: () => cluster,
    capacity(): CapacityReport {
      const withPods = inventory.workloadsWithPods();
      const accountedWorkloads = [...applier.state.desired.values()]
        .filter((p) => withPods.has(placementKey(p)))
        .map((p) => ({ uid: p.uid, generation: p.generation }));
      return { nodes: inventory.report(), accountedWorkloads, datasets: [] };
    },
    reconcile(desired) {
      latest = desired;
      const mine = ++version;
      queue = queue
        .catch(() => undefined)
        .then(async () => {
          if (mine !== version) return; // a newer call will converge on a newer set
          await applier.reconcile(latest);
          changed();
        });
      return queue;
    },
    servingSignals(): Promise<ServingSignal[]> {
      return serving.signals();
    },
    statuses(): Promise<PlacementStatus[]> {
      return collectStatuses(http, kinds, applier.state, pageSize, logger);
    },
    onChange(listener) {
      listeners.push(listener);
    },
  };
};
