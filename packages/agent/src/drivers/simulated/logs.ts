/** What a simulated replica did, as the driver tracks it (times in ms since the epoch). */
export interface ReplicaTimeline {
  node?: string | undefined;
  startedAt?: number | undefined;
  finishedAt?: number | undefined;
}

export interface SimulatedLogInput {
  workload: string;
  type: "job" | "service";
  replica: number;
  timeline: ReplicaTimeline;
  /** A job's run time (ms); a service logs a health line every `serviceEveryMs`. */
  durationMs: number;
  serviceEveryMs: number;
  /** Why it has not started (staging, no room), for the one line a waiting replica has. */
  waiting: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The lines a simulated replica has written by `now`: deterministic (the same inputs give the same lines), timed
 * from when it started — a start line, a progress line at every tenth of a job's run, a completion line; a service
 * writes a health line at every interval.
 */
export const simulatedLogLines = (input: SimulatedLogInput, now: number): string[] => {
  const { timeline: t, workload, replica } = input;
  if (t.startedAt === undefined)
    return [`${iso(now)} replica ${replica} of ${workload} has not started: ${input.waiting}`];
  const start = t.startedAt;
  const end = Math.min(now, t.finishedAt ?? now);
  const lines = [`${iso(start)} replica ${replica} of ${workload} started on ${t.node ?? "a node"}`];
  if (input.type === "job") {
    for (let k = 1; k <= 10; k++) {
      const at = start + (input.durationMs * k) / 10;
      if (at > end) break;
      lines.push(`${iso(at)} step ${k}/10 (${k * 10}%) done`);
    }
    if (t.finishedAt !== undefined && t.finishedAt <= now) {
      lines.push(`${iso(t.finishedAt)} replica ${replica} of ${workload} completed`);
    }
    return lines;
  }
  for (let k = 1; start + k * input.serviceEveryMs <= end; k++) {
    lines.push(`${iso(start + k * input.serviceEveryMs)} serving: healthy (check ${k})`);
  }
  return lines;
};
