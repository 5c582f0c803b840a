import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { firstReport } from "../support/reliability.ts";
import { seconds, writeFigures } from "./support/figures.ts";
import {
  aJob,
  aService,
  type DatabaseKind,
  eventually,
  FAILOVER_AFTER_S,
  type FaultStack,
  startFaultStack,
} from "./support/stack.ts";

const DATABASES: DatabaseKind[] = ["postgres", "pglite"];

describe.each(DATABASES)("cluster loss (%s)", (database) => {
  let s: FaultStack;
  beforeAll(async () => {
    s = await startFaultStack({ scenario: "cluster-loss", database });
    await s.readyClusters();
  });
  afterAll(async () => s?.close());

  it("runs a restartable job and a service elsewhere within afterSeconds + 15 s of kill -9, and the old copies are gone when the agent returns", async () => {
    const job = await s.submit(aJob("train"));
    const svc = await s.submit(aService("chat"));
    const train = { tenant: "team-a", name: "train" };
    const chat = { tenant: "team-b", name: "chat" };
    await s.waitPhase(train, ["Running"]);
    await s.waitPhase(chat, ["Running"]);
    expect(await s.placedOn(train)).toEqual(["alpha"]);
    expect(await s.placedOn(chat)).toEqual(["alpha"]);

    const killedAt = await s.killAgent("alpha");
    const detected = await eventually(
      async () => ((await s.clusterHealth()).get("alpha") !== "ready" ? Date.now() : undefined),
      "the hub to see alpha is not ready",
    );
    const runningElsewhere = (uid: string, replicas: number) =>
      eventually(
        async () =>
          firstReport(
            s.recorder.messages,
            s.recorder.statuses(),
            (st, r) =>
              st.uid === uid && r.cluster !== "alpha" && st.phase === "Running" && st.readyReplicas >= replicas,
            killedAt,
          ),
        `${uid} running outside alpha`,
        (FAILOVER_AFTER_S + 60) * 1000,
      );
    const [jobMoved, svcMoved] = await Promise.all([
      runningElsewhere(job.metadata.uid, 1),
      runningElsewhere(svc.metadata.uid, 2),
    ]);
    const budgetMs = (FAILOVER_AFTER_S + 15) * 1000;

    const restartedAt = Date.now();
    await s.restartAgent("alpha");
    const agentStartMs = Date.now() - restartedAt;
    const recovery = await s.readyClusters(["alpha"]);
    // The returning agent starts empty and pulls its desired state: it must not hold either workload any more.
    await eventually(
      async () =>
        s.recorder
          .statuses()
          .filter((r) => r.cluster === "alpha" && r.report.full && r.arrivedAt > restartedAt + 2 * s.timings.resyncMs)
          .at(0),
      "two resyncs of the returned agent",
    );
    const alphaNow = s.recorder.statuses().filter((r) => r.cluster === "alpha" && r.arrivedAt > restartedAt);
    const stale = alphaNow.flatMap((r) =>
      r.report.statuses.filter((st) => st.uid === job.metadata.uid || st.uid === svc.metadata.uid),
    );

    const result = await s.verify(() => ["Running"]);
    writeFigures({
      scenario: "cluster-loss",
      database,
      figures: {
        detection_s: seconds(detected - killedAt),
        failover_s: seconds(Math.max(jobMoved.at, svcMoved.at) - killedAt),
        recovery_s: seconds(recovery + agentStartMs),
        job_moved_s: seconds(jobMoved.at - killedAt),
        service_moved_s: seconds(svcMoved.at - killedAt),
      },
      lost: result.lost.length,
      doubleRuns: result.doubles.length,
      notes: [
        `kill -9 of alpha's agent; failover.afterSeconds ${FAILOVER_AFTER_S}; job and service moved to ${jobMoved.report.cluster}/${svcMoved.report.cluster}`,
      ],
    });

    expect(jobMoved.at - killedAt).toBeLessThan(budgetMs);
    expect(svcMoved.at - killedAt).toBeLessThan(budgetMs);
    expect(stale).toEqual([]);
    expect(result.lost).toEqual([]);
    expect(result.doubles).toEqual([]);
  });
});
