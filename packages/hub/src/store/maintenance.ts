import { getTableName, is, sql } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import type { Db } from "./db.ts";
import * as schema from "./schema.ts";
import * as authSchema from "./schema-auth.ts";

/** Every table the hub's migrations create, quoted for a statement (the hub vacuums its own tables, no others). */
const HUB_TABLES: readonly string[] = ([...Object.values(schema), ...Object.values(authSchema)] as unknown[])
  .flatMap((t) => (is(t, PgTable) ? [`"${getTableName(t).replaceAll('"', '""')}"`] : []))
  .sort();

/** Only names from HUB_TABLES reach a statement (they are quoted there; nothing else is). */
const only = (tables: readonly string[]) => tables.filter((t) => HUB_TABLES.includes(t));

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

  /**
   * Which of the hub's tables are due, by autovacuum's own default rules: vacuum once dead rows pass 50 + 20 % of
   * the live ones, analyze once rows changed since the last analyze pass 50 + 10 %. Undefined where the database
   * keeps no such counts (PGlite; `track_counts = off`): the caller then does everything on a timer.
   */
  async due(): Promise<{ vacuum: string[]; analyze: string[] } | undefined> {
    const r = await db.execute(
      sql`select relname as name, n_live_tup::float8 as live, n_dead_tup::float8 as dead,
                 n_mod_since_analyze::float8 as changed, current_setting('track_counts') as counting, version() as version
          from pg_stat_user_tables where schemaname = 'public'`,
    );
    const rows = (
      r as unknown as {
        rows: {
          name: string;
          live: number | string;
          dead: number | string;
          changed: number | string;
          counting: string;
          version: string;
        }[];
      }
    ).rows.map((row) => ({
      table: `"${row.name.replaceAll('"', '""')}"`,
      live: Number(row.live),
      dead: Number(row.dead),
      changed: Number(row.changed),
      // PGlite (single-user PostgreSQL in WebAssembly) counts no changes between its own vacuums and analyzes.
      counting: row.counting === "on" && !row.version.includes("PGlite"),
    }));
    const ours = rows.filter((row) => HUB_TABLES.includes(row.table));
    if (ours.length === 0 || !ours[0]?.counting) return undefined;
    return {
      vacuum: ours.filter((row) => row.dead > 50 + 0.2 * row.live).map((row) => row.table),
      analyze: ours.filter((row) => row.changed > 50 + 0.1 * row.live).map((row) => row.table),
    };
  },

  /** Fresh planner statistics for these of the hub's tables (all by default; takes no lock that blocks writers). */
  async analyze(tables: readonly string[] = HUB_TABLES): Promise<void> {
    // An empty list would analyze the whole database: nothing to do instead.
    const named = only(tables);
    if (named.length > 0) await db.execute(sql.raw(`analyze ${named.join(", ")}`));
  },

  /** Reclaim dead row versions and refresh statistics (plain VACUUM: readers and writers go on meanwhile). */
  async vacuum(tables: readonly string[] = HUB_TABLES): Promise<void> {
    const named = only(tables);
    if (named.length > 0) await db.execute(sql.raw(`vacuum (analyze) ${named.join(", ")}`));
  },
});
export type MaintenanceRepository = ReturnType<typeof maintenanceRepository>;
