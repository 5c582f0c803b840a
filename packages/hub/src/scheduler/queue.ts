/** What the queue needs to know of a pending workload. */
export interface Queued {
  name: string;
  tenant: string;
  priority: number;
  createdAt: Date;
  gpus: number;
}

/** A binary min-heap under `before` (true when a goes before b). */
const minHeap = <T>(before: (a: T, b: T) => boolean) => {
  const items: T[] = [];
  const swap = (i: number, j: number) => {
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  };
  return {
    get size() {
      return items.length;
    },
    push(x: T): void {
      items.push(x);
      for (let i = items.length - 1; i > 0; ) {
        const up = (i - 1) >> 1;
        if (!before(items[i] as T, items[up] as T)) break;
        swap(i, up);
        i = up;
      }
    },
    pop(): T | undefined {
      const top = items[0];
      const last = items.pop();
      if (items.length > 0 && last !== undefined) {
        items[0] = last;
        for (let i = 0; ; ) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < items.length && before(items[l] as T, items[m] as T)) m = l;
          if (r < items.length && before(items[r] as T, items[m] as T)) m = r;
          if (m === i) break;
          swap(i, m);
          i = m;
        }
      }
      return top;
    },
  };
};

/**
 * Queue order: priority first; among equal priority, the tenant using least of its fair share
 * (GPUs in use ÷ weight) goes next, counting what this order has already handed out; then age.
 * Each pass walks the whole order, so a workload that does not fit never blocks one behind it.
 *
 * It is the order of picking, again and again, the best of what is left by (priority, the tenant's share, age, name,
 * place in the input) — which took n²/2 comparisons: at 10,000 waiting workloads, seconds of every pass on the
 * event loop. Within one priority and one tenant that order never changes (the share is the tenant's), so each
 * tenant's workloads are sorted once and the tenants are kept in a heap by their share and their next workload:
 * O(n log n), the same order.
 */
export const queueOrder = <T extends Queued>(
  pending: readonly T[],
  usage: ReadonlyMap<string, number>,
  weights: ReadonlyMap<string, number>,
): T[] => {
  const share = new Map(usage);
  const load = (t: string) => (share.get(t) ?? 0) / (weights.get(t) ?? 1);
  const indexed = pending.map((w, i) => ({ w, i, at: w.createdAt.getTime() }));
  type Item = (typeof indexed)[number];
  const byAge = (a: Item, b: Item) =>
    a.at - b.at || (a.w.name < b.w.name ? -1 : a.w.name > b.w.name ? 1 : 0) || a.i - b.i;
  const levels = [...new Set(pending.map((w) => w.priority))].sort((a, b) => b - a);
  const out: T[] = [];
  for (const priority of levels) {
    const queues = new Map<string, Item[]>();
    for (const x of indexed) {
      if (x.w.priority !== priority) continue;
      const q = queues.get(x.w.tenant);
      if (q) q.push(x);
      else queues.set(x.w.tenant, [x]);
    }
    interface Entry {
      tenant: string;
      load: number;
      queue: Item[];
      next: number;
    }
    const heap = minHeap<Entry>((a, b) => {
      if (a.load !== b.load) return a.load < b.load;
      const d = byAge(a.queue[a.next] as Item, b.queue[b.next] as Item);
      return d < 0;
    });
    for (const [tenant, queue] of queues) heap.push({ tenant, load: load(tenant), queue: queue.sort(byAge), next: 0 });
    for (let e = heap.pop(); e !== undefined; e = heap.pop()) {
      const x = e.queue[e.next++] as Item;
      out.push(x.w);
      share.set(e.tenant, (share.get(e.tenant) ?? 0) + x.w.gpus);
      if (e.next < e.queue.length) heap.push({ ...e, load: load(e.tenant) });
    }
  }
  return out;
};
