import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seconds, writeFigures } from "./support/figures.ts";
import {
  aJob,
  aService,
  type DatabaseKind,
  type FaultStack,
  FENCE_AFTER_MS,
  startFaultStack,
} from "./support/stack.ts";

const DATABASES: DatabaseKind[] = ["postgres", "pglite"];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(DATABASES)("a flapping cluster (%s)", (database) => {
  let s: FaultStack;
  beforeAll(async () => {
    s = await startFaultStack({ scenario: "flapping-cluster", database, natsProxied: ["alpha"] });
    await s.readyClusters();
  });
  afterAll(async () => s?.close());

  const fencedReports = (uid: string, after: number) =>
    s.recorder
      .statuses()
      .filter(
        (r) =>
          r.cluster === "alpha" &&
          r.arrivedAt >= after &&
          r.report.statuses.some((st) => st.uid === uid && st.reason === "fenced"),
      );

  it("short drops (under the lease) change nothing; long ones (over the lease, under failover) fence and re-place the job, never twice at once", async () => {
    const job = await s.submit(aJob("flap-train"));
    const svc = await s.submit(aService("flap-chat"));
    await s.waitPhase(job.metadata, ["Running"]);
    await s.waitPhase(svc.metadata, ["Running"]);
    expect(await s.placedOn(job.metadata)).toEqual(["alpha"]);
    const placedGeneration = (await s.api.workload("team-a", "flap-train")).body.status.generation;
    const proxy = s.natsProxies.get("alpha")!;

    // 1. Three drops of 1 s, 1.5 s apart: well inside the 4 s lease.
    const shortFrom = Date.now();
    for (let i = 0; i < 3; i++) {
      proxy.cut();
      await sleep(1_000);
      proxy.restore();
      await sleep(1_500);
    }
    await s.readyClusters(["alpha"]);
    const afterShort = await s.api.workload("team-a", "flap-train");
    const shortFences = fencedReports(job.metadata.uid, shortFrom).length;
    const shortGeneration = afterShort.body.status.generation;

    // 2. Two drops of 6 s (past the lease, short of the 8 s failover), 3 s apart.
    const longFrom = Date.now();
    let restoredAt = 0;
    for (let i = 0; i < 2; i++) {
      if (i > 0) await sleep(3_000);
      proxy.cut();
      await sleep(6_000);
      proxy.restore();
      restoredAt = Date.now();
    }
    const recovery = (await s.heardAfter("alpha", restoredAt)) - restoredAt;
    await s.readyClusters(["alpha"]);
    const result = await s.verify(() => ["Running"]);
    const events = (await s.api.events("team-a", "flap-train")).body.items;
    const requeues = events.filter((e) => e.reason === "Requeued" || e.reason === "FailedOver").length;
    const longFences = new Set(
      fencedReports(job.metadata.uid, longFrom).flatMap((r) =>
        r.report.statuses
          .filter((st) => st.uid === job.metadata.uid && st.reason === "fenced")
          .map((st) => st.generation),
      ),
    ).size;

    writeFigures({
      scenario: "flapping-cluster",
      database,
      figures: {
        recovery_s: seconds(recovery),
        short_drop_fences: shortFences,
        long_drop_fences: longFences,
        requeues,
      },
      lost: result.lost.length,
      doubleRuns: result.doubles.length,
      notes: [
        `alpha's NATS link cut 3× for 1 s, then 2× for 6 s (lease ${FENCE_AFTER_MS / 1000} s, failover 8 s); the job ended on ${(await s.placedOn(job.metadata)).join(", ")}.`,
      ],
    });

    expect(shortFences).toBe(0);
    expect(shortGeneration).toBe(placedGeneration);
    expect(afterShort.body.status.phase).toBe("Running");
    expect(longFences).toBeGreaterThanOrEqual(1);
    expect(result.lost).toEqual([]);
    expect(result.doubles).toEqual([]);
  });
});
