import type { WorkloadInput } from "@gantry/shared";
import type { Answer } from "./http.ts";
import { aJob, type FaultStack } from "./stack.ts";

/** One tick of a prober: a read and a submit sent together at `at`. */
export interface Probe {
  at: number;
  read: Answer<{ code?: string }>;
  write: Answer<{ code?: string }>;
}

export interface ProberOptions {
  /** Names of the submitted jobs: `${name}-0`, `${name}-1`, … */
  name: string;
  /** What each tick reads (a GET under /api/v1). */
  readPath?: string;
  /** What each tick submits (a one-GPU job by default). */
  workload?: (name: string) => WorkloadInput;
  everyMs?: number;
}

/**
 * Read and submit every 0.5 s without waiting for earlier calls to answer (a hung call must not hide the next ones);
 * each probe is stamped with when it was sent.
 */
export const startProber = (s: FaultStack, o: ProberOptions) => {
  const readPath = o.readPath ?? "/api/v1/tenants/team-a/workloads/db-long";
  const workload = o.workload ?? ((name: string) => aJob(name, {}, 1));
  let n = 0;
  const inFlight: Promise<Probe>[] = [];
  const timer = setInterval(() => {
    const at = Date.now();
    inFlight.push(
      Promise.all([
        s.api.call<{ code?: string }>("GET", readPath, undefined, { timeoutMs: 60_000 }),
        s.api.submit(workload(`${o.name}-${n++}`)) as Promise<Answer<{ code?: string }>>,
      ]).then(([read, write]) => ({ at, read, write })),
    );
  }, o.everyMs ?? 500);
  return {
    async stop(): Promise<Probe[]> {
      clearInterval(timer);
      return Promise.all(inFlight);
    },
  };
};

/** A call that got no answer at all (refused, reset, or fetch's timeout ran out first). */
export const noAnswer = (a: Answer): boolean => a.status === 0;

/**
 * Every answer is a success or a 503 `database_unavailable`; never a 500, never a dropped connection or a timeout
 * (no answer at all), except for probes `excused` names (a scenario's known, counted exception).
 */
export const badAnswers = (probes: Probe[], excused: (p: Probe, a: Answer) => boolean = () => false): string[] =>
  probes
    .flatMap((p) => [p.read, p.write].map((a) => ({ p, a })))
    .filter(
      ({ p, a }) =>
        !(
          (a.status >= 200 && a.status < 300) ||
          (a.status === 503 && a.body?.code === "database_unavailable") ||
          excused(p, a)
        ),
    )
    .map(({ a }) => `${a.status} ${a.error ?? JSON.stringify(a.body).slice(0, 120)}`);

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[Math.floor((s.length - 1) / 2)] ?? Number.NaN);
};
