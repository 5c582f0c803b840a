import { isDeepStrictEqual } from "node:util";
import type {
  AutoscalingStatus,
  Decision,
  PlacementStatus,
  Reservation,
  StagingItem,
  WorkloadPhase,
} from "@gantry/shared";
import { and, asc, eq, getTableColumns, inArray, isNotNull, isNull, lt, ne, sql } from "drizzle-orm";
import type { Db } from "./db.ts";
import { type PlacementPlan, placementWrites } from "./placement-writes.ts";
import { decisions, type PlacementRow, placements, reservations, type WorkloadRow, workloads } from "./schema.ts";
import { storedDecision } from "./stored-decision.ts";
import { assertEpoch, type EventInput, nextRv, recordEvent, recordEvents, type Tx, touchClusters } from "./tx.ts";

const workloadColumns = getTableColumns(workloads);

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
   * Drain-back of a service: the workload is Running; the old placements stay active (older generation) until the
   * new ones run, so there is no capacity gap.
   */
  keepOld?: boolean;
  /** Drain-back of a restartable job: it is Running; stop it where it is and place it again. */
  restart?: boolean;
  /** The event's reason (`Placed`, `DrainedBack`, `Burst`). */
  reason?: string;
  /** Per cluster: the data its agent copies in before starting (`stagingPlan`). */
  staging?: ReadonlyMap<string, StagingItem[]>;
}

/** One cluster's share of a service after an autoscaling pass. */
export interface ScaleTarget {
  cluster: string;
  /** 0: the service leaves the cluster. */
  replicas: number;
  spot: boolean;
  gpuModel?: string;
  pricePerGpuHour: number;
  routing: Record<string, number>;
}

/** An autoscaling pass to record: the new counts and weights, the status, one event per change. */
export interface ScaleChange {
  targets: ScaleTarget[];
  status: AutoscalingStatus;
  events: { reason: "ScaledOut" | "ScaledIn"; message: string }[];
  at: Date;
}

const sameRouting = (a: Record<string, number> | null, b: Record<string, number>): boolean => {
  const keys = new Set([...Object.keys(a ?? {}), ...Object.keys(b)]);
  // Weights that moved by under 2 points are not worth a desired-state publish.
  for (const k of keys) if (Math.abs((a?.[k] ?? 0) - (b[k] ?? 0)) > 0.02) return false;
  return true;
};

/** What a status report does to its workload, decided by a pure function the scheduler passes in. */
export type StatusTransition =
  | { kind: "none" }
  | { kind: "phase"; phase: WorkloadPhase; message: string; reason?: string }
  /** Drain-back or failover complete: every new placement runs, the older ones go. */
  | { kind: "retire-old"; message: string }
  /** A restartable job lost where it ran (fenced, cluster lost): back to the queue, every copy stopped. */
  | { kind: "requeue"; message: string; reason: string };

/** Whether a reported status is the stored one (the stored one went through jsonb: key order and absent keys). */
const sameStatus = (stored: PlacementStatus, reported: PlacementStatus): boolean =>
  isDeepStrictEqual(stored, JSON.parse(JSON.stringify(reported)));

/** One agent message's statuses (`applyStatusReports`). */
export interface StatusReport {
  cluster: string;
  /** The message's sequence number: a status applies only over one from an older message. */
  seq: number;
  statuses: readonly PlacementStatus[];
}

export type DecideTransition = (workload: WorkloadRow, placements: readonly PlacementRow[]) => StatusTransition;

export interface StatusOutcome {
  /** Workloads whose phase or placements changed. */
  changed: string[];
  /** Workloads that ended (Succeeded/Failed) or went back to the queue: the scheduler should run. */
  freed: string[];
  /** Some cluster's desired state changed (placements retired or deactivated): the relay should publish. */
  desiredChanged: boolean;
}

const TERMINAL = new Set(["Succeeded", "Failed"]);

