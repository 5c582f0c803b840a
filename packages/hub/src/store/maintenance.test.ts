import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { at, aWorkload, KINDS, openTestStore, type TestStore, unique } from "./testing/fixtures.ts";

describe.each(KINDS)("table maintenance on %s", (kind) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore(kind);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  const rows = async <T>(q: ReturnType<typeof sql>) =>
    (((await t.database.db.execute(q)) as unknown as { rows: T[] }).rows ?? []) as T[];
  const stats = async (table: string) =>
    (
      await rows<{ vacuumed: boolean; analyzed: boolean; tuples: number }>(
        sql`select (coalesce(last_vacuum, last_autovacuum) is not null) as vacuumed,
                   (coalesce(last_analyze, last_autoanalyze) is not null) as analyzed,
                   (select reltuples from pg_class where oid = relid)::float8 as tuples
            from pg_stat_user_tables where relname = ${table}`,
      )
    )[0];

  it("covers every table the migrations made, and none of PostgreSQL's or drizzle's", async () => {
    const made = (
      await rows<{ name: string }>(
        sql`select tablename as name from pg_tables where schemaname = 'public' and tablename <> '__drizzle_migrations'`,
      )
    )
      .map((r) => `"${r.name}"`)
      .sort();
    expect(t.store.maintenance.tables).toEqual(made);
  });

  it("says whether an autovacuum launcher runs: never in PGlite, never where autovacuum is off", async () => {
    const runs = await t.store.maintenance.autovacuumRuns();
    if (kind === "pglite") expect(runs).toBe(false);
    const setting = (await rows<{ v: string }>(sql`select current_setting('autovacuum') as v`))[0]?.v;
    if (setting === "off") expect(runs).toBe(false);
  });

  it("analyzes (the planner learns the row count) and vacuums the hub's tables, with writers going on", async () => {
    const tenant = unique("maint");
    for (let i = 0; i < 40; i++) await t.store.workloads.create(aWorkload(`w-${i}`, {}, tenant), at(0));
    await t.store.maintenance.analyze();
    const analyzed = await stats("workloads");
    expect(analyzed?.analyzed).toBe(true);
    expect(analyzed?.tuples).toBeGreaterThanOrEqual(40);
    // Dead versions to reclaim, then a vacuum while a submission is written at the same time.
    await t.database.db.execute(sql`update workloads set message = 'again' where tenant = ${tenant}`);
    await Promise.all([t.store.maintenance.vacuum(), t.store.workloads.create(aWorkload("during", {}, tenant), at(1))]);
    expect((await stats("workloads"))?.vacuumed).toBe(true);
    expect((await stats("placements"))?.vacuumed).toBe(true);
    expect(await t.store.workloads.count({ tenants: [tenant] })).toBe(41);
  });

  it("names the tables past autovacuum's thresholds where the database counts changes, and nothing else", async () => {
    if (kind === "pglite") {
      // PGlite keeps no counts: the caller falls back to its timer.
      expect(await t.store.maintenance.due()).toBeUndefined();
      return;
    }
    await t.store.maintenance.vacuum();
    const tenant = unique("due");
    for (let i = 0; i < 20; i++) await t.store.workloads.create(aWorkload(`d-${i}`, {}, tenant), at(0));
    // 20 rows rewritten 10 times: 200 dead versions and 200 changes, past 50 + 20 % (or 10 %) of ~60 live rows.
    for (let k = 0; k < 10; k++)
      await t.database.db.execute(sql`update workloads set message = ${`again ${k}`} where tenant = ${tenant}`);
    // The server flushes a backend's counts at most every second: wait for them.
    let due: Awaited<ReturnType<typeof t.store.maintenance.due>>;
    for (let i = 0; i < 50; i++) {
      due = await t.store.maintenance.due();
      if (due?.vacuum.includes('"workloads"')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(due?.vacuum).toContain('"workloads"');
    expect(due?.analyze).toContain('"workloads"');
    // Tables nobody wrote since the vacuum are not due.
    expect(due?.vacuum).not.toContain('"budgets"');
    expect(due?.analyze).not.toContain('"policies"');
    await t.store.maintenance.vacuum(due?.vacuum);
    for (let i = 0; i < 50; i++) {
      due = await t.store.maintenance.due();
      if (!due?.vacuum.includes('"workloads"')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(due?.vacuum ?? []).not.toContain('"workloads"');
    // A name that is not one of the hub's tables never reaches a statement.
    await expect(t.store.maintenance.analyze(['"pg_class"; drop table workloads; --'])).resolves.toBeUndefined();
    expect(await t.store.workloads.count({ tenants: [tenant] })).toBe(20);
  }, 30_000);
});
