import type { AutoscalingSpec, ServingSpec } from "@gantry/shared";
import { type Allocation, allocate } from "./allocate.ts";
import { type DesiredReplicas, desiredReplicas, initialScaleState, type ScaleState } from "./desired.ts";
import { explainChange } from "./explain.ts";
import { type CapacityKind, predictedP95Ms, type RttTable, rttMs, type ServingCluster } from "./fleet.ts";
import { estimateServiceRate, type Observation, observe, type SignalSample } from "./observe.ts";
import { type EndpointWeights, endpointWeights } from "./weights.ts";

/**
 * Share of the latency SLO kept in reserve when sizing pools: plans lag demand by up to a heartbeat and are made
 * on window averages, so a pool planned exactly at the SLO misses it whenever demand rises.
 */
export const PLANNING_MARGIN = 0.1;

/** What the autoscaler keeps for one service between passes; plain data. */
export interface AutoscalerState {
  scale: ScaleState;
  /** Per `cluster/kind`, the plan's recommendations within the last stable window, oldest first. */
  recent: { atSeconds: number; targets: Record<string, number> }[];
}

export const initialAutoscalerState = (atSeconds: number, replicas = 0): AutoscalerState => ({
  scale: initialScaleState(atSeconds, replicas),
  recent: [],
});

export interface AutoscaleInput {
  autoscaling: AutoscalingSpec;
  serving: ServingSpec;
  atSeconds: number;
  /** Agents' signals for this service over at least the last stable window. */
  samples: readonly SignalSample[];
  /** Clusters the service may run in (the placement engine's feasible set), with prices and free capacity. */
  clusters: readonly ServingCluster[];
  rtt: RttTable;
  state: AutoscalerState;
}

/** Target replicas of one service on one capacity kind of one cluster. */
export interface ClusterTarget {
  cluster: string;
  kind: CapacityKind;
  replicas: number;
  current: number;
  pricePerReplicaHour: number;
}

export interface PlanChange {
  cluster: string;
  kind: CapacityKind;
  from: number;
  to: number;
  /** "+2 in edge-paris (owned): eu-west 38.0 req/s: p95 410 ms with 3 here > 300 ms target; …" */
  explanation: string;
}

export interface AutoscalePlan {
  desired: DesiredReplicas;
  observation: Observation;
  /** Requests/s per user region the plan serves. */
  demand: Record<string, number>;
  serviceRate: number;
  allocation: Allocation;
  targets: ClusterTarget[];
  changes: PlanChange[];
  weights: EndpointWeights;
  /** Expected p95 per user region after the plan (RTT + pool p95, traffic-weighted over its clusters), ms. */
  predictedP95Ms: Record<string, number>;
  costPerHour: number;
  state: AutoscalerState;
}

export type AutoscaleResult =
  | { ok: true; plan: AutoscalePlan }
  | { ok: false; code: "service_rate_unknown"; message: string };

const key = (cluster: string, kind: CapacityKind) => `${cluster}/${kind}`;

const normalised = (w: Record<string, number>): Record<string, number> => {
  const sum = Object.values(w).reduce((a, b) => a + b, 0);
  return sum > 0 ? Object.fromEntries(Object.entries(w).map(([r, x]) => [r, x / sum])) : {};
};

