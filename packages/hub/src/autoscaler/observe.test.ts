import { mmc, type ServingSignal } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import { estimateServiceRate, observe, type SignalSample } from "./observe.ts";

const aSignal = (over: Partial<ServingSignal> = {}): ServingSignal => ({
  tenant: "t",
  workload: "chat",
  generation: 1,
  replicas: 2,
  readyReplicas: 2,
  concurrency: 0,
  queueDepth: 0,
  p95LatencyMs: 0,
  tokensPerSecond: 0,
  requestsPerSecond: 0,
  byRegion: {},
  windowSeconds: 5,
  ...over,
});
const at = (cluster: string, atSeconds: number, over: Partial<ServingSignal>): SignalSample => ({
  cluster,
  atSeconds,
  signal: aSignal(over),
});
const windows = { stableWindowSeconds: 60, panicWindowSeconds: 6 };

describe("observe", () => {
  it("averages each cluster over its own heartbeats, then sums the clusters", () => {
    const samples = [
      at("a", 50, { concurrency: 2, requestsPerSecond: 4, byRegion: { eu: 4 } }),
      at("a", 55, { concurrency: 6, requestsPerSecond: 8, byRegion: { eu: 8 } }),
      at("b", 58, { concurrency: 10, requestsPerSecond: 5, byRegion: { us: 5 }, readyReplicas: 3, replicas: 4 }),
      at("b", -10, { concurrency: 1000 }), // older than the stable window
    ];
    const o = observe(samples, "concurrency", windows, 60);
    expect(o.stable).toBe(4 + 10);
    // Demand takes the larger window: the panic window's 8 req/s from a (stable: 6) plus b's 5.
    expect(o.requestsPerSecond).toBe(8 + 5);
    expect(o.byRegion).toEqual({ eu: 8, us: 5 });
    // Panic window (54, 60]: a's 55 and b's 58.
    expect(o.panic).toBe(6 + 10);
    expect(o.replicas).toBe(2 + 4);
    expect(o.readyReplicas).toBe(2 + 3);
    expect(o.active).toBe(true);
  });

  it("lets a cluster's newest heartbeat stand for it when none falls in the short panic window", () => {
    const o = observe([at("a", 40, { concurrency: 3 }), at("b", 59, { concurrency: 1 })], "concurrency", windows, 60);
    expect(o.panic).toBe(4);
  });

  it("weights p95 latency by each cluster's traffic instead of summing it", () => {
    const samples = [
      at("a", 59, { p95LatencyMs: 100, requestsPerSecond: 30 }),
      at("b", 59, { p95LatencyMs: 500, requestsPerSecond: 10 }),
    ];
    expect(observe(samples, "p95LatencyMs", windows, 60).stable).toBe(200);
    expect(observe([], "concurrency", windows, 60)).toMatchObject({ stable: 0, panic: 0, active: false });
  });
});

describe("estimateServiceRate", () => {
  it("recovers μ from M/M/c signals (in service = λ/μ) and skips saturated clusters", () => {
    const signalFor = (lambda: number, servers: number, mu: number) => {
      const f = mmc({ arrivalRate: lambda, serviceRate: mu, servers });
      return {
        concurrency: f.meanInSystem,
        queueDepth: f.meanQueueLength,
        requestsPerSecond: lambda,
        readyReplicas: servers,
      };
    };
    const samples = [
      at("a", 1, signalFor(10, 4, 3.5)),
      at("b", 1, signalFor(2, 2, 3.5)),
      // Saturated: all 2 ready busy, 40 req/s arriving; it would suggest μ = 20.
      at("c", 1, { concurrency: 50, queueDepth: 48, requestsPerSecond: 40, readyReplicas: 2 }),
    ];
    expect(estimateServiceRate(samples)).toBeCloseTo(3.5, 9);
    expect(estimateServiceRate([at("a", 1, {})])).toBeUndefined();
  });
});
