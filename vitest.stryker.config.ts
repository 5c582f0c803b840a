import { defineConfig } from "vitest/config";

/**
 * The unit tests that cover the mutated core, as one plain project: Stryker's vitest runner drives a single project
 * and must not start the end-to-end suites (real servers, minutes each) for every mutant. `scripts/mutation.ts` narrows
 * the tests to the ones beside each group (STRYKER_TESTS, comma-separated globs).
 */
const ALL = [
  "packages/hub/src/placement/**/*.test.ts",
  "packages/hub/src/scheduler/**/*.test.ts",
  "packages/hub/src/fleet/**/*.test.ts",
  "packages/hub/src/bus/**/*.test.ts",
  "packages/shared/src/**/*.test.ts",
];

export default defineConfig({
  test: {
    setupFiles: ["./vitest.setup.ts"],
    include: process.env.STRYKER_TESTS ? process.env.STRYKER_TESTS.split(",") : ALL,
    testTimeout: 60_000,
  },
});
