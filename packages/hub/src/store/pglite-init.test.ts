import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "./db.ts";
import { initialiseDataDir } from "./pglite-init.ts";

describe("initialiseDataDir", () => {
  it("runs initdb for a new folder in a process of its own; the hub then opens and migrates it", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "gantry-pglite-")), "data");
    expect(await initialiseDataDir(dir)).toBe("initialised");
    expect(existsSync(join(dir, "PG_VERSION"))).toBe(true);
    // Once: an initialised folder is left alone.
    expect(await initialiseDataDir(dir)).toBe("existing");
    expect(await initialiseDataDir("memory://")).toBe("existing");
    const db = await openDatabase({ dataDir: dir });
    try {
      await db.ping();
      expect(db.kind).toBe("pglite");
    } finally {
      await db.close();
    }
  }, 60_000);
});
