import { getTableName, is, sql } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import type { Db } from "./db.ts";
import * as schema from "./schema.ts";
import * as authSchema from "./schema-auth.ts";

/** Every table the hub's migrations create, quoted for a statement (the hub vacuums its own tables, no others). */
const HUB_TABLES: readonly string[] = ([...Object.values(schema), ...Object.values(authSchema)] as unknown[])
  .flatMap((t) => (is(t, PgTable) ? [`"${getTableName(t).replaceAll('"', '""')}"`] : []))
  .sort();

/**
 * Dead rows and planner statistics, where nothing else looks after them. Every status report, heartbeat
 * checkpoint and placement rewrites rows; PostgreSQL's autovacuum reclaims the dead versions and keeps the
 * statistics the planner picks indexes by. PGlite (the zero-setup database) has no autovacuum at all, and a server
 * may run with it off. Without statistics, a list page's placements (`uid = any(…)` over 100 uids) were read by a
 * sequential scan of every placement; without vacuum, every table grows by its dead versions for ever.
 */
export const maintenanceRepository = (db: Db) => ({
  /** The tables `analyze` and `vacuum` cover. */
  tables: HUB_TABLES,

  /** Whether an autovacuum launcher runs on this server (never in PGlite; not where `autovacuum = off`). */
  async autovacuumRuns(): Promise<boolean> {
    const r = await db.execute(
      sql`select count(*)::int as n from pg_stat_activity where backend_type = 'autovacuum launcher'`,
    );
    const rows = (r as unknown as { rows: { n: number | string }[] }).rows;
    return Number(rows[0]?.n ?? 0) > 0;
  },

  /** Fresh planner statistics for the hub's tables (samples rows; takes no lock that blocks writers). */
  async analyze(): Promise<void> {
    await db.execute(sql.raw(`analyze ${HUB_TABLES.join(", ")}`));
  },

  /** Reclaim dead row versions and refresh statistics (plain VACUUM: readers and writers go on meanwhile). */
  async vacuum(): Promise<void> {
    await db.execute(sql.raw(`vacuum (analyze) ${HUB_TABLES.join(", ")}`));
  },
});
export type MaintenanceRepository = ReturnType<typeof maintenanceRepository>;
