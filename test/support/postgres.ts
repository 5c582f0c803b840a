import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import pg from "pg";

const ADMIN_URL = process.env.GANTRY_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

const reachable = async (url: string): Promise<boolean> => {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
};

/** Start the machine's PostgreSQL cluster if it is installed but stopped (Debian's pg_ctlcluster). */
const startLocalPostgres = (): void => {
  const versions = spawnSync("ls", ["/etc/postgresql"], { encoding: "utf8" }).stdout.trim().split("\n").filter(Boolean);
  for (const v of versions) {
    spawnSync("pg_ctlcluster", ["--skip-systemctl-redirect", v, "main", "start"], { stdio: "ignore" });
  }
};

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database on the local PostgreSQL server (started if it is installed and stopped).
 * Fails loudly when there is no PostgreSQL: the suite must not pass by skipping it.
 */
export const createTestDatabase = async (): Promise<TestDatabase> => {
  if (!(await reachable(ADMIN_URL))) {
    startLocalPostgres();
    for (let i = 0; i < 20 && !(await reachable(ADMIN_URL)); i++) await new Promise((r) => setTimeout(r, 500));
    if (!(await reachable(ADMIN_URL))) {
      throw new Error(
        `PostgreSQL is not reachable at ${ADMIN_URL} and could not be started; install it (apt-get install postgresql) or set GANTRY_TEST_POSTGRES_URL`,
      );
    }
  }
  const name = `gantry_test_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
};
