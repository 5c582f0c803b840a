import { randomUUID } from "node:crypto";
import type { PlacementStatus } from "@gantry/shared";
import { eq } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { statusTransition } from "../scheduler/phase.ts";
import type { StatusOutcome, StatusReport, Store, WorkloadRow } from "./index.ts";
import { placements } from "./schema.ts";
import {
  aDecision,
  aReservation,
  aStatus,
  at,
  aWorkload,
  KINDS,
  openTestStore,
  registered,
  type TestStore,
  unique,
} from "./testing/fixtures.ts";

/**
 * `applyStatusReports` applies a batch of reports in one transaction; `applyStatuses` one report per transaction
 * is the reference (its own behaviour is pinned by placing.test.ts). The hub batches reports of different clusters
 * that arrive together, so a batch here holds at most one report per cluster and, for the comparison to be exact,
 * at most one per workload: then batching must change nothing anyone can see — statuses, phases, events, outcomes,
 * cluster revisions.
 */

const CLUSTERS = 3;
const WORKLOADS = 4;

interface Scenario {
  /** Per workload: the clusters it is placed on (indices), and whether it may restart. */
  workloads: { on: number[]; restartable: boolean }[];
  /** In arrival order: which cluster reports, and per status the workload, generation offset and what it says. */
  reports: {
    cluster: number;
    replay: boolean;
    statuses: { workload: number; generation: number; say: number }[];
  }[];
  /** Where a new batch starts (besides where the one-per-cluster, one-per-workload rule forces one). */
  cuts: boolean[];
}

const SAYS: Partial<PlacementStatus>[] = [
  { phase: "Pending", readyReplicas: 0, message: "pulling" },
  { phase: "Running", readyReplicas: 1 },
  { phase: "Running", readyReplicas: 0, message: "restarting" },
  { phase: "Succeeded", readyReplicas: 0 },
  { phase: "Failed", message: "OOMKilled" },
  { phase: "Failed", reason: "fenced", message: "no lease" },
  { phase: "Staging", readyReplicas: 0, message: "copying 40%" },
];

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  workloads: fc.array(
    fc.record({
      on: fc.uniqueArray(fc.integer({ min: 0, max: CLUSTERS - 1 }), { minLength: 1, maxLength: 2 }),
      restartable: fc.boolean(),
    }),
    { minLength: WORKLOADS, maxLength: WORKLOADS },
  ),
  reports: fc.array(
    fc.record({
      cluster: fc.integer({ min: 0, max: CLUSTERS - 1 }),
      // Now and then the same sequence number again (a replayed message).
      replay: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
      statuses: fc.uniqueArray(
        fc.record({
          workload: fc.integer({ min: 0, max: WORKLOADS - 1 }),
          // Mostly the current generation (1); sometimes a stale or unknown one.
          generation: fc.constantFrom(1, 1, 1, 1, 0, 2),
          say: fc.integer({ min: 0, max: SAYS.length - 1 }),
        }),
        { minLength: 1, maxLength: 3, selector: (s) => s.workload },
      ),
    }),
    { minLength: 1, maxLength: 12 },
  ),
  cuts: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
});

/** Consecutive reports grouped as the hub would: no cluster and no workload twice in one batch. */
const batchesOf = (s: Scenario): number[][] => {
  const out: number[][] = [];
  let current: number[] = [];
  const clusters = new Set<number>();
  const workloads = new Set<number>();
  s.reports.forEach((r, i) => {
    const clash = clusters.has(r.cluster) || r.statuses.some((st) => workloads.has(st.workload));
    if (current.length > 0 && (clash || s.cuts[i])) {
      out.push(current);
      current = [];
      clusters.clear();
      workloads.clear();
    }
    current.push(i);
    clusters.add(r.cluster);
    for (const st of r.statuses) workloads.add(st.workload);
  });
  if (current.length > 0) out.push(current);
  return out;
};