/** Set a workload's phase in the caller's transaction; when it ends, its placements leave the desired state. */
const setPhaseTx = async (
  tx: Tx,
  w: WorkloadRow,
  phase: WorkloadPhase,
  message: string,
  at: Date,
  reason?: string,
): Promise<boolean> => {
  if (w.phase === phase && w.message === message) return false;
  const terminal = TERMINAL.has(phase);
  await tx
    .update(workloads)
    .set({
      phase,
      message,
      updatedAt: at,
      rv: nextRv,
      ...(phase === "Running" && !w.startedAt ? { startedAt: at } : {}),
      ...(terminal ? { finishedAt: at } : {}),
    })
    .where(eq(workloads.uid, w.uid));
  if (w.phase !== phase) {
    await recordEvent(tx, {
      uid: w.uid,
      tenant: w.tenant,
      workload: w.name,
      type: phase === "Failed" ? "Warning" : "Normal",
      reason: reason ?? phase,
      message,
      at,
    });
  }
  if (terminal) {
    const active = await tx
      .update(placements)
      .set({ active: false })
      .where(and(eq(placements.uid, w.uid), eq(placements.active, true)))
      .returning({ cluster: placements.cluster });
    await tx.delete(reservations).where(eq(reservations.uid, w.uid));
    await touchClusters(
      tx,
      active.map((a) => a.cluster),
    );
  }
  return true;
};

/** Back to the queue with every placement stopped (a restartable job whose cluster was lost or fenced). */
const requeueTx = async (tx: Tx, w: WorkloadRow, message: string, reason: string, at: Date): Promise<void> => {
  const active = await tx
    .update(placements)
    .set({ active: false })
    .where(and(eq(placements.uid, w.uid), eq(placements.active, true)))
    .returning({ cluster: placements.cluster });
  await tx.delete(reservations).where(eq(reservations.uid, w.uid));
  await tx
    .update(workloads)
    .set({ phase: "Pending", message, updatedAt: at, rv: nextRv, pool: null, poolNote: null })
    .where(eq(workloads.uid, w.uid));
  await recordEvent(tx, { uid: w.uid, tenant: w.tenant, workload: w.name, type: "Warning", reason, message, at });
  await touchClusters(
    tx,
    active.map((a) => a.cluster),
  );
};

const lockWorkload = async (tx: Tx, uid: string): Promise<WorkloadRow | undefined> =>
  (await tx.select().from(workloads).where(eq(workloads.uid, uid)).for("update"))[0];

/**
 * Placement decisions and what agents report about them: every change of a workload's placement or phase, each in
 * one transaction with its events and outbox rows. Writes only the leader may make take its epoch and are refused
 * once a newer leader exists.
 */
