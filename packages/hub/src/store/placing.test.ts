import { randomUUID } from "node:crypto";
import type { PlacementStatus, WorkloadSpecInput } from "@gantry/shared";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { statusTransition } from "../scheduler/phase.ts";
import { createStore, type Db, FencedError, type PlacementChange, type Store } from "./index.ts";
import { costLedger, decisions, hubLeases, placements, reservations } from "./schema.ts";
import {
  aDecision,
  aReservation,
  aStatus,
  at,
  aWorkload,
  KINDS,
  openTestStore,
  outboxCounts,
  registered,
  type TestStore,
  unique,
} from "./testing/fixtures.ts";

describe.each(KINDS)("placing on %s", (kind) => {
  let t: TestStore;
  let store: Store;

  beforeAll(async () => {
    t = await openTestStore(kind);
    store = t.store;
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  const clusters = (n: number) => registered(store, ...Array.from({ length: n }, () => unique("c")));
  const created = async (spec: Partial<WorkloadSpecInput> = {}) =>
    (await store.workloads.create(aWorkload(unique("w"), spec), at(0))).row;
  const change = (uid: string, on: string[], over: Partial<PlacementChange> = {}): PlacementChange => ({
    decisionId: randomUUID(),
    decision: aDecision(on.map((cluster) => ({ cluster }))),
    reservations: on.map((c) => aReservation(uid, c)),
    at: at(1),
    ...over,
  });
  /** A workload placed on `on`, one replica each. */
  const placedOn = async (on: string[], spec: Partial<WorkloadSpecInput> = {}) => {
    const w = await created(spec);
    expect(await store.placing.place(w.uid, change(w.uid, on))).toBe(true);
    return (await store.workloads.getByUid(w.uid))!;
  };
  const row = async (uid: string) => (await store.workloads.getByUid(uid))!;
  const activeOn = async (uid: string) =>
    (await row(uid)).placements
      .filter((p) => p.active)
      .map((p) => p.cluster)
      .sort();
  const reasons = async (uid: string) => (await store.workloads.events(uid)).map((e) => e.reason);
  const reservedOn = async (uid: string) =>
    (await store.db.select().from(reservations).where(eq(reservations.uid, uid))).map((r) => r.cluster).sort();
  /** Put the leader lease at `epoch` (or remove it), as a takeover by another replica would. */
  const leaseAt = async (epoch: number | undefined) => {
    await store.db.delete(hubLeases).where(eq(hubLeases.name, "leader"));
    if (epoch === undefined) return;
    await store.db
      .insert(hubLeases)
      .values({ name: "leader", holder: "hub-b", epoch, expiresAt: at(3_600), acquiredAt: at(0) });
  };
  /** Everything a leader write could have touched for this workload and these clusters. */
  const footprint = async (uid: string, on: string[]) => ({
    workload: await row(uid),
    decisions: (await store.db.select().from(decisions).where(eq(decisions.uid, uid))).length,
    reservations: await reservedOn(uid),
    events: await reasons(uid),
    outbox: await outboxCounts(store, on),
    revisions: await Promise.all(on.map(async (c) => (await store.clusters.get(c))!.revision)),
  });
  const apply = (cluster: string, seq: number, statuses: PlacementStatus[], when = at(5)) =>
    store.placing.applyStatuses(cluster, seq, statuses, when, statusTransition);

  describe("place", () => {
    it("writes placements, reservations, the decision, outbox rows and an event in one go", async () => {
      const [a, b] = await clusters(2);
      const w = await created();
      const before = await outboxCounts(store, [a!, b!]);
      const decisionId = randomUUID();
      const decision = aDecision(
        [
          { cluster: a, replicas: 1, gpuModel: "A100", spot: true, pricePerGpuHour: 3 },
          { cluster: b, replicas: 2 },
        ],
        { estimatedCost: { total: 20, perHour: 8, compute: 14, egress: 6 } },
      );
      const ok = await store.placing.place(w.uid, {
        decisionId,
        decision,
        reservations: [aReservation(w.uid, a!), aReservation(w.uid, b!, 8)],
        at: at(1),
        policy: "p",
        pool: "cloud",
        poolNote: "burst to cloud",
        reason: "Burst",
      });
      expect(ok).toBe(true);

      const got = await row(w.uid);
      expect(got).toMatchObject({
        phase: "Placed",
        generation: 1,
        decisionId,
        message: decision.summary,
        placedAt: at(1),
        policy: "p",
        pool: "cloud",
        poolNote: "burst to cloud",
      });
      expect(got.rv).toBeGreaterThan(w.rv);
      expect(
        got.placements.map((p) => [
          p.cluster,
          p.replicas,
          p.generation,
          p.active,
          p.spot,
          p.gpuModel,
          p.pricePerGpuHour,
        ]),
      ).toEqual(
        [
          [a, 1, 1, true, true, "A100", 3],
          [b, 2, 1, true, false, null, 2],
        ].sort(),
      );
      expect(
        got.placements.every((p) => p.gpusPerReplica === 4 && p.decisionId === decisionId && p.status === null),
      ).toBe(true);
      const held = await store.db.select().from(reservations).where(eq(reservations.uid, w.uid));
      expect(held.map((r) => [r.cluster, r.generation, r.nodes[0]?.gpus]).sort()).toEqual(
        [
          [a, 1, 4],
          [b, 1, 8],
        ].sort(),
      );
      expect(await store.workloads.decision(decisionId)).toEqual(decision);
      expect(await outboxCounts(store, [a!, b!])).toEqual({ [a!]: before[a!]! + 1, [b!]: before[b!]! + 1 });
      const evs = await store.workloads.events(w.uid);
      expect(evs.map((e) => [e.reason, e.message])).toEqual([
        ["Submitted", "accepted"],
        ["Burst", `${decision.summary} (burst to cloud)`],
      ]);
      // Egress is paid once, split by replicas.
      const egress = await store.db.select().from(costLedger).where(eq(costLedger.uid, w.uid));
      expect(egress.map((e) => [e.cluster, e.kind, e.usd]).sort()).toEqual(
        [
          [a, "egress", 2],
          [b, "egress", 4],
        ].sort(),
      );
    });

    it("writes nothing when any part of the transaction fails", async () => {
      const [c] = await clusters(1);
      const w = await created();
      const before = await footprint(w.uid, [c!]);
      // Two assignments to one cluster break the placements' primary key halfway through.
      const failing = store.placing.place(
        w.uid,
        change(w.uid, [c!], { decision: aDecision([{ cluster: c }, { cluster: c }]) }),
      );
      await expect(failing).rejects.toThrow();
      expect(await footprint(w.uid, [c!])).toEqual(before);
      expect(before.workload).toMatchObject({ phase: "Pending", generation: 0, placements: [] });
    });

    it("refuses a workload that is not in the phase the change expects, or is gone, and writes nothing", async () => {
      const [c] = await clusters(1);
      const placed = await placedOn([c!]);
      const pending = await created();
      const before = [await footprint(placed.uid, [c!]), await footprint(pending.uid, [c!])];
      expect(await store.placing.place(placed.uid, change(placed.uid, [c!]))).toBe(false);
      // Drain-back and restart move a Running workload, never a Pending or Placed one.
      expect(await store.placing.place(pending.uid, change(pending.uid, [c!], { keepOld: true }))).toBe(false);
      expect(await store.placing.place(pending.uid, change(pending.uid, [c!], { restart: true }))).toBe(false);
      expect(await store.placing.place(placed.uid, change(placed.uid, [c!], { restart: true }))).toBe(false);
      expect(await store.placing.place(randomUUID(), change("gone", [c!]))).toBe(false);
      expect([await footprint(placed.uid, [c!]), await footprint(pending.uid, [c!])]).toEqual(before);
    });

    it("moves a re-placed job: the old cluster's desired state loses it, the new one gains it", async () => {
      const [from, to] = await clusters(2);
      const w = await placedOn([from!], { restartable: true });
      await store.placing.setPhase(w.uid, "Running", "running", at(2));
      expect(await store.placing.place(w.uid, change(w.uid, [to!], { restart: true }))).toBe(true);
      expect(await activeOn(w.uid)).toEqual([to]);
      expect((await store.workloads.desiredState(from!)).placements).toEqual([]);
      expect((await store.workloads.desiredState(to!)).placements.map((p) => [p.uid, p.generation])).toEqual([
        [w.uid, 2],
      ]);
      expect(await reservedOn(w.uid)).toEqual([to]);
    });

    it("touches only the clusters a placement leaves or joins, and retires only the moved workload's rows", async () => {
      const [a, b, x, y] = await clusters(4);
      const other = await placedOn([a!, b!], { replicas: 2 });
      const w = await placedOn([x!], { restartable: true });
      const revisions = async () =>
        Promise.all([a, b, x, y].map(async (c) => (await store.clusters.get(c!))!.revision));
      const before = await revisions();
      await store.placing.setPhase(w.uid, "Running", "running", at(2));
      expect(await store.placing.place(w.uid, change(w.uid, [y!], { restart: true }))).toBe(true);
      const [ra, rb, rx, ry] = await revisions();
      // x loses it, y gains it; the other workload's clusters hear nothing.
      expect([ra, rb, rx, ry]).toEqual([before[0], before[1], before[2]! + 1, before[3]! + 1]);
      expect(await activeOn(other.uid)).toEqual([a, b].sort());
      expect(await activeOn(w.uid)).toEqual([y]);
      expect((await store.workloads.desiredState(a!)).placements.map((p) => p.uid)).toEqual([other.uid]);
    });
  });

  describe("placeMany", () => {
    it("places each workload as place does, bumping each touched cluster once, in one transaction", async () => {
      const [a, b] = await clusters(2);
      const one = await created();
      const two = await created();
      const three = await created();
      const before = await footprint(one.uid, [a!, b!]);
      const placed = await store.placing.placeMany([
        { uid: one.uid, change: change(one.uid, [a!]) },
        { uid: two.uid, change: change(two.uid, [a!, b!]) },
        { uid: three.uid, change: change(three.uid, [b!]) },
      ]);
      expect([...placed].sort()).toEqual([one.uid, two.uid, three.uid].sort());
      expect(await activeOn(one.uid)).toEqual([a]);
      expect(await activeOn(two.uid)).toEqual([a, b].sort());
      expect(await activeOn(three.uid)).toEqual([b]);
      for (const w of [one, two, three]) {
        expect((await row(w.uid)).phase).toBe("Placed");
        expect(await reasons(w.uid)).toEqual(["Submitted", "Placed"]);
      }
      expect(await reservedOn(two.uid)).toEqual([a, b].sort());
      // One revision and one outbox row per cluster, however many of the placements touched it.
      const after = await footprint(one.uid, [a!, b!]);
      expect(after.revisions).toEqual(before.revisions.map((r) => r + 1));
      expect(after.outbox).toEqual({ [a!]: before.outbox[a!]! + 1, [b!]: before.outbox[b!]! + 1 });
    });

    it("writes what place writes, for a burst with egress and for a drain-back that keeps the old placements", async () => {
      const [a, b, d] = await clusters(3);
      /** Everything a placement wrote for one workload, without its ids and versions. */
      const written = async (uid: string) => {
        const w = await row(uid);
        return {
          workload: [w.phase, w.message, w.generation, w.placedAt, w.policy, w.pool, w.poolNote],
          placements: w.placements
            .map((p) => [
              p.cluster,
              p.replicas,
              p.generation,
              p.active,
              p.spot,
              p.gpuModel,
              p.pricePerGpuHour,
              p.gpusPerReplica,
              p.staging,
              p.pool,
              p.policy,
            ])
            .sort(),
          reservations: (await store.db.select().from(reservations).where(eq(reservations.uid, uid)))
            .map((r) => [r.cluster, r.generation, r.nodes])
            .sort(),
          ledger: (await store.db.select().from(costLedger).where(eq(costLedger.uid, uid)))
            .map((l) => [l.cluster, l.kind, l.usd, l.pool, l.policy])
            .sort(),
          events: (await store.workloads.events(uid)).map((e) => [e.reason, e.message, e.type, e.cluster]),
          decision: w.decisionId ? await store.workloads.decision(w.decisionId) : undefined,
        };
      };
      const burst = (uid: string): PlacementChange => ({
        decisionId: randomUUID(),
        decision: aDecision(
          [
            { cluster: a, replicas: 1, gpuModel: "A100", spot: true, pricePerGpuHour: 3 },
            { cluster: b, replicas: 3 },
          ],
          { estimatedCost: { total: 20, perHour: 8, compute: 12, egress: 8 } },
        ),
        reservations: [aReservation(uid, a!), aReservation(uid, b!, 8)],
        at: at(1),
        policy: "p",
        pool: "cloud",
        poolNote: "burst to cloud",
        reason: "Burst",
        staging: new Map([[a!, [{ dataset: "imagenet", sizeGB: 10, gbps: 5, source: b! }]]]),
      });
      const one = await created();
      const two = await created();
      expect(await store.placing.place(one.uid, burst(one.uid))).toBe(true);
      expect([...(await store.placing.placeMany([{ uid: two.uid, change: burst(two.uid) }]))]).toEqual([two.uid]);
      const [byPlace, byMany] = [await written(one.uid), await written(two.uid)];
      expect(byMany).toEqual(byPlace);
      expect(byMany.ledger.map((l) => l[2])).toEqual([2, 6]);

      // Drain-back of a running service: the new placement joins, the old one stays active, phase and message stay.
      const drain = (uid: string): PlacementChange => ({ ...change(uid, [d!]), keepOld: true, reason: "DrainedBack" });
      for (const w of [one, two]) await store.placing.setPhase(w.uid, "Running", "running", at(2));
      expect(await store.placing.place(one.uid, drain(one.uid))).toBe(true);
      expect([...(await store.placing.placeMany([{ uid: two.uid, change: drain(two.uid) }]))]).toEqual([two.uid]);
      const [drainedByPlace, drainedByMany] = [await written(one.uid), await written(two.uid)];
      expect(drainedByMany).toEqual(drainedByPlace);
      expect(drainedByMany.workload.slice(0, 3)).toEqual(["Running", "running", 2]);
      expect(await activeOn(two.uid)).toEqual([a, b, d].sort());
    });

    it("skips a workload that is gone or no longer Pending, a uid given twice, and places the others", async () => {
      const [c] = await clusters(1);
      const fresh = await created();
      const done = await placedOn([c!]);
      const gone = await created();
      await store.workloads.delete(gone.tenant, gone.name, at(1));
      const placed = await store.placing.placeMany([
        { uid: done.uid, change: change(done.uid, [c!]) },
        { uid: gone.uid, change: change(gone.uid, [c!]) },
        { uid: fresh.uid, change: change(fresh.uid, [c!]) },
        { uid: fresh.uid, change: change(fresh.uid, [c!]) },
      ]);
      expect([...placed]).toEqual([fresh.uid]);
      expect((await row(fresh.uid)).generation).toBe(1);
      expect((await row(done.uid)).generation).toBe(1);
      expect(await store.workloads.getByUid(gone.uid)).toBeUndefined();
    });

    it("places nothing under a stale epoch (FencedError), nor when one placement's write fails", async () => {
      const [c] = await clusters(1);
      const one = await created();
      const two = await created();
      await leaseAt(3);
      const before = [await footprint(one.uid, [c!]), await footprint(two.uid, [c!])];
      await expect(
        store.placing.placeMany(
          [
            { uid: one.uid, change: change(one.uid, [c!]) },
            { uid: two.uid, change: change(two.uid, [c!]) },
          ],
          2,
        ),
      ).rejects.toBeInstanceOf(FencedError);
      // The second change reuses the first's decision id: its insert fails, and the first is rolled back with it.
      const first = change(one.uid, [c!]);
      await expect(
        store.placing.placeMany(
          [
            { uid: one.uid, change: first },
            { uid: two.uid, change: { ...change(two.uid, [c!]), decisionId: first.decisionId } },
          ],
          3,
        ),
      ).rejects.toThrow();
      expect([await footprint(one.uid, [c!]), await footprint(two.uid, [c!])]).toEqual(before);
      await leaseAt(undefined);
    });
  });

  describe("fencing", () => {
    it("refuses a write under an epoch older than the lease's with FencedError, and writes nothing", async () => {
      const [c] = await clusters(1);
      const w = await created();
      await leaseAt(3);
      const before = await footprint(w.uid, [c!]);
      const stale = store.placing.place(w.uid, change(w.uid, [c!]), 2);
      await expect(stale).rejects.toBeInstanceOf(FencedError);
      await expect(stale).rejects.toMatchObject({ code: "fenced", epoch: 2, current: 3 });
      await expect(
        store.placing.recordUnplaced(w.uid, randomUUID(), aDecision([]), "no room", at(1), 2),
      ).rejects.toBeInstanceOf(FencedError);
      await expect(store.placing.setPhase(w.uid, "Failed", "x", at(1), { epoch: 2 })).rejects.toBeInstanceOf(
        FencedError,
      );
      expect(await footprint(w.uid, [c!])).toEqual(before);
      // The current epoch, and a write any replica may make (no epoch), go through.
      expect(await store.placing.place(w.uid, change(w.uid, [c!]), 3)).toBe(true);
      expect((await row(w.uid)).phase).toBe("Placed");
    });

    it("refuses a newer epoch than the lease's, and any epoch when there is no lease", async () => {
      const [c] = await clusters(1);
      const w = await placedOn([c!], { restartable: true });
      await store.placing.setPhase(w.uid, "Running", "running", at(2));
      await leaseAt(3);
      await expect(store.placing.failover(w.uid, [c!], "requeue", "lost", at(3), 4)).rejects.toMatchObject({
        epoch: 4,
        current: 3,
      });
      await leaseAt(undefined);
      await expect(store.placing.failover(w.uid, [c!], "requeue", "lost", at(3), 3)).rejects.toMatchObject({
        code: "fenced",
        current: undefined,
      });
      expect(await row(w.uid)).toMatchObject({ phase: "Running" });
      expect(await activeOn(w.uid)).toEqual([c]);
      await expect(store.costs.accrue(at(4), 1)).rejects.toBeInstanceOf(FencedError);
    });
  });

  it("keeps a decision that placed nothing so explain can say why, only for a Pending workload", async () => {
    const w = await created();
    const id = randomUUID();
    const unplaced = aDecision([], { feasible: false, summary: "no cluster has 4 free A100s on one node" });
    await store.placing.recordUnplaced(w.uid, id, unplaced, unplaced.summary, at(1));
    expect(await row(w.uid)).toMatchObject({
      phase: "Pending",
      decisionId: id,
      message: unplaced.summary,
      generation: 0,
    });
    const rows = await store.db.select().from(decisions).where(eq(decisions.id, id));
    expect(rows.map((r) => [r.feasible, r.uid, r.workload])).toEqual([[false, w.uid, w.name]]);
    expect(await reservedOn(w.uid)).toEqual([]);

    const [c] = await clusters(1);
    const placed = await placedOn([c!]);
    const late = randomUUID();
    await store.placing.recordUnplaced(placed.uid, late, unplaced, "too late", at(2));
    expect(await store.db.select().from(decisions).where(eq(decisions.id, late))).toEqual([]);
    expect((await row(placed.uid)).message).not.toBe("too late");
  });

  it("stores a large fleet's decision compacted: the chosen cluster and the cheapest others, the rest counted", async () => {
    const [c] = await clusters(1);
    const w = await created();
    // 300 verdicts: the chosen cluster, 199 feasible ones, 100 refused for their GPU model.
    const verdicts = [
      { cluster: c!, verdict: "selected" as const, reasons: [], rankCost: undefined },
      ...Array.from({ length: 199 }, (_, i) => ({
        cluster: `f${i}`,
        verdict: "feasible" as const,
        reasons: [{ code: "fits", message: "fits" }],
      })),
      ...Array.from({ length: 100 }, (_, i) => ({
        cluster: `m${i}`,
        verdict: "filtered" as const,
        reasons: [{ code: "gpu_model", message: "no A100" }],
      })),
    ];
    const id = randomUUID();
    const decision = aDecision([{ cluster: c! }], { clusters: verdicts, runnerUp: "f0" });
    expect(await store.placing.place(w.uid, change(w.uid, [c!], { decisionId: id, decision }))).toBe(true);
    const stored = await store.workloads.decision(id);
    // Kept: the chosen cluster, the runner-up, 20 more feasible, 3 refused as examples: 25 of 300.
    expect(stored?.clusters).toHaveLength(25);
    expect(stored?.clusters.map((v) => v.cluster)).toContain(c!);
    expect(stored?.omitted).toEqual({
      clusters: 275,
      feasible: 178,
      filtered: [{ code: "gpu_model", count: 97, example: "no A100" }],
    });
    expect(stored?.summary).toBe(decision.summary);
  });

  it("retires the placements of older generations and queues their clusters", async () => {
    const [old, next] = await clusters(2);
    const w = await placedOn([old!], { type: "service" });
    await store.placing.setPhase(w.uid, "Running", "running", at(2));
    expect(await store.placing.place(w.uid, change(w.uid, [next!], { keepOld: true }))).toBe(true);
    // Drain-back of a service: Running throughout, the old placement still serves.
    expect(await row(w.uid)).toMatchObject({ phase: "Running", generation: 2 });
    expect(await activeOn(w.uid)).toEqual([next, old].sort());
    const before = await outboxCounts(store, [old!, next!]);
    expect(await store.placing.retireOld(w.uid, 2)).toEqual([old]);
    expect(await activeOn(w.uid)).toEqual([next]);
    expect(await outboxCounts(store, [old!, next!])).toEqual({ [old!]: before[old!]! + 1, [next!]: before[next!]! });
    expect(await store.placing.retireOld(w.uid, 2)).toEqual([]);
  });

  describe("setPhase", () => {
    it("stamps startedAt when a workload starts running, once", async () => {
      const [c] = await clusters(1);
      const w = await placedOn([c!]);
      await store.placing.setPhase(w.uid, "Running", "1/2 ready", at(10));
      await store.placing.setPhase(w.uid, "Running", "2/2 ready", at(20));
      expect(await row(w.uid)).toMatchObject({ phase: "Running", message: "2/2 ready", startedAt: at(10) });
      expect((await reasons(w.uid)).filter((r) => r === "Running")).toHaveLength(1);
    });

    it("on a terminal phase deactivates placements, drops reservations and queues the clusters", async () => {
      const [a, b] = await clusters(2);
      const w = await placedOn([a!, b!]);
      const before = await outboxCounts(store, [a!, b!]);
      await store.placing.setPhase(w.uid, "Failed", "stopped by the runaway guard", at(60), { reason: "Runaway" });
      const got = await row(w.uid);
      expect(got).toMatchObject({ phase: "Failed", finishedAt: at(60) });
      expect(got.placements.map((p) => p.active)).toEqual([false, false]);
      expect(await reservedOn(w.uid)).toEqual([]);
      expect(await outboxCounts(store, [a!, b!])).toEqual({ [a!]: before[a!]! + 1, [b!]: before[b!]! + 1 });
      expect((await store.workloads.desiredState(a!)).placements).toEqual([]);
      const last = (await store.workloads.events(w.uid)).at(-1);
      expect(last).toMatchObject({ reason: "Runaway", type: "Warning", message: "stopped by the runaway guard" });
      // A finished workload stays finished.
      await store.placing.setPhase(w.uid, "Running", "late", at(70));
      expect((await row(w.uid)).phase).toBe("Failed");
    });

    it("writes nothing when neither phase nor message changes, or the workload is gone", async () => {
      const [c] = await clusters(1);
      const w = await placedOn([c!]);
      await store.placing.setPhase(w.uid, "Placed", w.message, at(30));
      const after = await row(w.uid);
      expect([after.updatedAt, after.rv]).toEqual([w.updatedAt, w.rv]);
      await store.placing.setPhase(randomUUID(), "Failed", "x", at(1));
    });
  });

  describe("failover", () => {
    it("requeues a restartable job with every copy stopped", async () => {
      const [lost, alive] = await clusters(2);
      const w = await placedOn([lost!, alive!], { restartable: true });
      await store.placing.setPhase(w.uid, "Running", "running", at(2));
      const before = await outboxCounts(store, [lost!, alive!]);
      expect(await store.placing.failover(w.uid, [lost!], "requeue", "lost is silent", at(3))).toBe(true);
      expect(await row(w.uid)).toMatchObject({ phase: "Pending", message: "lost is silent", pool: null });
      expect(await activeOn(w.uid)).toEqual([]);
      expect(await reservedOn(w.uid)).toEqual([]);
      expect(await outboxCounts(store, [lost!, alive!])).toEqual({
        [lost!]: before[lost!]! + 1,
        [alive!]: before[alive!]! + 1,
      });
      expect((await store.workloads.events(w.uid)).at(-1)).toMatchObject({ reason: "FailedOver", type: "Warning" });
      expect((await store.workloads.pending()).map((p) => p.uid)).toContain(w.uid);
    });

    it("requeues a service with only the lost cluster's placement stopped; the others keep serving", async () => {
      const [lost, alive, spare] = await clusters(3);
      const w = await placedOn([lost!, alive!], { type: "service" });
      await store.placing.setPhase(w.uid, "Running", "running", at(2));
      const before = await outboxCounts(store, [lost!, alive!]);
      expect(await store.placing.failover(w.uid, [lost!], "requeue", "lost is silent", at(3))).toBe(true);
      expect((await row(w.uid)).phase).toBe("Pending");
      expect(await activeOn(w.uid)).toEqual([alive]);
      expect(await reservedOn(w.uid)).toEqual([alive]);
      expect(await outboxCounts(store, [lost!, alive!])).toEqual({
        [lost!]: before[lost!]! + 1,
        [alive!]: before[alive!]!,
      });
      // Placed again: the survivor drains like a drain-back, at its old generation, until the new one runs.
      expect(await store.placing.place(w.uid, change(w.uid, [spare!]))).toBe(true);
      const got = await row(w.uid);
      expect(
        got.placements
          .filter((p) => p.active)
          .map((p) => [p.cluster, p.generation])
          .sort(),
      ).toEqual(
        [
          [alive, 1],
          [spare, 2],
        ].sort(),
      );
    });

    it("fails a job that must not run twice, with a ClusterLost event", async () => {
      const [lost] = await clusters(1);
      const w = await placedOn([lost!]);
      expect(await store.placing.failover(w.uid, [lost!], "fail", "cluster_lost: silent", at(3))).toBe(true);
      expect(await row(w.uid)).toMatchObject({ phase: "Failed", message: "cluster_lost: silent", finishedAt: at(3) });
      expect(await activeOn(w.uid)).toEqual([]);
      expect((await store.workloads.events(w.uid)).at(-1)).toMatchObject({ reason: "ClusterLost", type: "Warning" });
    });

    it("leaves a Pending or finished workload alone", async () => {
      const [c] = await clusters(1);
      const pending = await created();
      expect(await store.placing.failover(pending.uid, [c!], "requeue", "x", at(3))).toBe(false);
      const done = await placedOn([c!]);
      await store.placing.setPhase(done.uid, "Succeeded", "done", at(2));
      expect(await store.placing.failover(done.uid, [c!], "fail", "x", at(3))).toBe(false);
      expect((await row(done.uid)).phase).toBe("Succeeded");
    });
  });

  it("quarantines a workload once, with the reason, and takes it out of the queue", async () => {
    const w = await created();
    await store.placing.quarantine(w.uid, "the engine threw", at(1));
    await store.placing.quarantine(w.uid, "again", at(2));
    expect(await row(w.uid)).toMatchObject({
      quarantine: "the engine threw",
      message: "quarantined: the engine threw",
    });
    expect((await reasons(w.uid)).filter((r) => r === "Quarantined")).toHaveLength(1);
    expect((await store.workloads.pending()).map((p) => p.uid)).not.toContain(w.uid);
  });

  describe("applyStatuses", () => {
    const none = { changed: [], freed: [], desiredChanged: false };

    it("records a status of the placement's generation from its cluster and moves the workload on", async () => {
      const [c] = await clusters(1);
      const w = await placedOn([c!]);
      const outcome = await apply(c!, 7, [aStatus(w, 1)]);
      expect(outcome).toEqual({ changed: [w.uid], freed: [], desiredChanged: false });
      const got = await row(w.uid);
      expect(got.placements[0]).toMatchObject({ statusSeq: 7, status: { phase: "Running", generation: 1 } });
      expect(got).toMatchObject({ phase: "Running", message: "1/1 replicas ready", startedAt: at(5) });
    });

    it("ignores a status of another generation and one from another cluster", async () => {
      const [c, other] = await clusters(2);
      const w = await placedOn([c!]);
      const before = await row(w.uid);
      expect(await apply(c!, 1, [aStatus(w, 0, { phase: "Failed" }), aStatus(w, 2, { phase: "Failed" })])).toEqual(
        none,
      );
      expect(await apply(other!, 2, [aStatus(w, 1, { phase: "Failed" })])).toEqual(none);
      const after = await row(w.uid);
      expect(after).toEqual(before);
      expect(after.placements[0]).toMatchObject({ status: null, statusSeq: 0 });
    });

    it("applies reports in sequence order: a replayed or late one changes nothing", async () => {
      const [c] = await clusters(1);
      const w = await placedOn([c!]);
      await apply(c!, 10, [aStatus(w, 1)]);
      const before = await row(w.uid);
      expect(await apply(c!, 10, [aStatus(w, 1, { phase: "Failed", message: "replayed" })])).toEqual(none);
      expect(await apply(c!, 9, [aStatus(w, 1, { phase: "Succeeded" })])).toEqual(none);
      expect(await row(w.uid)).toEqual(before);
      await apply(c!, 11, [aStatus(w, 1, { phase: "Succeeded" })]);
      expect(await row(w.uid)).toMatchObject({ phase: "Succeeded", placements: [{ statusSeq: 11, active: false }] });
    });

    it("takes a repeated status as no change: the workload keeps its version, the sequence number moves on", async () => {
      const [c] = await clusters(1);
      const w = await placedOn([c!]);
      await apply(c!, 1, [aStatus(w, 1)]);
      const before = await row(w.uid);
      const events = await reasons(w.uid);
      // A full report repeats it, its keys in another order (the stored one went through jsonb).
      const again = Object.fromEntries(Object.entries(aStatus(w, 1)).reverse()) as PlacementStatus;
      expect(await apply(c!, 2, [again])).toEqual(none);
      const after = await row(w.uid);
      expect(after.rv).toBe(before.rv);
      expect(after.updatedAt).toEqual(before.updatedAt);
      expect(await reasons(w.uid)).toEqual(events);
      expect(after.placements[0]).toMatchObject({ statusSeq: 2, status: before.placements[0]!.status });
      // A report older than the repeated one is still refused; a real change after it is a change.
      expect(await apply(c!, 2, [aStatus(w, 1, { phase: "Failed", message: "late" })])).toEqual(none);
      await apply(c!, 3, [aStatus(w, 1, { message: "1 running, restarted once" })]);
      const changed = await row(w.uid);
      expect(changed.rv).toBeGreaterThan(before.rv);
      expect(changed.placements[0]).toMatchObject({ statusSeq: 3, status: { message: "1 running, restarted once" } });
    });

    it("records Applied once per generation", async () => {
      const [c] = await clusters(1);
      const w = await placedOn([c!], { restartable: true });
      await apply(c!, 1, [aStatus(w, 1, { phase: "Pending", readyReplicas: 0 })]);
      await apply(c!, 2, [aStatus(w, 1)]);
      await apply(c!, 3, [aStatus(w, 1)]);
      // Restarted in the same cluster: a new generation, applied again.
      expect(await store.placing.place(w.uid, change(w.uid, [c!], { restart: true }))).toBe(true);
      await apply(c!, 4, [aStatus(w, 1)]);
      await apply(c!, 5, [aStatus(w, 2, { phase: "Pending", readyReplicas: 0 })]);
      await apply(c!, 6, [aStatus(w, 2)]);
      const applied = (await store.workloads.events(w.uid)).filter((e) => e.reason === "Applied");
      expect(applied.map((e) => [e.cluster, e.message])).toEqual([
        [c, `applied in ${c} (generation 1)`],
        [c, `applied in ${c} (generation 2)`],
      ]);
    });

    it("requeues a restartable job its cluster fenced, and fails one that may not restart", async () => {
      const [c] = await clusters(1);
      const again = await placedOn([c!], { restartable: true });
      const once = await placedOn([c!]);
      const fenced = { phase: "Failed", reason: "fenced", message: "no lease for 30 s" } as const;
      const outcome = await apply(c!, 3, [aStatus(again, 1, fenced), aStatus(once, 1, fenced)]);
      expect(outcome.freed.sort()).toEqual([again.uid, once.uid].sort());
      expect(outcome.desiredChanged).toBe(true);
      expect(await row(again.uid)).toMatchObject({ phase: "Pending" });
      expect(await activeOn(again.uid)).toEqual([]);
      expect((await store.workloads.events(again.uid)).at(-1)).toMatchObject({ reason: "Requeued" });
      expect(await row(once.uid)).toMatchObject({ phase: "Failed" });
      expect((await store.workloads.events(once.uid)).at(-1)).toMatchObject({ reason: "fenced", type: "Warning" });
    });

    it("retires the draining placements once every new one is ready", async () => {
      const [old, next] = await clusters(2);
      const w = await placedOn([old!], { type: "service" });
      await apply(old!, 1, [aStatus(w, 1)]);
      expect(await store.placing.place(w.uid, change(w.uid, [next!], { keepOld: true, pool: "onprem" }))).toBe(true);
      expect(await apply(next!, 1, [aStatus(w, 2, { readyReplicas: 0, phase: "Pending" })])).toEqual(none);
      expect(await activeOn(w.uid)).toEqual([next, old].sort());
      const outcome = await apply(next!, 2, [aStatus(w, 2)]);
      expect(outcome).toEqual({ changed: [w.uid], freed: [], desiredChanged: true });
      expect(await activeOn(w.uid)).toEqual([next]);
      expect((await row(w.uid)).message).toMatch(/^moved to onprem; /);
    });

    /**
     * A store whose transactions count their attempts: more attempts than calls means the database aborted one and
     * it was run again (a deadlock or a serialisation failure), which the retry hides from the caller.
     */
    const countingStore = () => {
      const counts = { calls: 0, attempts: 0 };
      const db = store.db;
      const transaction: Db["transaction"] = (fn, config) => {
        counts.calls++;
        return db.transaction((tx) => {
          counts.attempts++;
          return fn(tx);
        }, config);
      };
      const proxy = new Proxy(db, {
        get: (target, p, receiver) => (p === "transaction" ? transaction : Reflect.get(target, p, receiver)),
      });
      return { counted: createStore(proxy), counts };
    };

    it("loses no update when two clusters report on one split workload at the same time", async () => {
      // Each run: both parts Running, then both clusters report their part finished at once. Whatever the order,
      // the workload must end Succeeded (both done) or Failed (one failed): a lost update leaves it Running.
      const [c1, c2] = await clusters(2);
      const { counted, counts } = countingStore();
      const runs = 16;
      for (let i = 0; i < runs; i++) {
        const w = await placedOn([c1!, c2!]);
        await apply(c1!, 1, [aStatus(w, 1)]);
        await apply(c2!, 1, [aStatus(w, 1)]);
        const second =
          i % 2 === 0 ? ({ phase: "Failed", message: "OOMKilled" } as const) : ({ phase: "Succeeded" } as const);
        const outcomes = await Promise.all([
          counted.placing.applyStatuses(c1!, 2, [aStatus(w, 1, { phase: "Succeeded" })], at(5), statusTransition),
          counted.placing.applyStatuses(c2!, 2, [aStatus(w, 1, second)], at(5), statusTransition),
        ]);
        const expected = second.phase === "Failed" ? "Failed" : "Succeeded";
        const got = await row(w.uid);
        expect(got.phase, `run ${i}`).toBe(expected);
        const byCluster = new Map(got.placements.map((p) => [p.cluster, [p.status?.phase, p.active]]));
        expect(byCluster).toEqual(
          new Map([
            [c1!, ["Succeeded", false]],
            [c2!, [second.phase, false]],
          ]),
        );
        // The workload ended once: one transition event, freed by exactly one of the two reports.
        expect((await reasons(w.uid)).filter((r) => r === expected)).toHaveLength(1);
        expect(outcomes.flatMap((o) => o.freed)).toEqual([w.uid]);
      }
      // Two reports on one workload queue behind each other; neither is aborted and run again.
      expect(counts).toEqual({ calls: 2 * runs, attempts: 2 * runs });
    });

    it("queues two clusters failing one split workload behind each other instead of deadlocking", async () => {
      // Fault injection: a status write that takes 300 ms, so both reports hold their own placement's lock when the
      // first of them fails the workload and must stop the other cluster's placement too.
      await store.db.execute(sql`
        create or replace function gantry_test_slow_status() returns trigger language plpgsql as $$
        begin
          if new.status->>'message' = 'slow' then perform pg_sleep(0.3); end if;
          return new;
        end $$`);
      await store.db.execute(sql`
        create trigger gantry_test_slow_status before update on placements
        for each row execute function gantry_test_slow_status()`);
      try {
        const [c1, c2] = await clusters(2);
        const w = await placedOn([c1!, c2!]);
        await apply(c1!, 1, [aStatus(w, 1)]);
        await apply(c2!, 1, [aStatus(w, 1)]);
        const { counted, counts } = countingStore();
        const failed = { phase: "Failed", message: "slow" } as const;
        await Promise.all(
          [c1!, c2!].map((c) => counted.placing.applyStatuses(c, 2, [aStatus(w, 1, failed)], at(5), statusTransition)),
        );
        expect(await row(w.uid)).toMatchObject({ phase: "Failed" });
        expect(await activeOn(w.uid)).toEqual([]);
        expect(counts).toEqual({ calls: 2, attempts: 2 });
      } finally {
        await store.db.execute(sql`drop trigger gantry_test_slow_status on placements`);
      }
    });

    it("records a status of a finished workload without changing its phase", async () => {
      const [c] = await clusters(1);
      const w = await placedOn([c!]);
      await store.placing.setPhase(w.uid, "Failed", "stopped", at(2));
      expect(await apply(c!, 1, [aStatus(w, 1, { phase: "Deleted" })])).toEqual(none);
      expect(await row(w.uid)).toMatchObject({
        phase: "Failed",
        placements: [{ statusSeq: 1, status: { phase: "Deleted" } }],
      });
      // Nor is it "Applied" afterwards: it had ended before its cluster said so.
      expect(await reasons(w.uid)).not.toContain("Applied");
    });
  });

  describe("markMissing", () => {
    it("marks a reported placement missing once, records why and queues its cluster; listing it clears the mark", async () => {
      const [c] = await clusters(1);
      const w = await placedOn([c!]);
      const fresh = await placedOn([c!]);
      await apply(c!, 1, [aStatus(w, 1)]);
      const before = (await outboxCounts(store, [c!]))[c!]!;

      await store.placing.markMissing(c!, [w.uid, fresh.uid], [], at(10));
      await store.placing.markMissing(c!, [w.uid], [], at(20));
      const missing = async (uid: string) =>
        (
          await store.db
            .select({ since: placements.missingSince })
            .from(placements)
            .where(and(eq(placements.uid, uid), eq(placements.cluster, c!)))
        )[0]?.since;
      expect(await missing(w.uid)).toEqual(at(10));
      // Never reported yet: it may simply not be applied yet.
      expect(await missing(fresh.uid)).toBeNull();
      const evs = (await store.workloads.events(w.uid)).filter((e) => e.reason === "Missing");
      expect(evs.map((e) => [e.cluster, e.type])).toEqual([[c, "Warning"]]);
      expect((await outboxCounts(store, [c!]))[c!]).toBe(before + 1);

      await store.placing.markMissing(c!, [], [w.uid], at(30));
      expect(await missing(w.uid)).toBeNull();
      // Missing again later: a new mark and a new event.
      await store.placing.markMissing(c!, [w.uid], [], at(40));
      expect(await missing(w.uid)).toEqual(at(40));
      // A newer status clears it too.
      await apply(c!, 2, [aStatus(w, 1)]);
      expect(await missing(w.uid)).toBeNull();
      expect((await store.workloads.events(w.uid)).filter((e) => e.reason === "Missing")).toHaveLength(2);
    });
  });
});