/** Requests/s per user region: the agents' split with `fromMetrics`, else the spec's weights times the total. */
const regionalDemand = (
  serving: ServingSpec,
  obs: Observation,
  clusters: readonly ServingCluster[],
  samples: readonly SignalSample[],
) => {
  const measured = Object.values(obs.byRegion).reduce((a, b) => a + b, 0);
  const weights = normalised(serving.demand ?? {});
  if ((serving.fromMetrics || Object.keys(weights).length === 0) && measured > 0) {
    return { demand: { ...obs.byRegion }, shares: Object.keys(weights).length ? weights : normalised(obs.byRegion) };
  }
  if (Object.keys(weights).length > 0) {
    return {
      demand: Object.fromEntries(Object.entries(weights).map(([r, w]) => [r, w * obs.requestsPerSecond])),
      shares: weights,
    };
  }
  // Neither the spec nor the agents name user regions: traffic counts as coming from the cluster that saw it.
  const demand: Record<string, number> = {};
  const region = new Map(clusters.map((c) => [c.name, c.region]));
  const newest = new Map<string, SignalSample>();
  for (const s of samples) if ((newest.get(s.cluster)?.atSeconds ?? -Infinity) < s.atSeconds) newest.set(s.cluster, s);
  for (const [c, s] of newest) {
    const r = region.get(c);
    if (r !== undefined) demand[r] = (demand[r] ?? 0) + s.signal.requestsPerSecond;
  }
  return { demand, shares: normalised(demand) };
};

/**
 * Apply the hysteresis per cluster and capacity kind: a count the plan recommended within the last stable window
 * stays (so replicas are not added in one cluster and removed there soon after as demand moves), as far as the
 * offer still has room and maxReplicas allows; replicas held above the recommendation go dearest first.
 */
const hold = (
  input: AutoscaleInput,
  raw: Map<string, number>,
  available: Map<string, { price: number; room: number; current: number }>,
) => {
  const window = input.autoscaling.stableWindowSeconds;
  const recent = [
    ...input.state.recent.filter((r) => r.atSeconds > input.atSeconds - window),
    { atSeconds: input.atSeconds, targets: Object.fromEntries(raw) },
  ];
  const held = new Map<string, number>();
  for (const [k, a] of available) {
    const max = Math.max(raw.get(k) ?? 0, ...recent.map((r) => r.targets[k] ?? 0));
    held.set(k, Math.min(max, Math.max(a.room, raw.get(k) ?? 0)));
  }
  // Over maxReplicas (counts held in one place while the plan adds in another): first decline the additions,
  // dearest first, which removes nothing that runs; only then cut held replicas back towards the plan.
  let excess = [...held.values()].reduce((a, b) => a + b, 0) - input.autoscaling.maxReplicas;
  const dearest = [...held.keys()].sort((a, b) => available.get(b)!.price - available.get(a)!.price);
  for (const floorOf of [(k: string) => available.get(k)!.current, (k: string) => raw.get(k) ?? 0]) {
    for (const k of dearest) {
      if (excess <= 0) break;
      const over = Math.min(excess, held.get(k)! - Math.min(held.get(k)!, floorOf(k)));
      if (over > 0) {
        held.set(k, held.get(k)! - over);
        excess -= over;
      }
    }
  }
  // A count raised now (the plan adds, or replaces replicas lost to preemption) is held a full window from now.
  const now = recent[recent.length - 1]!.targets;
  for (const [k, n] of held) if (n > (available.get(k)?.current ?? 0)) now[k] = Math.max(now[k] ?? 0, n);
  return { held, recent };
};

