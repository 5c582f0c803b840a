import {
  type CapacityReport,
  HARD_TAINT_EFFECTS,
  type NodeReport,
  type Taint,
  TaintEffect,
  type Toleration,
  untoleratedTaints,
} from "@gantry/shared";
import { modelName, type NodeGpu, nodeGpu, UNKNOWN_PRODUCT } from "./gpu.ts";
import { factsFromLease, type NodeGpuFacts, nodeOfLease } from "./node-facts.ts";
import { type PodFacts, podFacts } from "./pod-usage.ts";
import { GIB, parseQuantity, round2 } from "./quantity.ts";
import type { ReflectorSink } from "./reflector.ts";
import { KubeLease, KubeNode, ObjectMeta } from "./schemas.ts";

/** Per node, only the numbers a capacity report needs; never the Node object. */
interface NodeEntry {
  gpu: NodeGpu | undefined;
  cpu: number;
  memoryBytes: number;
  ready: boolean;
  schedulable: boolean;
  labels: Record<string, string>;
  epoch: number;
}

/** Per pod, what it takes from its node. */
interface PodEntry {
  node: string;
  gpus: number;
  cpu: number;
  memoryBytes: number;
  workload: string | undefined;
  epoch: number;
}

interface Usage {
  gpus: number;
  cpu: number;
  memoryBytes: number;
}

export interface InventoryOptions {
  /** Milliseconds since the epoch: per-node facts lapse with their Lease. */
  now: () => number;
  reportLabels: readonly string[];
  /** Node taint keys Gantry's pods tolerate whatever their value and effect (the GPU operator's). */
  toleratedTaintKeys: readonly string[];
  /** The cluster description's taints: workloads placed here tolerate them, so a node with one is still usable. */
  clusterTaints: readonly Taint[];
  /** Short model names the cluster's prices use (`A100`), for naming GPUs. */
  knownModels: readonly string[];
}

const TERMINAL = new Set(["Succeeded", "Failed"]);
const WORKLOAD_LABEL = "gantry.dev/workload";

/**
 * What a node's taints must be tolerated by for the node to count: `Exists` for each tolerated key, and `Equal` on
 * key, value and effect for each cluster taint (a node tainted `gpu=other` is not covered by a cluster taint
 * `gpu=reserved`, since workloads here only tolerate the latter).
 */
export const inventoryTolerations = (keys: readonly string[], clusterTaints: readonly Taint[]): Toleration[] => [
  ...keys.map((key): Toleration => ({ key, operator: "Exists" })),
  ...clusterTaints.map((t): Toleration => ({ key: t.key, operator: "Equal", value: t.value, effect: t.effect })),
];

const EFFECTS: ReadonlySet<string> = new Set(TaintEffect.options);
/** A Node's taints as Gantry's type; an effect Kubernetes does not define (none exist today) is left out. */
const taintsOf = (node: KubeNode): Taint[] =>
  (node.spec.taints ?? []).flatMap((t) =>
    EFFECTS.has(t.effect) ? [{ key: t.key, value: t.value ?? "", effect: t.effect as TaintEffect }] : [],
  );

const keyOf = (meta: ObjectMeta): string => `${meta.namespace ?? ""}/${meta.name}`;

/**
 * The cluster's nodes and what running pods take from them, kept current by two reflectors.
 * Usage is aggregated per node as pods come and go, so a capacity report is O(nodes).
 */
export class Inventory {
  private readonly nodes = new Map<string, NodeEntry>();
  private readonly pods = new Map<string, PodEntry>();
  private readonly used = new Map<string, Usage>();
  /** Node names are interned so 50,000 pod entries share ~5,000 strings. */
  private readonly names = new Map<string, string>();
  /** GPU facts the agent pod on each node reported on its Lease (DaemonSet mode), by node name. */
  private readonly facts = new Map<string, { facts: NodeGpuFacts; expiresAt: number; epoch: number }>();
  private nodeEpoch = 0;
  private podEpoch = 0;
  private factsEpoch = 0;

  private readonly tolerations: readonly Toleration[];

