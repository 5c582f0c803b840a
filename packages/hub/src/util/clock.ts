/** Time is a dependency: production passes the system clock, tests may pass their own. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * The time the fleet's work is measured in: billed hours, budget days and months, burst waits, drain-back, runaway
 * limits and every workload timestamp. It is the process clock in production; `gantry up --seconds-per-hour N` runs
 * it N/3600 times as slow as the simulated clusters run their work, so estimates and spend agree. Heartbeats,
 * leases, fencing and failover stay on the process clock: they time processes, not work.
 */
export interface WorkClock extends Clock {
  /** A moment of the process clock (a job's start or end as an agent reported it) in work time. */
  fromReal(at: Date): Date;
  /** How long to wait on the process clock for `ms` of work time to pass (timers). */
  realMs(ms: number): number;
  /** Real seconds per work hour: 3600 when work runs on the process clock. */
  readonly secondsPerHour: number;
}

/** Work on the process clock itself (production, and tests that do not simulate time). */
export const realWorkClock = (clock: Clock = systemClock): WorkClock => ({
  now: () => clock.now(),
  fromReal: (at) => at,
  realMs: (ms) => ms,
  secondsPerHour: 3_600,
});

/** Where a simulated clock stands at a moment of the process clock. */
export interface ClockAnchor {
  realMs: number;
  workMs: number;
  secondsPerHour: number;
}

/** A work clock where one hour passes every `anchor.secondsPerHour` real seconds, from the anchor on. */
export const simulatedWorkClock = (anchor: ClockAnchor, real: Clock = systemClock): WorkClock => {
  if (!(anchor.secondsPerHour > 0)) throw new RangeError("a simulated clock needs secondsPerHour > 0");
  const rate = 3_600 / anchor.secondsPerHour;
  const fromReal = (at: Date) => new Date(anchor.workMs + (at.getTime() - anchor.realMs) * rate);
  return {
    now: () => fromReal(real.now()),
    fromReal,
    realMs: (ms) => ms / rate,
    secondsPerHour: anchor.secondsPerHour,
  };
};

/**
 * The anchor for a new run: where the previous run's clock would stand now (it kept running while the hub was down),
 * so work time never goes back over what the database already holds; from now when there was none, or the previous
 * one is behind the process clock.
 */
export const continueAnchor = (
  previous: ClockAnchor | undefined,
  nowMs: number,
  secondsPerHour: number,
): ClockAnchor => {
  const continued = previous
    ? previous.workMs + ((nowMs - previous.realMs) * 3_600) / previous.secondsPerHour
    : Number.NEGATIVE_INFINITY;
  return { realMs: nowMs, workMs: Math.max(nowMs, Math.round(continued)), secondsPerHour };
};
