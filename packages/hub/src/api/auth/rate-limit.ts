import type { Clock } from "../../util/clock.ts";

/** A token bucket's shape: it holds up to `burst` requests and refills at `perSecond`. */
export interface BucketLimit {
  perSecond: number;
  burst: number;
}

export type RateDecision =
  | { allowed: true; remaining: number }
  /** `first` is true for the first refusal after an allowed request: worth one audit row, not one per retry. */
  | { allowed: false; retryAfterSeconds: number; first: boolean };

export interface RateLimiter {
  /** Spend one request from `key`'s bucket (created full on first use) with `limit`. */
  take(key: string, limit: BucketLimit): RateDecision;
  /** How many buckets are held (idle full buckets are dropped, so memory follows active callers). */
  size(): number;
}

interface Bucket {
  tokens: number;
  at: number;
  limit: BucketLimit;
  refusing: boolean;
}

/** Tokens in `b` at `now`, refilled since it was last touched and capped at the burst. */
const level = (b: Bucket, now: number): number =>
  Math.min(b.limit.burst, b.tokens + (Math.max(0, now - b.at) / 1000) * b.limit.perSecond);

/**
 * Per-key token buckets over an injected clock. A bucket that has refilled to full is the same as no
 * bucket, so a sweep (at most once per `sweepEveryMs`) drops those and memory follows the active callers.
 */
export const createRateLimiter = (clock: Clock, sweepEveryMs = 60_000): RateLimiter => {
  const buckets = new Map<string, Bucket>();
  let lastSweep = clock.now().getTime();

  return {
    take(key, limit) {
      const now = clock.now().getTime();
      if (now - lastSweep >= sweepEveryMs) {
        for (const [k, b] of buckets) if (level(b, now) >= b.limit.burst) buckets.delete(k);
        lastSweep = now;
      }
      const b = buckets.get(key) ?? { tokens: limit.burst, at: now, limit, refusing: false };
      buckets.set(key, b);
      // A changed limit (config reload, role change) applies from now on, without a free refill.
      b.tokens = Math.min(limit.burst, level(b, now));
      b.at = now;
      b.limit = limit;
      if (b.tokens >= 1) {
        b.tokens -= 1;
        b.refusing = false;
        return { allowed: true, remaining: Math.floor(b.tokens) };
      }
      const first = !b.refusing;
      b.refusing = true;
      return { allowed: false, retryAfterSeconds: (1 - b.tokens) / limit.perSecond, first };
    },
    size: () => buckets.size,
  };
};