  constructor(private readonly options: InventoryOptions) {
    this.tolerations = inventoryTolerations(options.toleratedTaintKeys, options.clusterTaints);
  }

  readonly nodeSink: ReflectorSink = {
    beginSync: () => {
      this.nodeEpoch++;
    },
    upsert: (item) => this.upsertNode(KubeNode.parse(item)),
    remove: (item) => {
      const meta = ObjectMeta.safeParse((item as { metadata?: unknown } | null)?.metadata);
      if (meta.success) this.nodes.delete(meta.data.name);
    },
    endSync: () => {
      for (const [name, entry] of this.nodes) if (entry.epoch !== this.nodeEpoch) this.nodes.delete(name);
    },
  };

  readonly podSink: ReflectorSink = {
    beginSync: () => {
      this.podEpoch++;
    },
    upsert: (item) => {
      const facts = podFacts(item, WORKLOAD_LABEL);
      if (facts) this.upsertPod(facts);
    },
    remove: (item) => {
      const meta = ObjectMeta.safeParse((item as { metadata?: unknown } | null)?.metadata);
      if (meta.success) this.removePod(keyOf(meta.data));
    },
    endSync: () => {
      for (const [key, entry] of this.pods) if (entry.epoch !== this.podEpoch) this.removePod(key);
    },
  };

  readonly factsSink: ReflectorSink = {
    beginSync: () => {
      this.factsEpoch++;
    },
    upsert: (item) => {
      const lease = KubeLease.safeParse(item);
      if (!lease.success) return;
      const entry = factsFromLease(lease.data);
      if (entry) this.facts.set(entry.node, { ...entry, epoch: this.factsEpoch });
      else this.factsSink.remove(item); // a Lease that no longer carries facts withdraws the old ones
    },
    remove: (item) => {
      const meta = ObjectMeta.safeParse((item as { metadata?: unknown } | null)?.metadata);
      const node = meta.success ? nodeOfLease(meta.data.name) : undefined;
      if (node) this.facts.delete(node);
    },
    endSync: () => {
      for (const [node, entry] of this.facts) if (entry.epoch !== this.factsEpoch) this.facts.delete(node);
    },
  };

  /**
   * The node's GPUs: from its labels, with the model and memory its agent pod saw filled in where GPU feature
   * discovery left them out. The count stays the device plugin's: that is what pods can be scheduled on.
   */
  private gpuOf(name: string, entry: NodeEntry): (NodeGpu & { fromFacts: boolean }) | undefined {
    const gpu = entry.gpu;
    if (!gpu) return undefined;
    const reported = this.facts.get(name);
    const unlabelled = gpu.product === UNKNOWN_PRODUCT;
    if (!reported || reported.expiresAt < this.options.now() || (!unlabelled && gpu.memoryGiB > 0)) {
      return { ...gpu, fromFacts: false };
    }
    // MIG slices keep their own model and memory; only a missing product name is filled in for them.
    const mig = gpu.model.includes(" MIG ");
    const model = unlabelled ? modelName(reported.facts.product, this.options.knownModels) : gpu.model;
    return {
      product: unlabelled ? reported.facts.product : gpu.product,
      model: mig ? gpu.model.replace(/^.* MIG /, `${model} MIG `) : model,
      count: gpu.count,
      memoryGiB: mig || gpu.memoryGiB > 0 ? gpu.memoryGiB : round2(reported.facts.memoryMiB / 1024),
      fromFacts: unlabelled,
    };
  }

  private intern(name: string): string {
    const known = this.names.get(name);
    if (known) return known;
    this.names.set(name, name);
    return name;
  }

