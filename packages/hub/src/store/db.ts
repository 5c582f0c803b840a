import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import { HubError } from "../errors.ts";
import { isRetryable, isUnavailable, redactUrl, rootMessage } from "./db-errors.ts";
import { lockDataDir } from "./lock.ts";
import { initialiseDataDir } from "./pglite-init.ts";
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
  /** A cheap round trip (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  url?: string;
  dataDir?: string;
  /** Give up waiting for PostgreSQL at start after this long (then fail with one line saying why). */
  connectTimeoutMs?: number;
  /** Server-side limits so a lock or a slow query fails fast instead of hanging a request. */
  statementTimeoutMs?: number;
  lockTimeoutMs?: number;
  /**
   * A transaction whose client sent nothing for this long is ended by the server. A leader's transaction holds the
   * lease row (FOR SHARE) against takeover, so a paused leader inside one would hold off its successor until this
   * ends it: the hub keeps it under the lease TTL.
   */
  idleInTransactionTimeoutMs?: number;
  poolSize?: number;
  /** Told about errors of idle pooled connections (a terminated backend); they are replaced on next use. */
  onPoolError?: (error: Error) => void;
}

const migrationsFolder = fileURLToPath(new URL("./migrations", import.meta.url));

/**
 * Run every transaction again on a serialisation failure or deadlock (a few times, with jitter): the loser of such a
 * race did nothing, and its retry is safe. Transaction bodies are database work only.
 */
const retryingTransactions = (db: Db): Db => {
  const original = db.transaction.bind(db);
  const transaction: Db["transaction"] = async (fn, config) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await original(fn, config);
      } catch (error) {
        if (attempt >= 5 || !isRetryable(error)) throw error;
        await new Promise((r) => setTimeout(r, 5 * 2 ** attempt + Math.random() * 20));
      }
    }
  };
  return Object.assign(db, { transaction });
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Any constant: the advisory lock hub replicas take to run migrations one at a time. */
const MIGRATION_LOCK = 7_406_221_001;

/**
 * Run the migrations under a session advisory lock, so replicas starting together on a fresh database do not race
 * to create the same tables (the loser failed with a unique violation on pg_type and exited).
 */
const migrateExclusively = async (pool: pg.Pool, migrate: () => Promise<void>): Promise<void> => {
  const client = await pool.connect();
  try {
    await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK]);
    try {
      await migrate();
    } finally {
      await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => undefined);
    }
  } finally {
    client.release();
  }
};

/**
 * Open the hub's database and bring its schema up to date: PostgreSQL when `url` is given, otherwise an embedded
 * PGlite database in `dataDir` (`memory://` for a throwaway one). PostgreSQL is waited for (with backoff) up to
 * `connectTimeoutMs`; then a HubError says which URL and what failed, in one line.
 */
export const openDatabase = async (options: DatabaseOptions): Promise<OpenDatabase> => {
  if (options.url) {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 3_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      statement_timeout: options.statementTimeoutMs ?? 10_000,
      // Lock waits (a table locked by someone else) fail after this instead of holding the request.
      options: `-c lock_timeout=${options.lockTimeoutMs ?? 2_000} -c idle_in_transaction_session_timeout=${options.idleInTransactionTimeoutMs ?? 30_000}`,
    });
    // Without a listener, an error on an idle connection (the server restarted, the backend was terminated) would
    // crash the process. The pool drops that connection and opens a new one on the next query.
    pool.on("error", (error) => options.onPoolError?.(error));
    // The same for a connection in use between two queries (a transaction the server ended for idling): pg emits the
    // error on the client, which the pool does not listen to while it is checked out. The pool drops it on release.
    pool.on("connect", (client) => client.on("error", (error) => options.onPoolError?.(error)));
    const db = retryingTransactions(drizzlePg(pool, { schema }) as unknown as Db);
    const deadline = Date.now() + (options.connectTimeoutMs ?? 30_000);
    for (let attempt = 1; ; attempt++) {
      try {
        await migrateExclusively(pool, () =>
          migratePg(db as unknown as Parameters<typeof migratePg>[0], { migrationsFolder }),
        );
        break;
      } catch (error) {
        if (!isUnavailable(error) || Date.now() >= deadline) {
          await pool.end().catch(() => undefined);
          throw new HubError(
            "database_unavailable",
            `cannot use PostgreSQL at ${redactUrl(options.url)}: ${rootMessage(error)}`,
          );
        }
        await sleep(Math.min(2_000, 100 * 2 ** attempt));
      }
    }
    return {
      db,
      kind: "postgres",
      ping: async () => {
        const client = await pool.connect();
        try {
          await client.query("select 1");
        } finally {
          client.release();
        }
      },
      close: () => pool.end(),
    };
  }
  const dataDir = options.dataDir ?? "memory://";
  const unlock = dataDir.startsWith("memory://") ? () => undefined : lockDataDir(dataDir);
  try {
    await initialiseDataDir(dataDir);
    // PostgreSQL's 128 MB of shared buffers live in PGlite's WebAssembly memory, which never shrinks: 32 MB is ample
    // for the one embedded database of `gantry up` (its files are in the OS's page cache as well) and leaves the
    // hub ~100 MiB smaller (docs/benchmarks.md, "gantry up's memory").
    const client = new PGlite(dataDir, { startParams: [...PGlite.defaultStartParams, "-c", "shared_buffers=32MB"] });
    const db = retryingTransactions(drizzlePglite(client, { schema }) as unknown as Db);
    await migratePglite(db as unknown as Parameters<typeof migratePglite>[0], { migrationsFolder });
    let closed = false;
    return {
      db,
      kind: "pglite",
      ping: async () => {
        await client.query("select 1");
      },
      close: async () => {
        if (closed) return;
        closed = true;
        await client.close();
        unlock();
      },
    };
  } catch (e) {
    unlock();
    throw e;
  }
};
