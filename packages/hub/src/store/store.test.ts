import { randomUUID } from "node:crypto";
import {
  API_VERSION,
  type Assignment,
  type CapacityReport,
  type Decision,
  type PlacementStatus,
  type Reservation,
  Workload,
  type WorkloadSpecInput,
} from "@gantry/shared";
import { eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../../test/support/postgres.ts";
import { HubError } from "../errors.ts";
import { createStore, type OpenDatabase, openDatabase, type Store } from "./index.ts";
import { decisions, outbox, placements, reservations } from "./schema.ts";

type Kind = "pglite" | "postgres";

const at = new Date("2026-01-01T00:00:00Z");
let seq = 0;
/** A name no other test in this file uses (the database is shared by the whole file). */
const unique = (prefix: string) => `${prefix}-${++seq}`;

const aWorkload = (name: string, spec: Partial<WorkloadSpecInput> = {}): Workload =>
  Workload.parse({
    apiVersion: API_VERSION,
    kind: "Workload",
    metadata: { name, tenant: "team-a" },
    spec: { type: "job", replicas: 2, resources: { gpu: { count: 4 } }, ...spec },
  });

const aDecision = (assignments: Partial<Assignment>[]): Decision => ({
  feasible: true,
  assignments: assignments.map((a) => ({
    cluster: "c",
    replicas: 1,
    spot: false,
    nodes: [],
    pricePerGpuHour: 2,
    ...a,
  })),
  estimatedCost: { total: 8, perHour: 8, compute: 8, egress: 0 },
  clusters: [],
  runnerUp: null,
  summary: "placed on the cheapest cluster",
});

const aReservation = (workload: string, cluster: string, gpus = 4): Reservation => ({
  workload,
  cluster,
  nodes: [{ node: "n-0", gpus, cpu: 0, memoryGiB: 0 }],
});

const aStatus = (workload: string, generation: number, over: Partial<PlacementStatus> = {}): PlacementStatus => ({
  workload,
  generation,
  phase: "Running",
  replicas: 2,
  readyReplicas: 2,
  message: "2 running",
  events: [],
  ...over,
});

const capacity = (accounted: { workload: string; generation: number }[]): CapacityReport => ({
  nodes: [
    {
      name: "n-0",
      count: 1,
      gpu: { model: "A100", count: 8, memoryGiB: 80 },
      gpusUsed: 4,
      cpu: 0,
      cpuUsed: 0,
      memoryGiB: 0,
      memoryUsedGiB: 0,
      ready: true,
      schedulable: true,
      labels: {},
    },
  ],
  accountedWorkloads: accounted,
});

const open = async (kind: Kind): Promise<{ database: OpenDatabase; drop?: () => Promise<void> }> => {
  if (kind === "pglite") return { database: await openDatabase({ dataDir: "memory://" }) };
  const pg: TestDatabase = await createTestDatabase();
  return { database: await openDatabase({ url: pg.url }), drop: () => pg.drop() };
};

describe.each<Kind>(["pglite", "postgres"])("store on %s", (kind) => {
  let database: OpenDatabase;
  let drop: (() => Promise<void>) | undefined;
  let store: Store;

  beforeAll(async () => {
    ({ database, drop } = await open(kind));
    store = createStore(database.db);
  }, 60_000);
  afterAll(async () => {
    await database?.close();
    await drop?.();
  });

  /** Clusters that said hello, so their revisions exist. */
  const announced = async (...names: string[]) => {
    for (const name of names) {
      await store.clusters.announce({
        description: {
          name,
          tier: "cloud",
          provider: "",
          region: "r",
          zone: "",
          labels: {},
          taints: [],
          pricing: { gpuHour: {}, spotGpuHour: {}, egressPerGB: 0 },
        },
        agentId: `${name}-agent`,
        driver: "simulated",
        agentVersion: "0.1.0",
        at,
      });
    }
    return names;
  };
  const revisionOf = async (cluster: string) => (await store.clusters.get(cluster))?.revision;
  const pendingOutbox = async (clusters: string[]) =>
    (await store.outbox.pending()).filter((r) => clusters.includes(r.cluster)).map((r) => r.cluster);
  const reservationsOf = async (workload: string) =>
    (await store.workloads.reservations()).filter((r) => r.workload === workload);
  /** A workload placed on `clusters`, one replica each, with a reservation per cluster. */
  const placed = async (clusters: string[], spec: Partial<WorkloadSpecInput> = {}) => {
    const name = unique("w");
    await store.workloads.create(aWorkload(name, spec), at);
    const ok = await store.workloads.place(name, {
      decisionId: randomUUID(),
      decision: aDecision(clusters.map((cluster) => ({ cluster }))),
      reservations: clusters.map((c) => aReservation(name, c)),
      at,
    });
    expect(ok).toBe(true);
    return name;
  };

  describe("create", () => {
    it("accepts a workload as Pending with its manifest", async () => {
      const name = unique("w");
      const row = await store.workloads.create(aWorkload(name, { priority: 7 }), at);
      expect(row).toMatchObject({ name, tenant: "team-a", phase: "Pending", generation: 0, priority: 7 });
      const got = await store.workloads.get(name);
      expect(got?.manifest.spec.resources.gpu.count).toBe(4);
      expect(got?.placements).toEqual([]);
      expect((await store.workloads.pending()).map((w) => w.name)).toContain(name);
    });

    it("refuses a second workload of the same name with a conflict, leaving the first untouched", async () => {
      const name = unique("w");
      await store.workloads.create(aWorkload(name, { replicas: 2 }), at);
      const second = store.workloads.create(aWorkload(name, { replicas: 5 }), at);
      await expect(second).rejects.toBeInstanceOf(HubError);
      await expect(second).rejects.toMatchObject({ code: "conflict" });
      expect((await store.workloads.get(name))?.manifest.spec.replicas).toBe(2);
    });

    it("queues pending workloads by priority, then age", async () => {
      const low = unique("w");
      const high = unique("w");
      const older = unique("w");
      await store.workloads.create(aWorkload(older, { priority: 0 }), new Date(at.getTime() - 1000));
      await store.workloads.create(aWorkload(low, { priority: 0 }), at);
      await store.workloads.create(aWorkload(high, { priority: 9 }), at);
      const order = (await store.workloads.pending()).map((w) => w.name).filter((n) => [low, high, older].includes(n));
      expect(order).toEqual([high, older, low]);
    });
  });

  describe("place", () => {
    it("writes placements, reservations, the decision and an outbox row per cluster in one go", async () => {
      const clusters = await announced(unique("c"), unique("c"));
      const [a, b] = clusters as [string, string];
      const name = unique("w");
      await store.workloads.create(aWorkload(name), at);
      const decisionId = randomUUID();
      const decision = aDecision([
        { cluster: a, replicas: 1, gpuModel: "A100", spot: true },
        { cluster: b, replicas: 1 },
      ]);
      expect(
        await store.workloads.place(name, {
          decisionId,
          decision,
          reservations: [aReservation(name, a), aReservation(name, b)],
          at,
        }),
      ).toBe(true);

      const w = await store.workloads.get(name);
      expect(w).toMatchObject({ phase: "Placed", generation: 1, decisionId, message: decision.summary });
      expect(w?.placements.map((p) => [p.cluster, p.replicas, p.generation, p.active, p.spot, p.gpuModel])).toEqual([
        [a, 1, 1, true, true, "A100"],
        [b, 1, 1, true, false, null],
      ]);
      expect((await reservationsOf(name)).map((r) => r.cluster).sort()).toEqual([a, b]);
      expect(await store.workloads.decision(decisionId)).toEqual(decision);
      expect((await pendingOutbox(clusters)).sort()).toEqual([a, b]);
      expect(await revisionOf(a)).toBe(1);
      expect(await revisionOf(b)).toBe(1);
    });

    it("writes nothing when any part of the transaction fails", async () => {
      const [c] = await announced(unique("c"));
      const name = unique("w");
      await store.workloads.create(aWorkload(name), at);
      const decisionId = randomUUID();
      // Two assignments to one cluster break the placements' primary key halfway through.
      const failing = store.workloads.place(name, {
        decisionId,
        decision: aDecision([{ cluster: c }, { cluster: c }]),
        reservations: [aReservation(name, c!)],
        at,
      });
      await expect(failing).rejects.toThrow();
      expect(await store.workloads.get(name)).toMatchObject({ phase: "Pending", generation: 0, placements: [] });
      expect(await store.workloads.decision(decisionId)).toBeUndefined();
      expect(await reservationsOf(name)).toEqual([]);
      expect(await pendingOutbox([c!])).toEqual([]);
      expect(await revisionOf(c!)).toBe(0);
    });

    it("refuses to place a workload that is no longer Pending, or is gone", async () => {
      const [c] = await announced(unique("c"));
      const name = await placed([c!]);
      const again = { decisionId: randomUUID(), decision: aDecision([{ cluster: c }]), reservations: [], at };
      expect(await store.workloads.place(name, again)).toBe(false);
      expect(await store.workloads.place(unique("missing"), { ...again, decisionId: randomUUID() })).toBe(false);
      expect((await store.workloads.get(name))?.generation).toBe(1);
    });

    it("moves a re-placed workload: the old cluster's desired state loses it, the new one gains it", async () => {
      const [from, to] = (await announced(unique("c"), unique("c"))) as [string, string];
      const name = await placed([from]);
      await store.workloads.setPhase(name, "Pending", "preempted", at);
      await store.workloads.place(name, {
        decisionId: randomUUID(),
        decision: aDecision([{ cluster: to }]),
        reservations: [aReservation(name, to)],
        at,
      });
      expect((await store.workloads.desiredState(from)).placements).toEqual([]);
      expect((await store.workloads.desiredState(to)).placements.map((p) => [p.workload, p.generation])).toEqual([
        [name, 2],
      ]);
      expect((await reservationsOf(name)).map((r) => r.cluster)).toEqual([to]);
      expect(await revisionOf(from)).toBe(2);
    });
  });

  describe("desiredState", () => {
    it("lists a cluster's active placements with the workload's spec and the cluster's revision", async () => {
      const [c, other] = (await announced(unique("c"), unique("c"))) as [string, string];
      const first = await placed([c], { type: "service" });
      const second = await placed([c]);
      await placed([other]);
      const state = await store.workloads.desiredState(c);
      expect(state.revision).toBe(2);
      expect(state.placements.map((p) => p.workload)).toEqual([first, second].sort());
      expect(state.placements.find((p) => p.workload === first)).toMatchObject({
        tenant: "team-a",
        cluster: c,
        replicas: 1,
        generation: 1,
        spot: false,
        spec: { type: "service", replicas: 2, resources: { gpu: { count: 4 } } },
      });
      expect(state.placements[0]).not.toHaveProperty("gpuModel");
    });

    it("is empty at revision 0 for a cluster the hub has never heard of", async () => {
      expect(await store.workloads.desiredState(unique("nobody"))).toEqual({ revision: 0, placements: [] });
    });
  });

  describe("recordStatuses", () => {
    it("records a status of the placement's generation and reports the workload changed", async () => {
      const [c] = await announced(unique("c"));
      const name = await placed([c!]);
      expect(await store.workloads.recordStatuses(c!, [aStatus(name, 1)])).toEqual([name]);
      expect((await store.workloads.get(name))?.placements[0]?.status).toMatchObject({
        phase: "Running",
        generation: 1,
      });
    });

    it("ignores statuses of another generation", async () => {
      const [c] = await announced(unique("c"));
      const name = await placed([c!]);
      await store.workloads.recordStatuses(c!, [aStatus(name, 1, { phase: "Pending", readyReplicas: 0 })]);
      await store.workloads.setPhase(name, "Pending", "preempted", at);
      await store.workloads.place(name, {
        decisionId: randomUUID(),
        decision: aDecision([{ cluster: c }]),
        reservations: [],
        at,
      });
      const stale = aStatus(name, 1, { phase: "Succeeded" });
      const future = aStatus(name, 3, { phase: "Failed" });
      expect(await store.workloads.recordStatuses(c!, [stale, future])).toEqual([]);
      expect((await store.workloads.get(name))?.placements[0]).toMatchObject({ generation: 2, status: null });
    });

    it("ignores statuses a cluster sends about another cluster's placement", async () => {
      const [c, other] = (await announced(unique("c"), unique("c"))) as [string, string];
      const name = await placed([c]);
      expect(await store.workloads.recordStatuses(other, [aStatus(name, 1)])).toEqual([]);
      expect((await store.workloads.get(name))?.placements[0]?.status).toBeNull();
    });
  });

  describe("setPhase", () => {
    it("stamps startedAt when a workload starts running, once", async () => {
      const [c] = await announced(unique("c"));
      const name = await placed([c!]);
      const t1 = new Date(at.getTime() + 1000);
      await store.workloads.setPhase(name, "Running", "1/2 ready", t1);
      await store.workloads.setPhase(name, "Running", "2/2 ready", new Date(at.getTime() + 5000));
      expect(await store.workloads.get(name)).toMatchObject({ phase: "Running", message: "2/2 ready", startedAt: t1 });
      expect(await pendingOutbox([c!])).toEqual([c]);
    });

    it("on a terminal phase deactivates placements, drops reservations and queues the clusters' desired state", async () => {
      const [a, b] = (await announced(unique("c"), unique("c"))) as [string, string];
      const name = await placed([a, b]);
      const outboxBefore = (await pendingOutbox([a, b])).length;
      const done = new Date(at.getTime() + 60_000);
      await store.workloads.setPhase(name, "Succeeded", "all replicas completed", done);

      const w = await store.workloads.get(name);
      expect(w).toMatchObject({ phase: "Succeeded", finishedAt: done });
      expect(w?.placements.map((p) => p.active)).toEqual([false, false]);
      expect(await reservationsOf(name)).toEqual([]);
      expect((await pendingOutbox([a, b])).length).toBe(outboxBefore + 2);
      expect(await revisionOf(a)).toBe(2);
      expect((await store.workloads.desiredState(a)).placements).toEqual([]);
    });

    it("does nothing when neither phase nor message changes", async () => {
      const [c] = await announced(unique("c"));
      const name = await placed([c!]);
      const before = await store.workloads.get(name);
      await store.workloads.setPhase(name, "Placed", before!.message, new Date(at.getTime() + 1));
      expect((await store.workloads.get(name))?.updatedAt).toEqual(before?.updatedAt);
      await store.workloads.setPhase(unique("missing"), "Failed", "x", at);
    });
  });

  describe("delete", () => {
    it("removes the workload, its placements and reservations, and queues its clusters", async () => {
      const [c] = await announced(unique("c"));
      const name = await placed([c!]);
      await store.workloads.delete(name);
      expect(await store.workloads.get(name)).toBeUndefined();
      expect(await database.db.select().from(placements).where(eq(placements.workload, name))).toEqual([]);
      expect(await reservationsOf(name)).toEqual([]);
      expect(await revisionOf(c!)).toBe(2);
      expect(await pendingOutbox([c!])).toEqual([c, c]);
      expect((await store.workloads.desiredState(c!)).placements).toEqual([]);
    });

    it("says not_found for a workload that does not exist", async () => {
      await expect(store.workloads.delete(unique("missing"))).rejects.toMatchObject({ code: "not_found" });
    });

    it("queues nothing for a workload that was never placed", async () => {
      const name = unique("w");
      await store.workloads.create(aWorkload(name), at);
      const before = (await store.outbox.pending()).length;
      await store.workloads.delete(name);
      expect((await store.outbox.pending()).length).toBe(before);
    });
  });

  describe("clusters", () => {
    it("refuses a heartbeat from a cluster that never said hello", async () => {
      expect(await store.clusters.heartbeat(unique("ghost"), capacity([]), at)).toBe(false);
    });

    it("stores the capacity and last-seen time of a heartbeat", async () => {
      const [c] = await announced(unique("c"));
      const seen = new Date(at.getTime() + 3000);
      expect(await store.clusters.heartbeat(c!, capacity([]), seen)).toBe(true);
      const row = await store.clusters.get(c!);
      expect(row?.lastSeenAt).toEqual(seen);
      expect(row?.capacity?.nodes.map((n) => n.gpusUsed)).toEqual([4]);
      expect(row).toMatchObject({ agentId: `${c}-agent`, driver: "simulated" });
    });

    it("releases the reservations a report accounts for, and only those", async () => {
      const [c, other] = (await announced(unique("c"), unique("c"))) as [string, string];
      const accounted = await placed([c, other]);
      const notYet = await placed([c]);
      await store.clusters.heartbeat(c, capacity([{ workload: accounted, generation: 1 }]), at);
      expect((await reservationsOf(accounted)).map((r) => r.cluster)).toEqual([other]);
      expect((await reservationsOf(notYet)).map((r) => r.cluster)).toEqual([c]);
    });

    it("keeps a reservation of a newer generation than the report accounts for", async () => {
      const [c] = await announced(unique("c"));
      const name = await placed([c!]);
      await store.workloads.setPhase(name, "Pending", "preempted", at);
      await store.workloads.place(name, {
        decisionId: randomUUID(),
        decision: aDecision([{ cluster: c }]),
        reservations: [aReservation(name, c!)],
        at,
      });
      await store.clusters.heartbeat(c!, capacity([{ workload: name, generation: 1 }]), at);
      expect(await reservationsOf(name)).toHaveLength(1);
      await store.clusters.heartbeat(c!, capacity([{ workload: name, generation: 2 }]), at);
      expect(await reservationsOf(name)).toEqual([]);
    });

    it("updates a cluster's description when its agent says hello again", async () => {
      const [c] = await announced(unique("c"));
      await store.clusters.announce({
        description: { ...(await store.clusters.get(c!))!.description, region: "moved" },
        agentId: "new-agent",
        driver: "kubernetes",
        agentVersion: "0.2.0",
        at,
      });
      expect(await store.clusters.get(c!)).toMatchObject({
        agentId: "new-agent",
        driver: "kubernetes",
        description: { region: "moved" },
      });
    });
  });

  describe("outbox", () => {
    it("hands out unpublished rows in order and forgets them once marked", async () => {
      const [c] = await announced(unique("c"));
      await placed([c!]);
      await placed([c!]);
      const rows = (await store.outbox.pending()).filter((r) => r.cluster === c);
      expect(rows).toHaveLength(2);
      expect(rows[0]!.id).toBeLessThan(rows[1]!.id);
      await store.outbox.markPublished(
        rows.map((r) => r.id),
        at,
      );
      expect(await pendingOutbox([c!])).toEqual([]);
      const marked = await database.db
        .select()
        .from(outbox)
        .where(
          inArray(
            outbox.id,
            rows.map((r) => r.id),
          ),
        );
      expect(marked.every((r) => r.publishedAt?.getTime() === at.getTime())).toBe(true);
      await store.outbox.markPublished([], at);
    });
  });

  it("keeps every decision, placed or not", async () => {
    const name = unique("w");
    await store.workloads.create(aWorkload(name), at);
    const id = randomUUID();
    const unplaced = { ...aDecision([]), feasible: false, summary: "no cluster has 4 free A100s on one node" };
    await store.workloads.recordUnplaced(name, id, unplaced, unplaced.summary, at);
    expect(await store.workloads.get(name)).toMatchObject({
      phase: "Pending",
      decisionId: id,
      message: unplaced.summary,
    });
    const rows = await database.db.select().from(decisions).where(eq(decisions.id, id));
    expect(rows.map((r) => r.feasible)).toEqual([false]);
    expect(await database.db.select().from(reservations).where(eq(reservations.workload, name))).toEqual([]);
  });
});
