import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/processes.ts";

const run = promisify(execFile);
const DIR = join(REPO_ROOT, "deploy/prometheus");

/** promtool (scripts/bootstrap.sh installs Debian's prometheus package for it). */
const promtool = async (...args: string[]) => {
  try {
    const r = await run("promtool", args, { cwd: DIR });
    return { code: 0, out: `${r.stdout}${r.stderr}` };
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { code: number | string; stdout?: string; stderr?: string };
    if (err.code === "ENOENT") throw new Error("promtool is not installed: run scripts/bootstrap.sh");
    return { code: Number(err.code), out: `${err.stdout ?? ""}${err.stderr ?? ""}` };
  }
};

describe("the Prometheus alert rules in deploy/prometheus", () => {
  it("are valid rules", async () => {
    const r = await promtool("check", "rules", "gantry-alerts.yaml");
    expect(r.out).toContain("SUCCESS: 4 rules found");
    expect(r.code).toBe(0);
  });

  it("fire on a cluster offline, a stale heartbeat, a budget at 90 % and a queue wait past the SLO, and only then", async () => {
    const r = await promtool("test", "rules", "gantry-alerts.test.yaml");
    expect(r.out).toContain("SUCCESS");
    expect(r.code).toBe(0);
  });
});
