/**
 * Runs `task` one at a time, and coalesces requests made while it runs into a single re-run:
 * many heartbeats in a burst cause one scheduling pass, not one each.
 */
export const coalesced = (task: () => Promise<void>, onError: (error: unknown) => void) => {
  let running: Promise<void> | undefined;
  let again = false;
  const loop = async (): Promise<void> => {
    do {
      again = false;
      try {
        await task();
      } catch (error) {
        onError(error);
      }
    } while (again);
    running = undefined;
  };
  return {
    /** Ask for a run; resolves when a run that started after this call has finished. */
    kick(): Promise<void> {
      if (running) {
        again = true;
        return running;
      }
      running = loop();
      return running;
    },
    /** Resolves when no run is in progress. */
    async idle(): Promise<void> {
      while (running) await running;
    },
  };
};

/** A mutual-exclusion lock for async sections. */
export const mutex = () => {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(section: () => Promise<T>): Promise<T> => {
    const result = tail.then(section, section);
    tail = result.catch(() => undefined);
    return result;
  };
};

/**
 * A wake-up call for pollers: `wait(ms)` resolves after `ms` or at the next `notify()`, whichever is first. Watches
 * poll the database on a timer (another replica's writes arrive only that way) and this replica's own writes wake
 * them at once, so what it commits shows on a watch without the poll interval's delay.
 */
export const wakeup = () => {
  const waiters = new Set<() => void>();
  return {
    notify(): void {
      const now = [...waiters];
      waiters.clear();
      for (const w of now) w();
    },
    wait(ms: number): Promise<void> {
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        waiters.add(done);
      });
    },
    /** How many are waiting (tests, metrics). */
    get waiting(): number {
      return waiters.size;
    },
  };
};
export type Wakeup = ReturnType<typeof wakeup>;

/**
 * Group commit: calls made while earlier ones are being written join one batch (`run` gets them all and answers each,
 * in order). Alone, a call runs at once (no timer, no added latency); under load — twenty clients submitting — they
 * share one transaction instead of paying a transaction's round trips each, which is what bounds the hub's
 * throughput on its one event loop. At most `concurrency` batches run at a time. An error fails its batch's calls.
 */
export const grouped = <I, O>(
  run: (items: I[]) => Promise<O[]>,
  options: { maxBatch: number; concurrency: number },
) => {
  const queue: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  let running = 0;
  const drain = (): void => {
    while (running < options.concurrency && queue.length > 0) {
      const batch = queue.splice(0, options.maxBatch);
      running++;
      void (async () => {
        try {
          const out = await run(batch.map((b) => b.item));
          for (const [i, b] of batch.entries()) b.resolve(out[i] as O);
        } catch (error) {
          for (const b of batch) b.reject(error);
        } finally {
          running--;
          drain();
        }
      })();
    }
  };
  return (item: I): Promise<O> =>
    new Promise<O>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      drain();
    });
};
