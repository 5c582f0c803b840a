/**
 * The two shapes of bounded work the hub's bus ingest needs. Both are plain in-memory structures with no I/O of their
 * own, so they are tested without a server.
 */

/**
 * Latest-value-wins per key: a newer item for a key replaces the older one still waiting (a heartbeat only matters
 * as the newest). Items are handled in batches on later turns of the event loop, so a burst of messages never
 * starves timers or I/O. Bounded: at most `maxKeys` keys wait; past that, new keys are refused (counted by the
 * caller), while keys already waiting keep being replaced.
 */
export const latestPerKey = <T>(options: {
  handle: (key: string, item: T) => void;
  onError: (key: string, error: unknown) => void;
  maxKeys: number;
  batch?: number;
}) => {
  const waiting = new Map<string, T>();
  let scheduled = false;
  const batch = options.batch ?? 500;
  const drain = () => {
    scheduled = false;
    let n = 0;
    for (const [key, item] of waiting) {
      waiting.delete(key);
      try {
        options.handle(key, item);
      } catch (error) {
        options.onError(key, error);
      }
      if (++n >= batch) break;
    }
    if (waiting.size > 0) schedule();
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(drain);
  };
  return {
    /** Offer an item; false when it was refused because too many keys wait. */
    offer(key: string, item: T): boolean {
      if (!waiting.has(key) && waiting.size >= options.maxKeys) return false;
      // Re-inserting moves the key to the end: a cluster that reports often does not hold others back.
      waiting.delete(key);
      waiting.set(key, item);
      schedule();
      return true;
    },
    get size() {
      return waiting.size;
    },
  };
};

/**
 * Per-key FIFO with a global concurrency limit: items of one key are handled one at a time, in order (a cluster's
 * status reports apply in the order it sent them); different keys run in parallel up to `concurrency`. A failed item
 * stays at the head of its key's queue and is retried with exponential backoff — nothing is dropped on a database
 * error. A key's queue is bounded: past `maxPerKey` waiting items, the newest two are merged with `merge`.
 */
export const orderedPerKey = <T>(options: {
  handle: (key: string, item: T) => Promise<void>;
  onRetry: (key: string, error: unknown, attempt: number, delayMs: number) => void;
  merge: (older: T, newer: T) => T;
  concurrency: number;
  maxPerKey: number;
  maxKeys: number;
  backoff?: { initialMs: number; maxMs: number };
}) => {
  const queues = new Map<string, T[]>();
  const ready: string[] = [];
  const inReady = new Set<string>();
  const busy = new Set<string>();
  const markReady = (key: string) => {
    if (inReady.has(key)) return;
    inReady.add(key);
    ready.push(key);
  };
  const attempts = new Map<string, number>();
  const backoff = options.backoff ?? { initialMs: 100, maxMs: 5_000 };
  let running = 0;
  let closed = false;
  const idleWaiters: (() => void)[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const settleIdle = () => {
    if (running === 0 && ready.length === 0 && queues.size === 0) for (const w of idleWaiters.splice(0)) w();
  };

  const pump = () => {
    while (!closed && running < options.concurrency && ready.length > 0) {
      const key = ready.shift()!;
      inReady.delete(key);
      const queue = queues.get(key);
      const item = queue?.[0];
      if (!queue || item === undefined) continue;
      busy.add(key);
      running++;
      options
        .handle(key, item)
        .then(
          () => {
            attempts.delete(key);
            queue.shift();
            busy.delete(key);
            if (queue.length > 0) markReady(key);
            else queues.delete(key);
          },
          (error: unknown) => {
            const attempt = (attempts.get(key) ?? 0) + 1;
            attempts.set(key, attempt);
            const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** (attempt - 1));
            options.onRetry(key, error, attempt, delay);
            const timer = setTimeout(() => {
              timers.delete(timer);
              busy.delete(key);
              markReady(key);
              pump();
            }, delay);
            timers.add(timer);
          },
        )
        .finally(() => {
          running--;
          pump();
          settleIdle();
        });
    }
  };

  return {
    /** Queue an item; false when refused because too many keys are waiting (counted by the caller). */
    offer(key: string, item: T): boolean {
      if (closed) return false;
      let queue = queues.get(key);
      if (!queue) {
        if (queues.size >= options.maxKeys) return false;
        queue = [];
        queues.set(key, queue);
      }
      // The head may be in flight; merge only items behind it.
      const mergeable = busy.has(key) ? queue.length - 1 : queue.length;
      if (queue.length >= options.maxPerKey && mergeable >= 1) queue.push(options.merge(queue.pop()!, item));
      else queue.push(item);
      if (!busy.has(key)) markReady(key);
      pump();
      return true;
    },
    /** Resolves when nothing waits or runs. */
    idle(): Promise<void> {
      if (running === 0 && ready.length === 0 && queues.size === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    /** Stop starting new work (what runs finishes); waiting items are dropped. */
    close(): void {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      queues.clear();
      ready.length = 0;
      inReady.clear();
      settleIdle();
    },
    get waiting() {
      let n = 0;
      for (const q of queues.values()) n += q.length;
      return n;
    },
  };
};
