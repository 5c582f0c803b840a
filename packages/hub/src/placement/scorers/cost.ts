import type { Candidate, ScorePlugin } from "../framework.ts";
import { headroomClause } from "./headroom.ts";

const usd = (n: number): string => `$${n.toFixed(2)}`;

/** A cent, so a free cluster does not make every other ratio zero. */
const EPSILON_USD = 0.01;

/** USD per replica the cluster would take; the fair basis when clusters take different numbers of replicas. */
export const costPerReplica = (c: Candidate): number => (c.compute + c.egress) / Math.max(1, c.take);

/** What the cluster is ranked by, per replica: estimated cost plus the headroom charge (`headroom.ts`). */
export const rankedCostPerReplica = (c: Candidate): number => (c.compute + c.egress + c.headroom) / Math.max(1, c.take);

/**
 * Total estimated cost: compute (replicas × GPUs × price/h × hours) plus egress of remote data, ranked with the
 * headroom charge added. Score 100 for the cheapest candidate so ranked, proportional below (a cluster twice as
 * dear scores ~50).
 */
export const costScorer: ScorePlugin = {
  name: "cost",
  score(c, _req, stats) {
    return (100 * (stats.minRankedCostPerReplica + EPSILON_USD)) / (rankedCostPerReplica(c) + EPSILON_USD);
  },
  explain(c, req) {
    const price = `${usd(c.pricePerGpuHour)}/GPU-h ${c.spot ? "spot" : "on-demand"}`;
    const gpu = req.gpus > 0 ? ` at ${price}` : "";
    const message = `est. ${usd(c.compute + c.egress)} for ${c.take} replicas over ${req.hours} h (${usd(c.compute)} compute${gpu} + ${usd(c.egress)} egress)`;
    const headroom = headroomClause(c, req);
    return { code: "cost", message: headroom === undefined ? message : `${message}; ${headroom}` };
  },
};
