import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seconds, writeFigures } from "./support/figures.ts";
import { counter } from "./support/http.ts";
import { badAnswers, median, startProber } from "./support/probes.ts";
import { aJob, aService, eventually, type FaultStack, startFaultStack } from "./support/stack.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long the tables stay locked. */
const LOCK_MS = 20_000;
/** The hub's PostgreSQL limits (`openDatabase` in packages/hub/src/store/db.ts): a lock wait, and any statement. */
const LOCK_TIMEOUT_MS = 2_000;
const STATEMENT_TIMEOUT_MS = 10_000;
/**
 * The slowest a failing request may answer. Its statements each wait for a pooled connection (3 s at most, and the
 * pool is busy with background work stuck on the same locks) and then for a lock (LOCK_TIMEOUT_MS); none runs past
 * STATEMENT_TIMEOUT_MS. Half that again for a loaded shared machine: still well inside the 20 s lock, so a request
 * that waited for the lock to go away fails this.
 */
const MAX_ANSWER_MS = STATEMENT_TIMEOUT_MS + 5_000;
const LOCKED = ["workloads", "clusters", "placements"];
/**
 * As in database.test.ts: agents' leases outlast the fault. The leader lease's table is not locked, but renewing it
 * waits behind the leader's own transactions (each holds the lease row FOR SHARE while it waits on a locked table),
 * so leadership flaps during the lock and heartbeats go unacknowledged; with the suite's 4 s agent lease every job
 * would be fenced (measured: 10 fenced reports), with production's 120 s none is.
 */
const DB_ENV = { GANTRY_FENCE_AFTER_MS: "60000", GANTRY_FAILOVER_AFTER_MS: "70000" };

