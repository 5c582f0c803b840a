import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HubError } from "../errors.ts";
import type { ListCursor, Store, WorkloadWithPlacements } from "./index.ts";
import { placements, reservations, workloads, workloadTombstones } from "./schema.ts";
import {
  aDecision,
  aDescription,
  aReservation,
  at,
  aWorkload,
  KINDS,
  openTestStore,
  outboxCounts,
  registered,
  type TestStore,
  unique,
} from "./testing/fixtures.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe.each(KINDS)("workloads on %s", (kind) => {
  let t: TestStore;
  let store: Store;
  let rvAtStart: number;

  beforeAll(async () => {
    t = await openTestStore(kind);
    store = t.store;
    rvAtStart = await store.workloads.currentRv();
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  /** A workload of `tenant` placed on `clusters` (one replica and one reservation each). */
  const placedOn = async (clusters: string[], spec = {}, tenant = "team-a") => {
    const { row } = await store.workloads.create(aWorkload(unique("w"), spec, tenant), at(0));
    const ok = await store.placing.place(row.uid, {
      decisionId: randomUUID(),
      decision: aDecision(clusters.map((cluster) => ({ cluster }))),
      reservations: clusters.map((c) => aReservation(row.uid, c)),
      at: at(1),
    });
    expect(ok).toBe(true);
    return row;
  };

  describe("apply", () => {
    it("creates a new name, and answers the same spec with unchanged", async () => {
      const name = unique("w");
      const first = await store.workloads.apply(aWorkload(name), at(0));
      expect(first.result).toBe("created");
      const again = await store.workloads.apply(aWorkload(name), at(1));
      expect(again).toMatchObject({ result: "unchanged", row: { uid: first.row.uid, rv: first.row.rv } });
    });

    it("replaces the spec of a queued workload: the queue places the new spec, the change is an event", async () => {
      const name = unique("w");
      const { row } = await store.workloads.create(aWorkload(name, { replicas: 2 }), at(0));
      await store.placing.quarantine(row.uid, "the engine threw", at(1));
      const r = await store.workloads.apply(aWorkload(name, { replicas: 3, priority: 4 }), at(2));
      expect(r.result).toBe("configured");
      expect(r.row).toMatchObject({ uid: row.uid, priority: 4, quarantine: null });
      expect(r.row.rv).toBeGreaterThan(row.rv);
      expect((await store.workloads.get("team-a", name))?.manifest.spec.replicas).toBe(3);
      const events = await store.workloads.events(row.uid);
      expect(events.at(-1)).toMatchObject({
        reason: "Updated",
        message: expect.stringContaining("spec.priority, spec.replicas"),
      });
      expect((await store.workloads.pending()).map((w) => w.uid)).toContain(row.uid);
    });

    it("changes the labels of placed work, and refuses a spec change to it naming the fields", async () => {
      const row = await placedOn(["onprem-a"]);
      const labelled = aWorkload(row.name);
      labelled.metadata.labels = { stage: "tuning" };
      expect((await store.workloads.apply(labelled, at(2))).result).toBe("configured");
      const bigger = aWorkload(row.name, { replicas: 7 });
      bigger.metadata.labels = { stage: "tuning" };
      const refused = store.workloads.apply(bigger, at(3));
      await expect(refused).rejects.toMatchObject({
        code: "conflict",
        details: { fields: ["spec.replicas"], phase: "Placed" },
      });
      await expect(refused).rejects.toThrow(/is Placed on onprem-a: a change to spec\.replicas cannot be applied/);
      const got = await store.workloads.get("team-a", row.name);
      expect(got?.manifest.spec.replicas).toBe(2);
      expect(got?.manifest.metadata.labels).toEqual({ stage: "tuning" });
    });
  });

  describe("create", () => {
    it("accepts a workload as Pending under a fresh uid and records that it was submitted", async () => {
      const name = unique("w");
      const { row, created } = await store.workloads.create(aWorkload(name, { priority: 7 }), at(0));
      expect(created).toBe(true);
      expect(row.uid).toMatch(UUID);
      expect(row).toMatchObject({ name, tenant: "team-a", phase: "Pending", generation: 0, priority: 7 });
      const got = await store.workloads.get("team-a", name);
      expect(got?.uid).toBe(row.uid);
      expect(got?.manifest.spec.resources.gpu.count).toBe(4);
      expect(got?.placements).toEqual([]);
      expect((await store.workloads.events(row.uid)).map((e) => e.reason)).toEqual(["Submitted"]);
      expect((await store.workloads.pending()).map((w) => w.uid)).toContain(row.uid);
      // The row create returns is the stored row, every column read as a select reads it.
      const { placements: _, ...stored } = got!;
      expect(row).toStrictEqual(stored);
      expect(row.createdAt).toBeInstanceOf(Date);
      expect(typeof row.rv).toBe("number");
    });

    it("answers a resubmission of the same spec with the stored workload: created false, same uid, nothing new", async () => {
      const name = unique("w");
      const first = await store.workloads.create(aWorkload(name), at(0));
      const again = await store.workloads.create(aWorkload(name), at(60));
      expect(again.created).toBe(false);
      expect(again.row.uid).toBe(first.row.uid);
      expect(again.row.createdAt).toEqual(at(0));
      expect(await store.workloads.events(first.row.uid)).toHaveLength(1);
    });

    it("writes submissions that arrive together in one batch, each with its event and audit row, and sorts out names taken in the same batch", async () => {
      const names = Array.from({ length: 12 }, () => unique("g"));
      const clash = unique("clash");
      const twice = unique("twice");
      const audit = (name: string) => ({
        at: at(0),
        subject: `user-${name}`,
        role: "admin" as const,
        tenant: null,
        action: "workloads:write",
        object: { kind: "workloads", name, tenant: "team-a" },
        outcome: "success" as const,
        status: 201,
      });
      // Not awaited one by one: they arrive while the first batch is being written.
      const results = await Promise.allSettled([
        ...names.map((n) => store.workloads.create(aWorkload(n), at(0), { audit: audit(n) })),
        store.workloads.create(aWorkload(clash, { replicas: 2 }), at(0)),
        store.workloads.create(aWorkload(clash, { replicas: 3 }), at(0)),
        store.workloads.create(aWorkload(twice), at(0)),
        store.workloads.create(aWorkload(twice), at(0)),
      ]);
      const value = (i: number) =>
        (results[i] as PromiseFulfilledResult<{ created: boolean; row: { uid: string } }>).value;
      for (let i = 0; i < names.length; i++) {
        expect(value(i).created).toBe(true);
        expect((await store.workloads.events(value(i).row.uid)).map((e) => e.reason)).toEqual(["Submitted"]);
      }
      const audited = await store.audit.list({ action: "workloads:write", limit: 500 });
      for (const n of names) expect(audited.items.filter((r) => r.objectName === n)).toHaveLength(1);
      expect(audited.items.find((r) => r.objectName === names[0])).toMatchObject({
        at: at(0),
        subject: `user-${names[0]}`,
        role: "admin",
        tenant: null,
        objectKind: "workloads",
        objectTenant: "team-a",
        outcome: "success",
        status: 201,
        requestId: null,
        detail: null,
      });
      // The same name with two specs: the first is stored, the second is a conflict.
      expect(results[names.length]).toMatchObject({ status: "fulfilled", value: { created: true } });
      expect(results[names.length + 1]).toMatchObject({ status: "rejected", reason: { code: "conflict" } });
      expect((await store.workloads.get("team-a", clash))?.manifest.spec.replicas).toBe(2);
      // The same spec twice: one workload, the second answer is the first's.
      const [a, b] = [value(names.length + 2), value(names.length + 3)];
      expect([a.created, b.created].sort()).toEqual([false, true]);
      expect(a.row.uid).toBe(b.row.uid);
      expect(await store.workloads.events(a.row.uid)).toHaveLength(1);
    });

    it("refuses a different spec under the same name with a conflict and leaves the first untouched", async () => {
      const name = unique("w");
      const { row } = await store.workloads.create(aWorkload(name, { replicas: 2 }), at(0));
      for (const other of [aWorkload(name, { replicas: 5 }), aWorkload(name, { priority: 3 })]) {
        const second = store.workloads.create(other, at(1));
        await expect(second).rejects.toBeInstanceOf(HubError);
        await expect(second).rejects.toMatchObject({ code: "conflict" });
      }
      const labelled = aWorkload(name);
      labelled.metadata.labels = { team: "x" };
      await expect(store.workloads.create(labelled, at(1))).rejects.toMatchObject({ code: "conflict" });
      const got = await store.workloads.get("team-a", name);
      expect(got).toMatchObject({ uid: row.uid, priority: 0 });
      expect(got?.manifest.spec.replicas).toBe(2);
    });

    it("treats the same name in another tenant as another workload", async () => {
      const name = unique("w");
      const a = await store.workloads.create(aWorkload(name, {}, "team-a"), at(0));
      const b = await store.workloads.create(aWorkload(name, { replicas: 9 }, "team-b"), at(0));
      expect(b.created).toBe(true);
      expect(b.row.uid).not.toBe(a.row.uid);
      expect((await store.workloads.get("team-a", name))?.manifest.spec.replicas).toBe(2);
      expect((await store.workloads.get("team-b", name))?.manifest.spec.replicas).toBe(9);
      expect(await store.workloads.get("team-c", name)).toBeUndefined();
    });

    it("replays a request by its Idempotency-Key and refuses the key for another request", async () => {
      const key = randomUUID();
      const name = unique("w");
      const first = await store.workloads.create(aWorkload(name), at(0), { idempotencyKey: key });
      expect(first.created).toBe(true);
      const replay = await store.workloads.create(aWorkload(name), at(5), { idempotencyKey: key });
      expect(replay).toMatchObject({ created: false, row: { uid: first.row.uid } });
      // The same key for another name, or for the same name with another spec, is another request.
      const otherName = unique("w");
      await expect(store.workloads.create(aWorkload(otherName), at(5), { idempotencyKey: key })).rejects.toMatchObject({
        code: "conflict",
      });
      expect(await store.workloads.get("team-a", otherName)).toBeUndefined();
      await expect(
        store.workloads.create(aWorkload(name, { replicas: 3 }), at(5), { idempotencyKey: key }),
      ).rejects.toMatchObject({ code: "conflict" });
      // Keys are per tenant.
      const elsewhere = await store.workloads.create(aWorkload(name, {}, "team-b"), at(5), { idempotencyKey: key });
      expect(elsewhere.created).toBe(true);
      expect(elsewhere.row.uid).not.toBe(first.row.uid);
    });

    it("creates one workload when the same submission arrives several times at once", async () => {
      const name = unique("w");
      const results = await Promise.all(
        Array.from({ length: 6 }, () => store.workloads.create(aWorkload(name), at(0))),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.row.uid)).size).toBe(1);
      expect(await store.workloads.events(results[0]!.row.uid)).toHaveLength(1);
    });

    it("queues pending workloads by priority, then age, and leaves quarantined ones out", async () => {
      const older = await store.workloads.create(aWorkload(unique("w")), at(-10));
      const low = await store.workloads.create(aWorkload(unique("w")), at(0));
      const high = await store.workloads.create(aWorkload(unique("w"), { priority: 9 }), at(0));
      const set = await store.workloads.create(aWorkload(unique("w"), { priority: 99 }), at(0));
      await store.placing.quarantine(set.row.uid, "the engine threw", at(1));
      const ours = new Set([older, low, high, set].map((r) => r.row.uid));
      const order = (await store.workloads.pending()).map((w) => w.uid).filter((u) => ours.has(u));
      expect(order).toEqual([high.row.uid, older.row.uid, low.row.uid]);
    });
  });

  describe("list and count", () => {
    const p = unique("pg");
    const tenants = [`${p}-ta`, `${p}-tb`, `${p}-tc`];
    /** The model: every (tenant, name, phase) this suite created, independent of the store. */
    const model: { tenant: string; name: string; phase: string }[] = [];
    const key = (x: { tenant: string; name: string }) => `${x.tenant}/${x.name}`;
    const byKey = (a: { tenant: string; name: string }, b: { tenant: string; name: string }) =>
      key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

    beforeAll(async () => {
      // Created out of order, so the list's order cannot come from insertion order.
      const names = ["w3", "w0", "w6", "w1", "w5", "w2", "w4"].map((n) => `${p}-${n}`);
      for (const tenant of [...tenants].reverse()) {
        for (const [i, name] of names.entries()) {
          const { row } = await store.workloads.create(aWorkload(name, {}, tenant), at(i));
          const phase = i % 3 === 0 ? "Running" : "Pending";
          if (phase === "Running") await store.placing.setPhase(row.uid, "Running", "running", at(i + 1));
          model.push({ tenant, name, phase });
        }
      }
    });

    const everyPage = async (filter: { tenants?: string[]; phase?: "Running" | "Pending" }, limit: number) => {
      const pages: WorkloadWithPlacements[][] = [];
      let after: ListCursor | undefined;
      for (let i = 0; i < 100; i++) {
        const page = await store.workloads.list({ ...filter, limit, ...(after ? { after } : {}) });
        pages.push(page.items);
        expect(page.items.length).toBeLessThanOrEqual(limit);
        if (!page.next) break;
        expect(page.next).toEqual({ tenant: page.items.at(-1)!.tenant, name: page.items.at(-1)!.name });
        after = page.next;
      }
      return pages;
    };

    it("pages through a tenant set in (tenant, name) order with no duplicates and no gaps", async () => {
      const expected = model
        .filter((m) => tenants.includes(m.tenant))
        .sort(byKey)
        .map(key);
      expect(expected).toHaveLength(21);
      for (const limit of [1, 2, 5, 7, 21, 50]) {
        const pages = await everyPage({ tenants }, limit);
        const seen = pages.flat().map(key);
        expect(seen).toEqual(expected);
        // A full last page is not followed by an empty one.
        expect(pages).toHaveLength(Math.max(1, Math.ceil(expected.length / limit)));
      }
    });

    it("filters by tenant and phase, and counts what it would list", async () => {
      const some = [tenants[0]!, tenants[2]!];
      for (const filter of [
        { tenants: some },
        { tenants: some, phase: "Running" as const },
        { tenants, phase: "Pending" as const },
        { tenants: [tenants[1]!], phase: "Running" as const },
      ]) {
        const expected = model
          .filter((m) => filter.tenants.includes(m.tenant) && (!filter.phase || m.phase === filter.phase))
          .sort(byKey)
          .map(key);
        expect((await everyPage(filter, 3)).flat().map(key)).toEqual(expected);
        expect(await store.workloads.count(filter)).toBe(expected.length);
      }
      expect(await store.workloads.list({ tenants: [], limit: 10 })).toEqual({ items: [] });
      expect(await store.workloads.count({ tenants: [] })).toBe(0);
      expect(await store.workloads.count({ tenants: [unique("nobody")] })).toBe(0);
    });

    it("shows a workload created behind the cursor mid-listing on a later page, and repeats none", async () => {
      const tenant = tenants[1]!;
      const first = await store.workloads.list({ tenants: [tenant], limit: 3 });
      const late = `${p}-w9`;
      await store.workloads.create(aWorkload(late, {}, tenant), at(0));
      model.push({ tenant, name: late, phase: "Pending" });
      const rest: string[] = [];
      let after = first.next;
      while (after) {
        const page = await store.workloads.list({ tenants: [tenant], limit: 3, after });
        rest.push(...page.items.map((w) => w.name));
        after = page.next;
      }
      const all = [...first.items.map((w) => w.name), ...rest];
      expect(all).toEqual(
        model
          .filter((m) => m.tenant === tenant)
          .map((m) => m.name)
          .sort(),
      );
      expect(rest).toContain(late);
    });
  });

  it("finds a name across tenants, only among those the caller may see", async () => {
    const name = unique("w");
    for (const tenant of ["team-c", "team-a", "team-b"])
      await store.workloads.create(aWorkload(name, {}, tenant), at(0));
    expect((await store.workloads.findByName(name, undefined)).map((w) => w.tenant)).toEqual([
      "team-a",
      "team-b",
      "team-c",
    ]);
    expect((await store.workloads.findByName(name, ["team-c", "team-a"])).map((w) => w.tenant)).toEqual([
      "team-a",
      "team-c",
    ]);
    expect(await store.workloads.findByName(name, [])).toEqual([]);
    expect(await store.workloads.findByName(unique("none"), undefined)).toEqual([]);
  });

  describe("delete", () => {
    it("removes the workload with its placements and reservations, writes a tombstone and queues every cluster it had", async () => {
      const [gone, kept] = await registered(store, unique("c"), unique("c"));
      const row = await placedOn([gone!, kept!], { type: "service" });
      // The lost cluster's placement goes inactive; delete still re-syncs that cluster (it may be draining there).
      expect(await store.placing.failover(row.uid, [gone!], "requeue", "lost", at(2))).toBe(true);
      const before = await outboxCounts(store, [gone!, kept!]);
      const revisions = [(await store.clusters.get(gone!))!.revision, (await store.clusters.get(kept!))!.revision];
      const rvBefore = await store.workloads.currentRv();

      expect(await store.workloads.delete("team-a", row.name, at(3))).toBe(row.uid);

      expect(await store.workloads.get("team-a", row.name)).toBeUndefined();
      expect(await store.db.select().from(placements).where(eq(placements.uid, row.uid))).toEqual([]);
      expect(await store.db.select().from(reservations).where(eq(reservations.uid, row.uid))).toEqual([]);
      const tomb = await store.db.select().from(workloadTombstones).where(eq(workloadTombstones.uid, row.uid));
      expect(tomb).toEqual([
        { uid: row.uid, tenant: "team-a", name: row.name, rv: expect.any(Number), deletedAt: at(3) },
      ]);
      expect(tomb[0]!.rv).toBeGreaterThan(rvBefore);
      expect(await outboxCounts(store, [gone!, kept!])).toEqual({
        [gone!]: before[gone!]! + 1,
        [kept!]: before[kept!]! + 1,
      });
      expect([(await store.clusters.get(gone!))!.revision, (await store.clusters.get(kept!))!.revision]).toEqual([
        revisions[0]! + 1,
        revisions[1]! + 1,
      ]);
      expect((await store.workloads.desiredState(kept!)).placements).toEqual([]);
    });

    it("queues nothing for a workload that was never placed, and frees the name for a new uid", async () => {
      const { row } = await store.workloads.create(aWorkload(unique("w")), at(0));
      const outboxBefore = (await store.outbox.pending(100_000)).length;
      await store.workloads.delete("team-a", row.name, at(1));
      expect((await store.outbox.pending(100_000)).length).toBe(outboxBefore);
      const again = await store.workloads.create(aWorkload(row.name), at(2));
      expect(again.created).toBe(true);
      expect(again.row.uid).not.toBe(row.uid);
    });

    it("says not_found for a workload that does not exist (or lives in another tenant)", async () => {
      const { row } = await store.workloads.create(aWorkload(unique("w")), at(0));
      await expect(store.workloads.delete("team-b", row.name, at(1))).rejects.toMatchObject({ code: "not_found" });
      await expect(store.workloads.delete("team-a", unique("missing"), at(1))).rejects.toMatchObject({
        code: "not_found",
      });
      expect(await store.workloads.get("team-a", row.name)).toBeDefined();
    });
  });

  describe("changes and resource versions", () => {
    it("starts at 0 on a fresh database", () => {
      expect(rvAtStart).toBe(0);
    });

    it("lists upserts and deletions after a version, in rv order, and each version exactly", async () => {
      const tenant = unique("tn");
      const [c] = await registered(store, unique("c"));
      const rv0 = await store.workloads.currentRv();
      const a = await store.workloads.create(aWorkload(unique("w"), {}, tenant), at(0));
      const b = await store.workloads.create(aWorkload(unique("w"), {}, tenant), at(0));
      const other = await store.workloads.create(aWorkload(unique("w"), {}, unique("tn")), at(0));
      expect(
        await store.placing.place(a.row.uid, {
          decisionId: randomUUID(),
          decision: aDecision([{ cluster: c }]),
          reservations: [],
          at: at(1),
        }),
      ).toBe(true);
      await store.workloads.delete(tenant, b.row.name, at(2));
      await store.workloads.delete(other.row.tenant, other.row.name, at(2));

      const aNow = (await store.workloads.getByUid(a.row.uid))!;
      expect(a.row.rv).toBeGreaterThan(rv0);
      expect(b.row.rv).toBeGreaterThan(a.row.rv);
      expect(aNow.rv).toBeGreaterThan(b.row.rv);

      const changes = await store.workloads.changes({ after: rv0, limit: 100 }, [tenant]);
      expect(changes.map((c) => (c.type === "upsert" ? ["upsert", c.workload.uid] : ["deleted", c.uid]))).toEqual([
        ["upsert", a.row.uid],
        ["deleted", b.row.uid],
      ]);
      const [upsert, deleted] = changes;
      expect(upsert).toMatchObject({ type: "upsert", rv: aNow.rv, workload: { phase: "Placed" } });
      expect(upsert?.type === "upsert" && upsert.workload.placements.map((p) => p.cluster)).toEqual([c]);
      expect(deleted).toMatchObject({ type: "deleted", tenant, name: b.row.name });
      expect(deleted!.rv).toBeGreaterThan(aNow.rv);
      // Every tenant: the other tenant's deletion comes last.
      const all = await store.workloads.changes({ after: rv0, limit: 100 }, undefined);
      expect(all.map((c) => c.rv)).toEqual([...all.map((c) => c.rv)].sort((x, y) => x - y));
      expect(all.at(-1)).toMatchObject({ type: "deleted", uid: other.row.uid });
      // A limit keeps the oldest.
      expect((await store.workloads.changes({ after: rv0, limit: 1 }, [tenant])).map((c) => c.rv)).toEqual([aNow.rv]);
      // Exactly: versions that exist now; a version a row has moved past (a's first) is gone.
      const exactly = await store.workloads.changes({ exactly: [deleted!.rv, a.row.rv, aNow.rv] }, [tenant]);
      expect(exactly.map((c) => c.rv)).toEqual([aNow.rv, deleted!.rv]);
      expect(await store.workloads.changes({ exactly: [a.row.rv] }, [tenant])).toEqual([]);
      expect(await store.workloads.changes({ exactly: [] }, undefined)).toEqual([]);
      // After a version, with late ones (what a watch polls): the late rows that exist, then the newer, oldest first;
      // the limit counts the newer ones.
      const withLate = await store.workloads.changes(
        { after: aNow.rv, limit: 100, late: [a.row.rv, aNow.rv, rv0 - 1] },
        [tenant],
      );
      expect(withLate.map((c) => c.rv)).toEqual([aNow.rv, deleted!.rv]);
      const lateOnly = await store.workloads.changes({ after: deleted!.rv, limit: 1, late: [aNow.rv] }, [tenant]);
      expect(lateOnly.map((c) => c.rv)).toEqual([aNow.rv]);
      expect(
        (await store.workloads.changes({ after: rv0, limit: 1, late: [deleted!.rv] }, [tenant])).map((c) => c.rv),
      ).toEqual([aNow.rv, deleted!.rv]);
      expect(await store.workloads.changes({ after: rv0, limit: 100 }, [])).toEqual([]);
      expect(await store.workloads.currentRv()).toBeGreaterThanOrEqual(all.at(-1)!.rv);
    });

    it("grows with every change a watcher should see", async () => {
      const [c] = await registered(store, unique("c"));
      const seen: number[] = [await store.workloads.currentRv()];
      const step = async () => {
        const rv = await store.workloads.currentRv();
        expect(rv).toBeGreaterThan(seen.at(-1)!);
        seen.push(rv);
      };
      const { row } = await store.workloads.create(aWorkload(unique("w")), at(0));
      await step();
      await store.placing.place(row.uid, {
        decisionId: randomUUID(),
        decision: aDecision([{ cluster: c }]),
        reservations: [],
        at: at(1),
      });
      await step();
      await store.placing.setPhase(row.uid, "Running", "running", at(2));
      await step();
      await store.workloads.delete("team-a", row.name, at(3));
      await step();
    });

    it("forgets tombstones older than the cut-off", async () => {
      const tenant = unique("tn");
      const rv0 = await store.workloads.currentRv();
      const { row } = await store.workloads.create(aWorkload(unique("w"), {}, tenant), at(0));
      await store.workloads.delete(tenant, row.name, at(10));
      await store.workloads.pruneTombstones(at(10));
      expect(await store.workloads.changes({ after: rv0, limit: 10 }, [tenant])).toHaveLength(1);
      await store.workloads.pruneTombstones(at(11));
      expect(await store.workloads.changes({ after: rv0, limit: 10 }, [tenant])).toEqual([]);
    });
  });

  it("names the clusters holding active work, and reads active placements of only the clusters asked for", async () => {
    const [x, y, z] = [unique("cx"), unique("cy"), unique("cz")];
    const one = await placedOn([x, y]);
    const two = await placedOn([y]);
    const ended = await placedOn([z]);
    await t.database.db.update(placements).set({ active: false }).where(eq(placements.uid, ended.uid));

    const clusters = await store.workloads.activeClusters();
    expect(clusters).toEqual(expect.arrayContaining([x, y]));
    expect(clusters).not.toContain(z);
    expect(new Set(clusters).size).toBe(clusters.length);
    const onY = await store.workloads.active([y]);
    expect(onY.map((p) => [p.uid, p.cluster]).sort()).toEqual(
      [
        [one.uid, y],
        [two.uid, y],
      ].sort(),
    );
    expect(onY[0]).toMatchObject({ workloadPhase: "Placed", manifest: { kind: "Workload" } });
    expect(await store.workloads.active([z])).toEqual([]);
    expect(await store.workloads.active([])).toEqual([]);
  });

  describe("running work, read narrowly", () => {
    /** A workload of its own tenant set Running (started at work time `startedHours` h) with `set` written over. */
    const runningOne = async (
      tenant: string,
      spec: Parameters<typeof aWorkload>[1],
      startedHours: number,
      set: Partial<typeof workloads.$inferInsert> = {},
    ) => {
      const { row } = await store.workloads.create(aWorkload(unique("w"), spec, tenant), at(0));
      await t.database.db
        .update(workloads)
        .set({
          phase: "Running",
          startedAt: new Date(Date.parse("2026-01-01T00:00:00Z") + startedHours * 3_600_000),
          ...set,
        })
        .where(eq(workloads.uid, row.uid));
      return row;
    };
    const hoursIn = (h: number) => new Date(Date.parse("2026-01-01T00:00:00Z") + h * 3_600_000);

    it("finds the running workloads past their own runtime limit, or the default when they name none", async () => {
      const tenant = unique("runaway");
      const own = await runningOne(tenant, { maxRuntimeHours: 2 }, 0);
      const ownLater = await runningOne(tenant, { maxRuntimeHours: 2 }, 1);
      const byDefault = await runningOne(tenant, {}, 0);
      const generous = await runningOne(tenant, { maxRuntimeHours: 100 }, 0);
      await runningOne(tenant, { maxRuntimeHours: 1 }, 0, { phase: "Succeeded" });
      const mine = async (now: Date, d: number | undefined) =>
        (await store.workloads.pastRuntime(now, d))
          .filter((w) => w.tenant === tenant)
          .map((w) => [w.name, w.limitHours])
          .sort();
      // At 2.5 h: only `own` has run past its 2 h; no default, so the one naming none runs on.
      expect(await mine(hoursIn(2.5), undefined)).toEqual([[own.name, 2]]);
      // At 2.5 h with a 2.4 h default: the one naming none too; an own limit beats the default either way.
      expect(await mine(hoursIn(2.5), 2.4)).toEqual(
        [
          [byDefault.name, 2.4],
          [own.name, 2],
        ].sort(),
      );
      // Exactly at the limit is not past it (the guard stops work that ran longer than its limit).
      expect(await mine(hoursIn(3), undefined)).toEqual([[own.name, 2]]);
      expect(await mine(hoursIn(3.01), undefined)).toEqual(
        [
          [own.name, 2],
          [ownLater.name, 2],
        ].sort(),
      );
      expect((await mine(hoursIn(99), 1)).map(([n]) => n)).not.toContain(generous.name);
      const [one] = (await store.workloads.pastRuntime(hoursIn(2.5), undefined)).filter((w) => w.tenant === tenant);
      expect(one?.startedAt.toISOString()).toBe("2026-01-01T00:00:00.000Z");
    });

    it("lists running services and which autoscale, and running work under named policies in a pool", async () => {
      const tenant = unique("svc");
      const plain = await runningOne(tenant, { type: "service" }, 0);
      const scaled = await runningOne(tenant, { type: "service" }, 0);
      await t.database.db
        .update(workloads)
        .set({
          manifest: { ...scaled.manifest, spec: { ...scaled.manifest.spec, autoscaling: { minReplicas: 1 } } } as never,
        })
        .where(eq(workloads.uid, scaled.uid));
      const job = await runningOne(tenant, {}, 0, { policy: "burst", pool: "cloud" });
      const pending = await store.workloads.create(aWorkload(unique("w"), { type: "service" }, tenant), at(0));
      await runningOne(tenant, {}, 0, { policy: "burst", pool: null });
      await runningOne(tenant, {}, 0, { policy: "other", pool: "cloud" });

      const services = (await store.workloads.runningServices()).filter((w) => w.tenant === tenant);
      expect(services.map((w) => [w.name, w.autoscaled]).sort()).toEqual(
        [
          [plain.name, false],
          [scaled.name, true],
        ].sort(),
      );
      expect(services.map((w) => w.name)).not.toContain(pending.row.name);
      const under = (await store.workloads.runningUnder(["burst"])).filter((w) => w.tenant === tenant);
      expect(under.map((w) => w.uid)).toEqual([job.uid]);
      expect(under[0]).toMatchObject({ pool: "cloud", manifest: { kind: "Workload" } });
      expect(await store.workloads.runningUnder([])).toEqual([]);
    });
  });

  it("sums active placements per tenant, policy and pool, leaving out inactive ones and other tenants' work", async () => {
    const tenant = unique("usage");
    const place = async (
      assignments: { cluster: string; replicas: number; pricePerGpuHour: number }[],
      gpus: number,
      policy: string | null,
      pool: string | null,
    ) => {
      const { row } = await store.workloads.create(
        aWorkload(
          unique("w"),
          { replicas: assignments.reduce((n, a) => n + a.replicas, 0), resources: { gpu: { count: gpus } } },
          tenant,
        ),
        at(0),
      );
      expect(
        await store.placing.place(row.uid, {
          decisionId: randomUUID(),
          decision: aDecision(assignments),
          reservations: [],
          at: at(1),
          policy,
          pool,
        }),
      ).toBe(true);
      return row;
    };
    // Worked by hand: burst pool "cloud" holds 2×4 GPUs at $3 and 1×4 at $2 (12 GPUs, $32/h); "onprem" 1×2 at $1.
    await place(
      [
        { cluster: "a", replicas: 2, pricePerGpuHour: 3 },
        { cluster: "b", replicas: 1, pricePerGpuHour: 2 },
      ],
      4,
      "burst",
      "cloud",
    );
    await place([{ cluster: "c", replicas: 1, pricePerGpuHour: 1 }], 2, "burst", "onprem");
    const gone = await place([{ cluster: "d", replicas: 5, pricePerGpuHour: 9 }], 8, null, null);
    await t.database.db.update(placements).set({ active: false }).where(eq(placements.uid, gone.uid));

    const mine = (await store.workloads.activeUsage()).filter((u) => u.tenant === tenant);
    expect(mine).toEqual([
      { tenant, policy: "burst", pool: "cloud", gpus: 12, spendPerHour: 32 },
      { tenant, policy: "burst", pool: "onprem", gpus: 2, spendPerHour: 2 },
    ]);
  });

  describe("desired state", () => {
    it("lists a registered cluster's active placements with the spec, at its revision and origin", async () => {
      const [c, other] = await registered(store, unique("c"), unique("c"));
      const service = await placedOn([c!], { type: "service" });
      const job = await placedOn([c!]);
      await placedOn([other!]);
      const cluster = (await store.clusters.get(c!))!;
      const state = await store.workloads.desiredState(c!);
      expect(state.origin).toBe(String(cluster.createdAt.getTime()));
      expect(state.revision).toBe(cluster.revision);
      expect(state.placements.map((p) => p.uid).sort()).toEqual([service.uid, job.uid].sort());
      expect(state.placements.find((p) => p.uid === service.uid)).toMatchObject({
        workload: service.name,
        tenant: "team-a",
        cluster: c,
        replicas: 1,
        generation: 1,
        spot: false,
        spec: { type: "service", replicas: 2, resources: { gpu: { count: 4 } } },
      });
      expect(state.placements[0]).not.toHaveProperty("gpuModel");
    });

    it("tells a pending cluster, and one the hub never heard of, nothing", async () => {
      const pending = unique("c");
      await store.clusters.announce({
        name: pending,
        reported: aDescription(pending),
        agentId: "a",
        driver: "sim",
        agentVersion: "1",
        at: at(0),
      });
      await placedOn([pending]);
      const nobody = unique("c");
      const states = await store.workloads.desiredStates([pending, nobody]);
      expect(states.get(pending)?.placements).toEqual([]);
      expect(states.get(nobody)).toEqual({ origin: "none", revision: 0, placements: [] });
    });
  });

  describe("reservations", () => {
    it("releases those a report accounts for at their generation or later, and keeps the rest", async () => {
      const [c1, c2] = await registered(store, unique("c"), unique("c"));
      const one = await placedOn([c1!, c2!]);
      const two = await placedOn([c1!]);
      await store.workloads.releaseReservations([
        { cluster: c1!, uid: one.uid, generation: 1 },
        { cluster: c1!, uid: two.uid, generation: 0 },
        { cluster: c2!, uid: two.uid, generation: 5 },
      ]);
      const left = (await store.workloads.reservations())
        .filter((r) => r.workload === one.uid || r.workload === two.uid)
        .map((r) => `${r.workload === one.uid ? "one" : "two"}@${r.cluster === c1 ? "c1" : "c2"}:${r.generation}`)
        .sort();
      expect(left).toEqual(["one@c2:1", "two@c1:1"]);
      await store.workloads.releaseReservations([]);
    });
  });
});
