import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HubProcess } from "../support/processes.ts";
import { seconds, writeFigures } from "./support/figures.ts";
import { HA_ENV, pauseInsideTransaction, placedEvents } from "./support/ha.ts";
import { aJob, eventually, type FaultStack, startFaultStack } from "./support/stack.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const GPUS_PER_CLUSTER = 16;
const JOBS = 16;

describe("racing placements from two hub replicas (postgres; PGlite is one process, so no HA)", () => {
  let s: FaultStack;
  beforeAll(async () => {
    s = await startFaultStack({ scenario: "racing-placements", database: "postgres", hubs: 2, hubEnv: HA_ENV });
    await s.readyClusters();
  });
  afterAll(async () => s?.close());

  it("the same submissions sent to both replicas while leadership changes hands twice: one workload each, placed once, no cluster over-committed", async () => {
    const [a, b] = s.hubs as [HubProcess, HubProcess];
    const submitted: { name: string; uids: string[]; statuses: number[] }[] = [];
    // 16 jobs of 4 GPUs for 48 GPUs: 12 run, 4 wait. Each is sent to both replicas at once.
    const submitAll = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const w = aJob(`race-${i}`);
        const answers = await Promise.all([s.api.submit(w, a.url), s.api.submit(w, b.url)]);
        submitted.push({
          name: w.metadata.name,
          uids: answers.map((r) => r.body?.metadata?.uid ?? ""),
          statuses: answers.map((r) => r.status),
        });
      }
    };
    const started = Date.now();
    await submitAll(0, 6);
    // Leadership changes hands twice while submissions go on: each time the leader is frozen inside a transaction.
    const flips: number[] = [];
    for (let round = 0; round < 2; round++) {
      const leader = await eventually(() => s.leader(), "a leader");
      const other = s.hubs.find((h) => h !== leader) as HubProcess;
      const { at } = await pauseInsideTransaction(s, leader);
      // The frozen replica answers its share once it wakes: the submissions straddle the handover.
      const during = submitAll(6 + round * 5, 11 + round * 5);
      await eventually(
        async () => ((await s.api.readyz(other.url)).body?.leader === true ? true : undefined),
        "a new leader",
      );
      flips.push(Date.now() - at);
      await sleep(1_000);
      await s.resumeHub(leader);
      await during;
    }
    const settled = Date.now();
    await eventually(async () => {
      const phases = await Promise.all(
        submitted.map(async (w) => (await s.api.workload("team-a", w.name)).body?.status.phase),
      );
      return phases.filter((p) => p === "Running").length === 12 ? true : undefined;
    }, "12 jobs running");
    const runningAt = Date.now();

    const result = await s.verify(() => ["Running", "Pending"]);
    const placed = await placedEvents(s);
    const twice = [...placed].filter(([, count]) => count > 1);
    const disagreeing = submitted.filter(
      (w) => w.uids[0] !== w.uids[1] || !w.statuses.every((st) => st === 200 || st === 201),
    );
    // Over-commit, judged from what the agents were told (the recorder's last desired state per cluster).
    const lastDesired = new Map<string, number>();
    for (const d of s.recorder.desired()) {
      const gpus = d.state.placements.reduce((n, p) => n + p.replicas * p.spec.resources.gpu.count, 0);
      lastDesired.set(d.cluster, gpus);
    }
    const overCommitted = [...lastDesired].filter(([, gpus]) => gpus > GPUS_PER_CLUSTER);
    const phases = await Promise.all(
      submitted.map(async (w) => (await s.api.workload("team-a", w.name)).body.status.phase),
    );

    writeFigures({
      scenario: "racing-placements",
      database: "postgres",
      figures: {
        failover_s: seconds(Math.max(...flips)),
        recovery_s: seconds(runningAt - settled),
        submissions: submitted.length * 2,
        running: phases.filter((p) => p === "Running").length,
        pending: phases.filter((p) => p === "Pending").length,
        total_s: seconds(runningAt - started),
      },
      lost: result.lost.length + disagreeing.length,
      doubleRuns: result.doubles.length + twice.length + overCommitted.length,
      notes: [
        `${JOBS} jobs of 4 GPUs, each submitted to both replicas at once (48 GPUs: 12 fit); the leader frozen inside a fenced transaction twice during submissions; failover s = slowest handover.`,
      ],
    });

    expect(disagreeing).toEqual([]);
    expect(twice).toEqual([]);
    expect(overCommitted).toEqual([]);
    expect(phases.filter((p) => p === "Running")).toHaveLength(12);
    expect(result.lost).toEqual([]);
    expect(result.doubles).toEqual([]);
  });
});
