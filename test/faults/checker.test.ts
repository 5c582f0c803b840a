import { type PlacementStatus, PROTOCOL_VERSION } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import type { RecordedStatus } from "../support/recorder.ts";
import { clockOffsets, doubleRuns, lostWorkloads, runIntervals } from "../support/reliability.ts";

/** A status report as the recorder keeps it: sent at `sent` by the agent's clock, arrived at `arrived`. */
const aReport = (
  cluster: string,
  agentId: string,
  seq: number,
  sent: number,
  arrived: number,
  statuses: Partial<PlacementStatus>[],
  full = true,
): RecordedStatus => {
  const report = {
    protocol: PROTOCOL_VERSION,
    cluster,
    sentAt: new Date(sent).toISOString(),
    agentId,
    seq,
    kind: "status" as const,
    full,
    revision: 1,
    statuses: statuses.map((s) => ({
      uid: "job-1",
      tenant: "t",
      workload: "train",
      generation: 1,
      phase: "Running" as const,
      replicas: 1,
      readyReplicas: 1,
      message: "",
      events: [],
      ...s,
    })),
  };
  return {
    subject: `gantry.v1.agent.${cluster}.status`,
    cluster,
    kind: "status",
    arrivedAt: arrived,
    data: new Uint8Array(),
    agentId,
    seq,
    sentAt: sent,
    report,
  };
};

const jobs = new Set(["job-1"]);
const check = (reports: RecordedStatus[], halts: Parameters<typeof runIntervals>[2] = []) =>
  doubleRuns(runIntervals(reports, reports, halts), jobs);

describe("the independent checker", () => {
  it("finds a job running in two clusters at once", () => {
    const reports = [
      aReport("a", "a-1", 1, 1_000, 1_000, [{}]),
      aReport("b", "b-1", 1, 2_000, 2_000, [{ generation: 2 }]),
      aReport("a", "a-1", 2, 3_000, 3_000, [{ phase: "Failed", reason: "fenced" }]),
    ];
    const found = check(reports);
    expect(found).toHaveLength(1);
    expect(found[0]?.overlapMs).toBe(1_000);
  });

  it("believes a late report's finishedAt: a job fenced before the failover did not run twice", () => {
    const reports = [
      aReport("a", "a-1", 1, 1_000, 1_000, [{}]),
      aReport("b", "b-1", 1, 9_000, 9_000, [{ generation: 2 }]),
      // Written at 12 s, delivered at 12 s, saying it stopped at 5 s (before b started).
      aReport("a", "a-1", 2, 12_000, 12_000, [
        { phase: "Failed", reason: "fenced", finishedAt: new Date(5_000).toISOString() },
      ]),
    ];
    expect(check(reports)).toEqual([]);
  });

  it("undoes a skewed agent clock by its fastest message, and counts a buffered report when it was written", () => {
    const hoursAhead = 3 * 3_600_000;
    const reports = [
      aReport("a", "a-1", 1, 1_000 + hoursAhead, 1_010, [{}]),
      // Buffered through a partition: written at 4 s, arrived at 20 s.
      aReport("a", "a-1", 2, 4_000 + hoursAhead, 20_000, [{ phase: "Failed", reason: "fenced" }]),
      aReport("b", "b-1", 1, 9_000, 9_000, [{ generation: 2 }]),
    ];
    expect(clockOffsets(reports).get("a-1")).toBe(10 - hoursAhead);
    expect(check(reports)).toEqual([]);
  });

  it("ends what a killed agent's cluster ran at the kill, and a full report without the job ends it too", () => {
    const reports = [
      aReport("a", "a-1", 1, 1_000, 1_000, [{}]),
      aReport("b", "b-1", 1, 9_000, 9_000, [{ generation: 2 }]),
      aReport("a", "a-2", 1, 30_000, 30_000, []),
    ];
    expect(check(reports, [{ cluster: "a", at: 2_000, why: "killed" }])).toEqual([]);
    // Without the harness's fact, the old copy counts until the last message of its agent process.
    expect(check(reports)).toEqual([]);
    const noSuccessor = reports.slice(0, 2);
    expect(check(noSuccessor)).toHaveLength(1);
  });

  it("does not count a service in two clusters (only jobs must not run twice)", () => {
    const reports = [
      aReport("a", "a-1", 1, 1_000, 1_000, [{ uid: "svc" }]),
      aReport("b", "b-1", 1, 1_500, 1_500, [{ uid: "svc" }]),
    ];
    expect(check(reports)).toEqual([]);
  });

  it("reports an accepted workload that is gone, replaced or in the wrong phase", () => {
    const accepted = [
      { tenant: "t", name: "gone", uid: "1", type: "job" as const, acceptedAt: 0 },
      { tenant: "t", name: "other", uid: "2", type: "job" as const, acceptedAt: 0 },
      { tenant: "t", name: "stuck", uid: "3", type: "job" as const, acceptedAt: 0 },
      { tenant: "t", name: "fine", uid: "4", type: "job" as const, acceptedAt: 0 },
    ];
    const observed = new Map([
      ["t/gone", undefined],
      ["t/other", { uid: "22", phase: "Running" }],
      ["t/stuck", { uid: "3", phase: "Pending" }],
      ["t/fine", { uid: "4", phase: "Running" }],
    ]);
    expect(lostWorkloads(accepted, observed, () => ["Running"]).map((l) => l.workload)).toEqual([
      "t/gone",
      "t/other",
      "t/stuck",
    ]);
  });
});
