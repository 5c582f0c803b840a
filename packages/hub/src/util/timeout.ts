/** Raised when `withTimeout` gives up; the work itself may still finish later. */
export class TimeoutError extends Error {
  readonly code = "timeout";
  constructor(what: string, ms: number) {
    super(`${what} did not finish within ${ms} ms`);
    this.name = "TimeoutError";
  }
}

/** Resolve with `work`, or reject with a TimeoutError after `ms`: shutdown and readiness never wait forever. */
export const withTimeout = <T>(work: Promise<T>, ms: number, what: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
};
