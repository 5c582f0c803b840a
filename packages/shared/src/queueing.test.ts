import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  erlangC,
  latencyQuantileSeconds,
  maxArrivalRate,
  mmc,
  waitExceedance,
  waitQuantileSeconds,
} from "./queueing.ts";

/** Erlang C straight from its textbook definition (sums of a^k/k!), an independent check on the recurrence. */
const erlangCBySums = (c: number, a: number): number => {
  let term = 1;
  let sum = 0;
  for (let k = 0; k < c; k++) {
    sum += term;
    term = (term * a) / (k + 1);
  }
  const last = (term * c) / (c - a);
  return last / (sum + last);
};

describe("erlangC", () => {
  it("matches textbook values", () => {
    // c = 3, a = 2: 4/9 (the standard worked example).
    expect(erlangC(3, 2)).toBeCloseTo(4 / 9, 12);
    // c = 5, a = 3 (one call a minute, 3-minute calls, 5 agents): 0.2362.
    expect(erlangC(5, 3)).toBeCloseTo(0.2362, 4);
  });

  it("reduces to ρ for one server and to 2ρ²/(1+ρ) for two", () => {
    for (const rho of [0.1, 0.5, 0.9, 0.99]) {
      expect(erlangC(1, rho)).toBeCloseTo(rho, 12);
      expect(erlangC(2, 2 * rho)).toBeCloseTo((2 * rho * rho) / (1 + rho), 12);
    }
  });

  it("agrees with the sum-form definition wherever that one is still finite", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 120 }), fc.double({ min: 0.01, max: 0.999, noNaN: true }), (c, rho) => {
        const a = c * rho;
        expect(erlangC(c, a)).toBeCloseTo(erlangCBySums(c, a), 9);
      }),
    );
  });

  it("stays a probability for thousands of servers, where a^c/c! overflows", () => {
    const p = erlangC(5000, 4900);
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(1);
    expect(erlangC(5000, 5000)).toBe(1);
    expect(erlangC(0, 1)).toBe(1);
    expect(erlangC(4, 0)).toBe(0);
  });
});

describe("mmc", () => {
  it("gives the M/M/1 closed forms (λ = 2/s, μ = 3/s)", () => {
    const f = mmc({ arrivalRate: 2, serviceRate: 3, servers: 1 });
    expect(f.utilisation).toBeCloseTo(2 / 3, 12);
    expect(f.meanQueueLength).toBeCloseTo(4 / 3, 12); // ρ²/(1−ρ)
    expect(f.meanInSystem).toBeCloseTo(2, 12); // ρ/(1−ρ)
    expect(f.meanWaitSeconds).toBeCloseTo(2 / 3, 12); // ρ/(μ−λ)
    expect(f.meanResponseSeconds).toBeCloseTo(1, 12); // 1/(μ−λ)
  });

  it("gives the M/M/2 closed forms (λ = 3/s, μ = 2/s)", () => {
    const f = mmc({ arrivalRate: 3, serviceRate: 2, servers: 2 });
    const rho = 0.75;
    expect(f.meanQueueLength).toBeCloseTo((2 * rho ** 3) / (1 - rho ** 2), 12);
    expect(f.meanInSystem).toBeCloseTo((2 * rho) / (1 - rho ** 2), 12);
  });

  it("obeys Little's law: L = λW and Lq = λWq", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.double({ min: 0.05, max: 50, noNaN: true }),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        (c, mu, rho) => {
          const lambda = rho * c * mu;
          const f = mmc({ arrivalRate: lambda, serviceRate: mu, servers: c });
          expect(f.meanInSystem).toBeCloseTo(lambda * f.meanResponseSeconds, 6);
          expect(f.meanQueueLength).toBeCloseTo(lambda * f.meanWaitSeconds, 6);
        },
      ),
    );
  });

  it("reports an overloaded queue as unstable with infinite waits", () => {
    const f = mmc({ arrivalRate: 10, serviceRate: 2, servers: 4 });
    expect(f.stable).toBe(false);
    expect(f.meanWaitSeconds).toBe(Number.POSITIVE_INFINITY);
    expect(waitQuantileSeconds(f, 0.95)).toBe(Number.POSITIVE_INFINITY);
    expect(waitExceedance(f, 100)).toBe(1);
  });

  it("is idle and stable with no arrivals, even with no servers", () => {
    const f = mmc({ arrivalRate: 0, serviceRate: 2, servers: 0 });
    expect(f.stable).toBe(true);
    expect(f.meanQueueLength).toBe(0);
  });
});

describe("waiting-time distribution", () => {
  it("has M/M/1's tail P(Wq > t) = ρ·e^(−μ(1−ρ)t)", () => {
    const f = mmc({ arrivalRate: 2, serviceRate: 3, servers: 1 });
    expect(waitExceedance(f, 0.5)).toBeCloseTo((2 / 3) * Math.exp(-3 * (1 / 3) * 0.5), 12);
    // The 95th percentile solves ρ·e^(−(μ−λ)t) = 0.05: t = ln(ρ/0.05)/(μ−λ).
    expect(waitQuantileSeconds(f, 0.95)).toBeCloseTo(Math.log(2 / 3 / 0.05), 12);
  });

  it("puts the quantile at 0 when at least that share of arrivals never waits", () => {
    const f = mmc({ arrivalRate: 1, serviceRate: 10, servers: 4 });
    expect(f.probWait).toBeLessThan(0.05);
    expect(waitQuantileSeconds(f, 0.95)).toBe(0);
    expect(latencyQuantileSeconds({ arrivalRate: 1, serviceRate: 10, servers: 4 }, 0.95)).toBeCloseTo(0.1, 12);
  });

  it("finds the highest rate within a latency budget, and no more", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.double({ min: 0.5, max: 20, noNaN: true }),
        fc.double({ min: 0.01, max: 2, noNaN: true }),
        (c, mu, extra) => {
          const budget = 1 / mu + extra;
          const max = maxArrivalRate(c, mu, budget, 0.95);
          expect(max).toBeGreaterThan(0);
          expect(max).toBeLessThan(c * mu);
          expect(latencyQuantileSeconds({ arrivalRate: max, serviceRate: mu, servers: c }, 0.95)).toBeLessThanOrEqual(
            budget + 1e-9,
          );
          const beyond = Math.min(max * 1.001 + 1e-6, c * mu);
          expect(latencyQuantileSeconds({ arrivalRate: beyond, serviceRate: mu, servers: c }, 0.95)).toBeGreaterThan(
            budget - 1e-9,
          );
        },
      ),
    );
  });

  it("takes nothing when the budget is below one service time", () => {
    expect(maxArrivalRate(8, 5, 0.19, 0.95)).toBe(0);
    expect(maxArrivalRate(0, 5, 10, 0.95)).toBe(0);
  });
});
