import type { DatasetCopy, StagingItem } from "@gantry/shared";

/** One copy being made or held in the simulated cluster. */
interface Copy {
  dataset: string;
  /** Shards held; undefined: the whole dataset. */
  shards: number[] | undefined;
  sizeGB: number;
  copiedGB: number;
  gbps: number;
  ready: boolean;
  /** Real milliseconds (the driver's clock) of the last step and of the last use by a workload. */
  steppedAt: number;
  lastUsedAt: number;
}

const key = (dataset: string, shards: readonly number[] | undefined) =>
  shards === undefined ? dataset : `${dataset}#${shards.join(",")}`;

/** Does `copy` hold what `item` needs: the whole dataset, or every shard the item names. */
const covers = (copy: Copy, item: StagingItem): boolean => {
  if (copy.dataset !== item.dataset) return false;
  if (copy.shards === undefined) return true;
  if (item.shards === undefined) return false;
  const held = new Set(copy.shards);
  return item.shards.every((s) => held.has(s));
};

export interface DataProgress {
  copiedGB: number;
  totalGB: number;
  etaSeconds: number;
}

/**
 * The simulated cluster's dataset cache: copies are made at the link's bandwidth in simulated time (an hour of
 * simulated time lasts `secondsPerHour` real seconds), shared by every workload that needs the same data here, and
 * kept after they finish as cached locations. Past `cacheGB`, the least recently used copies no current workload
 * reads are evicted.
 */
export const createDataCache = (options: { secondsPerHour: number; cacheGB?: number }) => {
  const copies = new Map<string, Copy>();
  /** Simulated seconds per real millisecond. */
  const simPerMs = options.secondsPerHour > 0 ? 3_600 / options.secondsPerHour / 1_000 : Number.POSITIVE_INFINITY;

  const find = (item: StagingItem): Copy | undefined => {
    const exact = copies.get(key(item.dataset, item.shards));
    if (exact) return exact;
    for (const c of copies.values()) if (c.ready && covers(c, item)) return c;
    return undefined;
  };

  return {
    /** Make sure each item is copied or being copied (one copy per dataset and shard set, shared). */
    ensure(items: readonly StagingItem[], nowMs: number): void {
      for (const item of items) {
        if (find(item)) continue;
        copies.set(key(item.dataset, item.shards), {
          dataset: item.dataset,
          shards: item.shards ? [...item.shards] : undefined,
          sizeGB: item.sizeGB,
          copiedGB: 0,
          gbps: item.gbps,
          ready: item.sizeGB === 0,
          steppedAt: nowMs,
          lastUsedAt: nowMs,
        });
      }
    },

    /** Advance every copy to `nowMs`; true when one finished. */
    step(nowMs: number): boolean {
      let finished = false;
      for (const c of copies.values()) {
        if (c.ready) continue;
        const simSeconds = Math.max(0, nowMs - c.steppedAt) * simPerMs;
        c.steppedAt = nowMs;
        c.copiedGB = Math.min(c.sizeGB, c.copiedGB + (c.gbps / 8) * simSeconds);
        if (c.copiedGB >= c.sizeGB) {
          c.ready = true;
          finished = true;
        }
      }
      return finished;
    },

    /** Everything `items` need is in. */
    ready(items: readonly StagingItem[]): boolean {
      return items.every((i) => find(i)?.ready === true);
    },

    /** How far `items` are, with an ETA in simulated seconds at their links. */
    progress(items: readonly StagingItem[]): DataProgress {
      let copiedGB = 0;
      let totalGB = 0;
      let eta = 0;
      for (const i of items) {
        const c = find(i);
        const size = c?.sizeGB ?? i.sizeGB;
        const done = c?.ready ? size : (c?.copiedGB ?? 0);
        copiedGB += done;
        totalGB += size;
        eta = Math.max(eta, ((size - done) * 8) / i.gbps);
      }
      return { copiedGB, totalGB, etaSeconds: eta };
    },

    /** Mark the copies of these datasets as read now (their workloads run). */
    touch(datasets: Iterable<string>, nowMs: number): void {
      const names = new Set(datasets);
      for (const c of copies.values()) if (names.has(c.dataset)) c.lastUsedAt = nowMs;
    },

    /** Evict least recently used ready copies nobody in `inUse` reads until the cache fits; returns what went. */
    evict(inUse: ReadonlySet<string>): string[] {
      if (options.cacheGB === undefined) return [];
      let used = 0;
      for (const c of copies.values()) used += c.ready ? c.sizeGB : c.copiedGB;
      const gone: string[] = [];
      const candidates = [...copies.entries()]
        .filter(([, c]) => c.ready && !inUse.has(c.dataset))
        .sort((a, b) => a[1].lastUsedAt - b[1].lastUsedAt);
      for (const [k, c] of candidates) {
        if (used <= options.cacheGB) break;
        copies.delete(k);
        used -= c.sizeGB;
        gone.push(k);
      }
      return gone;
    },

    /** What the agent reports: every copy, staging or ready. */
    report(): DatasetCopy[] {
      return [...copies.values()].map((c) => ({
        dataset: c.dataset,
        state: c.ready ? "ready" : "staging",
        sizeGB: Math.round(c.sizeGB * 1000) / 1000,
        copiedGB: Math.round((c.ready ? c.sizeGB : c.copiedGB) * 1000) / 1000,
        ...(c.shards ? { shards: c.shards } : {}),
        lastUsedAt: new Date(c.lastUsedAt).toISOString(),
      }));
    },
  };
};
export type DataCache = ReturnType<typeof createDataCache>;
