import { asc, inArray, isNull } from "drizzle-orm";
import type { Db } from "./db.ts";
import { outbox } from "./schema.ts";

/** Rows waiting to be published; the relay reads, publishes, then marks them. */
export const outboxRepository = (db: Db) => ({
  async pending(limit = 500): Promise<{ id: number; cluster: string }[]> {
    return db
      .select({ id: outbox.id, cluster: outbox.cluster })
      .from(outbox)
      .where(isNull(outbox.publishedAt))
      .orderBy(asc(outbox.id))
      .limit(limit);
  },
  async markPublished(ids: number[], at: Date): Promise<void> {
    if (ids.length === 0) return;
    await db.update(outbox).set({ publishedAt: at }).where(inArray(outbox.id, ids));
  },
});