/** One autoscaling pass for one service: desired count, where it goes, why, and the load balancer's weights. */
export const autoscale = (input: AutoscaleInput): AutoscaleResult => {
  const { autoscaling: spec, serving, atSeconds, clusters, rtt } = input;
  const observation = observe(input.samples, spec.metric, spec, atSeconds);
  const desired = desiredReplicas(spec, observation, input.state.scale, atSeconds);
  const recentSamples = input.samples.filter((s) => s.atSeconds > atSeconds - spec.stableWindowSeconds);
  const serviceRate = estimateServiceRate(recentSamples) ?? serving.replicaRequestsPerSecond;
  if (serviceRate === undefined) {
    return {
      ok: false,
      code: "service_rate_unknown",
      message: "no signal shows a replica's service rate yet; set spec.serving.replicaRequestsPerSecond",
    };
  }
  const { demand, shares } = regionalDemand(serving, observation, clusters, input.samples);
  const plannedSloMs = serving.latencySloMs * (1 - PLANNING_MARGIN);
  const allocation = allocate({
    demand,
    shares,
    latencySloMs: plannedSloMs,
    rtt,
    clusters,
    serviceRate,
    replicas: desired.replicas,
    maxReplicas: spec.maxReplicas,
    minOnDemand: serving.minOnDemand,
    coldStartSeconds: spec.coldStartSeconds,
  });
  const raw = new Map<string, number>();
  const available = new Map<string, { price: number; room: number; current: number }>();
  for (const c of clusters) {
    for (const o of c.offers)
      available.set(key(c.name, o.kind), {
        price: o.pricePerReplicaHour,
        room: o.current + o.free,
        current: o.current,
      });
  }
  for (const p of allocation.pools) {
    for (const [kind, n] of Object.entries(p.byKind) as [CapacityKind, number][])
      if (n > 0) raw.set(key(p.cluster, kind), n);
  }
  const { held, recent } = hold(input, raw, available);
  const targets: ClusterTarget[] = [];
  const changes: PlanChange[] = [];
  const pools = new Map(allocation.pools.map((p) => [p.cluster, p]));
  for (const c of [...clusters].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const now = c.offers.reduce((a, o) => a + o.current, 0);
    for (const o of c.offers) {
      const to = held.get(key(c.name, o.kind)) ?? 0;
      if (to === 0 && o.current === 0) continue;
      targets.push({
        cluster: c.name,
        kind: o.kind,
        replicas: to,
        current: o.current,
        pricePerReplicaHour: o.pricePerReplicaHour,
      });
      if (to === o.current) continue;
      const pool = pools.get(c.name);
      const explanation = explainChange({
        cluster: c.name,
        kind: o.kind,
        from: o.current,
        to,
        price: o.pricePerReplicaHour,
        ...(pool ? { pool } : {}),
        clusterReplicasNow: now,
        model: allocation.model,
        latencySloMs: plannedSloMs,
        coldStartSeconds: c.coldStartSeconds ?? spec.coldStartSeconds,
        scaleReason: desired.reason,
      });
      changes.push({ cluster: c.name, kind: o.kind, from: o.current, to, explanation });
    }
  }
  const regions = [...new Set([...Object.keys(demand), ...Object.keys(shares)])];
  const weights = endpointWeights({ allocation, demand, regions, clusters, rtt, latencySloMs: plannedSloMs });
  return {
    ok: true,
    plan: {
      desired,
      observation,
      demand,
      serviceRate,
      allocation,
      targets,
      changes,
      weights,
      predictedP95Ms: predicted(allocation, weights, demand, clusters, rtt),
      costPerHour: targets.reduce((a, t) => a + t.replicas * t.pricePerReplicaHour, 0),
      state: { scale: desired.state, recent },
    },
  };
};

/** Per region, RTT plus each pool's p95 at its planned load, weighted by the region's traffic to it. */
const predicted = (
  allocation: Allocation,
  weights: EndpointWeights,
  demand: Record<string, number>,
  clusters: readonly ServingCluster[],
  rtt: RttTable,
): Record<string, number> => {
  const region = new Map(clusters.map((c) => [c.name, c.region]));
  const out: Record<string, number> = {};
  for (const [r, w] of Object.entries(weights)) {
    if ((demand[r] ?? 0) <= 0) continue;
    let total = 0;
    for (const [c, share] of Object.entries(w)) {
      const pool = allocation.pools.find((p) => p.cluster === c);
      const rate = pool ? Object.values(pool.routes).reduce((a, b) => a + b, 0) : 0;
      const p95 = pool ? predictedP95Ms(allocation.model, pool.replicas, rate) : Number.POSITIVE_INFINITY;
      total += share * ((rttMs(rtt, r, region.get(c) ?? "") ?? Number.POSITIVE_INFINITY) + p95);
    }
    out[r] = total;
  }
  return out;
};
