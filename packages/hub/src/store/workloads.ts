import { randomUUID } from "node:crypto";
import type { Decision, Placement, Reservation, Workload, WorkloadPhase } from "@gantry/shared";
import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, or, type SQL, sql } from "drizzle-orm";
import { HubError, notFound } from "../errors.ts";
import { hashOf } from "../util/canonical.ts";
import { type AuditEntry, recordAudit } from "./audit.ts";
import type { Db } from "./db.ts";
import {
  clusters,
  decisions,
  type EventRow,
  events,
  type PlacementRow,
  placements,
  reservations,
  type WorkloadRow,
  workloads,
  workloadTombstones,
} from "./schema.ts";
import { submissionWriter } from "./submissions.ts";
import { nextRv, recordEvent, touchClusters } from "./tx.ts";

/** A cluster's desired state as stored: the placements and the revision (within its origin) they are at. */
export interface StoredDesiredState {
  origin: string;
  revision: number;
  placements: Placement[];
}

export interface WorkloadWithPlacements extends WorkloadRow {
  placements: PlacementRow[];
}

/** Where a page of a list starts: after this tenant and name (lists are ordered by tenant, then name). */
export interface ListCursor {
  tenant: string;
  name: string;
}

export interface ListFilter {
  /** Tenants the caller may see; undefined means all. */
  tenants?: readonly string[];
  phase?: WorkloadPhase;
  /** A SQL condition on the workload row (label selectors compile to one). */
  where?: SQL;
  limit: number;
  after?: ListCursor;
}

/** A change a watcher sees: a workload as it is now, or the fact that it was deleted. */
export type WorkloadChange =
  | { type: "upsert"; rv: number; workload: WorkloadWithPlacements }
  | { type: "deleted"; rv: number; tenant: string; name: string; uid: string };

/** The part of a workload that decides whether a resubmission is the same request. */
export const specHashOf = (w: Workload): string =>
  hashOf({ metadata: { name: w.metadata.name, tenant: w.metadata.tenant, labels: w.metadata.labels }, spec: w.spec });

/** The fields that differ between two manifests: `spec.<key>` for each top-level spec key, and metadata maps. */
export const changedFields = (before: Workload, after: Workload): string[] => {
  const same = (a: unknown, b: unknown) => hashOf(a ?? null) === hashOf(b ?? null);
  const fields: string[] = [];
  for (const key of ["labels", "annotations"] as const) {
    if (!same(before.metadata[key], after.metadata[key])) fields.push(`metadata.${key}`);
  }
  const keys = new Set([...Object.keys(before.spec), ...Object.keys(after.spec)]);
  for (const key of [...keys].sort()) {
    if (!same((before.spec as Record<string, unknown>)[key], (after.spec as Record<string, unknown>)[key])) {
      fields.push(`spec.${key}`);
    }
  }
  return fields;
};

const withPlacements = async (db: Db, rows: WorkloadRow[]): Promise<WorkloadWithPlacements[]> => {
  if (rows.length === 0) return [];
  const ps = await db
    .select()
    .from(placements)
    .where(
      inArray(
        placements.uid,
        rows.map((r) => r.uid),
      ),
    )
    .orderBy(asc(placements.cluster));
  const by = new Map<string, PlacementRow[]>();
  for (const p of ps) {
    const list = by.get(p.uid);
    if (list) list.push(p);
    else by.set(p.uid, [p]);
  }
  return rows.map((r) => ({ ...r, placements: by.get(r.uid) ?? [] }));
};

/** Active placements summed per tenant, policy and pool (`activeUsage`). */
export interface ActiveUsage {
  tenant: string;
  policy: string | null;
  pool: string | null;
  /** GPUs held: replicas × GPUs per replica. */
  gpus: number;
  /** Those GPUs' hourly price. */
  spendPerHour: number;
}

const writers = new WeakMap<Db, ReturnType<typeof submissionWriter>>();
const writerFor = (db: Db) => {
  let w = writers.get(db);
  if (!w) {
    w = submissionWriter(db);
    writers.set(db, w);
  }
  return w;
};

