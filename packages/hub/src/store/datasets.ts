import type { Dataset } from "@gantry/shared";
import { asc, eq } from "drizzle-orm";
import { type AuditEntry, recordAudit } from "./audit.ts";
import type { Db } from "./db.ts";
import { datasets } from "./schema.ts";

/** Where datasets live, for the engine's data-locality and egress terms. */
export const datasetRepository = (db: Db) => ({
  async put(dataset: Dataset, audit?: AuditEntry): Promise<void> {
    await db.transaction(async (tx) => {
      await tx
        .insert(datasets)
        .values(dataset)
        .onConflictDoUpdate({ target: datasets.name, set: { sizeGB: dataset.sizeGB, locations: dataset.locations } });
      if (audit) await recordAudit(tx, audit);
    });
  },
  async list(): Promise<Dataset[]> {
    return db.select().from(datasets).orderBy(asc(datasets.name));
  },
  async delete(name: string, audit?: AuditEntry): Promise<boolean> {
    return db.transaction(async (tx) => {
      const rows = await tx.delete(datasets).where(eq(datasets.name, name)).returning({ name: datasets.name });
      if (rows.length > 0 && audit) await recordAudit(tx, audit);
      return rows.length > 0;
    });
  },
});
