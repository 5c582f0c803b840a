import type { Tier } from "@gantry/shared";
import { latencyQuantileSeconds, maxArrivalRate } from "@gantry/shared";

/**
 * The fleet as the autoscaler sees one service: clusters with their region, their capacity offers (owned,
 * on-demand, spot) priced per replica-hour, and a latency model per pool of replicas (one M/M/c queue a cluster).
 */

/** How a replica is paid for. Owned: on-prem or edge hardware, priced at its amortised cost. */
export type CapacityKind = "owned" | "onDemand" | "spot";

export interface Offer {
  kind: CapacityKind;
  /** USD per replica-hour (the placement engine's price per GPU-hour × GPUs per replica, or the owned rate). */
  pricePerReplicaHour: number;
  /** Replicas of the service running on this offer now. */
  current: number;
  /** Further replicas that fit on it now. */
  free: number;
}

export interface ServingCluster {
  name: string;
  /** The cluster's region, as named in the RTT table. */
  region: string;
  tier: Tier;
  offers: readonly Offer[];
  /** Replicas of the service here that finished loading and serve. */
  readyReplicas: number;
  /** This cluster's model load time (its agents' `modelLoadSeconds`), when known. */
  coldStartSeconds?: number;
}

/** Round-trip times in ms between a user region and a cluster region (either key order). */
export type RttTable = Record<string, Record<string, number>>;

/** RTT between a user region and a cluster region; undefined (unreachable within any SLO) when the table has none. */
export const rttMs = (table: RttTable, userRegion: string, clusterRegion: string): number | undefined =>
  table[userRegion]?.[clusterRegion] ??
  table[clusterRegion]?.[userRegion] ??
  (userRegion === clusterRegion ? 0 : undefined);

/** The quantile every latency figure here refers to. */
export const SLO_QUANTILE = 0.95;

/** One replica slot of a cluster: slots are filled cheapest first, so a cluster's n-th replica has a known price. */
export interface Slot {
  kind: CapacityKind;
  price: number;
  /** The slot holds a replica that runs now (no cold start to add it). */
  running: boolean;
}

const KIND_ORDER: Record<CapacityKind, number> = { owned: 0, spot: 1, onDemand: 2 };

/** A cluster's slots in the order they are used: cheapest first, running replicas before new ones at one price. */
export const slotsOf = (cluster: ServingCluster): Slot[] => {
  const slots: Slot[] = [];
  for (const o of cluster.offers) {
    for (let i = 0; i < o.current; i++) slots.push({ kind: o.kind, price: o.pricePerReplicaHour, running: true });
    for (let i = 0; i < o.free; i++) slots.push({ kind: o.kind, price: o.pricePerReplicaHour, running: false });
  }
  return slots.sort(
    (a, b) => a.price - b.price || KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || Number(b.running) - Number(a.running),
  );
};

/** The latency model of one service: μ per replica, and the share of capacity replicas may run at (KPA's target). */
export interface LatencyModel {
  serviceRate: number;
  /** Highest utilisation λ/(cμ) a pool is planned at; 1 lets only the latency budget bind. */
  utilisationCeiling: number;
}

/** Highest arrival rate `replicas` take within `budgetMs` of p95 latency and the utilisation ceiling. */
export const poolRate = (model: LatencyModel, replicas: number, budgetMs: number): number => {
  if (replicas <= 0 || budgetMs / 1000 < 1 / model.serviceRate) return 0;
  const ceiling = replicas * model.serviceRate * model.utilisationCeiling;
  // Usually the ceiling binds: one Erlang C then answers, without the bisection.
  const atCeiling = { arrivalRate: ceiling, serviceRate: model.serviceRate, servers: replicas };
  if (ceiling < replicas * model.serviceRate && latencyQuantileSeconds(atCeiling, SLO_QUANTILE) * 1000 <= budgetMs) {
    return ceiling;
  }
  return Math.min(maxArrivalRate(replicas, model.serviceRate, budgetMs / 1000, SLO_QUANTILE), ceiling);
};

/** Predicted p95 latency (ms, without network) of `replicas` serving `rate`; infinite when they cannot keep up. */
export const predictedP95Ms = (model: LatencyModel, replicas: number, rate: number): number => {
  if (rate <= 0) return replicas > 0 ? 1000 / model.serviceRate : 0;
  if (rate >= replicas * model.serviceRate) return Number.POSITIVE_INFINITY;
  return (
    latencyQuantileSeconds({ arrivalRate: rate, serviceRate: model.serviceRate, servers: replicas }, SLO_QUANTILE) *
    1000
  );
};

/**
 * Pool capacity for one pass, memoised: the highest rate n replicas take within a budget is a bisection over
 * Erlang C, asked for the same (n, budget) many times while regions are placed.
 */
export interface Capacity {
  rate(replicas: number, budgetMs: number): number;
  /** Fewest replicas, at most `limit`, that take `rate` within `budgetMs`; undefined when `limit` is not enough. */
  needed(rate: number, budgetMs: number, limit: number): number | undefined;
}

export const capacityOf = (model: LatencyModel): Capacity => {
  const memo = new Map<string, number>();
  const rate = (n: number, budgetMs: number) => {
    const k = `${n}|${budgetMs}`;
    let r = memo.get(k);
    if (r === undefined) {
      r = poolRate(model, n, budgetMs);
      memo.set(k, r);
    }
    return r;
  };
  return {
    rate,
    needed(x, budgetMs, limit) {
      if (x <= 0) return 0;
      if (limit < 1 || rate(limit, budgetMs) < x) return undefined;
      // The rate n replicas take grows with n: binary search for the first n that takes x.
      let lo = 1;
      let hi = limit;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (rate(mid, budgetMs) >= x) hi = mid;
        else lo = mid + 1;
      }
      return lo;
    },
  };
};

/** Where a cluster's slot price (or running state) changes: the pool sizes worth pricing. */
export const breakpoints = (slots: readonly Slot[]): number[] => {
  const out: number[] = [];
  slots.forEach((s, i) => {
    const next = slots[i + 1];
    if (!next || next.price !== s.price || next.running !== s.running) out.push(i + 1);
  });
  return out;
};