describe.each(KINDS)("applyStatusReports on %s", (kind) => {
  let t: TestStore;
  let store: Store;

  beforeAll(async () => {
    t = await openTestStore(kind);
    store = t.store;
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  /** One copy of the scenario's fleet and workloads: fresh clusters, each workload placed and its reports built. */
  const setUp = async (s: Scenario) => {
    const clusters = await registered(store, ...Array.from({ length: CLUSTERS }, () => unique("c")));
    const rows: WorkloadRow[] = [];
    for (const w of s.workloads) {
      const on = w.on.map((i) => clusters[i]!);
      const row = (
        await store.workloads.create(aWorkload(unique("w"), { replicas: on.length, restartable: w.restartable }), at(0))
      ).row;
      const placed = await store.placing.place(row.uid, {
        decisionId: randomUUID(),
        decision: aDecision(on.map((cluster) => ({ cluster }))),
        reservations: on.map((c) => aReservation(row.uid, c)),
        at: at(1),
      });
      expect(placed).toBe(true);
      rows.push(row);
    }
    const seqs = new Map<number, number>();
    const reports: StatusReport[] = s.reports.map((r) => {
      const last = seqs.get(r.cluster) ?? 0;
      const seq = r.replay && last > 0 ? last : last + 1;
      seqs.set(r.cluster, seq);
      return {
        cluster: clusters[r.cluster]!,
        seq,
        statuses: r.statuses.map((st) => aStatus(rows[st.workload]!, st.generation, SAYS[st.say])),
      };
    });
    return { clusters, rows, reports };
  };

  /** What anyone could see, with this copy's names and uids replaced by indices. */
  const observe = async (copy: Awaited<ReturnType<typeof setUp>>, outcomes: StatusOutcome[]) => {
    const names = new Map<string, string>();
    for (const [i, c] of copy.clusters.entries()) names.set(c, `C${i}`);
    copy.rows.forEach((w, i) => {
      names.set(w.uid, `W${i}`);
      names.set(w.name, `W${i}`);
    });
    const anon = (x: unknown) =>
      JSON.parse(JSON.stringify(x).replace(/[A-Za-z0-9-]+/g, (m) => names.get(m) ?? m)) as unknown;
    const workloads = [];
    for (const row of copy.rows) {
      const w = (await store.workloads.getByUid(row.uid))!;
      const ps = await store.db.select().from(placements).where(eq(placements.uid, row.uid));
      workloads.push({
        phase: w.phase,
        message: w.message,
        startedAt: w.startedAt,
        finishedAt: w.finishedAt,
        placements: ps
          .map((p) => ({
            cluster: p.cluster,
            active: p.active,
            status: p.status,
            statusSeq: p.statusSeq,
            missingSince: p.missingSince,
          }))
          .sort((a, b) => (names.get(a.cluster) ?? a.cluster).localeCompare(names.get(b.cluster) ?? b.cluster)),
        events: (await store.workloads.events(row.uid)).map((e) => [e.reason, e.type, e.cluster, e.message]),
      });
    }
    const revisions = [];
    for (const c of copy.clusters) revisions.push((await store.clusters.get(c))!.revision);
    const named = (uids: string[]) => uids.map((u) => names.get(u) ?? u).sort();
    const sorted = outcomes.map((o) => ({ ...o, changed: named(o.changed), freed: named(o.freed) }));
    return anon({ workloads, revisions, outcomes: sorted });
  };

  it("a batch of reports from different clusters on different workloads ends as applying them one by one", async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (s) => {
        const one = await setUp(s);
        const oneOutcomes: StatusOutcome[] = [];
        for (const r of one.reports) {
          oneOutcomes.push(await store.placing.applyStatuses(r.cluster, r.seq, r.statuses, at(5), statusTransition));
        }
        const batched = await setUp(s);
        const batchedOutcomes: StatusOutcome[] = [];
        for (const batch of batchesOf(s)) {
          batchedOutcomes.push(
            ...(await store.placing.applyStatusReports(
              batch.map((i) => batched.reports[i]!),
              at(5),
              statusTransition,
            )),
          );
        }
        expect(await observe(batched, batchedOutcomes)).toEqual(await observe(one, oneOutcomes));
      }),
      { numRuns: kind === "pglite" ? 25 : 15, endOnFailure: true },
    );
  }, 240_000);

  it("ends a split workload once when both of its clusters report in one batch", async () => {
    const clusters = await registered(store, unique("c"), unique("c"));
    const row = (await store.workloads.create(aWorkload(unique("w"), { replicas: 2 }), at(0))).row;
    await store.placing.place(row.uid, {
      decisionId: randomUUID(),
      decision: aDecision(clusters.map((cluster) => ({ cluster }))),
      reservations: clusters.map((c) => aReservation(row.uid, c)),
      at: at(1),
    });
    const running = await store.placing.applyStatusReports(
      clusters.map((cluster) => ({ cluster, seq: 1, statuses: [aStatus(row, 1)] })),
      at(2),
      statusTransition,
    );
    // Both parts applied; the workload's one transition counts for the later report.
    expect(running.map((o) => o.changed)).toEqual([[], [row.uid]]);
    const done = await store.placing.applyStatusReports(
      clusters.map((cluster) => ({ cluster, seq: 2, statuses: [aStatus(row, 1, { phase: "Succeeded" })] })),
      at(3),
      statusTransition,
    );
    expect(done.flatMap((o) => o.freed)).toEqual([row.uid]);
    const w = (await store.workloads.getByUid(row.uid))!;
    expect(w).toMatchObject({ phase: "Succeeded", startedAt: at(2), finishedAt: at(3) });
    expect(w.placements.map((p) => [p.active, p.status?.phase, p.statusSeq])).toEqual([
      [false, "Succeeded", 2],
      [false, "Succeeded", 2],
    ]);
    const reasons = (await store.workloads.events(row.uid)).map((e) => e.reason);
    expect(reasons.filter((r) => r === "Applied")).toHaveLength(2);
    expect(reasons.filter((r) => r === "Running")).toHaveLength(1);
    expect(reasons.filter((r) => r === "Succeeded")).toHaveLength(1);
  });
});
