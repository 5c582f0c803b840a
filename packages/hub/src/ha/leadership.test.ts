import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FencedError, type Store } from "../store/index.ts";
import type { LeaseRepository } from "../store/leases.ts";
import { hubLeases } from "../store/schema.ts";
import { at, aWorkload, eventually, KINDS, openTestStore, type TestStore, unique } from "../store/testing/fixtures.ts";
import { silentLogger } from "../util/logger.ts";
import { createLeadership, type Leadership, type LeadershipOptions } from "./leadership.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Short enough for a test, long enough for a busy 2-core machine: the margin is min(1 s, ttl / 4).
const options: LeadershipOptions = { ttlMs: 1_600, renewMs: 200 };
/** What the scheduler of a loaded machine may add to any deadline below. */
const slack = 600;

/** A lease repository whose calls can be held (a paused process: asked, no answer) or answered late. */
const controllable = (leases: LeaseRepository) => {
  let gate: Promise<void> | undefined;
  let open = () => {};
  let answerDelayMs = 0;
  let requestDelayMs = 0;
  let inFlight = 0;
  const wrapped: LeaseRepository = {
    ...leases,
    async acquire(name, holder, ttlMs) {
      inFlight++;
      try {
        if (requestDelayMs > 0) await sleep(requestDelayMs);
        if (gate) await gate;
        const got = await leases.acquire(name, holder, ttlMs);
        if (answerDelayMs > 0) await sleep(answerDelayMs);
        return got;
      } finally {
        inFlight--;
      }
    },
  };
  return {
    leases: wrapped,
    /** Hold every call from now on until `resume`. */
    pause() {
      gate = new Promise((r) => {
        open = r;
      });
    },
    resume() {
      gate = undefined;
      open();
    },
    /** The database answers at once, but the answer reaches the process this much later. */
    answerLate(ms: number) {
      answerDelayMs = ms;
    },
    /** The request reaches the database this much later. */
    requestLate(ms: number) {
      requestDelayMs = ms;
    },
    inFlight: () => inFlight,
  };
};

