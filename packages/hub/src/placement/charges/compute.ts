import type { ChargePlugin, PlanRequest } from "../framework.ts";
import { usd } from "../money.ts";

/** USD of compute for `replicas` replicas at `pricePerGpuHour`: also the lower bound of a rank value (`rankBounded`). */
export const computeUsd = (req: PlanRequest, replicas: number, pricePerGpuHour: number): number =>
  replicas * req.gpus * pricePerGpuHour * req.hours;

/**
 * Compute: replicas × GPUs × price per GPU-hour (spot or on-demand, as the spot policy chose) × hours. Billed. Its
 * sentence is the billed estimate, compute plus egress, which is what budgets and the ledger count.
 */
export const computeCharge: ChargePlugin = {
  name: "compute",
  charge(c, req, replicas, into) {
    into.compute = computeUsd(req, replicas, c.pricePerGpuHour);
  },
  explain(c, req, replicas, terms) {
    const gpu =
      req.gpus > 0
        ? ` (${replicas * req.gpus} × ${c.model ?? "GPU"} ${c.spot ? "spot" : "on-demand"} at ${usd(c.pricePerGpuHour)}/GPU-h)`
        : " (no GPU)";
    return {
      code: "cost",
      message: `bills est. ${usd(terms.compute + terms.egress)} for ${replicas} replicas over ${req.hours} h: ${usd(terms.compute)} compute${gpu} + ${usd(terms.egress)} egress`,
    };
  },
};
