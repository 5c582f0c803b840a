import { usd } from "../util/money.ts";
import type { Pool } from "./allocate.ts";
import { type CapacityKind, type LatencyModel, predictedP95Ms } from "./fleet.ts";

/** Sentences for plan changes, in dollars and milliseconds. */

const KIND: Record<CapacityKind, string> = { owned: "owned", onDemand: "on-demand", spot: "spot" };

export const kindName = (k: CapacityKind): string => KIND[k];

const ms = (n: number): string => (Number.isFinite(n) ? `${Math.round(n)} ms` : "unbounded (overloaded)");
const rps = (n: number): string => `${n.toFixed(1)} req/s`;

export interface ChangeContext {
  cluster: string;
  kind: CapacityKind;
  from: number;
  to: number;
  price: number;
  /** The cluster's pool in the plan (absent when the plan leaves it empty). */
  pool?: Pool;
  /** Replicas of the service in the cluster now, every kind. */
  clusterReplicasNow: number;
  model: LatencyModel;
  /** The latency pools are planned to: the SLO less the planning margin. */
  latencySloMs: number;
  coldStartSeconds: number;
  /** The KPA's sentence, when it is what moved (panic, floor, idle). */
  scaleReason: string;
}

const served = (pool: Pool): string =>
  Object.entries(pool.routes)
    .filter(([, x]) => x > 0)
    .sort(([, a], [, b]) => b - a)
    .map(([r, x]) => `${r} ${rps(x)}`)
    .join(", ");

/** "+2 in edge-paris (owned): …" — why one (cluster, capacity) count changes. */
export const explainChange = (c: ChangeContext): string => {
  const delta = c.to - c.from;
  const head = `${delta > 0 ? "+" : "−"}${Math.abs(delta)} in ${c.cluster} (${kindName(c.kind)})`;
  const money = `${usd(c.price)}/replica-h, ${delta > 0 ? "+" : "−"}${usd(Math.abs(delta) * c.price)}/h`;
  const pool = c.pool;
  const rate = pool ? Object.values(pool.routes).reduce((a, b) => a + b, 0) : 0;
  const target = `${Math.round(c.latencySloMs)} ms`;
  if (delta > 0) {
    const why: string[] = [];
    if (pool && rate > 0) {
      const rttWorst = c.latencySloMs - pool.budgetMs;
      const before = predictedP95Ms(c.model, c.clusterReplicasNow, rate) + rttWorst;
      if (c.clusterReplicasNow === 0) why.push(`${served(pool)}: no replica here yet`);
      else if (before > c.latencySloMs) {
        why.push(`${served(pool)}: p95 ${ms(before)} with ${c.clusterReplicasNow} here > ${target} target`);
      } else why.push(`${c.scaleReason}; here: ${served(pool)}`);
      why.push(`cheapest capacity per request/s within ${target} (${money})`);
    } else {
      why.push(`${pool?.extra.join(", ") || c.scaleReason} (${money})`);
    }
    if (pool?.extra.length && rate > 0) why.push(pool.extra.join(", "));
    why.push(`serves in ~${Math.round(c.coldStartSeconds)} s (cold start)`);
    return `${head}: ${why.join("; ")}`;
  }
  if (!pool || pool.replicas === 0) {
    return `${head}: no demand routed here; the rest of the fleet serves it within ${target} for less (${money})`;
  }
  const after = predictedP95Ms(c.model, pool.replicas, rate) + (c.latencySloMs - pool.budgetMs);
  const keep = rate > 0 ? `${served(pool)} needs ${pool.replicas} here (p95 ${ms(after)} ≤ ${target})` : c.scaleReason;
  return `${head}: ${keep}; dearest replica goes first (${money})`;
};
