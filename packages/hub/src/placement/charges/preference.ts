import type { ChargePlugin } from "../framework.ts";
import { usd } from "../money.ts";

/**
 * A caller's stated tier preference, in dollars (`PlanOptions.tierPremium`): each step down the order adds its
 * premium per GPU-hour, so a preferred tier wins unless another is cheaper by more than the premium. Never billed.
 */
export const preferenceCharge: ChargePlugin = {
  name: "preference",
  charge(c, req, replicas, into) {
    const p = req.tierPremium;
    if (p === null) return;
    const steps = p.rank.get(c.tier) ?? p.order.length;
    into.preference = steps * p.usdPerGpuHour * replicas * req.gpus * req.hours;
  },
  explain(c, req, _replicas, terms) {
    const p = req.tierPremium;
    if (p === null) return undefined;
    const rank = p.rank.get(c.tier);
    const order = p.order.join(" > ");
    const where =
      rank === undefined ? `tier ${c.tier} is not in ${order}` : `tier ${c.tier} is #${rank + 1} in ${order}`;
    return {
      code: "preference",
      message: `preference ${usd(terms.preference)}: ${where}, ${usd(p.usdPerGpuHour)}/GPU-h per step down`,
    };
  },
};
