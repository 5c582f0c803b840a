/**
 * The independent checker: what happened, computed from the recorder's messages alone (plus the harness's own facts,
 * such as when it killed a process), never from the hub's answers about itself.
 *
 * Times: an agent stamps each message with its own clock (`sentAt`), which may be hours off; a message may also
 * arrive late (buffered through a partition). Each agent's offset is estimated as the smallest (arrival − sentAt)
 * over its messages — the one that travelled fastest — and a report counts at `sentAt + offset`, never later than
 * its arrival. So a report buffered through a partition counts when it was written, and a skewed clock is undone.
 */
import type { RecordedMessage, RecordedStatus } from "./recorder.ts";

/** One stretch during which one copy of a workload was Running in one cluster, as its agent reported it. */
export interface RunInterval {
  uid: string;
  tenant: string;
  workload: string;
  cluster: string;
  generation: number;
  agentId: string;
  from: number;
  /** Infinity while still running at the end of the record. */
  to: number;
}

/** Two clusters (or two generations) running one job at the same time. */
export interface DoubleRun {
  uid: string;
  workload: string;
  a: RunInterval;
  b: RunInterval;
  /** How long they overlapped (ms). */
  overlapMs: number;
}

/**
 * The harness's own knowledge: at this time it killed (SIGKILL) or froze (SIGSTOP) the process a simulated cluster
 * lives in, so from then on that cluster ran nothing (until its agent reports Running again).
 */
export interface ClusterHalt {
  cluster: string;
  at: number;
  why: "killed" | "frozen";
}

/** Per agent process: the smallest observed (arrival − sentAt), i.e. its clock offset plus the fastest delivery. */
export const clockOffsets = (messages: readonly RecordedMessage[]): Map<string, number> => {
  const out = new Map<string, number>();
  for (const m of messages) {
    if (m.agentId === undefined || m.sentAt === undefined) continue;
    const d = m.arrivedAt - m.sentAt;
    const held = out.get(m.agentId);
    if (held === undefined || d < held) out.set(m.agentId, d);
  }
  return out;
};

/** When a message's content was true, in the recorder's clock. */
export const eventTime = (m: RecordedMessage, offsets: ReadonlyMap<string, number>): number => {
  if (m.agentId === undefined || m.sentAt === undefined) return m.arrivedAt;
  const offset = offsets.get(m.agentId);
  return offset === undefined ? m.arrivedAt : Math.min(m.arrivedAt, m.sentAt + offset);
};

/**
 * Every interval during which a placement was Running, by uid, cluster and generation. An interval opens at the first
 * report saying Running and closes at the first later report of that cluster saying anything else (at the
 * `finishedAt` it gives, if earlier: a report delayed by a partition still says when the copy stopped), or at a full
 * report that does not list it. A simulated cluster lives in its agent's process: a report from a new agent process
 * (another agent id) closes what the previous one ran at that process's last message, and a halt the harness
 * recorded (it killed or froze the process) closes it at the halt.
 */
export const runIntervals = (
  messages: readonly RecordedMessage[],
  statuses: readonly RecordedStatus[],
  halts: readonly ClusterHalt[] = [],
): RunInterval[] => {
  const offsets = clockOffsets(messages);
  const lastOf = new Map<string, number>();
  for (const m of messages) {
    if (m.agentId === undefined) continue;
    const t = eventTime(m, offsets);
    if (t > (lastOf.get(m.agentId) ?? Number.NEGATIVE_INFINITY)) lastOf.set(m.agentId, t);
  }
  const done: RunInterval[] = [];
  const byCluster = new Map<string, RecordedStatus[]>();
  for (const s of statuses) {
    const list = byCluster.get(s.cluster);
    if (list) list.push(s);
    else byCluster.set(s.cluster, [s]);
  }
  for (const [cluster, reports] of byCluster) {
    const timed = reports
      .map((r) => ({ r, t: eventTime(r, offsets) }))
      .sort((x, y) => x.t - y.t || x.r.report.seq - y.r.report.seq);
    const clusterHalts = halts
      .filter((d) => d.cluster === cluster)
      .map((d) => d.at)
      .sort((a, b) => a - b);
    const open = new Map<string, RunInterval>();
    const close = (key: string, at: number) => {
      const run = open.get(key);
      if (!run) return;
      open.delete(key);
      done.push({ ...run, to: Math.max(run.from, at) });
    };
    const closeAll = (at: number) => {
      for (const key of [...open.keys()]) close(key, at);
    };
    for (const { r, t } of timed) {
      // A halt recorded before this report ended everything the killed or frozen process ran.
      while (clusterHalts.length > 0 && clusterHalts[0]! <= t) closeAll(clusterHalts.shift()!);
      const agentId = r.report.agentId;
      for (const run of [...open.values()]) {
        if (run.agentId !== agentId) {
          const key = `${run.uid}@${run.generation}`;
          close(key, lastOf.get(run.agentId) ?? t);
        }
      }
      const listed = new Set<string>();
      for (const s of r.report.statuses) {
        const key = `${s.uid}@${s.generation}`;
        listed.add(key);
        if (s.phase === "Running") {
          if (!open.has(key)) {
            open.set(key, {
              uid: s.uid,
              tenant: s.tenant,
              workload: s.workload,
              cluster,
              generation: s.generation,
              agentId,
              from: t,
              to: Number.POSITIVE_INFINITY,
            });
          }
        } else {
          // A report that says when the copy stopped (a fenced job, a finished one) is believed, in this agent's clock.
          const finished = s.finishedAt === undefined ? Number.NaN : Date.parse(s.finishedAt);
          const offset = offsets.get(agentId);
          close(key, Number.isNaN(finished) || offset === undefined ? t : Math.min(t, finished + offset));
        }
      }
      if (r.report.full) for (const key of [...open.keys()]) if (!listed.has(key)) close(key, t);
    }
    if (clusterHalts.length > 0) closeAll(clusterHalts[0]!);
    for (const run of open.values()) done.push(run);
  }
  return done.sort((a, b) => a.from - b.from);
};

