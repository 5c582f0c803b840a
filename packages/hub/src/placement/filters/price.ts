import type { FilterPlugin } from "../framework.ts";

const usd = (n: number): string => `$${n.toFixed(2)}`;

/** Drops GPU models priced above the workload's `maxGpuHourPrice` (after the spot policy chose the price). */
export const priceFilter: FilterPlugin = {
  name: "price",
  filter(ctx) {
    const max = ctx.request.maxGpuHourPrice;
    if (max === undefined || ctx.request.gpus === 0) return undefined;
    let cheapest = Number.POSITIVE_INFINITY;
    for (const o of ctx.offers) cheapest = Math.min(cheapest, o.pricePerGpuHour);
    if (cheapest <= max) {
      ctx.offers = ctx.offers.filter((o) => o.pricePerGpuHour <= max);
      return undefined;
    }
    return {
      code: "price_too_high",
      message: `cheapest ${ctx.request.modelLabel} costs ${usd(cheapest)}/GPU-h, above the max ${usd(max)}`,
      plugin: "price",
      summary: `above max price ${usd(max)}/GPU-h`,
    };
  },
};
