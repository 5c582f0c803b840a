import {
  type CapacityReport,
  type FleetCluster,
  type Placement,
  type PlacementStatus,
  placementKey,
} from "@gantry/shared";
import { type ClusterDriver, type LogsQuery, LogsUnavailable } from "../driver.ts";
import { createDataCache } from "./data-cache.ts";
import { simulatedLogLines } from "./logs.ts";
import { expandNodes, largestFreeBlock, pickNode, type ReplicaShape, type SimNode, take } from "./nodes.ts";
import { type SimulatedLoad, servingSignals } from "./serving.ts";

export interface SimulatedDriverOptions {
  cluster: FleetCluster;
  now: () => Date;
  /** Real seconds a simulated hour lasts: jobs declare hours, demos and tests want seconds. */
  secondsPerHour: number;
  /** How often running jobs are checked for completion. */
  tickMs?: number;
  /** Play a load trace against the cluster's services (their serving signals); absent: services report none. */
  load?: SimulatedLoad;
}

export interface Replica {
  node?: SimNode;
  /** Kept after the node is released, for the replica's logs. */
  nodeName?: string;
  startedAt?: number;
  finishedAt?: number;
}

export interface SimWorkload {
  placement: Placement;
  shape: ReplicaShape;
  replicas: Replica[];
  startedAt?: string;
}

const shapeOf = (p: Placement): ReplicaShape => ({
  gpus: p.spec.resources.gpu.count,
  models: p.gpuModel ? [p.gpuModel] : p.spec.resources.gpu.models,
  minMemoryGiB: p.spec.resources.gpu.minMemoryGiB,
  cpu: p.spec.resources.cpu,
  memoryGiB: p.spec.resources.memoryGiB,
});

/**
 * A cluster in memory: applied workloads take GPUs on nodes (best fit, gangs all or nothing),
 * jobs run for their declared duration then succeed, services run until removed.
 */
