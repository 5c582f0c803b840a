import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createRateLimiter } from "./rate-limit.ts";

/** A clock the test moves by hand. */
const fakeClock = (start = 1_000_000) => {
  let t = start;
  return {
    now: () => new Date(t),
    advance: (ms: number) => {
      t += ms;
    },
  };
};

const limit = { perSecond: 2, burst: 5 };

describe("the token-bucket rate limiter", () => {
  it("allows a burst, then refuses with how long to wait", () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(clock);
    for (let i = 0; i < 5; i++) expect(limiter.take("k", limit)).toMatchObject({ allowed: true, remaining: 4 - i });
    const refused = limiter.take("k", limit);
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 0.5, first: true });
    expect(limiter.take("k", limit)).toMatchObject({ allowed: false, first: false });
  });

  it("refills at its rate: the wait it announced is enough, and not much less is", () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(clock);
    for (let i = 0; i < 5; i++) limiter.take("k", limit);
    clock.advance(499);
    expect(limiter.take("k", limit).allowed).toBe(false);
    clock.advance(1);
    expect(limiter.take("k", limit).allowed).toBe(true);
    clock.advance(10_000);
    for (let i = 0; i < 5; i++) expect(limiter.take("k", limit).allowed).toBe(true);
    expect(limiter.take("k", limit).allowed).toBe(false);
  });

  it("keeps one bucket per key", () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(clock);
    for (let i = 0; i < 5; i++) limiter.take("a", limit);
    expect(limiter.take("a", limit).allowed).toBe(false);
    expect(limiter.take("b", limit).allowed).toBe(true);
  });

  it("marks only the first refusal of a run as first", () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(clock);
    const one = { perSecond: 1, burst: 1 };
    expect(limiter.take("k", one).allowed).toBe(true);
    expect(limiter.take("k", one)).toMatchObject({ allowed: false, first: true });
    expect(limiter.take("k", one)).toMatchObject({ allowed: false, first: false });
    clock.advance(1_000);
    expect(limiter.take("k", one).allowed).toBe(true);
    expect(limiter.take("k", one)).toMatchObject({ allowed: false, first: true });
  });

  it("forgets buckets that have refilled, so idle callers cost no memory", () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(clock, 60_000);
    for (let i = 0; i < 100; i++) limiter.take(`k${i}`, limit);
    expect(limiter.size()).toBe(100);
    clock.advance(60_000);
    limiter.take("fresh", limit);
    expect(limiter.size()).toBe(1);
  });

  it("never allows more than burst + rate × elapsed, and never refuses a caller that stayed within it", () => {
    fc.assert(
      fc.property(
        fc.record({ perSecond: fc.integer({ min: 1, max: 50 }), burst: fc.integer({ min: 1, max: 50 }) }),
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 300 }),
        (lim, gaps) => {
          const clock = fakeClock();
          const limiter = createRateLimiter(clock);
          let elapsed = 0;
          let allowedCount = 0;
          for (const gap of gaps) {
            clock.advance(gap);
            elapsed += gap;
            if (limiter.take("k", lim).allowed) allowedCount++;
            // The bound every token bucket keeps, however requests arrive.
            expect(allowedCount).toBeLessThanOrEqual(lim.burst + (lim.perSecond * elapsed) / 1000 + 1e-9);
          }
          // After a full refill the whole burst is available again.
          clock.advance(Math.ceil((lim.burst / lim.perSecond) * 1000));
          for (let i = 0; i < lim.burst; i++) expect(limiter.take("k", lim).allowed).toBe(true);
        },
      ),
    );
  });
});
