import type { Allocation } from "./allocate.ts";
import { poolRate, type RttTable, rttMs, type ServingCluster } from "./fleet.ts";

/** For each user region, the share of its traffic each cluster should get (a global load balancer's weights). */
export type EndpointWeights = Record<string, Record<string, number>>;

export interface WeightsInput {
  allocation: Allocation;
  demand: Record<string, number>;
  /** Regions to give weights for even without traffic now. */
  regions: readonly string[];
  clusters: readonly ServingCluster[];
  rtt: RttTable;
  latencySloMs: number;
}

const EPS = 1e-9;

/**
 * Endpoint weights for now. A region's traffic follows the plan, but only onto replicas that finished loading:
 * the share planned for replicas still in their cold start goes to clusters with warm spare capacity within the
 * region's SLO, nearest first, and only what none can take waits for the loading replicas.
 */
export const endpointWeights = (input: WeightsInput): EndpointWeights => {
  const { allocation, clusters, rtt, latencySloMs } = input;
  const byName = new Map(clusters.map((c) => [c.name, c]));
  const pools = new Map(allocation.pools.map((p) => [p.cluster, p]));
  // Warm headroom may run up to the latency budget: the utilisation ceiling is for planning, not for spilling.
  const spill = { ...allocation.model, utilisationCeiling: 1 };
  const load = new Map<string, number>();
  const routed: Record<string, Record<string, number>> = {};
  const waiting: Record<string, Record<string, number>> = {};
  const add = (into: Record<string, Record<string, number>>, r: string, c: string, x: number) => {
    into[r] ??= {};
    into[r][c] = (into[r][c] ?? 0) + x;
  };
  for (const p of allocation.pools) {
    const ready = byName.get(p.cluster)?.readyReplicas ?? 0;
    const warm = Math.min(1, ready / p.replicas);
    for (const [r, x] of Object.entries(p.routes)) {
      add(routed, r, p.cluster, x * warm);
      if (warm < 1) add(waiting, r, p.cluster, x * (1 - warm));
      load.set(p.cluster, (load.get(p.cluster) ?? 0) + x * warm);
    }
  }
  for (const [r, planned] of Object.entries(waiting)) {
    let left = Object.values(planned).reduce((a, b) => a + b, 0);
    const near = clusters
      .map((c) => ({ c, d: rttMs(rtt, r, c.region) }))
      .filter((x): x is { c: ServingCluster; d: number } => x.d !== undefined && x.c.readyReplicas > 0)
      .sort((a, b) => a.d - b.d || (a.c.name < b.c.name ? -1 : 1));
    for (const { c, d } of near) {
      if (left <= EPS) break;
      const budget = latencySloMs - Math.max(d, latencySloMs - (pools.get(c.name)?.budgetMs ?? latencySloMs));
      const room = poolRate(spill, c.readyReplicas, budget) - (load.get(c.name) ?? 0);
      if (room <= EPS) continue;
      const x = Math.min(room, left);
      add(routed, r, c.name, x);
      load.set(c.name, (load.get(c.name) ?? 0) + x);
      left -= x;
    }
    // What no warm cluster can take queues for the replicas planned for it.
    const total = Object.values(planned).reduce((a, b) => a + b, 0);
    if (left > EPS) for (const [c, x] of Object.entries(planned)) add(routed, r, c, (x / total) * left);
  }
  const weights: EndpointWeights = {};
  const regions = [...new Set([...input.regions, ...Object.keys(routed)])].sort();
  for (const r of regions) {
    const shares = routed[r] ?? {};
    const sum = Object.values(shares).reduce((a, b) => a + b, 0);
    if (sum > EPS) {
      weights[r] = Object.fromEntries(Object.entries(shares).map(([c, x]) => [c, x / sum]));
      continue;
    }
    // No traffic now: the nearest cluster with replicas (warm first) takes the region when it comes.
    const nearest = clusters
      .filter((c) => pools.has(c.name) || c.readyReplicas > 0)
      .map((c) => ({ c, d: rttMs(rtt, r, c.region) ?? Number.POSITIVE_INFINITY }))
      .sort(
        (a, b) =>
          Number(b.c.readyReplicas > 0) - Number(a.c.readyReplicas > 0) || a.d - b.d || (a.c.name < b.c.name ? -1 : 1),
      )[0];
    if (nearest) weights[r] = { [nearest.c.name]: 1 };
  }
  return weights;
};
