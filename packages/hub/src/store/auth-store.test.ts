import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../../test/support/postgres.ts";
import { HubError } from "../errors.ts";
import type { AuditEntry } from "./audit.ts";
import { createStore, type OpenDatabase, openDatabase, type Store } from "./index.ts";
import { auditLog } from "./schema-auth.ts";
import type { NewToken } from "./tokens.ts";

type Kind = "pglite" | "postgres";
const t0 = new Date("2026-02-01T00:00:00Z");
let seq = 0;

const aToken = (over: Partial<NewToken> = {}): NewToken => {
  const n = ++seq;
  return {
    id: `tok_${n}`,
    name: `t-${n}`,
    role: "viewer",
    tenant: null,
    hash: `hash-${n}`,
    hint: "gtk_abcd",
    createdBy: "test",
    createdAt: t0,
    ...over,
  };
};

const anEntry = (over: Partial<AuditEntry> = {}): AuditEntry => ({
  at: t0,
  subject: "token:ci",
  role: "admin",
  tenant: null,
  action: "tokens:write",
  outcome: "success",
  status: 201,
  ...over,
});

describe.each<Kind>(["pglite", "postgres"])("token and audit repositories on %s", (kind) => {
  let database: OpenDatabase;
  let drop: (() => Promise<void>) | undefined;
  let store: Store;

  beforeAll(async () => {
    if (kind === "pglite") database = await openDatabase({ dataDir: "memory://" });
    else {
      const pg = await createTestDatabase();
      database = await openDatabase({ url: pg.url });
      drop = () => pg.drop();
    }
    store = createStore(database.db);
  }, 60_000);
  afterAll(async () => {
    await database?.close();
    await drop?.();
  });

  it("finds a live token by its hash and never returns the hash", async () => {
    const t = aToken({ role: "member", tenant: "a" });
    await store.tokens.create(t);
    const found = await store.tokens.findLiveByHash(t.hash);
    expect(found).toMatchObject({ id: t.id, role: "member", tenant: "a", revokedAt: null });
    expect(found).not.toHaveProperty("hash");
    expect(await store.tokens.findLiveByHash("no-such-hash")).toBeUndefined();
  });

  it("refuses a second live token of the same name, and allows it once the first is revoked", async () => {
    const first = aToken({ name: "ci" });
    await store.tokens.create(first);
    await expect(store.tokens.create(aToken({ name: "ci" }))).rejects.toMatchObject({ code: "conflict" });
    await store.tokens.revoke(first.id, t0);
    await expect(store.tokens.create(aToken({ name: "ci" }))).resolves.toMatchObject({ name: "ci" });
  });

  it("revokes: the hash no longer authenticates, a second revoke is not found", async () => {
    const t = aToken();
    await store.tokens.create(t);
    await store.tokens.revoke(t.id, t0);
    expect(await store.tokens.findLiveByHash(t.hash)).toBeUndefined();
    await expect(store.tokens.revoke(t.id, t0)).rejects.toThrow("already revoked");
    await expect(store.tokens.revoke("tok_nope", t0)).rejects.toBeInstanceOf(HubError);
    expect((await store.tokens.list()).map((x) => x.id)).not.toContain(t.id);
    expect((await store.tokens.list({ includeRevoked: true })).map((x) => x.id)).toContain(t.id);
  });

  it("writes a change and its audit row together, or neither", async () => {
    const subject = `token:atomic-${kind}`;
    const t = aToken({ name: "atomic" });
    await store.tokens.create(t, anEntry({ subject }));
    // The name is taken now: the insert fails, so its audit row must not appear either.
    await expect(store.tokens.create(aToken({ name: "atomic" }), anEntry({ subject }))).rejects.toMatchObject({
      code: "conflict",
    });
    const rows = await database.db.select().from(auditLog);
    expect(rows.filter((r) => r.subject === subject)).toHaveLength(1);
  });

  it("keeps exactly one live bootstrap token", async () => {
    const a = aToken({ name: "bootstrap-admin", role: "admin" });
    await store.tokens.replaceBootstrap(a);
    const b = aToken({ name: "bootstrap-admin", role: "admin" });
    await store.tokens.replaceBootstrap(b);
    expect(await store.tokens.findLiveByHash(a.hash)).toBeUndefined();
    expect(await store.tokens.findLiveByHash(b.hash)).toMatchObject({ bootstrap: true });
    expect((await store.tokens.list()).filter((x) => x.bootstrap)).toHaveLength(1);
  });

  it("lists the audit log newest first, filtered, in pages that cover every row exactly once", async () => {
    const subject = `token:pager-${kind}`;
    const entries = Array.from({ length: 23 }, (_, i) =>
      anEntry({
        subject,
        at: new Date(t0.getTime() + i * 60_000),
        outcome: i % 3 === 0 ? "denied" : "success",
        status: i % 3 === 0 ? 403 : 201,
        tenant: i % 2 === 0 ? "a" : null,
        object: { kind: "workloads", name: `w${i}`, tenant: i % 5 === 0 ? "b" : null },
      }),
    );
    for (const e of entries) await store.audit.record(e);

    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const r = await store.audit.list({ subject, limit: 5, ...(cursor ? { continue: cursor } : {}) });
      seen.push(...r.items.map((x) => x.objectName ?? ""));
      cursor = r.continue;
      if (!cursor) break;
    }
    expect(seen).toEqual(entries.map((e) => e.object?.name).reverse());

    const denied = await store.audit.list({ subject, outcome: "denied", limit: 100 });
    expect(denied.items.map((x) => x.objectName)).toEqual(
      entries
        .filter((e) => e.outcome === "denied")
        .map((e) => e.object?.name)
        .reverse(),
    );
    const window = await store.audit.list({
      subject,
      from: new Date(t0.getTime() + 5 * 60_000),
      to: new Date(t0.getTime() + 10 * 60_000),
      limit: 100,
    });
    expect(window.items.map((x) => x.objectName)).toEqual(["w9", "w8", "w7", "w6", "w5"]);
    // A tenant matches the caller's tenant or the object's.
    const ofB = await store.audit.list({ subject, tenant: "b", limit: 100 });
    expect(ofB.items.map((x) => x.objectName)).toEqual(["w20", "w15", "w10", "w5", "w0"]);
    const ofA = await store.audit.list({ subject, tenant: "a", limit: 100 });
    expect(ofA.items).toHaveLength(12);
  });

  it("rejects a continue token it did not hand out, naming the field", async () => {
    await expect(store.audit.list({ limit: 5, continue: "bm9wZQ" })).rejects.toMatchObject({
      code: "validation_failed",
      details: [{ field: "continue", message: expect.any(String) }],
    });
  });
});
