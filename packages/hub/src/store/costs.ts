import { and, eq, gte, inArray, isNotNull, isNull, lt, ne, or, sql } from "drizzle-orm";
import type { Db } from "./db.ts";
import { costLedger, placements, workloads } from "./schema.ts";
import { assertEpoch } from "./tx.ts";

export type CostGroup = "tenant" | "cluster" | "pool" | "workload";

/** The cost ledger: accrual of running placements, and spend queries for budgets, caps and reports. */
export const costRepository = (db: Db) => ({
  /**
   * Accrue compute cost of every running placement up to `now`: ready replicas × GPUs per replica ×
   * the price it was placed at × elapsed hours. One ledger row per placement per call.
   */
  async accrue(now: Date, epoch?: number): Promise<number> {
    return db.transaction(async (tx) => {
      // Only the leader accrues: two replicas accruing the same stretch would bill it twice.
      await assertEpoch(tx, epoch);
      // Running placements, and finished ones whose last stretch (up to finishedAt) is not yet accrued: only the
      // fields the bill needs. At 10,000 running placements whole rows (staging plans, status objects) had been most
      // of the event loop's time in an accrual, and one statement per 1,000 ledger rows most of the rest.
      const rows = await tx
        .select({
          uid: placements.uid,
          cluster: placements.cluster,
          workload: placements.workload,
          tenant: workloads.tenant,
          pool: placements.pool,
          policy: placements.policy,
          replicas: placements.replicas,
          gpusPerReplica: placements.gpusPerReplica,
          pricePerGpuHour: placements.pricePerGpuHour,
          generation: placements.generation,
          accruedUntil: placements.accruedUntil,
          statusGeneration: sql<number | null>`(${placements.status}->'generation')`,
          startedAt: sql<string | null>`${placements.status}->>'startedAt'`,
          finishedAt: sql<string | null>`${placements.status}->>'finishedAt'`,
          readyReplicas: sql<number | null>`(${placements.status}->'readyReplicas')`,
        })
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
      /** Ledger rows and accrued-until marks, column by column: each written as one statement of array parameters. */
      const ledger = { uid: [] as string[], workload: [] as string[], tenant: [] as string[], cluster: [] as string[] };
      const ledgerPool: (string | null)[] = [];
      const ledgerPolicy: (string | null)[] = [];
      const ledgerUsd: number[] = [];
      const ledgerStart: string[] = [];
      const ledgerEnd: string[] = [];
      const marked = { uid: [] as string[], cluster: [] as string[], until: [] as string[] };
      for (const p of rows) {
        if (Number(p.statusGeneration) !== p.generation || !p.startedAt) continue;
        const since = p.accruedUntil ?? new Date(p.startedAt);
        const finished = p.finishedAt ? new Date(p.finishedAt) : undefined;
        const until = finished && finished < now ? finished : now;
        // A finished job's replicas all ran to the end; a running one is billed for what is ready.
        const replicas = finished ? p.replicas : Number(p.readyReplicas ?? 0);
        const hours = Math.max(0, until.getTime() - since.getTime()) / 3_600_000;
        if (hours > 0) {
          const usd = replicas * p.gpusPerReplica * p.pricePerGpuHour * hours;
          ledger.uid.push(p.uid);
          ledger.workload.push(p.workload);
          ledger.tenant.push(p.tenant);
          ledger.cluster.push(p.cluster);
          ledgerPool.push(p.pool);
          ledgerPolicy.push(p.policy);
          ledgerUsd.push(usd);
          ledgerStart.push(since.toISOString());
          ledgerEnd.push(until.toISOString());
          total += usd;
        }
        marked.uid.push(p.uid);
        marked.cluster.push(p.cluster);
        marked.until.push(until.toISOString());
      }
      if (ledgerUsd.length > 0) {
        await tx.execute(sql`insert into ${costLedger} (uid, workload, tenant, cluster, pool, policy, kind, usd,
            start_at, end_at)
          select uid, workload, tenant, cluster, pool, policy, 'compute', usd, start_at, end_at
          from unnest(${sql.param(ledger.uid)}::text[], ${sql.param(ledger.workload)}::text[], ${sql.param(ledger.tenant)}::text[],
            ${sql.param(ledger.cluster)}::text[], ${sql.param(ledgerPool)}::text[], ${sql.param(ledgerPolicy)}::text[], ${sql.param(ledgerUsd)}::float8[],
            ${sql.param(ledgerStart)}::timestamptz[], ${sql.param(ledgerEnd)}::timestamptz[])
            as v(uid, workload, tenant, cluster, pool, policy, usd, start_at, end_at)`);
      }
      if (marked.uid.length > 0) {
        await tx.execute(sql`update ${placements} set accrued_until = v.until
          from unnest(${sql.param(marked.uid)}::text[], ${sql.param(marked.cluster)}::text[], ${sql.param(marked.until)}::timestamptz[])
            as v(uid, cluster, until)
          where ${placements.uid} = v.uid and ${placements.cluster} = v.cluster`);
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
