// @ts-check
/**
 * Mutation testing of the pure core (`pnpm mutation`; not in CI: too slow on 2 cores). `scripts/mutation.ts` runs it
 * file by file and writes the per-file score to docs/testing.md.
 *
 * - inPlace: Stryker's sandbox rewrites tsconfig files with TypeScript's JS API, which TypeScript 7 no longer has;
 *   in place it mutates the working tree itself, so never commit while a run is going on (it restores on exit).
 * - plugins: pnpm does not hoist the vitest runner next to @stryker-mutator/core, so it is named explicitly.
 * - ignoreStatic: mutants in module-level initialisers need every test re-run in a fresh process; they are
 *   reported as ignored, not scored.
 * - incremental: a run reuses the previous results of mutants whose code and covering tests did not change.
 * @type {import("@stryker-mutator/api/core").PartialStrykerOptions}
 */
export default {
  packageManager: "pnpm",
  testRunner: "vitest",
  plugins: ["@stryker-mutator/vitest-runner"],
  vitest: { configFile: "vitest.stryker.config.ts", related: false },
  inPlace: true,
  coverageAnalysis: "perTest",
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 2),
  incremental: true,
  incrementalFile: process.env.STRYKER_INCREMENTAL ?? "reports/mutation/stryker-incremental.json",
  // Instrumented code under a load average of 10+: the first run of every test takes minutes.
  dryRunTimeoutMinutes: 30,
  // A static mutant (a module-level constant) runs every test for every such mutant: hours on 2 cores.
  ignoreStatic: process.env.STRYKER_IGNORE_STATIC !== "false",
  timeoutMS: 20_000,
  timeoutFactor: 3,
  mutate: [
    "packages/hub/src/placement/**/*.ts",
    "!packages/hub/src/placement/**/*.test.ts",
    "!packages/hub/src/placement/testing/**",
    "packages/hub/src/scheduler/pass.ts",
    "packages/hub/src/scheduler/queue.ts",
    "packages/hub/src/scheduler/burst.ts",
    "packages/hub/src/scheduler/budgets.ts",
    "packages/hub/src/fleet/**/*.ts",
    "!packages/hub/src/fleet/**/*.test.ts",
    "packages/shared/src/protocol/**/*.ts",
    "!packages/shared/src/protocol/**/*.test.ts",
  ],
  reporters: ["json", "clear-text", "progress"],
  jsonReporter: { fileName: process.env.STRYKER_JSON ?? "reports/mutation/mutation.json" },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
};
