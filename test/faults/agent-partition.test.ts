import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { clockOffsets, doubleRuns, eventTime, firstReport, runIntervals, stoppedAt } from "../support/reliability.ts";
import { seconds, writeFigures } from "./support/figures.ts";
import {
  aJob,
  aService,
  type DatabaseKind,
  eventually,
  FAILOVER_AFTER_S,
  type FaultStack,
  FENCE_AFTER_MS,
  startFaultStack,
} from "./support/stack.ts";

const DATABASES: DatabaseKind[] = ["postgres", "pglite"];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** When alpha's agent first reported `uid` stopped by fencing (event time, from the recorder). */
const fencedReport = (s: FaultStack, uid: string, after: number) =>
  firstReport(
    s.recorder.messages,
    s.recorder.statuses(),
    (st, r) => r.cluster === "alpha" && st.uid === uid && st.phase === "Failed" && st.reason === "fenced",
    after,
  );

const runningOutsideAlpha = (s: FaultStack, uid: string, after: number) =>
  firstReport(
    s.recorder.messages,
    s.recorder.statuses(),
    (st, r) => r.cluster !== "alpha" && st.uid === uid && st.phase === "Running",
    after,
  );

/** Did alpha report `uid` as anything but Running between `from` and `to` (event time)? */
const alphaStopped = (s: FaultStack, uid: string, from: number, to: number): boolean => {
  const offsets = clockOffsets(s.recorder.messages);
  return s.recorder
    .statuses()
    .filter((r) => r.cluster === "alpha")
    .some((r) => {
      const t = eventTime(r, offsets);
      if (t < from || t > to) return false;
      const st = r.report.statuses.find((x) => x.uid === uid);
      return r.report.full ? st?.phase !== "Running" : st !== undefined && st.phase !== "Running";
    });
};

