/**
 * Cumulative histogram buckets (`le` → observations ≤ le) and the quantile Prometheus's
 * `histogram_quantile` computes from them: linear interpolation inside the bucket the rank falls in,
 * the first bucket starting at 0, and the highest finite bound when the rank falls in the +Inf bucket.
 */
export type Buckets = Map<number, number>;

/** Add `b` into `a` bucket by bucket (series of one histogram from several pods or label sets). */
export const addBuckets = (a: Buckets, b: Buckets): Buckets => {
  const out = new Map(a);
  for (const [le, n] of b) out.set(le, (out.get(le) ?? 0) + n);
  return out;
};

/**
 * Observations between two scrapes, bucket by bucket. A histogram whose total went down was reset (the
 * process restarted): everything it holds now happened since, as Prometheus's `rate()` assumes.
 */
export const bucketDelta = (now: Buckets, before: Buckets | undefined): Buckets => {
  if (!before) return new Map(now);
  const total = (b: Buckets) => b.get(Number.POSITIVE_INFINITY) ?? Math.max(0, ...b.values());
  if (total(now) < total(before)) return new Map(now);
  const out: Buckets = new Map();
  for (const [le, n] of now) out.set(le, Math.max(0, n - (before.get(le) ?? 0)));
  return out;
};

/** The q-quantile (0..1) of the observations, or undefined without observations or without a +Inf bucket. */
export const quantile = (q: number, buckets: Buckets): number | undefined => {
  const sorted = [...buckets.entries()].sort(([a], [b]) => a - b);
  const last = sorted[sorted.length - 1];
  if (!last || last[0] !== Number.POSITIVE_INFINITY) return undefined;
  // Counts must not fall with the bound (they can, across scrapes of moving series); Prometheus fixes them up too.
  let running = 0;
  const fixed = sorted.map(([le, n]) => {
    running = Math.max(running, n);
    return [le, running] as const;
  });
  const total = running;
  if (total <= 0) return undefined;
  const rank = q * total;
  const i = fixed.findIndex(([, n]) => n >= rank);
  const [upper, count] = fixed[i] ?? last;
  const previous = fixed[i - 1];
  if (upper === Number.POSITIVE_INFINITY) return previous ? previous[0] : undefined;
  const lower = previous ? previous[0] : Math.min(0, upper);
  const below = previous ? previous[1] : 0;
  if (count === below) return upper;
  return lower + ((upper - lower) * (rank - below)) / (count - below);
};
