import type { Decision, Placement, PlacementStatus, Reservation, Workload, WorkloadPhase } from "@gantry/shared";
import { and, asc, desc, eq, inArray, lt, ne, sql } from "drizzle-orm";
import { HubError, notFound } from "../errors.ts";
import type { Db } from "./db.ts";
import {
  clusters,
  costLedger,
  decisions,
  outbox,
  type PlacementRow,
  placements,
  reservations,
  type WorkloadRow,
  workloads,
} from "./schema.ts";

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/** Bump each cluster's desired-state revision and queue a publish, inside the caller's transaction. */
const touchClusters = async (tx: Tx, names: Iterable<string>): Promise<void> => {
  const unique = [...new Set(names)].sort();
  if (unique.length === 0) return;
  await tx
    .update(clusters)
    .set({ revision: sql`${clusters.revision} + 1` })
    .where(inArray(clusters.name, unique));
  await tx.insert(outbox).values(unique.map((cluster) => ({ cluster })));
};

export interface WorkloadWithPlacements extends WorkloadRow {
  placements: PlacementRow[];
}

export interface PlacementChange {
  decisionId: string;
  decision: Decision;
  reservations: Reservation[];
  at: Date;
  /** The burst policy and pool this placement falls under, and why (shown by explain). */
  policy?: string | null;
  pool?: string | null;
  poolNote?: string | null;
  /**
   * Drain-back of a service: the workload is Running; the old placements stay active (older
   * generation) until the new ones run, so there is no capacity gap.
   */
  keepOld?: boolean;
  /** Drain-back of a restartable job: it is Running; stop it where it is and place it again. */
  restart?: boolean;
}

