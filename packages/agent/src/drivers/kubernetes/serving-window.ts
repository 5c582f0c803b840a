import type { Reading } from "./engines.ts";
import { addBuckets, type Buckets, bucketDelta, quantile } from "./histogram.ts";

/**
 * A service's serving figures over the window between two scrapes, from each pod's reading now and at the
 * window's start. Pure: the observer does the I/O and keeps the baselines.
 */

/** One pod's part in a window. */
export interface PodWindow {
  reading: Reading;
  /** Its reading at the window's start; absent when it was not scraped then. */
  baseline?: Reading | undefined;
  /**
   * It started after the window opened, so everything its counters hold happened inside the window. A pod
   * without a baseline that started before (it was not scrapable then) adds its gauges only: how much of its
   * counters fell inside the window is unknown.
   */
  startedInWindow: boolean;
}

export interface WindowFigures {
  concurrency: number;
  queueDepth: number;
  p95LatencyMs: number;
  tokensPerSecond: number;
  requestsPerSecond: number;
}

/** Increase of a counter; a counter that went down was reset by a restart and counts from zero. */
export const counterDelta = (now: number, before: number | undefined): number =>
  before === undefined || now < before ? now : now - before;

const clean = (n: number): number => (Number.isFinite(n) && n > 0 ? n : 0);

/** Gauges summed now; counters and the latency histogram as increases over `windowSeconds`. */
export const windowFigures = (pods: readonly PodWindow[], windowSeconds: number): WindowFigures => {
  let concurrency = 0;
  let queueDepth = 0;
  let tokens = 0;
  let requests = 0;
  let latency: Buckets = new Map();
  for (const p of pods) {
    concurrency += p.reading.concurrency;
    queueDepth += p.reading.queueDepth;
    // A baseline from another engine (the pod's image changed under the same uid) is no baseline.
    const before = p.baseline?.engine === p.reading.engine ? p.baseline : undefined;
    if (!before && !p.startedInWindow) continue;
    tokens += counterDelta(p.reading.tokens, before?.tokens);
    requests += counterDelta(p.reading.requests, before?.requests);
    latency = addBuckets(latency, bucketDelta(p.reading.latency, before?.latency));
  }
  const p95 = quantile(0.95, latency);
  return {
    concurrency: clean(concurrency),
    queueDepth: clean(queueDepth),
    // No request finished its first token in the window: no latency to report.
    p95LatencyMs: clean(p95 === undefined ? 0 : p95 * 1000),
    tokensPerSecond: clean(tokens / windowSeconds),
    requestsPerSecond: clean(requests / windowSeconds),
  };
};
