/**
 * The headroom charge: a shadow price on capacity (online primal–dual style) that the cost scorer adds to a
 * cluster's estimated cost when ranking. Greedy placement lets an early, flexible workload take the cheapest GPUs
 * that a later workload restricted to that region, tier, price or taint needed; charging for filling a cluster keeps
 * some headroom there. The charge is derived from the snapshot and reservations alone (no knowledge of arrivals) and
 * is never billed: estimated costs stay the real ones.
 */
import type { Candidate, PlanRequest } from "../framework.ts";

/** Steepness: a GPU taken at utilisation u is charged u² of the full charge, so a quarter-full cluster costs ~6 %. */
export const HEADROOM_EXPONENT = 2;

/**
 * Hours the charge counts at most. Capacity is held per GPU whatever the duration, so beyond a few hours a longer
 * job should not be pushed out of cheap capacity harder than a shorter one.
 */
export const HEADROOM_MAX_HOURS = 4;

/** Utilisation of the chosen GPU model in the cluster before and after the placement, 0..1. */
export const utilisation = (c: Candidate, req: PlanRequest): { before: number; after: number } => {
  if (c.capacityGpus === 0) return { before: 0, after: 0 };
  const after = 1 - c.freeAfter / c.capacityGpus;
  return { before: Math.max(0, after - (c.take * req.gpus) / c.capacityGpus), after };
};

/**
 * USD charged for the GPUs the placement takes: price × `headroomFactor` × u² integrated over the utilisation it
 * spans, so every GPU of a gang pays at the fill level it brings the cluster to. Independent of the workload's own
 * duration on purpose: capacity is held per GPU, so a 1-hour and a 12-hour job displace the same GPUs, and the
 * short one (whose dollar difference between clusters is small) is the one that moves to keep headroom.
 */
export const headroomCharge = (c: Candidate, req: PlanRequest): number => {
  if (c.capacityGpus === 0 || req.gpus === 0 || req.headroomFactor === 0) return 0;
  const { before, after } = utilisation(c, req);
  const k = HEADROOM_EXPONENT;
  const atFull = req.headroomFactor * c.pricePerGpuHour * Math.min(req.hours, HEADROOM_MAX_HOURS);
  return (atFull * c.capacityGpus * (after ** (k + 1) - before ** (k + 1))) / (k + 1);
};

const pct = (u: number): string => `${Math.round(100 * u)}%`;

/** The clause the cost reason carries when a charge applies: what fills up, and what it adds to the ranking. */
export const headroomClause = (c: Candidate, req: PlanRequest): string | undefined => {
  if (c.headroom < 0.005) return undefined;
  const { before, after } = utilisation(c, req);
  return `ranked as if $${c.headroom.toFixed(2)} dearer: takes ${c.model ?? "GPU"} here from ${pct(before)} to ${pct(after)} of ${c.capacityGpus}, keeping headroom for workloads that can only run here (options.headroomFactor 0 ranks by cost alone)`;
};
