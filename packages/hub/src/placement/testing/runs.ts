/**
 * A property's number of cases: its own default, or `FC_RUNS` when set (more to explore before a release, fewer
 * for a mutation run, where every surviving mutant re-runs every property that covers it).
 */
export const runs = (byDefault: number): number => Number(process.env.FC_RUNS ?? byDefault);
