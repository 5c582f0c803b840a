import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Buckets, bucketDelta, quantile } from "./histogram.ts";

const INF = Number.POSITIVE_INFINITY;
const b = (...pairs: [number, number][]): Buckets => new Map(pairs);

describe("quantile", () => {
  it("interpolates inside the bucket the rank falls in, as histogram_quantile does", () => {
    // 90 observations ≤ 0.06, 10 more ≤ 1.0: rank 95 lies halfway through the (0.75, 1.0] bucket's 10.
    const h = b([0.06, 90], [0.75, 90], [1, 100], [INF, 100]);
    expect(quantile(0.95, h)).toBeCloseTo(0.875, 10);
    // The first bucket starts at 0.
    expect(quantile(0.5, b([2, 10], [INF, 10]))).toBeCloseTo(1, 10);
  });

  it("answers the highest finite bound when the rank is in +Inf, and nothing without observations or +Inf", () => {
    expect(quantile(0.95, b([1, 10], [2, 50], [INF, 100]))).toBe(2);
    expect(quantile(0.95, b([1, 0], [INF, 0]))).toBeUndefined();
    expect(quantile(0.95, b([1, 5]))).toBeUndefined();
  });

  it("lies within the bounds of the bucket that holds the rank, for any histogram", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 12 }),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        (perBucket, q) => {
          const bounds = perBucket.map((_, i) => 0.01 * 2 ** i);
          let running = 0;
          const h: Buckets = new Map();
          for (const [i, n] of perBucket.entries()) {
            running += n;
            h.set(bounds[i] ?? 0, running);
          }
          h.set(INF, running);
          const v = quantile(q, h);
          if (running === 0) return v === undefined;
          // Independent model: walk the raw counts to the bucket holding rank q·total.
          const rank = q * running;
          let seen = 0;
          let i = 0;
          while (i < perBucket.length && seen + (perBucket[i] ?? 0) < rank) seen += perBucket[i++] ?? 0;
          const upper = bounds[Math.min(i, bounds.length - 1)] ?? 0;
          const lower = i === 0 ? 0 : (bounds[i - 1] ?? 0);
          return v !== undefined && v >= lower - 1e-12 && v <= upper + 1e-12;
        },
      ),
    );
  });
});

describe("bucketDelta", () => {
  it("subtracts the baseline, and takes a histogram that shrank as reset", () => {
    expect(bucketDelta(b([1, 30], [INF, 40]), b([1, 10], [INF, 15]))).toEqual(b([1, 20], [INF, 25]));
    expect(bucketDelta(b([1, 3], [INF, 4]), b([1, 10], [INF, 15]))).toEqual(b([1, 3], [INF, 4]));
    expect(bucketDelta(b([1, 3], [INF, 4]), undefined)).toEqual(b([1, 3], [INF, 4]));
  });
});
