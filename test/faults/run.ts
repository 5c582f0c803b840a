/**
 * `pnpm faults [vitest args]`: run the fault suite, then write its figures into docs/reliability.md (also when a
 * scenario failed: the table says which). Exits with vitest's status.
 */
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../support/processes.ts";
import { writeReport } from "./report.ts";
import { FIGURES_DIR } from "./support/figures.ts";

const args = process.argv.slice(2);
// A full run starts from a clean table; a run of some files keeps the other rows from before.
if (args.length === 0) rmSync(FIGURES_DIR, { recursive: true, force: true });

const started = Date.now();
const vitest = spawnSync(
  process.execPath,
  [join(REPO_ROOT, "node_modules/vitest/vitest.mjs"), "run", "--config", "test/faults/vitest.config.ts", ...args],
  { cwd: REPO_ROOT, stdio: "inherit" },
);
const status = vitest.status ?? 1;
writeReport({ wallSeconds: Math.round((Date.now() - started) / 1000), passed: status === 0, args });
process.exit(status);
