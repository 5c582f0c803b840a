import type { Dataset } from "@gantry/shared";
import { asc, eq } from "drizzle-orm";
import type { Db } from "./db.ts";
import { datasets } from "./schema.ts";

/** Where datasets live, for the engine's data-locality and egress terms. */
export const datasetRepository = (db: Db) => ({
  async put(dataset: Dataset): Promise<void> {
    await db
      .insert(datasets)
      .values(dataset)
      .onConflictDoUpdate({ target: datasets.name, set: { sizeGB: dataset.sizeGB, locations: dataset.locations } });
  },
  async list(): Promise<Dataset[]> {
    return db.select().from(datasets).orderBy(asc(datasets.name));
  },
  async delete(name: string): Promise<boolean> {
    const rows = await db.delete(datasets).where(eq(datasets.name, name)).returning({ name: datasets.name });
    return rows.length > 0;
  },
});
