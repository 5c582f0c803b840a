import { eq, sql } from "drizzle-orm";
import type { Db } from "./db.ts";
import { hubLeases } from "./schema.ts";

const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;

/**
 * Leases between hub replicas, timed by the database's clock (`now()`) so the replicas' clocks never need to agree.
 * One statement takes a free or expired lease (a new holder bumps the epoch) or renews one's own.
 */
export const leaseRepository = (db: Db) => ({
  async acquire(name: string, holder: string, ttlMs: number): Promise<{ epoch: number } | undefined> {
    const rows = rowsOf<{ epoch: string | number }>(
      await db.execute(sql`
        insert into ${hubLeases} (name, holder, epoch, expires_at, acquired_at)
        values (${name}, ${holder}, 1, now() + ${ttlMs} * interval '1 millisecond', now())
        on conflict (name) do update set
          holder = excluded.holder,
          epoch = case when ${hubLeases.holder} = excluded.holder then ${hubLeases.epoch} else ${hubLeases.epoch} + 1 end,
          expires_at = excluded.expires_at,
          acquired_at = case when ${hubLeases.holder} = excluded.holder then ${hubLeases.acquiredAt} else now() end
        where ${hubLeases.holder} = excluded.holder or ${hubLeases.expiresAt} < now()
        returning epoch`),
    );
    const row = rows[0];
    return row === undefined ? undefined : { epoch: Number(row.epoch) };
  },

  /** Give a lease up (a clean shutdown), so another replica takes over at once instead of after the TTL. */
  async release(name: string, holder: string): Promise<void> {
    await db.execute(
      sql`update ${hubLeases} set expires_at = now() - interval '1 millisecond' where name = ${name} and holder = ${holder}`,
    );
  },

  async current(name: string): Promise<{ holder: string; epoch: number; expiresAt: Date } | undefined> {
    const row = (await db.select().from(hubLeases).where(eq(hubLeases.name, name)))[0];
    return row ? { holder: row.holder, epoch: row.epoch, expiresAt: row.expiresAt } : undefined;
  },
});
export type LeaseRepository = ReturnType<typeof leaseRepository>;
