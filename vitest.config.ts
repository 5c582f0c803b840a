import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          setupFiles: ["./vitest.setup.ts"],
          include: ["packages/*/src/**/*.test.ts"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "e2e",
          // One fast-check seed for every suite (the fuzz suite's too), so CI never fails on a case the last run did not try.
          setupFiles: ["./vitest.setup.ts"],
          include: ["test/**/*.test.ts"],
          // The fault suite runs on its own (`pnpm faults`, two files at a time, real processes): scripts/test.sh.
          exclude: [...configDefaults.exclude, "test/faults/**"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // End-to-end suites start their own servers on free ports; running them one file at a time keeps a 2-core machine responsive.
          fileParallelism: false,
        },
      },
    ],
  },
});
