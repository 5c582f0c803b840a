import { dropOffer, type FilterPlugin, type Rejection, remember } from "../framework.ts";

const usd = (n: number): string => `$${n.toFixed(2)}`;

const tooDear = (label: string, cheapest: number, max: number): Rejection => ({
  code: "price_too_high",
  message: `cheapest ${label} costs ${usd(cheapest)}/GPU-h, above the max ${usd(max)}`,
  plugin: "price",
  summary: `above max price ${usd(max)}/GPU-h`,
});

/** Drops GPU models priced above the workload's `maxGpuHourPrice` (after the spot policy chose the price). */
export const priceFilter: FilterPlugin = {
  name: "price",
  filter(ctx) {
    const max = ctx.request.maxGpuHourPrice;
    if (max === undefined || ctx.request.gpus === 0) return undefined;
    let cheapest = Number.POSITIVE_INFINITY;
    for (let i = 0; i < ctx.offerCount; i++) cheapest = Math.min(cheapest, ctx.offers[i]!.pricePerGpuHour);
    if (cheapest <= max) {
      for (let i = 0; i < ctx.offerCount; i++) if (ctx.offers[i]!.pricePerGpuHour > max) dropOffer(ctx, i--);
      return undefined;
    }
    const key = `price:${cheapest}`;
    return ctx.request.memo.get(key) ?? remember(ctx.request, key, tooDear(ctx.request.modelLabel, cheapest, max));
  },
};
