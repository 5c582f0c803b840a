import type { Decision, DecisionOmitted } from "@gantry/shared";
import { compactDecision, STORED_KEEP } from "../placement/keep.ts";

/**
 * What the hub keeps of a decision (`STORED_KEEP`, `placement/keep.ts`). Stored whole, every placement wrote ~3.7 MB
 * of verdicts to PostgreSQL at 10,000 clusters, which made the scheduler's placement transactions, not the engine,
 * the cost of a pass on a large fleet (issue 12). Above `KEEP_ALL_UP_TO` clusters the stored decision keeps every
 * selected cluster, the runner-up, the cheapest feasible others, and a few clusters of each rejection reason;
 * `omitted` counts the rest and says why they were filtered.
 */
export const KEEP_ALL_UP_TO = STORED_KEEP.allUpTo;
export const KEEP_FEASIBLE = STORED_KEEP.feasible;
export const KEEP_PER_REASON = STORED_KEEP.perReason;

export { cheapest } from "../placement/keep.ts";

/** The stored form; a decision already compacted (the scheduler's engine makes them so) is kept as it is. */
export const storedDecision = (d: Decision): Decision =>
  d.omitted !== undefined ? d : compactDecision(d, STORED_KEEP);

/** One line for readers of a stored decision: what its verdict list leaves out. */
export const omittedLine = (o: DecisionOmitted): string => {
  const parts = [`${o.feasible} feasible but dearer than those shown`];
  for (const f of o.filtered) parts.push(`${f.count} filtered (${f.code}: e.g. ${f.example})`);
  return `… and ${o.clusters} more clusters not kept in the stored decision: ${parts.join("; ")}`;
};