describe.each(KINDS)("leadership on %s", (kind) => {
  let t: TestStore;
  let store: Store;
  let running: Leadership[] = [];
  const held: (() => void)[] = [];

  beforeAll(async () => {
    t = await openTestStore(kind);
    store = t.store;
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await store.db.delete(hubLeases).where(eq(hubLeases.name, "leader"));
  });
  afterEach(async () => {
    // A held call must end first, or closing its replica would wait for it for ever.
    for (const resume of held.splice(0)) resume();
    await Promise.all(running.map((l) => l.close()));
    running = [];
  });

  /** A replica: its leadership and what it was told, with when (performance.now()). */
  const replica = (holder: string, leases: LeaseRepository = store.leases) => {
    const changes: { leader: boolean; epoch: number | undefined; at: number }[] = [];
    const leadership = createLeadership({
      leases,
      holder,
      logger: silentLogger(),
      options,
      onChange: (leader, epoch) => changes.push({ leader, epoch, at: performance.now() }),
    });
    running.push(leadership);
    return { holder, leadership, changes };
  };

  it("elects exactly one of two replicas on one database, at the lease's epoch", async () => {
    const a = replica("hub-a");
    const b = replica("hub-b");
    await Promise.all([a.leadership.start(), b.leadership.start()]);
    // Over several renewals, exactly one believes it leads, and it is the lease's holder.
    for (let i = 0; i < 8; i++) {
      const leaders = [a, b].filter((r) => r.leadership.isLeader());
      expect(leaders).toHaveLength(1);
      const lease = await store.leases.current("leader");
      expect(lease?.holder).toBe(leaders[0]!.holder);
      expect(leaders[0]!.leadership.epoch()).toBe(lease?.epoch);
      await sleep(options.renewMs / 2);
    }
    expect(a.changes.length + b.changes.length).toBe(1);
  });

  it("hands over within ttl + renew when the leader closes, at a newer epoch", async () => {
    const a = replica("hub-a");
    await a.leadership.start();
    const b = replica("hub-b");
    await b.leadership.start();
    expect([a.leadership.isLeader(), b.leadership.isLeader()]).toEqual([true, false]);
    const first = a.leadership.epoch()!;
    const closed = performance.now();
    await a.leadership.close();
    expect(a.leadership.epoch()).toBeUndefined();
    await eventually(() => b.leadership.isLeader(), options.ttlMs + options.renewMs + slack, "hub-b to lead");
    expect(b.changes[0]!.at - closed).toBeLessThan(options.ttlMs + options.renewMs + slack);
    expect(b.leadership.epoch()).toBe(first + 1);
    expect(a.changes.map((c) => c.leader)).toEqual([true, false]);
  });

  it("moves on from a paused leader within ttl + renew, and the paused one stops leading before that", async () => {
    const pausable = controllable(store.leases);
    held.push(() => pausable.resume());
    const a = replica("hub-a", pausable.leases);
    await a.leadership.start();
    const b = replica("hub-b");
    await b.leadership.start();
    const old = a.leadership.epoch()!;
    expect(old).toBeDefined();

    // hub-a still runs but its renewals get no answer (a paused process, a hung connection).
    pausable.pause();
    const pausedAt = performance.now();
    // What hub-a believed at the moment hub-b became leader.
    let aAtHandover: number | undefined = -1;
    const seen = b.changes;
    await eventually(
      () => {
        if (seen.length > 0 && aAtHandover === -1) aAtHandover = a.leadership.epoch();
        return b.leadership.isLeader();
      },
      options.ttlMs + options.renewMs + slack,
      "hub-b to lead",
    );
    expect(b.changes[0]!.at - pausedAt).toBeLessThan(options.ttlMs + options.renewMs + slack);
    expect(b.leadership.epoch()).toBe(old + 1);
    // No overlap: hub-a fenced itself on its own clock before the lease could pass.
    expect(aAtHandover).toBeUndefined();
    expect(a.changes.at(-1)).toMatchObject({ leader: false });

    // A write hub-a still makes with its old epoch is refused and changes nothing.
    const { row } = await store.workloads.create(aWorkload(unique("w")), at(0));
    await expect(store.placing.setPhase(row.uid, "Failed", "late", at(1), { epoch: old })).rejects.toBeInstanceOf(
      FencedError,
    );
    expect((await store.workloads.getByUid(row.uid))?.phase).toBe("Pending");

    // hub-a wakes up: its held renewal is answered "no", and it stays a follower.
    pausable.resume();
    await sleep(options.renewMs * 3);
    expect(a.leadership.isLeader()).toBe(false);
    expect(b.leadership.isLeader()).toBe(true);
  });

  it("never takes a lease it was granted too late to use", async () => {
    const late = controllable(store.leases);
    // The database grants the lease at once, but the answer arrives after the lease could have passed on.
    late.answerLate(options.ttlMs + 100);
    const a = replica("hub-a", late.leases);
    await a.leadership.start();
    expect(a.leadership.epoch()).toBeUndefined();
    expect(a.changes.filter((c) => c.leader)).toEqual([]);
  });

  it("lets a renewal still on its way land before it releases the lease on close", async () => {
    const slow = controllable(store.leases);
    const a = replica("hub-a", slow.leases);
    await a.leadership.start();
    expect(a.leadership.isLeader()).toBe(true);
    // The next renewal reaches the database 300 ms after it is sent; close while it is on its way.
    slow.requestLate(300);
    await eventually(() => slow.inFlight() > 0, options.renewMs + slack, "a renewal in flight");
    await a.leadership.close();
    await eventually(() => slow.inFlight() === 0, 1_000 + slack, "the renewal to land");
    // Released after the renewal: another replica takes over at once, not a ttl later.
    expect(await store.leases.acquire("leader", "hub-b", options.ttlMs)).toEqual({ epoch: 2 });
  });

  it("steps down at once when a write was fenced", async () => {
    const a = replica(`hub-${randomUUID()}`);
    await a.leadership.start();
    expect(a.leadership.isLeader()).toBe(true);
    a.leadership.stepDown("a newer epoch exists");
    expect(a.leadership.epoch()).toBeUndefined();
    expect(a.changes.map((c) => c.leader)).toEqual([true, false]);
  });
});
