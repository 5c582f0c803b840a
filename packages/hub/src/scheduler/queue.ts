/** What the queue needs to know of a pending workload. */
export interface Queued {
  name: string;
  tenant: string;
  priority: number;
  createdAt: Date;
  gpus: number;
}

/**
 * Queue order: priority first; among equal priority, the tenant using least of its fair share
 * (GPUs in use ÷ weight) goes next, counting what this order has already handed out; then age.
 * Each pass walks the whole order, so a workload that does not fit never blocks one behind it.
 */
export const queueOrder = <T extends Queued>(
  pending: readonly T[],
  usage: ReadonlyMap<string, number>,
  weights: ReadonlyMap<string, number>,
): T[] => {
  const share = new Map(usage);
  const left = [...pending];
  const out: T[] = [];
  const load = (t: string) => (share.get(t) ?? 0) / (weights.get(t) ?? 1);
  while (left.length > 0) {
    let best = 0;
    for (let i = 1; i < left.length; i++) {
      const a = left[i] as T;
      const b = left[best] as T;
      const better =
        a.priority !== b.priority
          ? a.priority > b.priority
          : load(a.tenant) !== load(b.tenant)
            ? load(a.tenant) < load(b.tenant)
            : a.createdAt.getTime() !== b.createdAt.getTime()
              ? a.createdAt < b.createdAt
              : a.name < b.name;
      if (better) best = i;
    }
    // `best` indexes the non-empty `left`: exactly one comes out.
    const next = left.splice(best, 1)[0]!;
    out.push(next);
    share.set(next.tenant, (share.get(next.tenant) ?? 0) + next.gpus);
  }
  return out;
};