export const createSimulatedDriver = (options: SimulatedDriverOptions): ClusterDriver => {
  const { cluster, now } = options;
  const { nodes: _nodes, health: _health, ...description } = cluster;
  const nodes = expandNodes(cluster);
  const workloads = new Map<string, SimWorkload>();
  const data = createDataCache({
    secondsPerHour: options.secondsPerHour,
    ...(cluster.cacheGB !== undefined ? { cacheGB: cluster.cacheGB } : {}),
  });
  /** Placements whose data is all in (they may start). */
  const staged = new WeakSet<SimWorkload>();
  const listeners: (() => void)[] = [];
  let timer: NodeJS.Timeout | undefined;

  const changed = () => {
    for (const l of listeners) l();
  };

  const release = (w: SimWorkload) => {
    for (const r of w.replicas) {
      if (r.node && r.finishedAt === undefined) take(r.node, w.shape, -1);
      r.node = undefined;
    }
  };

  const resize = (w: SimWorkload, replicas: number) => {
    while (w.replicas.length < replicas) w.replicas.push({});
    const started = (r: Replica) => r.startedAt ?? Number.MAX_SAFE_INTEGER;
    const order = [...w.replicas].sort((a, b) => started(b) - started(a));
    for (const r of order.slice(0, Math.max(0, w.replicas.length - replicas))) {
      if (r.node && r.finishedAt === undefined) take(r.node, w.shape, -1);
      w.replicas.splice(w.replicas.indexOf(r), 1);
    }
  };

  const durationMs = (w: SimWorkload) => (w.placement.spec.durationHours ?? 1) * options.secondsPerHour * 1000;

  /** Start replicas that wait, finish jobs whose time is up. Returns true if anything changed. */
  const step = (): boolean => {
    const t = now().getTime();
    let any = data.step(t);
    // A workload starts only once the data it is staged with is here (shared copies, kept as cache after).
    for (const w of workloads.values()) {
      if (staged.has(w)) continue;
      data.ensure(w.placement.staging, t);
      if (data.ready(w.placement.staging)) {
        staged.add(w);
        any = true;
      }
    }
    const reading = new Set([...workloads.values()].flatMap((w) => w.placement.spec.data));
    data.touch(
      [...workloads.values()].filter((w) => w.replicas.some((r) => r.node)).flatMap((w) => w.placement.spec.data),
      t,
    );
    if (data.evict(reading).length > 0) any = true;
    for (const w of workloads.values()) {
      if (w.placement.spec.type === "job") {
        for (const r of w.replicas) {
          if (r.node && r.startedAt !== undefined && r.finishedAt === undefined && t - r.startedAt >= durationMs(w)) {
            r.finishedAt = t;
            take(r.node, w.shape, -1);
            any = true;
          }
        }
      }
    }
    // Place waiting replicas, oldest workloads first; a gang starts only when all of it fits.
    for (const w of workloads.values()) {
      if (!staged.has(w)) continue;
      const waiting = w.replicas.filter((r) => !r.node && r.finishedAt === undefined);
      if (waiting.length === 0) continue;
      const chosen: SimNode[] = [];
      for (const _ of waiting) {
        const n = pickNode(nodes, w.shape);
        if (!n) break;
        take(n, w.shape, 1);
        chosen.push(n);
      }
      if (w.placement.spec.gang && chosen.length < waiting.length) {
        for (const n of chosen) take(n, w.shape, -1);
        continue;
      }
      chosen.forEach((n, i) => {
        const r = waiting[i];
        if (r) {
          r.node = n;
          r.nodeName = n.name;
          r.startedAt = t;
        }
      });
      if (chosen.length) {
        w.startedAt ??= new Date(t).toISOString();
        any = true;
      }
    }
    return any;
  };

  const statusOf = (w: SimWorkload): PlacementStatus => {
    const p = w.placement;
    const done = w.replicas.filter((r) => r.finishedAt !== undefined).length;
    const running = w.replicas.filter((r) => r.node && r.finishedAt === undefined).length;
    const base = {
      uid: p.uid,
      tenant: p.tenant,
      workload: p.workload,
      generation: p.generation,
      replicas: p.replicas,
      readyReplicas: running,
    };
    const started = w.startedAt ? { startedAt: w.startedAt } : {};
    if (p.spec.type === "job" && done === p.replicas) {
      const last = Math.max(...w.replicas.map((r) => r.finishedAt ?? 0));
      return {
        ...base,
        ...started,
        phase: "Succeeded",
        message: `${done}/${p.replicas} replicas completed`,
        events: [],
        finishedAt: new Date(last).toISOString(),
      };
    }
    if (running > 0 || done > 0) {
      return { ...base, ...started, phase: "Running", message: `${running} running, ${done} completed`, events: [] };
    }
    if (!staged.has(w)) {
      const pr = data.progress(p.staging);
      const what = p.staging.map((i) => i.dataset).join(", ");
      const eta =
        pr.etaSeconds >= 3_600 ? `${(pr.etaSeconds / 3_600).toFixed(1)} h` : `${Math.ceil(pr.etaSeconds / 60)} min`;
      const message = `staging ${what}: ${pr.copiedGB.toFixed(1)}/${pr.totalGB.toFixed(1)} GB copied, ~${eta} left`;
      return { ...base, phase: "Staging", message, events: [], staging: pr };
    }
    const block = largestFreeBlock(nodes, w.shape);
    const why = `Unschedulable: 0/${p.replicas} replicas fit; needs ${w.shape.gpus} free GPUs on one node, largest free block is ${block}`;
    return { ...base, phase: "Pending", message: why, events: [why] };
  };

  const replicaOf = (query: LogsQuery): { w: SimWorkload; r: Replica } => {
    const w = [...workloads.values()].find((x) => x.placement.uid === query.uid);
    if (!w) throw new LogsUnavailable(`no placement of ${query.uid} in ${cluster.name}`);
    const r = w.replicas[query.replica];
    if (!r) {
      throw new LogsUnavailable(
        `${w.placement.workload} has ${w.replicas.length} replica(s) in ${cluster.name}; no replica ${query.replica}`,
      );
    }
    return { w, r };
  };

  const linesOf = (
    query: LogsQuery,
    { w, r }: { w: SimWorkload; r: Replica },
  ): { lines: string[]; started: boolean; ended: boolean } => {
    // A replica that ended has written everything up to its end, completion line included.
    const at = Math.max(now().getTime(), r.finishedAt ?? 0);
    const lines = simulatedLogLines(
      {
        workload: w.placement.workload,
        type: w.placement.spec.type,
        replica: query.replica,
        timeline: { node: r.nodeName, startedAt: r.startedAt, finishedAt: r.finishedAt },
        durationMs: durationMs(w),
        // A service writes a health line every simulated tenth of an hour.
        serviceEveryMs: Math.max(100, options.secondsPerHour * 100),
        waiting: statusOf(w).message,
      },
      at,
    );
    return { lines, started: r.startedAt !== undefined, ended: r.finishedAt !== undefined };
  };

  /** The lines so far (the tail asked for), then, following, each new line as the simulated clock reaches it. */
  async function* logs(query: LogsQuery): AsyncGenerator<string[]> {
    // The replica is held from here on: a job that completes may be released (the hub ends its placement) before the
    // next tick, and its last lines must still be sent.
    const held = replicaOf(query);
    let { lines, started, ended } = linesOf(query, held);
    yield query.tailLines === undefined ? lines : lines.slice(-query.tailLines);
    // A replica that has not started has one "waiting" line, not part of what it writes once it runs.
    let sent = started ? lines.length : 0;
    while (query.follow && !ended && !query.signal.aborted) {
      await new Promise((resolve) => setTimeout(resolve, options.tickMs ?? 250));
      const gone = workloads.get(placementKey(held.w.placement)) !== held.w;
      ({ lines, started, ended } = linesOf(query, held));
      // Released without ending (deleted, moved): the stream ends with it (it writes nothing after its release).
      if (gone && !ended) return;
      if (started && lines.length > sent) {
        yield lines.slice(sent);
        sent = lines.length;
      }
    }
  }

  return {
    kind: "simulated",
    logs,
    async start() {
      timer = setInterval(() => {
        if (step()) changed();
      }, options.tickMs ?? 250);
    },
    async close() {
      if (timer) clearInterval(timer);
    },
    describe: () => description,
    capacity(): CapacityReport {
      return {
        nodes: nodes.map((n) => ({
          ...n.group,
          name: n.name,
          count: 1,
          gpusUsed: n.gpusUsed,
          cpuUsed: n.cpuUsed,
          memoryUsedGiB: n.memoryUsedGiB,
        })),
        accountedWorkloads: [...workloads.values()]
          .filter((w) => w.replicas.every((r) => r.node || r.finishedAt !== undefined))
          .map((w) => ({ uid: w.placement.uid, generation: w.placement.generation })),
        datasets: data.report(),
      };
    },
    async reconcile(desired) {
      const wanted = new Map(desired.map((p) => [placementKey(p), p]));
      for (const [key, w] of workloads) {
        const p = wanted.get(key);
        if (!p || p.uid !== w.placement.uid || p.generation !== w.placement.generation) {
          release(w);
          workloads.delete(key);
        } else if (p.replicas !== w.placement.replicas && p.spec.type === "service") {
          // A service scaled: keep the replicas that run (no cold start again); new ones wait for room, and the
          // ones to go are those not started yet, then the newest.
          resize(w, p.replicas);
          w.placement = p;
        } else if (p.replicas !== w.placement.replicas) {
          release(w);
          workloads.delete(key);
        } else {
          w.placement = p;
        }
      }
      for (const p of desired) {
        const key = placementKey(p);
        if (workloads.has(key)) continue;
        workloads.set(key, {
          placement: p,
          shape: shapeOf(p),
          replicas: Array.from({ length: p.replicas }, () => ({})),
        });
      }
      step();
      changed();
    },
    async statuses() {
      return [...workloads.values()].map(statusOf);
    },
    ...(options.load
      ? {
          servingSignals: async () => servingSignals(options.load!, workloads.values(), now().getTime()),
        }
      : {}),
    onChange(listener) {
      listeners.push(listener);
    },
  };
};
