import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seconds, writeFigures } from "./support/figures.ts";
import { counter } from "./support/http.ts";
import { badAnswers, median, noAnswer, startProber } from "./support/probes.ts";
import { aJob, aService, eventually, type FaultStack, startFaultStack } from "./support/stack.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * The database down means no leader (it cannot renew its lease), so no heartbeat acks: leases must outlast the
 * outage or every job would be fenced. 60 s here; production's default is 120 s.
 */
const DB_ENV = { GANTRY_FENCE_AFTER_MS: "60000", GANTRY_FAILOVER_AFTER_MS: "70000" };
/** Agents send a full status only every 60 s: a report of a change made during the outage is sent once, then. */
const RARE_STATUS = { statusMs: 60_000, resyncMs: 60_000 };

describe("PostgreSQL connections terminated (postgres only: PGlite runs inside the hub)", () => {
  let s: FaultStack;
  beforeAll(async () => {
    s = await startFaultStack({ scenario: "pg-terminate", database: "postgres", hubEnv: DB_ENV });
    await s.readyClusters();
  });
  afterAll(async () => s?.close());

  it("pg_terminate_backend of every hub connection, every second for 10 s: the hub stays up, answers 2xx or 503, and recovers by itself", async () => {
    const long = await s.submit(aJob("db-long"));
    const svc = await s.submit(aService("db-serve"));
    await s.waitPhase(long.metadata, ["Running"]);
    await s.waitPhase(svc.metadata, ["Running"]);
    const admin = new pg.Client({ connectionString: s.pgdb!.url });
    await admin.connect();
    const probes = startProber(s, { name: "term" });
    let terminated = 0;
    const from = Date.now();
    for (let i = 0; i < 10; i++) {
      const r = await admin.query<{ n: number }>(
        "select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()",
      );
      terminated += r.rows[0]?.n ?? 0;
      await sleep(1_000);
    }
    const lastKill = Date.now();
    await admin.end();
    await sleep(3_000);
    const answers = await probes.stop();
    const firstOk = answers.find((p) => p.at > lastKill && p.read.status === 200 && p.write.status === 201);
    const bad = badAnswers(answers);
    const unavailable = answers.flatMap((p) => [p.read, p.write]).filter((a) => a.status === 503);
    const result = await s.verify(() => ["Running"]);
    writeFigures({
      scenario: "pg-terminate",
      database: "postgres",
      figures: {
        recovery_s: seconds(firstOk ? firstOk.at - lastKill : null),
        terminated_backends: terminated,
        requests: answers.length * 2,
        answered_503: unavailable.length,
        max_request_s: seconds(Math.max(...answers.flatMap((p) => [p.read.ms, p.write.ms]))),
        outage_s: seconds(lastKill - from),
      },
      lost: result.lost.length,
      doubleRuns: result.doubles.length,
      notes: [
        `every backend of the hub's database terminated each second for 10 s while reading and submitting every 0.5 s; bad answers: ${bad.length}.`,
      ],
    });
    expect(s.hubs[0]!.alive).toBe(true);
    expect(bad).toEqual([]);
    expect(firstOk).toBeDefined();
    expect(result.lost).toEqual([]);
    expect(result.doubles).toEqual([]);
  });
});

