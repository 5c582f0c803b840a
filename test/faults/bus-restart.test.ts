import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seconds, writeFigures } from "./support/figures.ts";
import { aJob, aService, type DatabaseKind, type FaultStack, startFaultStack } from "./support/stack.ts";

const DATABASES: DatabaseKind[] = ["postgres", "pglite"];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Leases longer than the outage: what is tested here is recovery, not fencing (agent-partition does that). */
const BUS_ENV = { GANTRY_FENCE_AFTER_MS: "20000", GANTRY_FAILOVER_AFTER_MS: "30000" };

describe.each(DATABASES)("NATS kill and restart (%s)", (database) => {
  let s: FaultStack;
  beforeAll(async () => {
    s = await startFaultStack({ scenario: "nats-restart", database, hubEnv: BUS_ENV });
    await s.readyClusters();
  });
  afterAll(async () => s?.close());

  it("kill -9 of nats-server and a restart on the same port: work keeps running, a submission accepted meanwhile is delivered, every cluster comes back", async () => {
    const job = await s.submit(aJob("bus-train"));
    const svc = await s.submit(aService("bus-chat"));
    await s.waitPhase(job.metadata, ["Running"]);
    await s.waitPhase(svc.metadata, ["Running"]);
    const generation = (await s.api.workload("team-a", "bus-train")).body.status.generation;

    const killedAt = Date.now();
    await s.nats.kill9();
    // The database is up: the hub accepts and decides; the outbox holds the publish until the bus is back.
    const during = await s.api.submit(aJob("bus-during", {}, 2));
    await sleep(3_000);
    const restartAt = Date.now();
    await s.nats.restart();
    const ready = await s.readyClusters();
    await s.waitPhase({ tenant: "team-a", name: "bus-during" }, ["Running"]);
    const delivered = Date.now();

    const result = await s.verify(() => ["Running"]);
    const fenced = s.recorder.statuses().filter((r) => r.report.statuses.some((st) => st.reason === "fenced")).length;
    writeFigures({
      scenario: "nats-restart",
      database,
      figures: {
        recovery_s: seconds(ready),
        delivery_s: seconds(delivered - restartAt),
        down_s: seconds(restartAt - killedAt),
        submit_while_down_s: seconds(during.ms),
        fenced_reports: fenced,
      },
      lost: result.lost.length,
      doubleRuns: result.doubles.length,
      notes: [
        `nats-server killed (kill -9) for 3 s and restarted on its port (core NATS keeps no state); a submission during the outage answered ${during.status} in ${Math.round(during.ms)} ms; recovery = restart until every cluster is ready; delivery = restart until that submission runs.`,
      ],
    });
    expect(during.status).toBe(201);
    expect((await s.api.workload("team-a", "bus-train")).body.status.generation).toBe(generation);
    expect(fenced).toBe(0);
    expect(result.lost).toEqual([]);
    expect(result.doubles).toEqual([]);
  });
});
