import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import { lockDataDir } from "./lock.ts";
import * as coreSchema from "./schema.ts";
import * as authSchema from "./schema-auth.ts";

const schema = { ...coreSchema, ...authSchema };

/** One drizzle database type over both drivers: the store's queries are written once. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
/** A transaction on `Db`: what helpers that write "inside the caller's transaction" take. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

export interface OpenDatabase {
  db: Db;
  /** `postgres` or `pglite`, for logs and /healthz. */
  kind: "postgres" | "pglite";
  close(): Promise<void>;
}

const migrationsFolder = fileURLToPath(new URL("./migrations", import.meta.url));

/**
 * Open the hub's database and bring its schema up to date: PostgreSQL when `url` is given,
 * otherwise an embedded PGlite database in `dataDir` (`memory://` for a throwaway one).
 */
export const openDatabase = async (options: { url?: string; dataDir?: string }): Promise<OpenDatabase> => {
  if (options.url) {
    const pool = new pg.Pool({ connectionString: options.url, max: 10 });
    const db = drizzlePg(pool, { schema });
    await migratePg(db, { migrationsFolder });
    return { db: db as unknown as Db, kind: "postgres", close: () => pool.end() };
  }
  const dataDir = options.dataDir ?? "memory://";
  const unlock = dataDir.startsWith("memory://") ? () => undefined : lockDataDir(dataDir);
  try {
    const client = new PGlite(dataDir);
    const db = drizzlePglite(client, { schema });
    await migratePglite(db, { migrationsFolder });
    return {
      db: db as unknown as Db,
      kind: "pglite",
      close: async () => {
        await client.close();
        unlock();
      },
    };
  } catch (e) {
    unlock();
    throw e;
  }
};
