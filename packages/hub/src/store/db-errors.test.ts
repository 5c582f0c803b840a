import { sql } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../../test/support/postgres.ts";
import { HubError } from "../errors.ts";
import { freePort } from "../util/ports.ts";
import { type OpenDatabase, openDatabase } from "./db.ts";
import { databaseUnavailable, isRetryable, isUnavailable, redactUrl, rootMessage } from "./db-errors.ts";

/** The error `work` fails with; a test that expects a failure fails when there is none. */
const failure = async (work: Promise<unknown>): Promise<unknown> => {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error("expected the database to refuse this");
};

const codeOf = (error: unknown): unknown => (error as { code?: unknown }).code;

describe("db errors, as PostgreSQL and its drivers raise them", () => {
  let database: TestDatabase;
  const clients: pg.Client[] = [];

  const connect = async (): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString: database.url });
    // A terminated backend also reports on the client; the test looks at the query's rejection.
    client.on("error", () => undefined);
    await client.connect();
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    const c = await connect();
    await c.query("create table t (id int primary key, v int not null default 0)");
    await c.query("insert into t (id) values (1), (2)");
  }, 60_000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await database?.drop();
  });

  it("57P01 admin_shutdown: a backend terminated under a running query is unavailable, not retryable", async () => {
    const victim = await connect();
    const admin = await connect();
    const pid = (await victim.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid;
    const running = failure(victim.query("select pg_sleep(30)"));
    await new Promise((r) => setTimeout(r, 100));
    await admin.query("select pg_terminate_backend($1)", [pid]);
    const error = await running;
    expect(codeOf(error)).toBe("57P01");
    expect(isUnavailable(error)).toBe(true);
    expect(isRetryable(error)).toBe(false);
    // What the dead connection says to the next query is unavailable too.
    const next = await failure(victim.query("select 1"));
    expect(isUnavailable(next)).toBe(true);
  });

  it("55P03 lock_not_available: a lock wait past lock_timeout is unavailable, not retryable", async () => {
    const holder = await connect();
    const waiter = await connect();
    await holder.query("begin");
    await holder.query("lock table t in access exclusive mode");
    await waiter.query("set lock_timeout = '100ms'");
    const error = await failure(waiter.query("select * from t"));
    await holder.query("rollback");
    expect(codeOf(error)).toBe("55P03");
    expect([isUnavailable(error), isRetryable(error)]).toEqual([true, false]);
  });

  it("57014 query_canceled: a statement past statement_timeout is unavailable", async () => {
    const c = await connect();
    await c.query("set statement_timeout = '50ms'");
    const error = await failure(c.query("select pg_sleep(2)"));
    expect(codeOf(error)).toBe("57014");
    expect([isUnavailable(error), isRetryable(error)]).toEqual([true, false]);
  });

  it("40P01 deadlock_detected: the loser of a deadlock is retryable, and not unavailable", async () => {
    const a = await connect();
    const b = await connect();
    await a.query("begin");
    await b.query("begin");
    await a.query("update t set v = v + 1 where id = 1");
    await b.query("update t set v = v + 1 where id = 2");
    const results = await Promise.allSettled([
      a.query("update t set v = v + 1 where id = 2"),
      b.query("update t set v = v + 1 where id = 1"),
    ]);
    await Promise.all([a.query("rollback"), b.query("rollback")]);
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => r.reason);
    expect(lost).toHaveLength(1);
    expect(codeOf(lost[0])).toBe("40P01");
    expect([isRetryable(lost[0]), isUnavailable(lost[0])]).toEqual([true, false]);
  });

  it("ECONNREFUSED: nothing listening is unavailable", async () => {
    const port = await freePort();
    const client = new pg.Client({ host: "127.0.0.1", port, user: "postgres", connectionTimeoutMillis: 2_000 });
    const error = await failure(client.connect());
    expect(codeOf(error)).toBe("ECONNREFUSED");
    expect([isUnavailable(error), isRetryable(error)]).toEqual([true, false]);
    expect(rootMessage(error)).toMatch(/^ECONNREFUSED: /);
  });

  it("23505 and 42601: a request the database refuses is neither unavailable nor retryable", async () => {
    const c = await connect();
    const duplicate = await failure(c.query("insert into t (id) values (1)"));
    const syntax = await failure(c.query("selec 1"));
    expect([codeOf(duplicate), codeOf(syntax)]).toEqual(["23505", "42601"]);
    for (const e of [duplicate, syntax]) expect([isUnavailable(e), isRetryable(e)]).toEqual([false, false]);
  });

  describe("through drizzle, which wraps the driver's error in its own with the driver's as `cause`", () => {
    let open: OpenDatabase;
    beforeAll(async () => {
      open = await openDatabase({ url: database.url, statementTimeoutMs: 200, lockTimeoutMs: 200 });
    }, 60_000);
    afterAll(async () => {
      await open?.close();
    });

    it("sees the SQLSTATE under the wrapper", async () => {
      const error = await failure(open.db.execute(sql`select pg_sleep(2)`));
      expect(error).toBeInstanceOf(Error);
      expect(codeOf(error)).not.toBe("57014");
      expect(codeOf((error as { cause?: unknown }).cause)).toBe("57014");
      expect(isUnavailable(error)).toBe(true);
      expect(rootMessage(error)).toBe("57014: canceling statement due to statement timeout");
      const refused = databaseUnavailable(error);
      expect(refused).toBeInstanceOf(HubError);
      expect(refused).toMatchObject({ code: "database_unavailable" });
      expect(refused.message).toContain("57014: canceling statement due to statement timeout");

      const duplicate = await failure(open.db.execute(sql`insert into t (id) values (2)`));
      expect([isUnavailable(duplicate), isRetryable(duplicate)]).toEqual([false, false]);
      expect(rootMessage(duplicate)).toMatch(/^23505: /);
    });

    it("runs the loser of a deadlock again, so both transactions commit", async () => {
      // Default timeouts: the deadlock is found (after deadlock_timeout, 1 s) before a lock or statement times out.
      const plain = await openDatabase({ url: database.url });
      onTestFinished(() => plain.close());
      let attempts = 0;
      const bump = (first: number, second: number, started: Promise<void>, ready: () => void) =>
        plain.db.transaction(async (tx) => {
          attempts++;
          await tx.execute(sql`update t set v = v + 1 where id = ${first}`);
          ready();
          await started;
          await tx.execute(sql`update t set v = v + 1 where id = ${second}`);
        });
      const before = await plain.db.execute(sql`select id, v from t order by id`);
      let readyA = () => {};
      let readyB = () => {};
      const aHolds = new Promise<void>((r) => {
        readyA = r;
      });
      const bHolds = new Promise<void>((r) => {
        readyB = r;
      });
      // Each takes its first row, waits until the other holds its own, then asks for the other's: a deadlock.
      await Promise.all([bump(1, 2, bHolds, readyA), bump(2, 1, aHolds, readyB)]);
      const after = await plain.db.execute(sql`select id, v from t order by id`);
      const values = (r: unknown) => (r as { rows: { v: number }[] }).rows.map((x) => x.v);
      expect(values(after)).toEqual(values(before).map((v) => v + 2));
      expect(attempts).toBeGreaterThan(2);
    });
  });
});

