import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HubProcess } from "../support/processes.ts";
import { seconds, writeFigures } from "./support/figures.ts";
import { HA_ENV, leaseRow, pauseInsideTransaction, placedEvents } from "./support/ha.ts";
import { aJob, aService, eventually, every, type FaultStack, startFaultStack } from "./support/stack.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("hub leader failover with a paused old leader (postgres; PGlite is one process, so no HA)", () => {
  let s: FaultStack;
  beforeAll(async () => {
    s = await startFaultStack({ scenario: "leader-failover", database: "postgres", hubs: 2, hubEnv: HA_ENV });
    await s.readyClusters();
  });
  afterAll(async () => s?.close());

  it("SIGSTOP of the leader moves leadership within 10 s; on SIGCONT the old leader is fenced off; no submission lost, nothing placed twice", async () => {
    const leader = await eventually(() => s.leader(), "a leader");
    const follower = s.hubs.find((h) => h !== leader) as HubProcess;
    const before = await leaseRow(s.pgdb!.url);
    expect(before.holder).toBe(leader.hubId);

    for (const w of [aJob("ha-train"), aJob("ha-etl", { restartable: false }), aService("ha-chat")]) {
      const r = await s.api.submit(w, follower.url);
      expect([200, 201]).toContain(r.status);
    }
    for (const a of s.ledger.accepted) await s.waitPhase(a, ["Running"]);

    // A steady stream of submissions to the follower, before, during and after the pause.
    let n = 0;
    // At most 30 one-GPU jobs: with the three above they fit the fleet's 48 GPUs, so every one must run.
    const submitter = every(300, async () => {
      if (n >= 30) return undefined;
      const r = await s.api.submit(aJob(`during-${n++}`, { durationHours: 600 }, 1), follower.url);
      return { status: r.status, at: Date.now(), ms: r.ms };
    });
    await sleep(1_500);

    const { inside: insideTransaction, at: pausedAt } = await pauseInsideTransaction(s, leader);
    const tookOver = await eventually(
      async () => ((await s.api.readyz(follower.url)).body.leader === true ? Date.now() : undefined),
      "the follower to lead",
      60_000,
      100,
    );
    // Stay paused well past the old lease, so the new leader has been writing for a while.
    await sleep(Math.max(0, pausedAt + 8_000 - Date.now(), tookOver + 2_000 - Date.now()));
    const resumedAt = Date.now();
    await s.resumeHub(leader);
    const stoodDown = await eventually(
      async () => ((await s.api.readyz(leader.url)).body.leader === false ? Date.now() : undefined),
      "the old leader to know it no longer leads",
    );
    await sleep(2_000);
    const answers = (await submitter.stop()).filter((a) => a !== undefined);
    const after = await leaseRow(s.pgdb!.url);

    const result = await s.verify(() => ["Running"]);
    const placed = await placedEvents(s);
    const twice = [...placed].filter(([, count]) => count !== 1);
    // The old leader's own account: writes it tried after SIGCONT and the store refused (its epoch was fenced off).
    // (by the epoch check, or by the server ending its transaction for idling past the lease).
    const refusedWrites = (leader.output.match(/is fenced off|idle-in-transaction timeout/g) ?? []).length;
    const failedSubmits = answers.filter((a) => a.status !== 201 && a.status !== 200);
    const fenced = s.recorder.statuses().filter((r) => r.report.statuses.some((st) => st.reason === "fenced")).length;

    writeFigures({
      scenario: "leader-failover",
      database: "postgres",
      figures: {
        detection_s: seconds(tookOver - pausedAt),
        failover_s: seconds(tookOver - pausedAt),
        recovery_s: seconds(stoodDown - resumedAt),
        submissions: answers.length,
        submissions_refused: failedSubmits.length,
        max_submit_latency_s: seconds(Math.max(...answers.map((a) => a.ms))),
        refused_old_leader_writes: refusedWrites,
        paused_inside_transaction: insideTransaction ? 1 : 0,
      },
      lost: result.lost.length,
      doubleRuns: result.doubles.length + twice.length,
      notes: [
        `two hubs on one PostgreSQL, lease TTL 4 s; the leader SIGSTOPped ${insideTransaction ? "inside a fenced transaction (holding the lease row) " : ""}for 8 s while ${answers.length} jobs were submitted to the follower; epoch ${before.epoch} → ${after.epoch}; detection = failover = time until the follower leads; recovery = SIGCONT until the old leader says it does not lead; ${fenced} fenced reports.`,
      ],
    });

    expect(leader.alive).toBe(true);
    expect(tookOver - pausedAt).toBeLessThan(10_000);
    expect(after.holder).toBe(follower.hubId);
    expect(after.epoch).toBeGreaterThan(before.epoch);
    expect(failedSubmits).toEqual([]);
    expect(twice).toEqual([]);
    expect(fenced).toBe(0);
    expect(result.lost).toEqual([]);
    expect(result.doubles).toEqual([]);
  });
});
