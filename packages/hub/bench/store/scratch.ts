import pg from "pg";
import { type OpenDatabase, openDatabase } from "../../src/store/index.ts";

/**
 * Run `f` on a database of its own on the server at `databaseUrl`, migrated, and drop it afterwards (whatever `f`
 * does): the store benchmarks never share or leave state.
 */
export const withScratchDatabase = async <T>(
  databaseUrl: string,
  prefix: string,
  f: (database: OpenDatabase, url: string) => Promise<T>,
): Promise<T> => {
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  const name = `gantry_bench_${prefix}_${process.pid}_${Date.now()}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  try {
    const database = await openDatabase({ url: url.toString() });
    try {
      return await f(database, url.toString());
    } finally {
      await database.close();
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
};
