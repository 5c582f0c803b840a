import type { Dataset } from "@gantry/shared";
import { asc, eq } from "drizzle-orm";
import { type AuditEntry, recordAudit } from "./audit.ts";
import type { Db } from "./db.ts";
import { datasets } from "./schema.ts";

/** Where datasets live, for the engine's data-locality and egress terms. */
export const datasetRepository = (db: Db) => ({
  async put(dataset: Dataset, audit?: AuditEntry): Promise<void> {
    await db.transaction(async (tx) => {
      const row = {
        name: dataset.name,
        sizeGB: dataset.sizeGB,
        locations: dataset.locations,
        source: dataset.source ?? null,
        mover: dataset.mover ?? null,
        shards: dataset.shards ?? null,
      };
      await tx.insert(datasets).values(row).onConflictDoUpdate({ target: datasets.name, set: row });
      if (audit) await recordAudit(tx, audit);
    });
  },
  async list(): Promise<Dataset[]> {
    const rows = await db.select().from(datasets).orderBy(asc(datasets.name));
    return rows.map((r) => ({
      name: r.name,
      sizeGB: r.sizeGB,
      locations: r.locations,
      ...(r.source !== null ? { source: r.source } : {}),
      ...(r.mover !== null ? { mover: r.mover } : {}),
      ...(r.shards !== null ? { shards: r.shards } : {}),
    }));
  },
  async delete(name: string, audit?: AuditEntry): Promise<boolean> {
    return db.transaction(async (tx) => {
      const rows = await tx.delete(datasets).where(eq(datasets.name, name)).returning({ name: datasets.name });
      if (rows.length > 0 && audit) await recordAudit(tx, audit);
      return rows.length > 0;
    });
  },
});