describe("tables locked for 20 s (postgres only: PGlite runs inside the hub, nobody else can lock its tables)", () => {
  let s: FaultStack;
  beforeAll(async () => {
    s = await startFaultStack({ scenario: "table-lock", database: "postgres", hubEnv: DB_ENV });
    await s.readyClusters();
  });
  afterAll(async () => s?.close());

  it("ACCESS EXCLUSIVE on workloads, clusters and placements for 20 s: the hub stays up, answers 2xx or 503 database_unavailable within its timeouts, and recovers by itself", async () => {
    const long = await s.submit(aJob("lock-long"));
    const svc = await s.submit(aService("lock-serve"));
    await s.waitPhase(long.metadata, ["Running"]);
    await s.waitPhase(svc.metadata, ["Running"]);
    const retriedBefore = counter((await s.api.metrics()).body, "gantry_agent_messages_total", {
      kind: "status",
      result: "retried",
    });

    // The list the issue saw hang for 19 s; each tick also submits a one-GPU job.
    const probes = startProber(s, { name: "probe", readPath: "/api/v1/tenants/team-a/workloads" });
    // Liveness must hold throughout; readiness says whether this replica leads (the lease table is not locked).
    const health: { at: number; live: number; leader: boolean | undefined }[] = [];
    let probing = true;
    const healthProbe = (async () => {
      while (probing) {
        const at = Date.now();
        const [live, ready] = await Promise.all([
          s.api.call("GET", "/healthz", undefined, { timeoutMs: 10_000 }),
          s.api.readyz(),
        ]);
        health.push({ at, live: live.status, leader: ready.status === 200 ? ready.body.leader : undefined });
        await sleep(500);
      }
    })();
    await sleep(1_000);

    // Another session takes the locks and holds them, as a migration or a careless `psql` would.
    const locker = new pg.Client({ connectionString: s.pgdb!.url });
    await locker.connect();
    let lockedAt: number;
    let releasedAt: number;
    try {
      await locker.query("begin");
      await locker.query(`lock table ${LOCKED.join(", ")} in access exclusive mode`);
      lockedAt = Date.now();
      await sleep(LOCK_MS);
      await locker.query("commit");
      releasedAt = Date.now();
    } finally {
      // Ending the session releases the locks whatever happened above.
      await locker.end();
    }

    const firstOk = await eventually(
      async () => {
        const r = await s.api.call("GET", "/api/v1/tenants/team-a/workloads");
        return r.status === 200 ? Date.now() : undefined;
      },
      "the API to answer again",
      60_000,
      100,
    );
    await sleep(3_000);
    const answers = await probes.stop();
    probing = false;
    await healthProbe;
    // Leadership comes back by itself.
    const leadsAgain = await eventually(
      async () => ((await s.leader()) ? Date.now() : undefined),
      "the hub to lead again",
      60_000,
      250,
    );

    const during = answers.filter((p) => p.at >= lockedAt && p.at < releasedAt);
    const failing = during.flatMap((p) => [p.read, p.write]).filter((a) => a.status !== 200 && a.status !== 201);
    const failedReads = during.map((p) => p.read).filter((a) => a.status !== 200);
    const failedWrites = during.map((p) => p.write).filter((a) => a.status !== 201);
    const after = answers.filter((p) => p.at >= firstOk);
    const refusedAfter = after.filter((p) => p.read.status !== 200 || p.write.status !== 201);
    const bad = badAnswers(answers);
    const slowest = Math.max(...answers.flatMap((p) => [p.read.ms, p.write.ms]));
    const livenessBad = health.filter((h) => h.live !== 200);
    // Samples where the only replica did not lead (its lease renewals waited behind its own stuck transactions).
    const leaderless = health.filter((h) => h.leader !== true);
    // From the release to the last sample that did not lead (or to when it led again, if it still did not at the end).
    const lastLeaderless = health.filter((h) => h.at >= releasedAt && h.leader !== true).at(-1);
    const settled =
      health.at(-1)?.leader === true ? (lastLeaderless ? lastLeaderless.at - releasedAt : 0) : leadsAgain - releasedAt;
    const leaderChanges = health.filter((h, i) => i > 0 && (h.leader === true) !== (health[i - 1]!.leader === true));
    const accepted = s.ledger.accepted.filter((a) => a.name.startsWith("probe-"));

    const result = await s.verify(() => ["Running"], 120_000);
    const retried =
      counter((await s.api.metrics()).body, "gantry_agent_messages_total", { kind: "status", result: "retried" }) -
      retriedBefore;
    const fenced = s.recorder.statuses().filter((r) => r.report.statuses.some((st) => st.reason === "fenced")).length;
    writeFigures({
      scenario: "table-lock",
      database: "postgres",
      figures: {
        detection_s: seconds(median(failing.map((a) => a.ms))),
        recovery_s: seconds(firstOk - releasedAt),
        max_failing_request_s: seconds(Math.max(...failing.map((a) => a.ms))),
        failed_read_median_s: seconds(median(failedReads.map((a) => a.ms))),
        failed_submit_median_s: seconds(median(failedWrites.map((a) => a.ms))),
        max_request_s: seconds(slowest),
        requests_during: during.length * 2,
        answered_503: failing.length,
        not_503: bad.length,
        accepted_submissions: accepted.length,
        status_retries: retried,
        fenced_reports: fenced,
        healthz_not_200: livenessBad.length,
        leaderless_samples: leaderless.length,
        leader_changes: leaderChanges.length,
        leader_settled_s: seconds(settled),
      },
      lost: result.lost.length,
      doubleRuns: result.doubles.length,
      notes: [
        `another session held ACCESS EXCLUSIVE locks on ${LOCKED.join(", ")} for 20 s (BEGIN; LOCK TABLE) while the test listed workloads and submitted a job every 0.5 s; the hub's lock_timeout is ${LOCK_TIMEOUT_MS / 1000} s, statement_timeout ${STATEMENT_TIMEOUT_MS / 1000} s, pool wait 3 s; detection = median time a failing request took to answer; recovery = release until the list answers 200; every submission accepted is Running at the end; agent lease 60 s (see DB_ENV in the file): leadership flapped during the lock (leaderless samples of /readyz every 0.5 s).`,
      ],
    });

    expect(s.hubs[0]!.alive).toBe(true);
    expect(livenessBad).toEqual([]);
    expect(bad).toEqual([]);
    // The lock was felt (the probes did not all slip through) and failed fast, not after the lock's 20 s.
    expect(failing.length).toBeGreaterThan(0);
    expect(median(failedReads.map((a) => a.ms))).toBeLessThan(STATEMENT_TIMEOUT_MS);
    expect(median(failedWrites.map((a) => a.ms))).toBeLessThan(STATEMENT_TIMEOUT_MS);
    expect(slowest).toBeLessThan(MAX_ANSWER_MS);
    // After the release everything is accepted again, by itself.
    expect(firstOk - releasedAt).toBeLessThan(10_000);
    expect(after.length).toBeGreaterThan(0);
    expect(refusedAfter.map((p) => `${p.read.status}/${p.write.status}`)).toEqual([]);
    expect(accepted.length).toBeGreaterThanOrEqual(after.length);
    expect(fenced).toBe(0);
    expect(result.lost).toEqual([]);
    expect(result.doubles).toEqual([]);
  });
});
