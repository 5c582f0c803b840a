import { chmod, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStore, type OpenDatabase, openDatabase, type Store } from "../../store/index.ts";
import { adminTokenPath, ensureAdminToken } from "./bootstrap.ts";
import { hashToken } from "./token-secret.ts";

describe("ensureAdminToken", () => {
  let database: OpenDatabase;
  let store: Store;
  let dir: string;
  const clock = { now: () => new Date("2026-01-01T00:00:00Z") };

  beforeAll(async () => {
    database = await openDatabase({ dataDir: "memory://" });
    store = createStore(database.db);
    dir = await mkdtemp(join(tmpdir(), "gantry-bootstrap-"));
  }, 60_000);
  afterAll(async () => {
    await database?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const liveBootstrap = async () => (await store.tokens.list()).filter((t) => t.bootstrap);
  const fileToken = async () => (await readFile(adminTokenPath(join(dir, "data")), "utf8")).trim();

  it("mints an admin token once, into a file only its owner can read", async () => {
    const dataDir = join(dir, "data");
    const first = await ensureAdminToken({ tokens: store.tokens, dataDir, clock });
    expect(first.created).toBe(true);
    expect((await stat(first.path)).mode & 0o777).toBe(0o600);
    const token = await fileToken();
    expect(await store.tokens.findLiveByHash(hashToken(token))).toMatchObject({ role: "admin", bootstrap: true });

    const again = await ensureAdminToken({ tokens: store.tokens, dataDir, clock });
    expect(again.created).toBe(false);
    expect(await fileToken()).toBe(token);
    expect(await liveBootstrap()).toHaveLength(1);
  });

  it("re-creates a missing file and revokes the token nobody holds any more", async () => {
    const dataDir = join(dir, "data");
    const old = await fileToken();
    await rm(adminTokenPath(dataDir));
    expect((await ensureAdminToken({ tokens: store.tokens, dataDir, clock })).created).toBe(true);
    const fresh = await fileToken();
    expect(fresh).not.toBe(old);
    expect(await store.tokens.findLiveByHash(hashToken(old))).toBeUndefined();
    expect(await liveBootstrap()).toHaveLength(1);
  });

  it("replaces a file whose token the database no longer accepts, and tightens a loose mode", async () => {
    const dataDir = join(dir, "data");
    const path = adminTokenPath(dataDir);
    const [live] = await liveBootstrap();
    await store.tokens.revoke(live!.id, clock.now());
    expect((await ensureAdminToken({ tokens: store.tokens, dataDir, clock })).created).toBe(true);
    expect(await store.tokens.findLiveByHash(hashToken(await fileToken()))).toBeDefined();

    await chmod(path, 0o644);
    expect((await ensureAdminToken({ tokens: store.tokens, dataDir, clock })).created).toBe(false);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });
});