/** Workloads, their placements and decisions: the hub's desired state. */
export const workloadRepository = (db: Db) => ({
  /** Accept a new workload as Pending. A second submit of the same name is a conflict. */
  async create(workload: Workload, at: Date): Promise<WorkloadRow> {
    const rows = await db
      .insert(workloads)
      .values({
        name: workload.metadata.name,
        tenant: workload.metadata.tenant,
        manifest: workload,
        phase: "Pending",
        message: "waiting for a placement decision",
        priority: workload.spec.priority,
        createdAt: at,
        updatedAt: at,
      })
      .onConflictDoNothing()
      .returning();
    const row = rows[0];
    if (!row) {
      throw new HubError("conflict", `workload ${JSON.stringify(workload.metadata.name)} already exists`);
    }
    return row;
  },

  async get(name: string): Promise<WorkloadWithPlacements | undefined> {
    const rows = await db.select().from(workloads).where(eq(workloads.name, name));
    const row = rows[0];
    if (!row) return undefined;
    const ps = await db.select().from(placements).where(eq(placements.workload, name)).orderBy(asc(placements.cluster));
    return { ...row, placements: ps };
  },

  async list(filter: { tenant?: string; phase?: WorkloadPhase } = {}): Promise<WorkloadWithPlacements[]> {
    const conditions = [];
    if (filter.tenant) conditions.push(eq(workloads.tenant, filter.tenant));
    if (filter.phase) conditions.push(eq(workloads.phase, filter.phase));
    const rows = await db
      .select()
      .from(workloads)
      .where(conditions.length ? and(...conditions) : undefined)
      .orderBy(asc(workloads.createdAt), asc(workloads.name));
    const ps = rows.length
      ? await db
          .select()
          .from(placements)
          .where(
            inArray(
              placements.workload,
              rows.map((r) => r.name),
            ),
          )
          .orderBy(asc(placements.cluster))
      : [];
    return rows.map((r) => ({ ...r, placements: ps.filter((p) => p.workload === r.name) }));
  },

  /** Pending workloads in queue order: priority first, then age. */
  pending(): Promise<WorkloadRow[]> {
    return db
      .select()
      .from(workloads)
      .where(eq(workloads.phase, "Pending"))
      .orderBy(desc(workloads.priority), asc(workloads.createdAt), asc(workloads.name));
  },

  /** Remove a workload; its clusters get a desired state without it, so agents delete it. */
  async delete(name: string): Promise<void> {
    await db.transaction(async (tx) => {
      const active = await tx
        .select({ cluster: placements.cluster })
        .from(placements)
        .where(and(eq(placements.workload, name), eq(placements.active, true)));
      const deleted = await tx.delete(workloads).where(eq(workloads.name, name)).returning({ name: workloads.name });
      if (deleted.length === 0) throw notFound("workload", name);
      await tx.delete(reservations).where(eq(reservations.workload, name));
      await touchClusters(
        tx,
        active.map((a) => a.cluster),
      );
    });
  },

  /** Keep a decision that placed nothing, so `explain` can say why the workload waits. */
  async recordUnplaced(name: string, decisionId: string, decision: Decision, message: string, at: Date) {
    await db.transaction(async (tx) => {
      await tx.insert(decisions).values({ id: decisionId, workload: name, decision, feasible: false, createdAt: at });
      await tx
        .update(workloads)
        .set({ decisionId, message, updatedAt: at })
        .where(and(eq(workloads.name, name), eq(workloads.phase, "Pending")));
    });
  },

  /**
   * Place a workload: store the decision, its placements and reservations, mark it Placed and queue
   * the affected clusters' desired state for publishing, all in one transaction (outbox).
   * Returns false if the workload is gone or no longer Pending (deleted meanwhile).
   */
  async place(name: string, change: PlacementChange): Promise<boolean> {
    const { decisionId, decision, at } = change;
    return db.transaction(async (tx) => {
      const expected = change.keepOld || change.restart ? "Running" : "Pending";
      const updated = await tx
        .update(workloads)
        .set({
          ...(change.keepOld ? {} : { phase: "Placed", message: decision.summary, placedAt: at }),
          decisionId,
          generation: sql`${workloads.generation} + 1`,
          policy: change.policy ?? null,
          pool: change.pool ?? null,
          poolNote: change.poolNote ?? null,
          updatedAt: at,
        })
        .where(and(eq(workloads.name, name), eq(workloads.phase, expected)))
        .returning({ generation: workloads.generation, tenant: workloads.tenant, manifest: workloads.manifest });
      const w = updated[0];
      if (!w) return false;
      const { generation } = w;
      await tx.insert(decisions).values({ id: decisionId, workload: name, decision, feasible: true, createdAt: at });
      const previous = await tx
        .select({ cluster: placements.cluster })
        .from(placements)
        .where(and(eq(placements.workload, name), eq(placements.active, true)));
      const target = decision.assignments.map((a) => a.cluster);
      // Rows for the target clusters are replaced; the others are kept (draining) or retired.
      await tx.delete(placements).where(and(eq(placements.workload, name), inArray(placements.cluster, target)));
      if (!change.keepOld) {
        await tx.update(placements).set({ active: false }).where(eq(placements.workload, name));
      }
      await tx.insert(placements).values(
        decision.assignments.map((a) => ({
          workload: name,
          cluster: a.cluster,
          replicas: a.replicas,
          generation,
          decisionId,
          spot: a.spot,
          gpuModel: a.gpuModel ?? null,
          pricePerGpuHour: a.pricePerGpuHour,
          gpusPerReplica: w.manifest.spec.resources.gpu.count,
          pool: change.pool ?? null,
          policy: change.policy ?? null,
          createdAt: at,
        })),
      );
      // Moving data is paid once, when the placement is made; split it by replicas.
      const totalReplicas = decision.assignments.reduce((n, a) => n + a.replicas, 0);
      if (decision.estimatedCost.egress > 0 && totalReplicas > 0) {
        await tx.insert(costLedger).values(
          decision.assignments.map((a) => ({
            workload: name,
            tenant: w.tenant,
            cluster: a.cluster,
            pool: change.pool ?? null,
            policy: change.policy ?? null,
            kind: "egress" as const,
            usd: (decision.estimatedCost.egress * a.replicas) / totalReplicas,
            startAt: at,
            endAt: at,
          })),
        );
      }
      await tx.delete(reservations).where(eq(reservations.workload, name));
      if (change.reservations.length) {
        await tx.insert(reservations).values(
          change.reservations.map((r) => ({
            workload: name,
            cluster: r.cluster,
            generation,
            nodes: r.nodes,
            createdAt: at,
          })),
        );
      }
      await touchClusters(tx, [...previous.map((p) => p.cluster), ...target]);
      return true;
    });
  },

  /** After a drain-back, retire the placements of older generations once the new ones run. */
  async retireOld(name: string, generation: number): Promise<string[]> {
    return db.transaction(async (tx) => {
      const retired = await tx
        .update(placements)
        .set({ active: false })
        .where(and(eq(placements.workload, name), eq(placements.active, true), lt(placements.generation, generation)))
        .returning({ cluster: placements.cluster });
      await touchClusters(
        tx,
        retired.map((r) => r.cluster),
      );
      return retired.map((r) => r.cluster);
    });
  },

  /** Every active placement with its workload's tenant, type and spec: usage, burst caps, drain-back. */
  async active(): Promise<
    (PlacementRow & { tenant: string; workloadPhase: string; manifest: Workload; workloadGeneration: number })[]
  > {
    const rows = await db
      .select({ p: placements, w: workloads })
      .from(placements)
      .innerJoin(workloads, eq(workloads.name, placements.workload))
      .where(eq(placements.active, true))
      .orderBy(asc(placements.workload), asc(placements.cluster));
    return rows.map(({ p, w }) => ({
      ...p,
      tenant: w.tenant,
      workloadPhase: w.phase,
      manifest: w.manifest,
      workloadGeneration: w.generation,
    }));
  },

  /** Running workloads (for the runaway guard and drain-back). */
  running(): Promise<WorkloadRow[]> {
    return db.select().from(workloads).where(eq(workloads.phase, "Running")).orderBy(asc(workloads.name));
  },

  /** Set a pending workload's message (why it waits) without a new decision. */
  async setPendingMessage(name: string, message: string, at: Date): Promise<void> {
    await db
      .update(workloads)
      .set({ message, updatedAt: at })
      .where(and(eq(workloads.name, name), eq(workloads.phase, "Pending"), ne(workloads.message, message)));
  },

  /**
   * Record what an agent reports. Statuses of an older generation than the placement's are stale
   * and ignored. Returns the names of workloads whose placements changed status.
   */
  async recordStatuses(cluster: string, statuses: PlacementStatus[]): Promise<string[]> {
    const changed: string[] = [];
    await db.transaction(async (tx) => {
      for (const status of statuses) {
        const rows = await tx
          .update(placements)
          .set({ status })
          .where(
            and(
              eq(placements.workload, status.workload),
              eq(placements.cluster, cluster),
              eq(placements.generation, status.generation),
            ),
          )
          .returning({ workload: placements.workload });
        if (rows.length) changed.push(status.workload);
      }
    });
    return changed;
  },

  /** Set the workload's aggregate phase; when it ends, its placements leave the desired state. */
  async setPhase(name: string, phase: WorkloadPhase, message: string, at: Date): Promise<void> {
    await db.transaction(async (tx) => {
      const current = (await tx.select().from(workloads).where(eq(workloads.name, name)))[0];
      if (!current || (current.phase === phase && current.message === message)) return;
      const terminal = phase === "Succeeded" || phase === "Failed";
      await tx
        .update(workloads)
        .set({
          phase,
          message,
          updatedAt: at,
          ...(phase === "Running" && !current.startedAt ? { startedAt: at } : {}),
          ...(terminal ? { finishedAt: at } : {}),
        })
        .where(eq(workloads.name, name));
      if (terminal) {
        const active = await tx
          .update(placements)
          .set({ active: false })
          .where(and(eq(placements.workload, name), eq(placements.active, true)))
          .returning({ cluster: placements.cluster });
        await tx.delete(reservations).where(eq(reservations.workload, name));
        await touchClusters(
          tx,
          active.map((a) => a.cluster),
        );
      }
    });
  },

  async decision(id: string): Promise<Decision | undefined> {
    const rows = await db.select().from(decisions).where(eq(decisions.id, id));
    return rows[0]?.decision;
  },

  /** The full desired state of one cluster: its active placements. */
  async desiredState(cluster: string): Promise<{ revision: number; placements: Placement[] }> {
    const c = (await db.select({ revision: clusters.revision }).from(clusters).where(eq(clusters.name, cluster)))[0];
    const rows = await db
      .select({ p: placements, w: workloads })
      .from(placements)
      .innerJoin(workloads, eq(workloads.name, placements.workload))
      .where(and(eq(placements.cluster, cluster), eq(placements.active, true)))
      .orderBy(asc(placements.workload));
    return {
      revision: c?.revision ?? 0,
      placements: rows.map(({ p, w }) => ({
        workload: p.workload,
        tenant: w.tenant,
        cluster: p.cluster,
        replicas: p.replicas,
        generation: p.generation,
        decisionId: p.decisionId,
        spot: p.spot,
        ...(p.gpuModel ? { gpuModel: p.gpuModel } : {}),
        spec: w.manifest.spec,
      })),
    };
  },

  async reservations(): Promise<Reservation[]> {
    const rows = await db.select().from(reservations);
    return rows.map((r) => ({ workload: r.workload, cluster: r.cluster, nodes: r.nodes }));
  },
});