  private upsertNode(node: KubeNode): void {
    const labels = node.metadata.labels ?? {};
    const kept: Record<string, string> = {};
    for (const key of this.options.reportLabels) {
      const value = labels[key];
      if (value !== undefined) kept[key] = value;
    }
    const ready = (node.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
    const blockingTaint = untoleratedTaints(this.tolerations, taintsOf(node), HARD_TAINT_EFFECTS).length > 0;
    const alloc = node.status.allocatable ?? node.status.capacity;
    this.nodes.set(this.intern(node.metadata.name), {
      gpu: nodeGpu(alloc, labels, this.options.knownModels),
      cpu: parseQuantity(alloc?.cpu),
      memoryBytes: parseQuantity(alloc?.memory),
      ready,
      schedulable: !node.spec.unschedulable && !blockingTaint,
      labels: kept,
      epoch: this.nodeEpoch,
    });
  }

  private upsertPod(pod: PodFacts): void {
    const key = `${pod.namespace}/${pod.name}`;
    const nodeName = pod.nodeName;
    // Pending pods hold nothing yet, and finished pods have released their GPUs.
    if (!nodeName || TERMINAL.has(pod.phase)) {
      this.removePod(key);
      return;
    }
    const req = pod;
    const previous = this.pods.get(key);
    if (previous) this.addUsage(previous.node, previous, -1);
    const entry: PodEntry = {
      node: this.intern(nodeName),
      gpus: req.gpus,
      cpu: req.cpu,
      memoryBytes: req.memoryBytes,
      workload: pod.workload,
      epoch: this.podEpoch,
    };
    this.pods.set(key, entry);
    this.addUsage(entry.node, entry, 1);
  }

  private removePod(key: string): void {
    const previous = this.pods.get(key);
    if (!previous) return;
    this.addUsage(previous.node, previous, -1);
    this.pods.delete(key);
  }

  private addUsage(node: string, u: Usage, sign: 1 | -1): void {
    const total = this.used.get(node) ?? { gpus: 0, cpu: 0, memoryBytes: 0 };
    total.gpus += sign * u.gpus;
    total.cpu += sign * u.cpu;
    total.memoryBytes += sign * u.memoryBytes;
    if (total.gpus <= 0 && total.cpu <= 1e-9 && total.memoryBytes <= 0) this.used.delete(node);
    else this.used.set(node, total);
  }

  /** Raw GPU product labels seen for a short model name, for node selectors. */
  productsFor(model: string): string[] {
    const out = new Set<string>();
    for (const [name, entry] of this.nodes) {
      const gpu = this.gpuOf(name, entry);
      if (gpu?.model === model && !gpu.fromFacts) out.add(gpu.product);
    }
    return [...out].sort();
  }

  /** Nodes of a model known only from their agent pod's facts (no product label to select on), by name. */
  nodesFor(model: string): string[] {
    const out: string[] = [];
    for (const [name, entry] of this.nodes) {
      const gpu = this.gpuOf(name, entry);
      if (gpu?.model === model && gpu.fromFacts) out.push(name);
    }
    return out.sort();
  }

  /** Workloads with at least one pod holding resources now. */
  workloadsWithPods(): Set<string> {
    const out = new Set<string>();
    for (const pod of this.pods.values()) if (pod.workload) out.add(pod.workload);
    return out;
  }

  get size(): { nodes: number; pods: number } {
    return { nodes: this.nodes.size, pods: this.pods.size };
  }

  /** One NodeReport per node, in name order so reports are stable. */
  report(): CapacityReport["nodes"] {
    const out: NodeReport[] = [];
    const names = [...this.nodes.keys()].sort();
    for (const name of names) {
      const n = this.nodes.get(name);
      if (!n) continue;
      const u = this.used.get(name) ?? { gpus: 0, cpu: 0, memoryBytes: 0 };
      const gpu = this.gpuOf(name, n);
      out.push({
        name,
        count: 1,
        ...(gpu ? { gpu: { model: gpu.model, count: gpu.count, memoryGiB: gpu.memoryGiB } } : {}),
        gpusUsed: Math.max(0, Math.min(u.gpus, gpu?.count ?? u.gpus)),
        cpu: round2(n.cpu),
        cpuUsed: round2(Math.max(0, u.cpu)),
        memoryGiB: round2(n.memoryBytes / GIB),
        memoryUsedGiB: round2(Math.max(0, u.memoryBytes) / GIB),
        ready: n.ready,
        schedulable: n.schedulable,
        labels: { ...n.labels },
      });
    }
    return out;
  }
}
