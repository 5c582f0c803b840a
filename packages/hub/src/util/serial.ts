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