describe("db errors on PGlite", () => {
  let open: OpenDatabase;
  beforeAll(async () => {
    open = await openDatabase({ dataDir: "memory://" });
  }, 60_000);
  afterAll(async () => {
    await open?.close();
  });

  it("sees the SQLSTATE of a PGlite error under drizzle's wrapper", async () => {
    await open.db.execute(sql`create table t (id int primary key)`);
    await open.db.execute(sql`insert into t values (1)`);
    const error = await failure(open.db.execute(sql`insert into t values (1)`));
    expect(codeOf((error as { cause?: unknown }).cause)).toBe("23505");
    expect([isUnavailable(error), isRetryable(error)]).toEqual([false, false]);
    expect(rootMessage(error)).toMatch(/^23505: /);
  });
});

describe("db error shapes", () => {
  it("says nothing of what is not an error object, and stops on a cycle of causes", () => {
    for (const e of [undefined, null, "57P01", 40001, { code: 57014 }]) {
      expect([isUnavailable(e), isRetryable(e)]).toEqual([false, false]);
    }
    const loop: { message: string; code: string; cause?: unknown } = { message: "outer", code: "XX000" };
    loop.cause = loop;
    expect([isUnavailable(loop), isRetryable(loop)]).toEqual([false, false]);
  });

  it("knows the driver's own words for a connection that went away", () => {
    expect(isUnavailable(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isUnavailable(new Error("timeout exceeded when trying to connect"))).toBe(true);
    expect(isUnavailable(new Error("Cannot use a pool after calling end on the pool"))).toBe(true);
    expect(isUnavailable(new Error('relation "x" does not exist'))).toBe(false);
  });

  it("looks through a wrapper's cause for a serialisation failure", () => {
    const wrapped = new Error("Failed query: update …", {
      cause: Object.assign(new Error("could not serialize"), { code: "40001" }),
    });
    expect([isRetryable(wrapped), isUnavailable(wrapped)]).toEqual([true, false]);
    expect(rootMessage(wrapped)).toBe("40001: could not serialize");
  });
});

describe("redactUrl", () => {
  it.each([
    ["postgres://gantry:s3cret@db.internal:5432/gantry", "postgres://gantry:***@db.internal:5432/gantry"],
    ["postgres://gantry:p%40ss%2Fw0rd@db:5432/g?sslmode=require", "postgres://gantry:***@db:5432/g?sslmode=require"],
    ["postgres://gantry@db:5432/gantry", "postgres://gantry@db:5432/gantry"],
    ["postgres://db/gantry", "postgres://db/gantry"],
    ["not a url", "not a url"],
  ])("%s → %s", (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
    expect(redactUrl(url)).not.toContain("s3cret");
  });
});