export const placingRepository = (db: Db) => ({
  /** Keep a decision that placed nothing, so `explain` can say why the workload waits. */
  async recordUnplaced(
    uid: string,
    decisionId: string,
    decision: Decision,
    message: string,
    at: Date,
    epoch?: number,
  ): Promise<void> {
    await db.transaction(async (tx) => {
      await assertEpoch(tx, epoch);
      const w = (await tx.select().from(workloads).where(eq(workloads.uid, uid)))[0];
      if (w?.phase !== "Pending") return;
      await tx.insert(decisions).values({
        id: decisionId,
        uid,
        tenant: w.tenant,
        workload: w.name,
        decision: storedDecision(decision),
        feasible: false,
        createdAt: at,
      });
      await tx
        .update(workloads)
        .set({ decisionId, message, updatedAt: at, rv: nextRv })
        .where(and(eq(workloads.uid, uid), eq(workloads.phase, "Pending")));
    });
  },

  /**
   * Place a workload: store the decision, its placements and reservations, mark it Placed and queue the affected
   * clusters' desired state for publishing, all in one transaction (outbox). Returns false if the workload is gone or
   * no longer in the phase this change expects (deleted or placed meanwhile).
   */
  async place(uid: string, change: PlacementChange, epoch?: number): Promise<boolean> {
    return (await this.placeMany([{ uid, change }], epoch)).has(uid);
  },

  /**
   * Several placements in one transaction, as `place` makes each: one epoch check, the workloads locked in uid order
   * (as every other writer locks them), one revision bump and outbox row per cluster touched, one commit. A pass of
   * dozens of placements was as many transactions, ~15 round trips and a commit each; this is the pass's critical
   * path between deciding and the agents hearing of it. Returns the uids placed (the others were gone or had
   * moved on). All or nothing: on an error none is placed, and the next pass decides them again.
   */
  async placeMany(items: readonly { uid: string; change: PlacementChange }[], epoch?: number): Promise<Set<string>> {
    const placed = new Set<string>();
    if (items.length === 0) return placed;
    return db.transaction(async (tx) => {
      await assertEpoch(tx, epoch);
      const uids = [...new Set(items.map((i) => i.uid))].sort();
      // The workloads locked in uid order, each with the clusters it is active in: one round trip.
      const locked = await tx
        .select({
          ...workloadColumns,
          // Spelt out: in a select list drizzle writes a column without its table, which here would be the
          // subquery's own "uid" (every workload would seem active wherever any is).
          activeClusters: sql<string[]>`coalesce((select array_agg(p.cluster) from ${placements} p
            where p.uid = "workloads"."uid" and p.active), '{}')`,
        })
        .from(workloads)
        .where(inArray(workloads.uid, uids))
        .orderBy(asc(workloads.uid))
        .for("update", { of: workloads });
      const byUid = new Map(locked.map(({ activeClusters, ...w }) => [w.uid, w as WorkloadRow]));
      const previousOf = new Map(locked.map((w) => [w.uid, w.activeClusters]));
      // What each placement changes, decided for all first, then written as one statement.
      const plans: PlacementPlan[] = [];
      for (const { uid, change } of items) {
        // A uid twice in one call: only its first change can find the workload in the phase it expects.
        if (placed.has(uid)) continue;
        const w = byUid.get(uid);
        const expected = change.keepOld || change.restart ? "Running" : "Pending";
        if (!w || w.phase !== expected) continue;
        placed.add(uid);
        // A service failing over is Pending with its surviving placements still serving: they drain like drain-back.
        const keepOld = change.keepOld === true || (expected === "Pending" && (previousOf.get(uid) ?? []).length > 0);
        plans.push({ w, change, keepOld, generation: w.generation + 1 });
      }
      if (plans.length === 0) return placed;
      await tx.execute(placementWrites(tx, plans, previousOf));
      return placed;
    });
  },

  /**
   * Apply an autoscaling pass to a running service, in one transaction: per cluster, resize its placement in place
   * (same generation: agents keep the replicas that run), add one, or retire it; store `status.autoscaling`; record
   * one event per change; queue the clusters whose desired state changed. Returns those clusters, or undefined when
   * the workload is gone or no longer running.
   */
  async scale(uid: string, change: ScaleChange, epoch?: number): Promise<string[] | undefined> {
    return db.transaction(async (tx) => {
      await assertEpoch(tx, epoch);
      const w = await lockWorkload(tx, uid);
      if (w?.phase !== "Running" || !w.decisionId) return undefined;
      const rows = await tx.select().from(placements).where(eq(placements.uid, uid));
      const touched: string[] = [];
      for (const t of change.targets) {
        const row = rows.find((r) => r.cluster === t.cluster);
        const active = row?.active === true && row.generation === w.generation;
        if (t.replicas === 0) {
          if (!active) continue;
          await tx
            .update(placements)
            .set({ active: false })
            .where(and(eq(placements.uid, uid), eq(placements.cluster, t.cluster)));
          touched.push(t.cluster);
        } else if (active) {
          if (row.replicas === t.replicas && sameRouting(row.routing, t.routing)) continue;
          await tx
            .update(placements)
            .set({ replicas: t.replicas, routing: t.routing })
            .where(and(eq(placements.uid, uid), eq(placements.cluster, t.cluster)));
          touched.push(t.cluster);
        } else {
          if (row) await tx.delete(placements).where(and(eq(placements.uid, uid), eq(placements.cluster, t.cluster)));
          await tx.insert(placements).values({
            uid,
            cluster: t.cluster,
            tenant: w.tenant,
            workload: w.name,
            replicas: t.replicas,
            generation: w.generation,
            decisionId: w.decisionId,
            spot: t.spot,
            gpuModel: t.gpuModel ?? null,
            pricePerGpuHour: t.pricePerGpuHour,
            routing: t.routing,
            gpusPerReplica: w.manifest.spec.resources.gpu.count,
            pool: w.pool,
            policy: w.policy,
            createdAt: change.at,
          });
          touched.push(t.cluster);
        }
      }
      await tx
        .update(workloads)
        .set({ autoscaling: change.status, updatedAt: change.at, rv: nextRv })
        .where(eq(workloads.uid, uid));
      for (const e of change.events) {
        await recordEvent(tx, {
          uid,
          tenant: w.tenant,
          workload: w.name,
          reason: e.reason,
          message: e.message,
          at: change.at,
        });
      }
      await touchClusters(tx, touched);
      return touched;
    });
  },

  /** After a drain-back or failover, retire the placements of older generations once the new ones run. */
  async retireOld(uid: string, generation: number): Promise<string[]> {
    return db.transaction(async (tx) => {
      const retired = await tx
        .update(placements)
        .set({ active: false })
        .where(and(eq(placements.uid, uid), eq(placements.active, true), lt(placements.generation, generation)))
        .returning({ cluster: placements.cluster });
      await touchClusters(
        tx,
        retired.map((r) => r.cluster),
      );
      return retired.map((r) => r.cluster);
    });
  },

  /** Set a workload's phase (runaway guard, failover); when it ends, its placements leave the desired state. */
  async setPhase(
    uid: string,
    phase: WorkloadPhase,
    message: string,
    at: Date,
    options: { reason?: string; epoch?: number } = {},
  ): Promise<void> {
    await db.transaction(async (tx) => {
      await assertEpoch(tx, options.epoch);
      const w = await lockWorkload(tx, uid);
      if (!w || TERMINAL.has(w.phase)) return;
      await setPhaseTx(tx, w, phase, message, at, options.reason);
    });
  },

  /**
   * A cluster was lost (offline past the failover time). `requeue`: back to the queue — a restartable job with every
   * copy stopped, a service with its other placements still serving; `fail`: a job that must not run twice fails.
   */
  async failover(
    uid: string,
    lost: readonly string[],
    action: "requeue" | "fail",
    message: string,
    at: Date,
    epoch?: number,
  ): Promise<boolean> {
    return db.transaction(async (tx) => {
      await assertEpoch(tx, epoch);
      const w = await lockWorkload(tx, uid);
      if (!w || TERMINAL.has(w.phase) || w.phase === "Pending") return false;
      if (action === "fail") return setPhaseTx(tx, w, "Failed", message, at, "ClusterLost");
      if (w.manifest.spec.type === "job") {
        await requeueTx(tx, w, message, "FailedOver", at);
        return true;
      }
      const gone = await tx
        .update(placements)
        .set({ active: false })
        .where(and(eq(placements.uid, uid), eq(placements.active, true), inArray(placements.cluster, [...lost])))
        .returning({ cluster: placements.cluster });
      await tx.delete(reservations).where(and(eq(reservations.uid, uid), inArray(reservations.cluster, [...lost])));
      await tx
        .update(workloads)
        .set({ phase: "Pending", message, updatedAt: at, rv: nextRv })
        .where(eq(workloads.uid, uid));
      await recordEvent(tx, {
        uid,
        tenant: w.tenant,
        workload: w.name,
        type: "Warning",
        reason: "FailedOver",
        message,
        at,
      });
      await touchClusters(
        tx,
        gone.map((g) => g.cluster),
      );
      return true;
    });
  },

  /** Set a pending workload's message (why it waits) without a new decision. */
  async setPendingMessage(uid: string, message: string, at: Date): Promise<void> {
    await db
      .update(workloads)
      .set({ message, updatedAt: at, rv: nextRv })
      .where(and(eq(workloads.uid, uid), eq(workloads.phase, "Pending"), ne(workloads.message, message)));
  },

  /** Set aside a workload whose decision failed, with the reason; the others go on. */
  async quarantine(uid: string, reason: string, at: Date): Promise<void> {
    await db.transaction(async (tx) => {
      const w = await lockWorkload(tx, uid);
      if (!w || w.quarantine !== null) return;
      await tx
        .update(workloads)
        .set({ quarantine: reason, message: `quarantined: ${reason}`, updatedAt: at, rv: nextRv })
        .where(eq(workloads.uid, uid));
      await recordEvent(tx, {
        uid,
        tenant: w.tenant,
        workload: w.name,
        type: "Warning",
        reason: "Quarantined",
        message: reason,
        at,
      });
    });
  },

  /**
   * Apply one agent message's statuses: each is recorded only if it is about the placement's current generation in
   * this cluster and comes from a newer message than the status it replaces (`seq`), so reports apply in order and a
   * late or replayed one changes nothing. Each touched workload is locked and its phase recomputed by `decide` in the
   * same transaction, so two clusters reporting on one split workload never lose an update.
   */
  async applyStatuses(
    cluster: string,
    seq: number,
    statuses: readonly PlacementStatus[],
    at: Date,
    decide: DecideTransition,
  ): Promise<StatusOutcome> {
    const [outcome] = await this.applyStatusReports([{ cluster, seq, statuses }], at, decide);
    return outcome ?? { changed: [], freed: [], desiredChanged: false };
  },

  /**
   * Several agents' reports in one transaction, as `applyStatuses` applies one (the reports in the order given; a
   * cluster's later report after its earlier one). At 10,000 clusters a burst of placements brings hundreds of status
   * reports a second, and a transaction of ~10 statements each queued them behind each other and behind the pass's
   * writes; here a batch is a fixed handful of statements plus two per workload whose phase changes. Returns one
   * outcome per report: a workload's transition counts for the last report that touched it.
   */
  async applyStatusReports(
    reports: readonly StatusReport[],
    at: Date,
    decide: DecideTransition,
  ): Promise<StatusOutcome[]> {
    const outcomes: StatusOutcome[] = reports.map(() => ({ changed: [], freed: [], desiredChanged: false }));
    const pairs = new Map<string, { uid: string; cluster: string }>();
    for (const r of reports)
      for (const s of r.statuses) pairs.set(`${s.uid}\0${r.cluster}`, { uid: s.uid, cluster: r.cluster });
    if (pairs.size === 0) return outcomes;
    await db.transaction(async (tx) => {
      // Lock the workloads first, in one order, then their placements (as every other writer does): otherwise two
      // clusters reporting on one split workload each hold their own placement while waiting for the workload, and
      // the first to end it deadlocks on the other's placement.
      const uids = [...new Set([...pairs.values()].map((p) => p.uid))].sort();
      await tx
        .select({ uid: workloads.uid })
        .from(workloads)
        .where(inArray(workloads.uid, uids))
        .orderBy(asc(workloads.uid))
        .for("update");
      const reported = await tx
        .select({
          uid: placements.uid,
          cluster: placements.cluster,
          generation: placements.generation,
          statusSeq: placements.statusSeq,
          status: placements.status,
        })
        .from(placements)
        .where(
          sql`(${placements.uid}, ${placements.cluster}) in (${sql.join(
            [...pairs.values()].map((p) => sql`(${p.uid}, ${p.cluster})`),
            sql`, `,
          )})`,
        )
        .orderBy(asc(placements.uid), asc(placements.cluster))
        .for("update");
      const current = new Map(reported.map((p) => [`${p.uid}\0${p.cluster}`, p]));
      /** Per placement, the newest status to write; per workload, who touched it last and its Applied events. */
      const writes = new Map<string, { uid: string; cluster: string; status: PlacementStatus; seq: number }>();
      const touchedBy = new Map<string, number>();
      /** Placements reporting their generation for the first time: an "Applied" event each. */
      const applied: { uid: string; cluster: string }[] = [];
      reports.forEach((r, i) => {
        for (const s of r.statuses) {
          const key = `${s.uid}\0${r.cluster}`;
          const before = current.get(key);
          if (!before || before.generation !== s.generation || before.statusSeq >= r.seq) continue;
          if (before.status === null || before.status.generation !== s.generation) {
            applied.push({ uid: s.uid, cluster: r.cluster });
          }
          // A status the placement already has (every full report repeats them) only moves its sequence number on,
          // so older reports stay refused. It is no change of the workload: no new resource version for watchers,
          // no transition to decide. With 10,000 running placements that was 333 workload rewrites a second.
          const same = before.status !== null && sameStatus(before.status, s);
          // What a later report in this batch compares with.
          before.status = s;
          before.statusSeq = r.seq;
          writes.set(key, { uid: s.uid, cluster: r.cluster, status: s, seq: r.seq });
          if (same) continue;
          touchedBy.delete(s.uid);
          touchedBy.set(s.uid, i);
        }
      });
      if (writes.size === 0) return;
      const rows = sql.join(
        [...writes.values()].map(
          (w) => sql`(${w.uid}, ${w.cluster}, ${JSON.stringify(w.status)}::jsonb, ${w.seq}::bigint)`,
        ),
        sql`, `,
      );
      await tx.execute(
        sql`update ${placements} p set status = v.status, status_seq = v.seq, missing_since = null
            from (values ${rows}) as v(uid, cluster, status, seq) where p.uid = v.uid and p.cluster = v.cluster`,
      );
      const touched = [...touchedBy.keys()];
      if (touched.length === 0) return;
      // A watcher sees a placement's progress (ready replicas) as a change of its workload.
      const fresh = await tx.update(workloads).set({ rv: nextRv }).where(inArray(workloads.uid, touched)).returning();
      const byUid = new Map(fresh.map((w) => [w.uid, w]));
      const events = applied.flatMap(({ uid, cluster }): EventInput[] => {
        const w = byUid.get(uid);
        if (!w || TERMINAL.has(w.phase)) return [];
        const message = `applied in ${cluster} (generation ${w.generation})`;
        return [{ uid, tenant: w.tenant, workload: w.name, cluster, reason: "Applied", message, at }];
      });
      await recordEvents(tx, events);
      const all = await tx.select().from(placements).where(inArray(placements.uid, touched));
      const placementsOf = new Map<string, PlacementRow[]>();
      for (const p of all) {
        const list = placementsOf.get(p.uid);
        if (list) list.push(p);
        else placementsOf.set(p.uid, [p]);
      }
      for (const [uid, i] of touchedBy) {
        const w = byUid.get(uid);
        if (!w || TERMINAL.has(w.phase)) continue;
        const outcome = outcomes[i]!;
        const t = decide(w, placementsOf.get(uid) ?? []);
        if (t.kind === "none") continue;
        outcome.changed.push(uid);
        if (t.kind === "phase") {
          await setPhaseTx(tx, w, t.phase, t.message, at, t.reason);
          if (TERMINAL.has(t.phase)) {
            outcome.freed.push(uid);
            outcome.desiredChanged = true;
          }
        } else if (t.kind === "retire-old") {
          const retired = await tx
            .update(placements)
            .set({ active: false })
            .where(and(eq(placements.uid, uid), eq(placements.active, true), lt(placements.generation, w.generation)))
            .returning({ cluster: placements.cluster });
          await touchClusters(
            tx,
            retired.map((r) => r.cluster),
          );
          await setPhaseTx(tx, w, "Running", t.message, at);
          outcome.desiredChanged = true;
        } else {
          await requeueTx(tx, w, t.message, t.reason, at);
          outcome.freed.push(uid);
          outcome.desiredChanged = true;
        }
      }
    });
    return outcomes;
  },

  /**
   * A full report from `cluster` did not list these active placements: mark them missing (since `at`), record why
   * and queue the cluster's desired state again so its agent re-applies them; clear the mark on the ones it listed.
   */
  async markMissing(cluster: string, missing: readonly string[], listed: readonly string[], at: Date): Promise<void> {
    // Every cluster sends a full report every 30 s, and nearly always nothing is missing and nothing was: at 10,000
    // clusters a transaction per report was hundreds of empty BEGIN/COMMITs a second. Then one statement, which is
    // atomic on its own, clears only placements that were marked missing (usually none).
    if (missing.length === 0) {
      if (listed.length === 0) return;
      await db
        .update(placements)
        .set({ missingSince: null })
        .where(
          and(
            eq(placements.cluster, cluster),
            inArray(placements.uid, [...listed]),
            isNotNull(placements.missingSince),
          ),
        );
      return;
    }
    await db.transaction(async (tx) => {
      if (missing.length > 0) {
        const rows = await tx
          .update(placements)
          .set({ missingSince: at })
          .where(
            and(
              eq(placements.cluster, cluster),
              eq(placements.active, true),
              inArray(placements.uid, [...missing]),
              // Only placements the agent had reported before can go missing; a new one may not be applied yet.
              ne(placements.statusSeq, 0),
              isNull(placements.missingSince),
            ),
          )
          .returning({ uid: placements.uid, tenant: placements.tenant, workload: placements.workload });
        for (const r of rows) {
          await recordEvent(tx, {
            uid: r.uid,
            tenant: r.tenant,
            workload: r.workload,
            cluster,
            type: "Warning",
            reason: "Missing",
            message: `${cluster} no longer reports it (agent restarted empty, or its objects were deleted); re-applying`,
            at,
          });
        }
        if (rows.length > 0) await touchClusters(tx, [cluster]);
      }
      if (listed.length > 0) {
        await tx
          .update(placements)
          .set({ missingSince: null })
          .where(and(eq(placements.cluster, cluster), inArray(placements.uid, [...listed])));
      }
    });
  },
});
export type PlacingRepository = ReturnType<typeof placingRepository>;
