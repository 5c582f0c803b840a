import fc from "fast-check";

/**
 * Property tests run with one fixed seed, so a run is reproducible and CI never fails on a case the last run did not
 * try. Set FC_SEED to explore other seeds (and FC_RUNS to try more cases), e.g. before a release.
 */
fc.configureGlobal({
  seed: Number(process.env.FC_SEED ?? 20_261_201),
  ...(process.env.FC_RUNS ? { numRuns: Number(process.env.FC_RUNS) } : {}),
  // Under mutation testing (scripts/mutation.ts sets STRYKER_TESTS) a failing property only has to fail: shrinking
  // the counterexample took past the 20 s mutant timeout, and every timeout restarts the test worker.
  ...(process.env.STRYKER_TESTS ? { endOnFailure: true } : {}),
});
