import { describe, expect, it } from "vitest";
import type { Reading } from "./engines.ts";
import { counterDelta, windowFigures } from "./serving-window.ts";

const INF = Number.POSITIVE_INFINITY;

const reading = (o: Partial<Reading> & { ttft?: [number, number][] }): Reading => ({
  engine: o.engine ?? "vllm",
  concurrency: o.concurrency ?? 0,
  queueDepth: o.queueDepth ?? 0,
  tokens: o.tokens ?? 0,
  requests: o.requests ?? 0,
  latency: new Map(o.ttft ?? [[INF, o.requests ?? 0]]),
});

describe("windowFigures", () => {
  it("sums gauges as they are and rates counters over the window", () => {
    const f = windowFigures(
      [
        {
          reading: reading({ concurrency: 3, queueDepth: 1, tokens: 4000, requests: 60 }),
          baseline: reading({ tokens: 1000, requests: 10 }),
          startedInWindow: false,
        },
        {
          reading: reading({ concurrency: 2, queueDepth: 4, tokens: 2500, requests: 40 }),
          baseline: reading({ tokens: 500, requests: 30 }),
          startedInWindow: false,
        },
      ],
      10,
    );
    expect(f).toMatchObject({ concurrency: 5, queueDepth: 5, tokensPerSecond: 500, requestsPerSecond: 6 });
  });

  it("takes a p95 from the window's observations only, not from before it", () => {
    // Before: 1000 slow requests (5 s). In the window: 90 at ≤ 0.06 s and 10 at ≤ 1 s.
    const buckets = (fast: number, mid: number, slow: number): [number, number][] => [
      [0.06, fast],
      [0.75, fast],
      [1, fast + mid],
      [5, fast + mid + slow],
      [INF, fast + mid + slow],
    ];
    const f = windowFigures(
      [
        {
          reading: reading({ requests: 1100, ttft: buckets(90, 10, 1000) }),
          baseline: reading({ requests: 1000, ttft: buckets(0, 0, 1000) }),
          startedInWindow: false,
        },
      ],
      60,
    );
    expect(f.p95LatencyMs).toBeCloseTo(875, 6);
  });

  it("counts a pod that started inside the window from zero, and only the gauges of one it cannot place", () => {
    const f = windowFigures(
      [
        { reading: reading({ concurrency: 1, tokens: 300, requests: 3 }), startedInWindow: true },
        { reading: reading({ concurrency: 2, tokens: 9000, requests: 90 }), startedInWindow: false },
      ],
      10,
    );
    expect(f).toMatchObject({ concurrency: 3, tokensPerSecond: 30, requestsPerSecond: 0.3 });
  });

  it("treats a counter that went down as a restart", () => {
    expect(counterDelta(40, 1000)).toBe(40);
    expect(counterDelta(1040, 1000)).toBe(40);
    expect(counterDelta(7, undefined)).toBe(7);
    const f = windowFigures(
      [{ reading: reading({ tokens: 40 }), baseline: reading({ tokens: 1000 }), startedInWindow: false }],
      4,
    );
    expect(f.tokensPerSecond).toBe(10);
  });

  it("reports no latency, and no load, for a window without requests", () => {
    const f = windowFigures(
      [{ reading: reading({ requests: 5 }), baseline: reading({ requests: 5 }), startedInWindow: false }],
      10,
    );
    expect(f).toEqual({ concurrency: 0, queueDepth: 0, p95LatencyMs: 0, tokensPerSecond: 0, requestsPerSecond: 0 });
  });
});
