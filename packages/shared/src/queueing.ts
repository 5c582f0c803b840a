/**
 * M/M/c queueing: Poisson arrivals at rate λ, `servers` identical servers each completing work at rate μ, one FIFO
 * queue. The hub's autoscaler predicts a cluster's latency with it and the simulated driver produces its serving
 * signals with it, so both sides share one implementation (Gross & Harris, *Fundamentals of Queueing Theory*, §2.3).
 */

/**
 * Erlang C: the probability that an arrival has to wait, for `offeredLoad` a = λ/μ erlangs on `servers` servers.
 * 1 when the queue is unstable (a ≥ servers) or there are no servers. Computed through the Erlang B recurrence
 * B(k) = a·B(k−1) / (k + a·B(k−1)), which stays in [0, 1] and never forms a^c or c! (both overflow past c ≈ 170).
 */
export const erlangC = (servers: number, offeredLoad: number): number => {
  if (servers <= 0 || offeredLoad >= servers) return 1;
  if (offeredLoad <= 0) return 0;
  let b = 1;
  for (let k = 1; k <= servers; k++) b = (offeredLoad * b) / (k + offeredLoad * b);
  return (servers * b) / (servers - offeredLoad * (1 - b));
};

/** Steady-state figures of one M/M/c queue. Rates per second, times in seconds. */
export interface MmcFigures {
  /** a = λ/μ, the mean number of busy servers. */
  offeredLoad: number;
  /** ρ = λ/(cμ); stable only below 1. */
  utilisation: number;
  stable: boolean;
  /** Erlang C: P(an arrival waits). */
  probWait: number;
  /** Lq: mean number waiting. Infinite when unstable. */
  meanQueueLength: number;
  /** L = Lq + a: mean number in the system (waiting or in service). */
  meanInSystem: number;
  /** Wq = Lq/λ = C/(cμ − λ). */
  meanWaitSeconds: number;
  /** W = Wq + 1/μ. */
  meanResponseSeconds: number;
  /** θ = cμ − λ: the rate at which P(Wq > t) = C·e^(−θt) decays. */
  waitDecayRate: number;
}

export interface MmcInput {
  /** λ, arrivals per second. */
  arrivalRate: number;
  /** μ, completions per second of one server. */
  serviceRate: number;
  servers: number;
}

/** Every steady-state figure of an M/M/c queue (unstable queues get infinite waits, not NaN). */
export const mmc = ({ arrivalRate, serviceRate, servers }: MmcInput): MmcFigures => {
  const a = arrivalRate / serviceRate;
  const capacity = servers * serviceRate;
  const stable = arrivalRate < capacity;
  const utilisation = servers > 0 ? arrivalRate / capacity : arrivalRate > 0 ? Number.POSITIVE_INFINITY : 0;
  if (!stable && arrivalRate > 0) {
    return {
      offeredLoad: a,
      utilisation,
      stable: false,
      probWait: 1,
      meanQueueLength: Number.POSITIVE_INFINITY,
      meanInSystem: Number.POSITIVE_INFINITY,
      meanWaitSeconds: Number.POSITIVE_INFINITY,
      meanResponseSeconds: Number.POSITIVE_INFINITY,
      waitDecayRate: 0,
    };
  }
  const c = erlangC(servers, a);
  const theta = capacity - arrivalRate;
  const lq = arrivalRate > 0 ? (c * utilisation) / (1 - utilisation) : 0;
  const wq = arrivalRate > 0 ? c / theta : 0;
  return {
    offeredLoad: a,
    utilisation,
    stable: true,
    probWait: arrivalRate > 0 ? c : 0,
    meanQueueLength: lq,
    meanInSystem: lq + a,
    meanWaitSeconds: wq,
    meanResponseSeconds: wq + 1 / serviceRate,
    waitDecayRate: theta,
  };
};

/**
 * The p-quantile of the waiting time in queue, from P(Wq > t) = C·e^(−θt): 0 when at least a share p never waits,
 * else ln(C/(1−p))/θ. Infinite for an unstable queue.
 */
export const waitQuantileSeconds = (figures: MmcFigures, p: number): number => {
  if (!figures.stable) return Number.POSITIVE_INFINITY;
  const tail = 1 - p;
  if (figures.probWait <= tail) return 0;
  return Math.log(figures.probWait / tail) / figures.waitDecayRate;
};

/** P(Wq > t): the share of arrivals that wait longer than `seconds` in queue. */
export const waitExceedance = (figures: MmcFigures, seconds: number): number => {
  if (!figures.stable) return 1;
  if (seconds < 0) return 1;
  return figures.probWait * Math.exp(-figures.waitDecayRate * seconds);
};

/**
 * The latency the serving model uses: p-quantile of the wait plus the mean service time 1/μ. Request latency is
 * dominated by queueing once replicas are busy; adding the mean (not a quantile) of service keeps a prediction
 * whose inverse (`maxArrivalRate`) is exact.
 */
export const latencyQuantileSeconds = (input: MmcInput, p: number): number =>
  waitQuantileSeconds(mmc(input), p) + 1 / input.serviceRate;

/**
 * The highest arrival rate `servers` servers take with the p-quantile latency (wait + 1/μ) within `budgetSeconds`;
 * 0 when even an idle server is too slow. The wait quantile grows with λ (C rises and cμ−λ falls), so bisection
 * on λ finds the edge.
 */
export const maxArrivalRate = (servers: number, serviceRate: number, budgetSeconds: number, p: number): number => {
  const slack = budgetSeconds - 1 / serviceRate;
  if (servers <= 0 || slack < 0) return 0;
  const fits = (lambda: number) => waitQuantileSeconds(mmc({ arrivalRate: lambda, serviceRate, servers }), p) <= slack;
  let lo = 0;
  let hi = servers * serviceRate;
  // 60 halvings take the interval below 1e-15 of capacity: far finer than any rate that matters.
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
};