/** Pairs of intervals of one job, in different clusters or generations, that overlap in time. */
export const doubleRuns = (runs: readonly RunInterval[], jobUids: ReadonlySet<string>): DoubleRun[] => {
  const out: DoubleRun[] = [];
  const byUid = new Map<string, RunInterval[]>();
  for (const r of runs) {
    if (!jobUids.has(r.uid)) continue;
    const list = byUid.get(r.uid);
    if (list) list.push(r);
    else byUid.set(r.uid, [r]);
  }
  for (const [uid, list] of byUid) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const a = list[i]!;
        const b = list[j]!;
        if (a.cluster === b.cluster && a.generation === b.generation) continue;
        const overlapMs = Math.min(a.to, b.to) - Math.max(a.from, b.from);
        if (overlapMs > 0) out.push({ uid, workload: a.workload, a, b, overlapMs });
      }
    }
  }
  return out;
};

/** A workload the API accepted (201 or 200), with what the scenario expects of it. */
export interface AcceptedWorkload {
  tenant: string;
  name: string;
  uid: string;
  type: "job" | "service";
  acceptedAt: number;
}

/** What the API says of an accepted workload now (undefined: 404, it is gone). */
export interface ObservedWorkload {
  uid: string;
  phase: string;
}

/** Accepted workloads that are gone, were replaced by another incarnation, or are not in an expected phase. */
export const lostWorkloads = (
  accepted: readonly AcceptedWorkload[],
  observed: ReadonlyMap<string, ObservedWorkload | undefined>,
  expected: (w: AcceptedWorkload) => readonly string[],
): { workload: string; problem: string }[] => {
  const out: { workload: string; problem: string }[] = [];
  for (const a of accepted) {
    const key = `${a.tenant}/${a.name}`;
    const now = observed.get(key);
    if (!now) out.push({ workload: key, problem: "gone (404)" });
    else if (now.uid !== a.uid) out.push({ workload: key, problem: `uid ${now.uid}, accepted as ${a.uid}` });
    else if (!expected(a).includes(now.phase)) {
      out.push({ workload: key, problem: `${now.phase}, expected ${expected(a).join(" or ")}` });
    }
  }
  return out;
};

/** The first report (in event time) matching `pick`, with its time; undefined when none did. */
export const firstReport = (
  messages: readonly RecordedMessage[],
  statuses: readonly RecordedStatus[],
  pick: (s: RecordedStatus["report"]["statuses"][number], r: RecordedStatus) => boolean,
  after = Number.NEGATIVE_INFINITY,
): { at: number; report: RecordedStatus } | undefined => {
  const offsets = clockOffsets(messages);
  let best: { at: number; report: RecordedStatus } | undefined;
  for (const r of statuses) {
    const t = eventTime(r, offsets);
    if (t < after || (best && t >= best.at)) continue;
    if (r.report.statuses.some((s) => pick(s, r))) best = { at: t, report: r };
  }
  return best;
};

/** When a report says a copy stopped (its `finishedAt`, in the recorder's clock), or the report's own time. */
export const stoppedAt = (messages: readonly RecordedMessage[], r: RecordedStatus, uid: string): number => {
  const offsets = clockOffsets(messages);
  const t = eventTime(r, offsets);
  const s = r.report.statuses.find((x) => x.uid === uid);
  const finished = s?.finishedAt === undefined ? Number.NaN : Date.parse(s.finishedAt);
  const offset = offsets.get(r.report.agentId);
  return Number.isNaN(finished) || offset === undefined ? t : Math.min(t, finished + offset);
};
