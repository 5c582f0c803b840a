import { placementKey, type ServingSignal } from "@gantry/shared";
import {
  demandAt,
  initialServiceLoad,
  type LoadTrace,
  readyReplicas,
  type ServiceLoadState,
  ServiceModel,
  servingSignalOf,
  stepServiceLoad,
} from "./load.ts";
import type { SimWorkload } from "./simulated.ts";

/**
 * A load trace played against a simulated cluster's services. Every agent of a fleet plays the same trace from the
 * same instant, so together they see one demand; each takes the share its placements' `routing` (the hub's
 * endpoint weights) sends it. The load model runs in real seconds (cold starts, backlogs, windows); only the trace
 * is read at a faster clock, so a day of traffic plays in minutes.
 */
export interface SimulatedLoad {
  trace: LoadTrace;
  /** Wall-clock instant (ms since the epoch) at which the trace is at `offsetSeconds`. */
  startedAtMs: number;
  /** Trace time at `startedAtMs`. */
  offsetSeconds: number;
  /** Trace seconds per real second. */
  speed: number;
  /** Load-model state per service (`tenant/name`), carried between reports. */
  state?: Map<string, { state: ServiceLoadState; atMs: number }>;
}

/** μ when a service does not say (`spec.serving.replicaRequestsPerSecond`). */
const DEFAULT_REPLICA_RPS = 5;

/** Trace time at wall-clock `nowMs`. */
export const traceSeconds = (load: SimulatedLoad, nowMs: number): number =>
  load.offsetSeconds + (Math.max(0, nowMs - load.startedAtMs) / 1000) * load.speed;

/** One `ServingSignal` per autoscaled service in the cluster, stepping each one's load model to `nowMs`. */
export const servingSignals = (
  load: SimulatedLoad,
  workloads: Iterable<SimWorkload>,
  nowMs: number,
): ServingSignal[] => {
  load.state ??= new Map();
  const demand = demandAt(load.trace, traceSeconds(load, nowMs));
  const out: ServingSignal[] = [];
  const seen = new Set<string>();
  for (const w of workloads) {
    const p = w.placement;
    if (p.spec.type !== "service" || !p.spec.autoscaling) continue;
    const key = placementKey(p);
    seen.add(key);
    const coldStartSeconds = p.spec.autoscaling.coldStartSeconds;
    const model = ServiceModel.parse({
      replicaRequestsPerSecond: p.spec.serving?.replicaRequestsPerSecond ?? DEFAULT_REPLICA_RPS,
      coldStartSeconds,
    });
    const arrivals: Record<string, number> = {};
    for (const [region, rate] of Object.entries(demand)) {
      const share = p.routing?.[region] ?? 0;
      if (share > 0 && rate > 0) arrivals[region] = rate * share;
    }
    const started = w.replicas.filter((r) => r.node && r.startedAt !== undefined).map((r) => r.startedAt! / 1000);
    const ready = readyReplicas(started, nowMs / 1000, coldStartSeconds);
    const previous = load.state.get(key);
    const step = stepServiceLoad(previous?.state ?? initialServiceLoad, {
      atSeconds: nowMs / 1000,
      arrivals,
      readyReplicas: ready,
      model,
    });
    load.state.set(key, { state: step.state, atMs: nowMs });
    const windowSeconds = previous ? (nowMs - previous.atMs) / 1000 : 1;
    out.push(
      servingSignalOf(
        {
          tenant: p.tenant,
          workload: p.workload,
          generation: p.generation,
          replicas: p.replicas,
          readyReplicas: ready,
          modelLoadSeconds: coldStartSeconds,
        },
        step.figures,
        windowSeconds,
      ),
    );
  }
  for (const key of load.state.keys()) if (!seen.has(key)) load.state.delete(key);
  return out;
};
