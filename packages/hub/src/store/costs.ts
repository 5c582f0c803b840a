import { and, eq, gte, inArray, isNotNull, isNull, lt, ne, or, sql } from "drizzle-orm";
import type { Db } from "./db.ts";
import { costLedger, placements, workloads } from "./schema.ts";
import { assertEpoch } from "./tx.ts";

export type CostGroup = "tenant" | "cluster" | "pool" | "workload";

/** Rows per statement when accruing (well under PostgreSQL's 65,535 bound parameters at 10 a row). */
const ACCRUE_CHUNK = 1_000;

/** The cost ledger: accrual of running placements, and spend queries for budgets, caps and reports. */
export const costRepository = (db: Db) => ({
  /**
   * Accrue compute cost of every running placement up to `now`: ready replicas × GPUs per replica ×
   * the price it was placed at × elapsed hours. One ledger row per placement per call, written a chunk at a time.
   */
  async accrue(now: Date, epoch?: number): Promise<number> {
    return db.transaction(async (tx) => {
      // Only the leader accrues: two replicas accruing the same stretch would bill it twice.
      await assertEpoch(tx, epoch);
      // Running placements, and finished ones whose last stretch (up to finishedAt) is not yet accrued.
      const rows = await tx
        .select({ p: placements, tenant: workloads.tenant })
        .from(placements)
        .innerJoin(workloads, eq(workloads.uid, placements.uid))
        .where(
          and(
            isNotNull(placements.status),
            or(
              and(eq(placements.active, true), sql`${placements.status}->>'phase' = 'Running'`),
              and(
                sql`${placements.status}->>'finishedAt' is not null`,
                or(
                  isNull(placements.accruedUntil),
                  sql`(${placements.status}->>'finishedAt')::timestamptz > ${placements.accruedUntil}`,
                ),
              ),
            ),
          ),
        );
      let total = 0;
      const ledger: (typeof costLedger.$inferInsert)[] = [];
      const accrued: { uid: string; cluster: string; until: Date }[] = [];
      for (const { p, tenant } of rows) {
        const status = p.status;
        if (!status || status.generation !== p.generation || !status.startedAt) continue;
        const since = p.accruedUntil ?? new Date(status.startedAt);
        const finished = status.finishedAt ? new Date(status.finishedAt) : undefined;
        const until = finished && finished < now ? finished : now;
        // A finished job's replicas all ran to the end; a running one is billed for what is ready.
        const replicas = finished ? p.replicas : status.readyReplicas;
        const hours = Math.max(0, until.getTime() - since.getTime()) / 3_600_000;
        if (hours > 0) {
          const usd = replicas * p.gpusPerReplica * p.pricePerGpuHour * hours;
          ledger.push({
            uid: p.uid,
            workload: p.workload,
            tenant,
            cluster: p.cluster,
            pool: p.pool,
            policy: p.policy,
            kind: "compute",
            usd,
            startAt: since,
            endAt: until,
          });
          total += usd;
        }
        accrued.push({ uid: p.uid, cluster: p.cluster, until });
      }
      // Multi-row statements, a chunk at a time: with thousands of running placements, two statements each every
      // tick held their rows locked for seconds (status reports on them waited into their lock timeout).
      for (let i = 0; i < ledger.length; i += ACCRUE_CHUNK) {
        await tx.insert(costLedger).values(ledger.slice(i, i + ACCRUE_CHUNK));
      }
      for (let i = 0; i < accrued.length; i += ACCRUE_CHUNK) {
        const values = sql.join(
          accrued
            .slice(i, i + ACCRUE_CHUNK)
            .map((a) => sql`(${a.uid}, ${a.cluster}, ${a.until.toISOString()}::timestamptz)`),
          sql`, `,
        );
        await tx.execute(
          sql`update ${placements} set accrued_until = v.until from (values ${values}) as v(uid, cluster, until)
              where ${placements.uid} = v.uid and ${placements.cluster} = v.cluster`,
        );
      }
      return total;
    });
  },

  /** Spend grouped by tenant, cluster, pool or workload between `from` and `to`. */
  async report(
    groupBy: CostGroup,
    from: Date,
    to: Date,
    tenants?: readonly string[],
  ): Promise<{ key: string; compute: number; egress: number; total: number }[]> {
    const column = {
      tenant: costLedger.tenant,
      cluster: costLedger.cluster,
      pool: costLedger.pool,
      workload: costLedger.workload,
    }[groupBy];
    const rows = await db
      .select({
        key: sql<string>`coalesce(${column}, '(none)')`,
        compute: sql<number>`coalesce(sum(case when ${costLedger.kind} = 'compute' then ${costLedger.usd} end), 0)`,
        egress: sql<number>`coalesce(sum(case when ${costLedger.kind} = 'egress' then ${costLedger.usd} end), 0)`,
      })
      .from(costLedger)
      .where(
        and(
          gte(costLedger.startAt, from),
          lt(costLedger.startAt, to),
          tenants === undefined ? undefined : inArray(costLedger.tenant, [...tenants]),
        ),
      )
      .groupBy(sql`1`)
      .orderBy(sql`1`);
    return rows.map((r) => {
      const compute = Number(r.compute);
      const egress = Number(r.egress);
      return { key: r.key, compute, egress, total: compute + egress };
    });
  },

  /**
   * Everything ever spent, by tenant, cluster, pool and kind (compute, egress): the ledger only grows, so these are
   * counters (the `/metrics` spend series).
   */
  async totals(): Promise<{ tenant: string; cluster: string; pool: string; kind: string; usd: number }[]> {
    const rows = await db
      .select({
        tenant: costLedger.tenant,
        cluster: costLedger.cluster,
        pool: sql<string>`coalesce(${costLedger.pool}, '')`,
        kind: costLedger.kind,
        usd: sql<number>`coalesce(sum(${costLedger.usd}), 0)`,
      })
      .from(costLedger)
      .groupBy(sql`1`, sql`2`, sql`3`, sql`4`)
      .orderBy(sql`1`, sql`2`, sql`3`, sql`4`);
    return rows.map((r) => ({ ...r, usd: Number(r.usd) }));
  },

  /** A tenant's spend since `from`. */
  async tenantSpend(tenant: string, from: Date): Promise<number> {
    const r = await db
      .select({ usd: sql<number>`coalesce(sum(${costLedger.usd}), 0)` })
      .from(costLedger)
      .where(and(eq(costLedger.tenant, tenant), gte(costLedger.startAt, from)));
    return Number(r[0]?.usd ?? 0);
  },

  /** Spend in a policy's burst pools (every pool but the preferred one) since `from`. */
  async burstSpend(policy: string, preferredPool: string, from: Date): Promise<number> {
    const r = await db
      .select({ usd: sql<number>`coalesce(sum(${costLedger.usd}), 0)` })
      .from(costLedger)
      .where(and(eq(costLedger.policy, policy), ne(costLedger.pool, preferredPool), gte(costLedger.startAt, from)));
    return Number(r[0]?.usd ?? 0);
  },
});
