import { ServingSignal } from "@gantry/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  initialServiceLoad,
  readyReplicas,
  ServiceModel,
  type ServiceModelInput,
  servingSignalOf,
  shareSlowerThan,
  stepServiceLoad,
} from "./load.ts";

const aModel = (over: Partial<ServiceModelInput> = {}) =>
  ServiceModel.parse({ replicaRequestsPerSecond: 3, tokensPerRequest: 100, coldStartSeconds: 30, ...over });

describe("routing and readiness", () => {
  it("counts a replica as ready only after its cold start", () => {
    expect(readyReplicas([0, 10, 25], 40, 30)).toBe(2);
    expect(readyReplicas([], 40, 30)).toBe(0);
  });
});

describe("stepServiceLoad", () => {
  it("reports M/M/1 steady state: L = ρ/(1−ρ), Lq = ρ²/(1−ρ), p95 = ln(ρ/0.05)/(μ−λ) + 1/μ", () => {
    const { figures, state } = stepServiceLoad(initialServiceLoad, {
      atSeconds: 0,
      arrivals: { eu: 1.5, us: 0.5 },
      readyReplicas: 1,
      model: aModel(),
    });
    const rho = 2 / 3;
    expect(state.backlog).toBe(0);
    expect(figures.concurrency).toBeCloseTo(rho / (1 - rho), 12);
    expect(figures.queueDepth).toBeCloseTo((rho * rho) / (1 - rho), 12);
    expect(figures.p95LatencyMs).toBeCloseTo((Math.log(rho / 0.05) / (3 - 2) + 1 / 3) * 1000, 9);
    expect(figures.requestsPerSecond).toBe(2);
    expect(figures.tokensPerSecond).toBe(200);
    expect(figures.byRegion).toEqual({ eu: 1.5, us: 0.5 });
  });

  it("piles up a backlog in overload and drains it when replicas arrive", () => {
    const model = aModel();
    let s = stepServiceLoad(initialServiceLoad, { atSeconds: 0, arrivals: { eu: 9 }, readyReplicas: 2, model });
    s = stepServiceLoad(s.state, { atSeconds: 5, arrivals: { eu: 9 }, readyReplicas: 2, model });
    // (9 − 6) req/s for 5 s.
    expect(s.state.backlog).toBeCloseTo(15, 12);
    expect(s.figures.tokensPerSecond).toBe(600); // served at capacity
    expect(s.figures.p95LatencyMs).toBeCloseTo((15 / 6 + 1 / 3) * 1000, 9);
    s = stepServiceLoad(s.state, { atSeconds: 10, arrivals: { eu: 9 }, readyReplicas: 4, model });
    expect(s.state.backlog).toBe(0); // 15 − (12 − 9)·5
    expect(s.figures.queueDepth).toBeGreaterThan(0);
  });

  it("times requests out when no replica is ready, and bounds the backlog by the timeout", () => {
    const model = aModel({ timeoutSeconds: 10 });
    let s = stepServiceLoad(initialServiceLoad, { atSeconds: 0, arrivals: { eu: 2 }, readyReplicas: 0, model });
    s = stepServiceLoad(s.state, { atSeconds: 60, arrivals: { eu: 2 }, readyReplicas: 0, model });
    expect(s.state.backlog).toBe(20);
    expect(s.figures.p95LatencyMs).toBe(10_000);
    expect(shareSlowerThan(s.latency, 1)).toBe(1);
    const idle = stepServiceLoad(initialServiceLoad, { atSeconds: 0, arrivals: {}, readyReplicas: 0, model });
    expect(idle.figures).toMatchObject({ concurrency: 0, queueDepth: 0, p95LatencyMs: 0, requestsPerSecond: 0 });
  });

  it("puts M/M/1's share P(T > t) = ρ·e^(−(μ−λ)(t − 1/μ)) over a threshold", () => {
    const { latency } = stepServiceLoad(initialServiceLoad, {
      atSeconds: 0,
      arrivals: { eu: 2 },
      readyReplicas: 1,
      model: aModel(),
    });
    expect(shareSlowerThan(latency, 1)).toBeCloseTo((2 / 3) * Math.exp(-(1 - 1 / 3)), 12);
    expect(shareSlowerThan(latency, 0.2)).toBe(1);
  });

  it("keeps the backlog within [0, λ·timeout] and serves no more than the ready replicas can", () => {
    const step = fc.record({
      dt: fc.double({ min: 0, max: 30, noNaN: true }),
      rate: fc.double({ min: 0, max: 100, noNaN: true }),
      ready: fc.integer({ min: 0, max: 20 }),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
        const model = aModel({ timeoutSeconds: 15 });
        let state = initialServiceLoad;
        let at = 0;
        for (const { dt, rate, ready } of steps) {
          at += dt;
          const s = stepServiceLoad(state, { atSeconds: at, arrivals: { eu: rate }, readyReplicas: ready, model });
          expect(s.state.backlog).toBeGreaterThanOrEqual(0);
          expect(s.state.backlog).toBeLessThanOrEqual(rate * 15 + 1e-9);
          expect(s.figures.tokensPerSecond).toBeLessThanOrEqual(ready * 3 * 100 + 1e-9);
          expect(s.figures.p95LatencyMs).toBeLessThanOrEqual(15_000);
          expect(s.figures.concurrency).toBeGreaterThanOrEqual(s.figures.queueDepth);
          state = s.state;
        }
      }),
    );
  });

  it("builds a ServingSignal the contract accepts", () => {
    const { figures } = stepServiceLoad(initialServiceLoad, {
      atSeconds: 0,
      arrivals: { eu: 2 },
      readyReplicas: 1,
      model: aModel(),
    });
    const id = { tenant: "t", workload: "chat", generation: 1, replicas: 2, readyReplicas: 1 };
    const signal = ServingSignal.parse(servingSignalOf(id, figures, 5));
    expect(signal).toMatchObject({ workload: "chat", replicas: 2, readyReplicas: 1, windowSeconds: 5 });
  });
});
