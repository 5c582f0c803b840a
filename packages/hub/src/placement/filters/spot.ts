import type { ClusterDescription, SpotPolicy } from "@gantry/shared";
import type { FilterPlugin, Offer } from "../framework.ts";

/**
 * Prices one offer under the spot policy. `never`: on-demand only. `allowed`: the cheaper of spot and on-demand.
 * `preferred`: spot whenever the cluster sells it for the model. Returns false when no usable price exists.
 */
export const priceOffer = (cluster: ClusterDescription, offer: Offer, policy: SpotPolicy): boolean => {
  if (offer.model === undefined) return true;
  const onDemand = cluster.pricing.gpuHour[offer.model];
  const spot = cluster.spot === false || policy === "never" ? undefined : cluster.pricing.spotGpuHour[offer.model];
  if (spot !== undefined && (onDemand === undefined || policy === "preferred" || spot < onDemand)) {
    offer.pricePerGpuHour = spot;
    offer.spot = true;
    return true;
  }
  if (onDemand === undefined) return false;
  offer.pricePerGpuHour = onDemand;
  offer.spot = false;
  return true;
};

/** Drops GPU models without a price the spot policy allows; an unpriced GPU is never treated as free. */
export const spotFilter: FilterPlugin = {
  name: "spot",
  filter(ctx) {
    const policy = ctx.request.spot;
    const kept = ctx.offers.filter((o) => priceOffer(ctx.cluster, o, policy));
    const dropped = ctx.offers;
    ctx.offers = kept;
    if (kept.length > 0) return undefined;
    const models = dropped.map((o) => o.model ?? "").join("/");
    const spotOnly =
      policy === "never" &&
      dropped.some((o) => o.model !== undefined && ctx.cluster.pricing.spotGpuHour[o.model] !== undefined);
    return {
      code: "no_usable_price",
      message: spotOnly
        ? `${models} is sold only as spot here and the spot policy is never`
        : `no price for ${models} under spot policy ${policy}`,
      plugin: "spot",
      summary: spotOnly ? "spot only, spot policy never" : "no usable GPU price",
    };
  },
};
