import type { ServingMetric, ServingSignal } from "@gantry/shared";

/** One agent's signal for one service, stamped with the hub's time of receipt (seconds). */
export interface SignalSample {
  cluster: string;
  atSeconds: number;
  signal: ServingSignal;
}

/** What the autoscaler knows about a service's load at one instant, every figure summed over clusters. */
export interface Observation {
  metric: ServingMetric;
  /** The metric averaged over the stable window (per cluster, then summed; p95 weighted by requests/s). */
  stable: number;
  /** The same over the panic window. */
  panic: number;
  /** Requests/s: the larger of its stable- and panic-window averages. */
  requestsPerSecond: number;
  /** Requests/s by user region, each the larger of its two window averages. */
  byRegion: Record<string, number>;
  /** From each cluster's newest signal. */
  replicas: number;
  readyReplicas: number;
  /** Whether any request arrived or was in flight in the panic window. */
  active: boolean;
}

export interface Windows {
  stableWindowSeconds: number;
  panicWindowSeconds: number;
}

const mean = (xs: readonly number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

/** Samples per cluster inside (now − window, now]; a cluster with none falls back to its newest in `fallback`. */
const perCluster = (
  samples: readonly SignalSample[],
  atSeconds: number,
  windowSeconds: number,
  fallback: number,
): Map<string, SignalSample[]> => {
  const out = new Map<string, SignalSample[]>();
  const newest = new Map<string, SignalSample>();
  for (const s of samples) {
    if (s.atSeconds > atSeconds || s.atSeconds <= atSeconds - fallback) continue;
    const prev = newest.get(s.cluster);
    if (!prev || s.atSeconds > prev.atSeconds) newest.set(s.cluster, s);
    if (s.atSeconds > atSeconds - windowSeconds) out.set(s.cluster, [...(out.get(s.cluster) ?? []), s]);
  }
  // Heartbeats may be sparser than a short panic window: then a cluster's last word stands for it.
  for (const [cluster, s] of newest) if (!out.has(cluster)) out.set(cluster, [s]);
  return out;
};

const additive = (metric: ServingMetric, s: ServingSignal): number =>
  metric === "concurrency" ? s.concurrency : metric === "queueDepth" ? s.queueDepth : s.tokensPerSecond;

/** The metric over one window: additive metrics summed over clusters, p95 latency weighted by each one's traffic. */
const metricOver = (metric: ServingMetric, groups: Map<string, SignalSample[]>): number => {
  if (metric !== "p95LatencyMs") {
    let total = 0;
    for (const g of groups.values()) total += mean(g.map((s) => additive(metric, s.signal)));
    return total;
  }
  let weighted = 0;
  let weights = 0;
  let worst = 0;
  for (const g of groups.values()) {
    const p95 = mean(g.map((s) => s.signal.p95LatencyMs));
    const rps = mean(g.map((s) => s.signal.requestsPerSecond));
    weighted += p95 * rps;
    weights += rps;
    worst = Math.max(worst, p95);
  }
  return weights > 0 ? weighted / weights : worst;
};

/**
 * Fold agents' recent signals into one observation at `atSeconds`: each cluster averaged over its own heartbeats
 * (they are not synchronised), then summed, the way Knative's autoscaler averages per pod and sums.
 */
export const observe = (
  samples: readonly SignalSample[],
  metric: ServingMetric,
  windows: Windows,
  atSeconds: number,
): Observation => {
  const stable = perCluster(samples, atSeconds, windows.stableWindowSeconds, windows.stableWindowSeconds);
  const panic = perCluster(samples, atSeconds, windows.panicWindowSeconds, windows.stableWindowSeconds);
  const rates = (groups: Map<string, SignalSample[]>) => {
    const byRegion: Record<string, number> = {};
    let total = 0;
    for (const g of groups.values()) {
      total += mean(g.map((s) => s.signal.requestsPerSecond));
      const regions = new Set(g.flatMap((s) => Object.keys(s.signal.byRegion)));
      for (const r of regions) byRegion[r] = (byRegion[r] ?? 0) + mean(g.map((s) => s.signal.byRegion[r] ?? 0));
    }
    return { byRegion, total };
  };
  // Demand is planned on the larger of the two windows: a rise counts at once, a fall after the stable window.
  const slow = rates(stable);
  const fast = rates(panic);
  const requestsPerSecond = Math.max(slow.total, fast.total);
  const byRegion: Record<string, number> = {};
  for (const r of new Set([...Object.keys(slow.byRegion), ...Object.keys(fast.byRegion)])) {
    byRegion[r] = Math.max(slow.byRegion[r] ?? 0, fast.byRegion[r] ?? 0);
  }
  let replicas = 0;
  let readyReplicas = 0;
  let active = false;
  for (const g of panic.values()) {
    const newest = g.reduce((a, b) => (b.atSeconds > a.atSeconds ? b : a));
    replicas += newest.signal.replicas;
    readyReplicas += newest.signal.readyReplicas;
    active ||= g.some((s) => s.signal.requestsPerSecond > 0 || s.signal.concurrency > 0);
  }
  return {
    metric,
    stable: metricOver(metric, stable),
    panic: metricOver(metric, panic),
    requestsPerSecond,
    byRegion,
    replicas,
    readyReplicas,
    active,
  };
};

/**
 * μ, the requests/s one busy replica completes, from the signals: in an M/M/c queue the replicas in service
 * (concurrency − queueDepth) are λ/μ, so μ = requests/s ÷ in-service. Saturated samples (every ready replica busy)
 * are left out: there the arrival rate exceeds what is served. Median over samples; undefined without any.
 */
export const estimateServiceRate = (samples: readonly SignalSample[]): number | undefined => {
  const rates: number[] = [];
  for (const { signal: s } of samples) {
    const inService = s.concurrency - s.queueDepth;
    if (s.requestsPerSecond <= 0 || inService <= 0 || inService >= s.readyReplicas * 0.98) continue;
    rates.push(s.requestsPerSecond / inService);
  }
  if (rates.length === 0) return undefined;
  rates.sort((a, b) => a - b);
  const mid = rates.length >> 1;
  return rates.length % 2 ? rates[mid]! : (rates[mid - 1]! + rates[mid]!) / 2;
};