describe.each(DATABASES)("agent partition (%s)", (database) => {
  let s: FaultStack;
  let failed = false;
  beforeAll(async () => {
    s = await startFaultStack({ scenario: "agent-partition", database, natsProxied: ["alpha"] });
    await s.readyClusters();
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === "fail") failed = true;
  });
  afterAll(async () => s?.close());

  it("a cut NATS link: alpha's agent fences its jobs after the lease, before the hub fails them over; the service keeps serving", async () => {
    const train = await s.submit(aJob("train"));
    const etl = await s.submit(aJob("etl", { restartable: false }));
    const chat = await s.submit(aService("chat"));
    for (const w of [train, etl, chat]) await s.waitPhase(w.metadata, ["Running"]);
    expect(await s.placedOn(train.metadata)).toEqual(["alpha"]);

    const proxy = s.natsProxies.get("alpha")!;
    const cutAt = Date.now();
    proxy.cut();
    const detected = await eventually(
      async () => ((await s.clusterHealth()).get("alpha") !== "ready" ? Date.now() : undefined),
      "the hub to see alpha silent",
    );
    // The hub re-places the restartable job and fails the other (cluster_lost); alpha must have stopped both first.
    const moved = await eventually(
      async () => runningOutsideAlpha(s, train.metadata.uid, cutAt),
      "train running outside alpha",
      (FAILOVER_AFTER_S + 60) * 1000,
    );
    await s.waitPhase(etl.metadata, ["Failed"]);
    await sleep(1_000);
    const healedAt = Date.now();
    proxy.restore();
    const heard = s.heardAfter("alpha", healedAt);
    // What alpha wrote while cut off arrives now, stamped with when it was written.
    const fencedTrain = await eventually(
      async () => fencedReport(s, train.metadata.uid, cutAt),
      "alpha's fenced report of train",
    );
    const fencedEtl = await eventually(
      async () => fencedReport(s, etl.metadata.uid, cutAt),
      "alpha's fenced report of etl",
    );
    const recovery = (await heard) - healedAt;
    const trainStopped = stoppedAt(s.recorder.messages, fencedTrain.report, train.metadata.uid);
    const etlStopped = stoppedAt(s.recorder.messages, fencedEtl.report, etl.metadata.uid);
    const chatKept = !alphaStopped(s, chat.metadata.uid, cutAt, healedAt);

    const result = await s.verify((w) => (w.name === "etl" ? ["Failed"] : ["Running"]));
    const etlView = await s.api.workload("team-a", "etl");
    writeFigures({
      scenario: "agent-partition-proxy",
      database,
      figures: {
        detection_s: seconds(detected - cutAt),
        fence_s: seconds(Math.max(trainStopped, etlStopped) - cutAt),
        failover_s: seconds(moved.at - cutAt),
        recovery_s: seconds(recovery),
        fence_margin_s: seconds(moved.at - trainStopped),
      },
      lost: result.lost.length,
      doubleRuns: result.doubles.length,
      notes: [
        `alpha's NATS link cut (RST) through a proxy; lease ${FENCE_AFTER_MS / 1000} s, failover after ${FAILOVER_AFTER_S} s; the service ${chatKept ? "kept" : "did NOT keep"} serving in alpha; the non-restartable job ended Failed (${etlView.body.status.message.slice(0, 60)}).`,
      ],
    });

    expect(trainStopped).toBeLessThan(moved.at);
    expect(trainStopped - cutAt).toBeGreaterThanOrEqual(FENCE_AFTER_MS - 1_000);
    expect(chatKept).toBe(true);
    expect(result.lost).toEqual([]);
    expect(result.doubles).toEqual([]);
  });

  it("SIGSTOP of alpha's agent past the failover time: on SIGCONT it stops the job at once, and the job never runs twice", async () => {
    if (failed) return expect.fail("the previous scenario failed on this stack");
    const job = await s.submit(aJob("pretrain"));
    await s.waitPhase(job.metadata, ["Running"]);
    const where = await s.placedOn(job.metadata);
    expect(where).toEqual(["alpha"]);

    const agent = s.agent("alpha");
    const pausedAt = await s.pauseAgent("alpha");
    const detected = await eventually(
      async () => ((await s.clusterHealth()).get("alpha") !== "ready" ? Date.now() : undefined),
      "the hub to see alpha silent",
    );
    const moved = await eventually(
      async () => runningOutsideAlpha(s, job.metadata.uid, pausedAt),
      "pretrain running outside alpha",
      (FAILOVER_AFTER_S + 60) * 1000,
    );
    await sleep(1_000);
    const resumedAt = Date.now();
    await agent.resume();
    const heard = s.heardAfter("alpha", resumedAt);
    // Its first word after waking must not be "Running" for a job the hub has moved.
    const stopped = await eventually(async () => {
      const offsets = clockOffsets(s.recorder.messages);
      const r = s.recorder
        .statuses()
        .filter((x) => x.cluster === "alpha" && x.arrivedAt >= resumedAt)
        .find((x) => {
          const st = x.report.statuses.find((y) => y.uid === job.metadata.uid);
          return x.report.full ? st?.phase !== "Running" : st !== undefined && st.phase !== "Running";
        });
      return r ? eventTime(r, offsets) : undefined;
    }, "alpha to report pretrain stopped");
    const recovery = (await heard) - resumedAt;
    const firstAwake = s.recorder
      .statuses()
      .find((x) => x.cluster === "alpha" && x.arrivedAt >= resumedAt)
      ?.report.statuses.find((y) => y.uid === job.metadata.uid);

    const result = await s.verify((w) => (w.name === "etl" ? ["Failed"] : ["Running"]));
    // What the reports alone claim, without the harness's fact that the frozen cluster ran nothing: the overlap a
    // real cluster (whose pods do not freeze with the agent) would have had.
    const claimed = doubleRuns(runIntervals(s.recorder.messages, s.recorder.statuses()), s.ledger.jobUids);
    const claimedMs = claimed.filter((d) => d.uid === job.metadata.uid).reduce((n, d) => n + d.overlapMs, 0);
    writeFigures({
      scenario: "agent-partition-sigstop",
      database,
      figures: {
        detection_s: seconds(detected - pausedAt),
        failover_s: seconds(moved.at - pausedAt),
        fence_s: seconds(stopped - resumedAt),
        recovery_s: seconds(recovery),
        overlap_if_pods_kept_running_s: seconds(claimedMs),
      },
      lost: result.lost.length,
      doubleRuns: result.doubles.length,
      notes: [
        "alpha's agent process frozen (SIGSTOP) past the failover time, then SIGCONT; fence s is from SIGCONT to its first report without the job running (it never said Running after waking). The simulated cluster froze with its agent; a real cluster's pods would not have: 'overlap if pods kept running' is what the reports claim without that fact (a frozen agent cannot fence).",
      ],
    });
    expect(firstAwake?.phase).not.toBe("Running");
    expect(result.lost).toEqual([]);
    expect(result.doubles).toEqual([]);
  });
});