describe.each(["cut", "blackhole"] as const)(
  "PostgreSQL unreachable for 30 s through a proxy: %s (postgres only: PGlite runs inside the hub)",
  (how) => {
    let s: FaultStack;
    beforeAll(async () => {
      s = await startFaultStack({
        scenario: `db-unreachable-${how}`,
        database: "postgres",
        hubEnv: DB_ENV,
        pgProxy: true,
        agent: RARE_STATUS,
      });
      await s.readyClusters();
    });
    afterAll(async () => s?.close());

    it(`the hub never dies, answers 503 database_unavailable fast, recovers by itself, and loses no status report`, async () => {
      const long = await s.submit(aJob("db-long"));
      const svc = await s.submit(aService("db-serve"));
      await s.waitPhase(long.metadata, ["Running"]);
      await s.waitPhase(svc.metadata, ["Running"]);
      // Ends about 10 s into the outage: its only report of that is sent while the database is away.
      const ending = await s.submit(aJob("ends-in-outage", { durationHours: 12 }, 2));
      await s.waitPhase(ending.metadata, ["Running"]);
      const retriedBefore = counter((await s.api.metrics()).body, "gantry_agent_messages_total", {
        kind: "status",
        result: "retried",
      });

      const proxy = s.pgProxy!;
      const probes = startProber(s, { name: how });
      const downAt = Date.now();
      if (how === "cut") proxy.cut();
      else proxy.blackhole();
      await sleep(30_000);
      const upAt = Date.now();
      proxy.restore();
      const firstOk = await eventually(
        async () => {
          const r = await s.api.workload("team-a", "db-long");
          return r.status === 200 ? Date.now() : undefined;
        },
        "the API to answer again",
        120_000,
        250,
      );
      await sleep(2_000);
      const answers = await probes.stop();
      await s.waitPhase(ending.metadata, ["Succeeded"], 120_000);
      const statusApplied = Date.now();
      const retried =
        counter((await s.api.metrics()).body, "gantry_agent_messages_total", { kind: "status", result: "retried" }) -
        retriedBefore;

      const during = answers.filter((p) => p.at >= downAt && p.at < upAt);
      // Known and counted (docs/reliability.md, findings not fixed): a call whose query was already on the link when it
      // went silent waits for the link, and the client's timeout (30 s for a submit) runs out first. Excused only for
      // calls sent during a blackhole; a cut link fails every query at once.
      const hung = during.flatMap((p) => [p.read, p.write]).filter(noAnswer);
      const excused = (p: { at: number }, a: Parameters<typeof noAnswer>[0]) =>
        how === "blackhole" && noAnswer(a) && p.at >= downAt && p.at < upAt;
      // Timed on the calls that were answered; the ones that were not are `hung`.
      const failing = during
        .flatMap((p) => [p.read, p.write])
        .filter((a) => a.status !== 200 && a.status !== 201 && !noAnswer(a));
      const bad = badAnswers(answers, excused);
      const fenced = s.recorder.statuses().filter((r) => r.report.statuses.some((st) => st.reason === "fenced")).length;
      const result = await s.verify((w) => (w.name === "ends-in-outage" ? ["Succeeded"] : ["Running"]), 120_000);
      writeFigures({
        scenario: `db-unreachable-${how}`,
        database: "postgres",
        figures: {
          detection_s: seconds(median(failing.map((a) => a.ms))),
          recovery_s: seconds(firstOk - upAt),
          status_applied_s: seconds(statusApplied - upAt),
          max_failing_request_s: seconds(Math.max(...failing.map((a) => a.ms))),
          requests_during: during.length * 2,
          not_503: bad.length,
          no_answer: hung.length,
          status_retries: retried,
          fenced_reports: fenced,
        },
        lost: result.lost.length,
        doubleRuns: result.doubles.length,
        notes: [
          `hub→PostgreSQL through a TCP proxy, ${how === "cut" ? "cut (every connection reset, new ones refused)" : "blackholed (connections held open, nothing passes)"} for 30 s while reading and submitting every 0.5 s; detection = median time a failing request took to answer; a job ended during the outage, its one status report retried until applied; no answer = calls sent during the outage that got none before the client's timeout (30 s for a submit).`,
        ],
      });
      expect(s.hubs[0]!.alive).toBe(true);
      expect(bad).toEqual([]);
      // A hung call is the exception: nearly every call during the outage is answered, fast.
      expect(hung.length).toBeLessThan(failing.length / 10);
      expect(median(failing.map((a) => a.ms))).toBeLessThan(5_000);
      expect(Math.max(...failing.map((a) => a.ms))).toBeLessThan(15_000);
      expect(fenced).toBe(0);
      expect(result.lost).toEqual([]);
      expect(result.doubles).toEqual([]);
    });
  },
);