/** Workloads, named within their tenant: submission, lists, the queue, deletion and each cluster's desired state. */
export const workloadRepository = (db: Db) => ({
  /**
   * Accept a new workload as Pending. Submitting the same spec again (a retry) returns the stored workload with
   * `created: false`; a different spec under the same name, or an idempotency key reused for another request, is a
   * conflict.
   */
  async create(
    workload: Workload,
    at: Date,
    options: { idempotencyKey?: string; audit?: AuditEntry } = {},
  ): Promise<{ row: WorkloadRow; created: boolean }> {
    const { tenant, name } = workload.metadata;
    const specHash = specHashOf(workload);
    const key = options.idempotencyKey;
    if (key !== undefined) {
      const prior = (
        await db
          .select()
          .from(workloads)
          .where(and(eq(workloads.tenant, tenant), eq(workloads.idempotencyKey, key)))
      )[0];
      if (prior) {
        if (prior.specHash === specHash && prior.name === name) return { row: prior, created: false };
        throw new HubError(
          "conflict",
          `Idempotency-Key ${JSON.stringify(key)} was already used for another request (workload ${prior.name})`,
        );
      }
    }
    const inserted = await writerFor(db)({
      values: {
        uid: randomUUID(),
        tenant,
        name,
        manifest: workload,
        specHash,
        idempotencyKey: key ?? null,
        phase: "Pending",
        message: "waiting for a placement decision",
        priority: workload.spec.priority,
        createdAt: at,
        updatedAt: at,
      },
      ...(options.audit ? { audit: options.audit } : {}),
    });
    if (inserted) return { row: inserted, created: true };
    const existing = (
      await db
        .select()
        .from(workloads)
        .where(and(eq(workloads.tenant, tenant), eq(workloads.name, name)))
    )[0];
    if (existing && existing.specHash === specHash && (key === undefined || existing.idempotencyKey === key)) {
      return { row: existing, created: false };
    }
    throw new HubError(
      "conflict",
      `workload ${JSON.stringify(name)} already exists in tenant ${tenant} with a different spec`,
    );
  },

  /**
   * Apply a workload (`gantry apply`): a new name is created; the same spec is unchanged; labels and annotations
   * change at any phase; a different spec replaces the stored one only while the workload waits in the queue with no
   * active placement (the next pass places the new spec). A spec change to placed or finished work is a conflict
   * naming the fields: the hub cannot move running work to a new spec in place.
   */
  async apply(
    workload: Workload,
    at: Date,
    options: { audit?: AuditEntry } = {},
  ): Promise<{ row: WorkloadRow; result: "created" | "unchanged" | "configured" }> {
    const { tenant, name } = workload.metadata;
    const existing = (
      await db
        .select()
        .from(workloads)
        .where(and(eq(workloads.tenant, tenant), eq(workloads.name, name)))
    )[0];
    if (!existing) {
      const { row, created } = await this.create(workload, at, options);
      return { row, result: created ? "created" : "unchanged" };
    }
    const changed = changedFields(existing.manifest, workload);
    if (changed.length === 0) return { row: existing, result: "unchanged" };
    const specChanged = changed.filter((f) => f.startsWith("spec"));
    return db.transaction(async (tx) => {
      const row = (
        await tx
          .select()
          .from(workloads)
          .where(and(eq(workloads.tenant, tenant), eq(workloads.name, name)))
          .for("update")
      )[0];
      if (!row) throw notFound("workload", `${tenant}/${name}`);
      const active = await tx
        .select({ cluster: placements.cluster })
        .from(placements)
        .where(and(eq(placements.uid, row.uid), eq(placements.active, true)));
      if (specChanged.length > 0 && (row.phase !== "Pending" || active.length > 0)) {
        const where = active.length > 0 ? ` on ${active.map((a) => a.cluster).join(", ")}` : "";
        throw new HubError(
          "conflict",
          `workload ${name} is ${row.phase}${where}: a change to ${specChanged.join(", ")} cannot be applied to placed or finished work; delete it and submit it again, or submit the new spec under another name`,
          { fields: specChanged, phase: row.phase },
        );
      }
      const updated = (
        await tx
          .update(workloads)
          .set({
            manifest: workload,
            specHash: specHashOf(workload),
            priority: workload.spec.priority,
            updatedAt: at,
            rv: nextRv,
            ...(specChanged.length > 0 ? { quarantine: null, message: "waiting for a placement decision" } : {}),
          })
          .where(eq(workloads.uid, row.uid))
          .returning()
      )[0];
      if (specChanged.length > 0) await tx.delete(reservations).where(eq(reservations.uid, row.uid));
      await recordEvent(tx, {
        uid: row.uid,
        tenant,
        workload: name,
        reason: "Updated",
        message: `applied a change to ${changed.join(", ")}${specChanged.length > 0 ? "; it is placed with the new spec" : ""}`,
        at,
      });
      if (options.audit) await recordAudit(tx, options.audit);
      return { row: updated ?? row, result: "configured" as const };
    });
  },

  async get(tenant: string, name: string): Promise<WorkloadWithPlacements | undefined> {
    const rows = await db
      .select()
      .from(workloads)
      .where(and(eq(workloads.tenant, tenant), eq(workloads.name, name)));
    return (await withPlacements(db, rows))[0];
  },

  /** Every workload of this name among `tenants` (all when undefined): a name is unique only within a tenant. */
  async findByName(name: string, tenants: readonly string[] | undefined): Promise<WorkloadRow[]> {
    if (tenants !== undefined && tenants.length === 0) return [];
    return db
      .select()
      .from(workloads)
      .where(and(eq(workloads.name, name), tenants === undefined ? undefined : inArray(workloads.tenant, [...tenants])))
      .orderBy(asc(workloads.tenant))
      .limit(20);
  },

  async getByUid(uid: string): Promise<WorkloadWithPlacements | undefined> {
    const rows = await db.select().from(workloads).where(eq(workloads.uid, uid));
    return (await withPlacements(db, rows))[0];
  },

  /** One page, ordered by tenant then name; `next` is where the following page starts. */
  async list(filter: ListFilter): Promise<{ items: WorkloadWithPlacements[]; next?: ListCursor }> {
    const conditions: SQL[] = [];
    if (filter.tenants !== undefined) {
      if (filter.tenants.length === 0) return { items: [] };
      conditions.push(inArray(workloads.tenant, [...filter.tenants]));
    }
    if (filter.phase) conditions.push(eq(workloads.phase, filter.phase));
    if (filter.where) conditions.push(filter.where);
    const after = filter.after;
    // A row comparison, which the (tenant, name) index answers as a range: the same condition spelt with OR is a
    // filter the index scan applies row by row, so page k of a list read (and threw away) k pages first.
    if (after) conditions.push(sql`(${workloads.tenant}, ${workloads.name}) > (${after.tenant}, ${after.name})`);
    const rows = await db
      .select()
      .from(workloads)
      .where(conditions.length ? and(...conditions) : undefined)
      .orderBy(asc(workloads.tenant), asc(workloads.name))
      .limit(filter.limit + 1);
    const page = rows.slice(0, filter.limit);
    const last = page.at(-1);
    const items = await withPlacements(db, page);
    return rows.length > filter.limit && last ? { items, next: { tenant: last.tenant, name: last.name } } : { items };
  },

  /** How many workloads match (for list metadata), without loading them. */
  async count(filter: Omit<ListFilter, "limit" | "after">): Promise<number> {
    const conditions: SQL[] = [];
    if (filter.tenants !== undefined) {
      if (filter.tenants.length === 0) return 0;
      conditions.push(inArray(workloads.tenant, [...filter.tenants]));
    }
    if (filter.phase) conditions.push(eq(workloads.phase, filter.phase));
    if (filter.where) conditions.push(filter.where);
    const r = await db
      .select({ n: sql<number>`count(*)` })
      .from(workloads)
      .where(conditions.length ? and(...conditions) : undefined);
    return Number(r[0]?.n ?? 0);
  },

  /** When the longest-waiting pending workload was submitted (undefined when nothing waits). */
  async oldestPending(): Promise<Date | undefined> {
    const r = await db
      .select({ at: sql<string | Date | null>`min(${workloads.createdAt})` })
      .from(workloads)
      .where(eq(workloads.phase, "Pending"));
    const at = r[0]?.at;
    return at ? new Date(at) : undefined;
  },

  /** How many workloads are in each phase (phases with none are absent). */
  async countByPhase(): Promise<Record<string, number>> {
    const rows = await db
      .select({ phase: workloads.phase, n: sql<number>`count(*)` })
      .from(workloads)
      .groupBy(workloads.phase);
    return Object.fromEntries(rows.map((r) => [r.phase, Number(r.n)]));
  },

  /**
   * Changes a watcher has not seen: everything after resource version `after` (oldest first, at most `limit`) and
   * the rows at the versions in `late` (versions it skipped that may have committed late), or, with `exactly`, only
   * the rows at those versions. A watch asks for both at once: on a busy hub it polls tens of times a second.
   */
  async changes(
    versions: { after: number; limit: number; late?: readonly number[] } | { exactly: readonly number[] },
    tenants: readonly string[] | undefined,
    where?: SQL,
  ): Promise<WorkloadChange[]> {
    if (tenants !== undefined && tenants.length === 0) return [];
    if ("exactly" in versions && versions.exactly.length === 0) return [];
    const scope = tenants === undefined ? undefined : inArray(workloads.tenant, [...tenants]);
    const tombScope = tenants === undefined ? undefined : inArray(workloadTombstones.tenant, [...tenants]);
    const late = "after" in versions ? (versions.late ?? []) : [];
    const limit = "limit" in versions ? versions.limit + late.length : versions.exactly.length;
    const rvCond =
      "after" in versions
        ? late.length > 0
          ? or(gt(workloads.rv, versions.after), inArray(workloads.rv, [...late]))
          : gt(workloads.rv, versions.after)
        : inArray(workloads.rv, [...versions.exactly]);
    const tombCond =
      "after" in versions
        ? late.length > 0
          ? or(gt(workloadTombstones.rv, versions.after), inArray(workloadTombstones.rv, [...late]))
          : gt(workloadTombstones.rv, versions.after)
        : inArray(workloadTombstones.rv, [...versions.exactly]);
    const rows = await db
      .select()
      .from(workloads)
      .where(and(rvCond, scope, where))
      .orderBy(asc(workloads.rv))
      .limit(limit);
    const gone = await db
      .select()
      .from(workloadTombstones)
      .where(and(tombCond, tombScope))
      .orderBy(asc(workloadTombstones.rv))
      .limit(limit);
    const upserts: WorkloadChange[] = (await withPlacements(db, rows)).map((w) => ({
      type: "upsert",
      rv: w.rv,
      workload: w,
    }));
    const deletions: WorkloadChange[] = gone.map((t) => ({
      type: "deleted",
      rv: t.rv,
      tenant: t.tenant,
      name: t.name,
      uid: t.uid,
    }));
    return [...upserts, ...deletions].sort((a, b) => a.rv - b.rv).slice(0, limit);
  },

  /** The highest resource version handed out so far (a watch with no version starts here). */
  async currentRv(): Promise<number> {
    const r = await db.execute(sql`select last_value as v, is_called from gantry_rv`);
    const row = (r as unknown as { rows: { v: string | number; is_called: boolean }[] }).rows[0];
    return row ? (row.is_called ? Number(row.v) : 0) : 0;
  },

  /** Pending workloads in queue order (priority, then age); quarantined ones wait for a change. */
  pending(): Promise<WorkloadRow[]> {
    return db
      .select()
      .from(workloads)
      .where(and(eq(workloads.phase, "Pending"), isNull(workloads.quarantine)))
      .orderBy(desc(workloads.priority), asc(workloads.createdAt), asc(workloads.name));
  },

  /** Remove a workload; its clusters get a desired state without it, so agents delete it. */
  async delete(tenant: string, name: string, at: Date, audit?: AuditEntry): Promise<string> {
    return db.transaction(async (tx) => {
      const row = (
        await tx
          .select({ uid: workloads.uid })
          .from(workloads)
          .where(and(eq(workloads.tenant, tenant), eq(workloads.name, name)))
          .for("update")
      )[0];
      if (!row) throw notFound("workload", name);
      const { uid } = row;
      // Every cluster that had a placement, active or not, re-syncs: an inactive one may still be draining there.
      const had = await tx.select({ cluster: placements.cluster }).from(placements).where(eq(placements.uid, uid));
      await tx.delete(workloads).where(eq(workloads.uid, uid));
      await tx.delete(reservations).where(eq(reservations.uid, uid));
      await tx.insert(workloadTombstones).values({ uid, tenant, name, rv: sql`${nextRv}`, deletedAt: at });
      if (audit) await recordAudit(tx, audit);
      await touchClusters(
        tx,
        had.map((a) => a.cluster),
      );
      return uid;
    });
  },

  /**
   * Running workloads under one of `policies` in a pool (drain-back's candidates). Only those: a fleet's running
   * work is mostly not bursting, and reading every running row with its manifest every tick grows with the fleet.
   */
  runningUnder(policies: readonly string[]): Promise<WorkloadRow[]> {
    if (policies.length === 0) return Promise.resolve([]);
    return db
      .select()
      .from(workloads)
      .where(and(eq(workloads.phase, "Running"), inArray(workloads.policy, [...policies]), isNotNull(workloads.pool)))
      .orderBy(asc(workloads.uid));
  },

  /**
   * Running services, and whether each autoscales (the autoscaler's round, every 2 s): the filter runs in the
   * database, so a fleet of 10,000 running jobs costs an index scan, not 10,000 manifests parsed on the event loop.
   */
  async runningServices(): Promise<{ uid: string; tenant: string; name: string; autoscaled: boolean }[]> {
    const rows = await db
      .select({
        uid: workloads.uid,
        tenant: workloads.tenant,
        name: workloads.name,
        autoscaled: sql<boolean>`(${workloads.manifest} #> '{spec,autoscaling}') is not null`,
      })
      .from(workloads)
      .where(and(eq(workloads.phase, "Running"), sql`${workloads.manifest} #>> '{spec,type}' = 'service'`))
      .orderBy(asc(workloads.uid));
    return rows.map((r) => ({ ...r, autoscaled: r.autoscaled === true }));
  },

  /**
   * Running workloads that have run longer than their `maxRuntimeHours` (or `defaultHours` when they name none) at
   * `now`: the runaway guard's candidates, found by the database (the caller decides on each again).
   */
  async pastRuntime(
    now: Date,
    defaultHours: number | undefined,
  ): Promise<{ uid: string; tenant: string; name: string; startedAt: Date; limitHours: number }[]> {
    const limit = sql`coalesce((${workloads.manifest} #>> '{spec,maxRuntimeHours}')::float8, ${defaultHours ?? null}::float8)`;
    const rows = await db
      .select({
        uid: workloads.uid,
        tenant: workloads.tenant,
        name: workloads.name,
        startedAt: workloads.startedAt,
        limitHours: limit.mapWith(Number),
      })
      .from(workloads)
      .where(
        and(
          eq(workloads.phase, "Running"),
          isNotNull(workloads.startedAt),
          sql`extract(epoch from (${now.toISOString()}::timestamptz - ${workloads.startedAt})) > ${limit} * 3600`,
        ),
      )
      .orderBy(asc(workloads.uid));
    return rows.flatMap((r) => (r.startedAt ? [{ ...r, startedAt: r.startedAt }] : []));
  },

  /** Every active placement with its workload's tenant, type and spec: usage, burst caps, drain-back, failover. */
  /** Active placements with their workloads' phase and manifest; only those in `clusters` when given. */
  async active(
    clusters?: readonly string[],
  ): Promise<(PlacementRow & { workloadPhase: string; manifest: Workload; workloadGeneration: number })[]> {
    if (clusters?.length === 0) return [];
    const rows = await db
      .select({ p: placements, w: workloads })
      .from(placements)
      .innerJoin(workloads, eq(workloads.uid, placements.uid))
      .where(and(eq(placements.active, true), clusters ? inArray(placements.cluster, [...clusters]) : undefined))
      .orderBy(asc(placements.uid), asc(placements.cluster));
    return rows.map(({ p, w }) => ({
      ...p,
      workloadPhase: w.phase,
      manifest: w.manifest,
      workloadGeneration: w.generation,
    }));
  },

  /** The clusters that hold at least one active placement (failover looks only at the silent ones among them). */
  async activeClusters(): Promise<string[]> {
    const rows = await db
      .selectDistinct({ cluster: placements.cluster })
      .from(placements)
      .where(eq(placements.active, true));
    return rows.map((r) => r.cluster);
  },

  /**
   * What active placements add up to, per tenant, policy and pool: GPUs and their hourly price. A scheduling pass
   * needs only these sums (fair share, burst caps), so it reads a few grouped rows instead of every active placement
   * with its manifest — the difference between a pass that stays cheap and one that grows with the fleet's work.
   */
  async activeUsage(): Promise<ActiveUsage[]> {
    const rows = await db
      .select({
        tenant: placements.tenant,
        policy: placements.policy,
        pool: placements.pool,
        gpus: sql<number>`sum(${placements.replicas} * ${placements.gpusPerReplica})::float8`,
        spendPerHour: sql<number>`sum(${placements.replicas} * ${placements.gpusPerReplica} * ${placements.pricePerGpuHour})::float8`,
      })
      .from(placements)
      .where(eq(placements.active, true))
      .groupBy(placements.tenant, placements.policy, placements.pool)
      .orderBy(asc(placements.tenant), asc(placements.policy), asc(placements.pool));
    return rows.map((r) => ({ ...r, gpus: Number(r.gpus), spendPerHour: Number(r.spendPerHour) }));
  },

  async decision(id: string): Promise<Decision | undefined> {
    const rows = await db.select().from(decisions).where(eq(decisions.id, id));
    return rows[0]?.decision;
  },

  /** The full desired state of one cluster: its active placements. */
  async desiredState(cluster: string): Promise<StoredDesiredState> {
    return (await this.desiredStates([cluster])).get(cluster) ?? { origin: "none", revision: 0, placements: [] };
  },

  /** Desired states of many clusters in two queries (a relay publishing after a restart, a cold cache). */
  async desiredStates(names: readonly string[]): Promise<Map<string, StoredDesiredState>> {
    const out = new Map<string, StoredDesiredState>();
    if (names.length === 0) return out;
    const revs = await db
      .select({
        name: clusters.name,
        revision: clusters.revision,
        createdAt: clusters.createdAt,
        state: clusters.state,
      })
      .from(clusters)
      .where(inArray(clusters.name, [...names]));
    // A cluster the hub has no registration for is told "nothing", at an origin of its own.
    for (const n of names) out.set(n, { origin: "none", revision: 0, placements: [] });
    for (const r of revs) {
      out.set(r.name, { origin: String(r.createdAt.getTime()), revision: r.revision, placements: [] });
    }
    const registered = new Set(revs.filter((r) => r.state === "registered").map((r) => r.name));
    const rows = await db
      .select({ p: placements, manifest: workloads.manifest })
      .from(placements)
      .innerJoin(workloads, eq(workloads.uid, placements.uid))
      .where(and(inArray(placements.cluster, [...names]), eq(placements.active, true)))
      .orderBy(asc(placements.tenant), asc(placements.workload));
    for (const { p, manifest } of rows) {
      if (!registered.has(p.cluster)) continue;
      out.get(p.cluster)?.placements.push({
        uid: p.uid,
        workload: p.workload,
        tenant: p.tenant,
        cluster: p.cluster,
        replicas: p.replicas,
        generation: p.generation,
        decisionId: p.decisionId,
        spot: p.spot,
        ...(p.gpuModel ? { gpuModel: p.gpuModel } : {}),
        staging: p.staging,
        ...(p.routing ? { routing: p.routing } : {}),
        spec: manifest.spec,
      });
    }
    return out;
  },

  /** Capacity promised by decisions and not yet seen in reports; the engine's reservation key is the uid. */
  async reservations(): Promise<(Reservation & { generation: number })[]> {
    const rows = await db.select().from(reservations);
    return rows.map((r) => ({ workload: r.uid, cluster: r.cluster, nodes: r.nodes, generation: r.generation }));
  },

  /** Drop reservations their clusters' reports now account for (one statement for a whole checkpoint). */
  async releaseReservations(accounted: readonly { cluster: string; uid: string; generation: number }[]) {
    if (accounted.length === 0) return;
    const values = sql.join(
      accounted.map((a) => sql`(${a.cluster}, ${a.uid}, ${a.generation}::int)`),
      sql`, `,
    );
    await db.execute(
      sql`delete from ${reservations} r using (values ${values}) as v(cluster, uid, generation)
          where r.cluster = v.cluster and r.uid = v.uid and r.generation <= v.generation`,
    );
  },

  /** A workload's events, oldest first (the newest `limit`). */
  async events(uid: string, limit = 100): Promise<EventRow[]> {
    const rows = await db.select().from(events).where(eq(events.uid, uid)).orderBy(desc(events.id)).limit(limit);
    return rows.reverse();
  },

  /** Forget tombstones older than `before` (watchers further behind relist). */
  async pruneTombstones(before: Date): Promise<void> {
    await db.delete(workloadTombstones).where(sql`${workloadTombstones.deletedAt} < ${before}`);
  },
});
export type WorkloadRepository = ReturnType<typeof workloadRepository>;
