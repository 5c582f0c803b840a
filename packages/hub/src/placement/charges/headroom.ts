/**
 * The headroom charge: a shadow price on scarce capacity. Greedy placement lets an early, flexible workload take the
 * cheapest GPUs that a later workload restricted to that region, tier, price or taint needed; charging for filling
 * a cluster keeps some headroom there. Never billed: estimated costs stay the real ones.
 *
 * Two sources for the price, in USD:
 * - with a demand forecast (`PlanOptions.capacityPrices`, from `priceCapacity`): what the forecast demand is
 *   expected to pay more elsewhere (or lose, unplaced) when these GPUs of that model in that cluster are taken;
 * - without one, from the snapshot alone (online primal–dual style): a GPU taken when the cluster's GPUs of that
 *   model are a fraction u used is charged price × min(duration, 4 h) × `headroomFactor` × u², integrated over
 *   the fill the placement causes, so every GPU of a gang pays at the level it brings the cluster to.
 */
import type { Candidate, ChargePlugin, PlanRequest } from "../framework.ts";
import { usd } from "../money.ts";
import { curveAt } from "../transport.ts";

/** Steepness: a GPU taken at utilisation u is charged u² of the full charge, so a quarter-full cluster costs ~6 %. */
export const HEADROOM_EXPONENT = 2;

/**
 * Hours the utilisation charge counts at most. Capacity is held per GPU whatever the duration, so beyond a few hours
 * a longer job should not be pushed out of cheap capacity harder than a shorter one.
 */
export const HEADROOM_MAX_HOURS = 4;

/** Utilisation of the chosen GPU model in the cluster before and after placing `replicas`, 0..1. */
export const utilisation = (c: Candidate, req: PlanRequest, replicas: number): { before: number; after: number } => {
  if (c.capacityGpus === 0) return { before: 0, after: 0 };
  const before = Math.max(0, 1 - c.freeGpus / c.capacityGpus);
  return { before, after: Math.min(1, before + (replicas * req.gpus) / c.capacityGpus) };
};

/** What the forecast loses when `gpus` GPUs of the candidate's model are taken there; undefined without one. */
const forecastCharge = (c: Candidate, req: PlanRequest, gpus: number): number | undefined => {
  if (req.capacityPrices === null || c.modelId < 0) return undefined;
  const curve = req.capacityPrices[c.index * c.snapshot.models.length + c.modelId];
  return curve === undefined ? 0 : curveAt(curve, gpus);
};

export const headroomCharge: ChargePlugin = {
  name: "headroom",
  charge(c, req, replicas, into) {
    if (c.capacityGpus === 0 || req.gpus === 0) return;
    const forecast = forecastCharge(c, req, replicas * req.gpus);
    if (forecast !== undefined) {
      into.headroom = forecast;
      return;
    }
    if (req.headroomFactor === 0) return;
    // `utilisation`, inlined: no object per feasible cluster.
    const before = Math.max(0, 1 - c.freeGpus / c.capacityGpus);
    const after = Math.min(1, before + (replicas * req.gpus) / c.capacityGpus);
    const k = HEADROOM_EXPONENT;
    const atFull = req.headroomFactor * c.pricePerGpuHour * Math.min(req.hours, HEADROOM_MAX_HOURS);
    into.headroom = (atFull * c.capacityGpus * (after ** (k + 1) - before ** (k + 1))) / (k + 1);
  },
  explain(c, req, replicas, terms) {
    if (terms.headroom < 0.005) return undefined;
    const pct = (u: number): string => `${Math.round(100 * u)}%`;
    const { before, after } = utilisation(c, req, replicas);
    const fill = `takes ${c.model ?? "GPU"} here from ${pct(before)} to ${pct(after)} of ${c.capacityGpus}`;
    const why =
      req.capacityPrices === null
        ? "keeping headroom for workloads that can only run here (options.headroomFactor 0 turns it off)"
        : "what the demand forecast expects the workloads it displaces to pay more elsewhere";
    return { code: "headroom", message: `headroom ${usd(terms.headroom)}: ${fill}, ${why}` };
  },
};
