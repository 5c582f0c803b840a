import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lockDataDir } from "./lock.ts";

describe("lockDataDir", () => {
  it("refuses a second holder while the first lives, and frees the folder on release", () => {
    const dir = mkdtempSync(join(tmpdir(), "gantry-lock-"));
    const parent = process.ppid;
    writeFileSync(join(dir, "gantry.pid"), String(parent));
    expect(() => lockDataDir(dir)).toThrow(/in use by another hub \(pid \d+\)/);
    writeFileSync(join(dir, "gantry.pid"), "999999999");
    const release = lockDataDir(dir);
    expect(readFileSync(join(dir, "gantry.pid"), "utf8")).toBe(String(process.pid));
    release();
    lockDataDir(dir)();
  });
});
