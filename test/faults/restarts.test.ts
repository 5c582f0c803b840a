import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { firstReport } from "../support/reliability.ts";
import { seconds, writeFigures } from "./support/figures.ts";
import { aJob, aService, type DatabaseKind, eventually, type FaultStack, startFaultStack } from "./support/stack.ts";

const DATABASES: DatabaseKind[] = ["postgres", "pglite"];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Leases long enough to outlast a hub restart (a process start on a loaded machine takes 5–20 s). */
const RESTART_ENV = { GANTRY_FENCE_AFTER_MS: "30000", GANTRY_FAILOVER_AFTER_MS: "40000" };

describe.each(DATABASES)("hub and agent restarts (%s)", (database) => {
  let s: FaultStack;
  let failed = false;
  beforeAll(async () => {
    s = await startFaultStack({ scenario: "restarts", database, hubEnv: RESTART_ENV });
    await s.readyClusters();
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === "fail") failed = true;
  });
  afterAll(async () => s?.close());

  const fencedCount = () =>
    s.recorder.statuses().filter((r) => r.report.statuses.some((st) => st.reason === "fenced")).length;

  it("kill -9 of the hub and a restart on the same port and data: work keeps running, a job that ended meanwhile is seen, a submission accepted just before the kill is placed", async () => {
    const long = await s.submit(aJob("keep-training"));
    const svc = await s.submit(aService("keep-serving"));
    await s.waitPhase(long.metadata, ["Running"]);
    await s.waitPhase(svc.metadata, ["Running"]);
    const generation = (await s.api.workload("team-a", "keep-training")).body.status.generation;
    const quick = await s.submit(aJob("ends-while-down", { durationHours: 5 }));
    await s.waitPhase(quick.metadata, ["Running"]);
    const late = await s.submit(aJob("accepted-before-kill", {}, 2));

    const hub = s.hubs[0]!;
    const killedAt = Date.now();
    await hub.kill9();
    await sleep(2_000);
    const restartAt = Date.now();
    await hub.restart();
    const up = Date.now();
    await s.waitPhase(quick.metadata, ["Succeeded"]);
    await s.waitPhase(late.metadata, ["Running"]);
    const consistent = Date.now();
    await s.readyClusters();

    const result = await s.verify((w) => (w.name === "ends-while-down" ? ["Succeeded"] : ["Running"]));
    const after = (await s.api.workload("team-a", "keep-training")).body.status.generation;
    writeFigures({
      scenario: "hub-restart",
      database,
      figures: {
        recovery_s: seconds(consistent - restartAt),
        hub_start_s: seconds(up - restartAt),
        down_s: seconds(up - killedAt),
        fenced_reports: fencedCount(),
      },
      lost: result.lost.length,
      doubleRuns: result.doubles.length,
      notes: [
        "kill -9 of the only hub, restarted after 2 s on the same port and data; recovery = restart until the job that ended while it was down shows Succeeded and the last accepted submission runs; leases 30 s so the restart does not fence.",
      ],
    });
    expect(after).toBe(generation);
    expect(fencedCount()).toBe(0);
    expect(result.lost).toEqual([]);
    expect(result.doubles).toEqual([]);
  });

  it("an agent stopped (SIGTERM) or killed (kill -9) and restarted: its cluster pulls its desired state and runs its work again, in place, once", async () => {
    if (failed) return expect.fail("the previous scenario failed on this stack");
    const job = await s.submit(aJob("in-place"));
    await s.waitPhase(job.metadata, ["Running"]);
    const where = (await s.placedOn(job.metadata))[0]!;
    const generation = (await s.api.workload("team-a", "in-place")).body.status.generation;

    const rerunAfter = async (how: "SIGTERM" | "SIGKILL") => {
      const agent = s.agent(where);
      const at = Date.now();
      if (how === "SIGTERM") {
        await agent.stop();
        s.halts.push({ cluster: where, at, why: "killed" });
      } else await s.killAgent(where);
      await agent.restart();
      const rerun = await eventually(
        async () =>
          firstReport(
            s.recorder.messages,
            s.recorder.statuses(),
            (st, r) => r.cluster === where && st.uid === job.metadata.uid && st.phase === "Running",
            at + 1,
          ),
        `${how}: in-place running again on ${where}`,
      );
      return rerun.at - at;
    };
    const graceful = await rerunAfter("SIGTERM");
    const killed = await rerunAfter("SIGKILL");

    const result = await s.verify((w) => (w.name === "ends-while-down" ? ["Succeeded"] : ["Running"]));
    const now = (await s.api.workload("team-a", "in-place")).body.status;
    writeFigures({
      scenario: "agent-restart",
      database,
      figures: {
        recovery_s: seconds(Math.max(graceful, killed)),
        sigterm_rerun_s: seconds(graceful),
        sigkill_rerun_s: seconds(killed),
        fenced_reports: fencedCount(),
      },
      lost: result.lost.length,
      doubleRuns: result.doubles.length,
      notes: [
        `${where}'s agent stopped by SIGTERM, then by kill -9, each restarted at once; recovery = restart until the job runs there again (a simulated cluster starts empty; a Kubernetes one keeps its pods).`,
      ],
    });
    expect(now.generation).toBe(generation);
    expect(await s.placedOn(job.metadata)).toEqual([where]);
    expect(result.lost).toEqual([]);
    expect(result.doubles).toEqual([]);
  });
});
