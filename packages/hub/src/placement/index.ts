/** The placement engine: pure functions from a fleet snapshot and a workload to a decision. */

export { nodeName } from "./capacity.ts";
export type { FilterCode, ScoreCode, ScorerName } from "./framework.ts";
export { plan } from "./plan.ts";
export { DEFAULT_WEIGHTS, FILTERS, SCORERS } from "./profile.ts";
export type { PlanOptions } from "./request.ts";
export { reservationsFor } from "./reservations.ts";
