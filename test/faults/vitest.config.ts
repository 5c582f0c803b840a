import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/**
 * `pnpm faults`: the fault suite alone, one file at a time (each starts its own servers as real processes). The same
 * files also run in the root config's e2e project, so `./scripts/test.sh` runs them too.
 */
export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  test: {
    name: "faults",
    include: ["test/faults/**/*.test.ts"],
    testTimeout: 300_000,
    hookTimeout: 240_000,
    // Two files at a time: each runs its own servers on free ports; the scenarios' timings leave room for a busy machine.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
