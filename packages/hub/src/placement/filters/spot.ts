import type { SpotPolicy } from "@gantry/shared";
import { dropOffer, type FilterPlugin, type Offer, type Rejection, remember } from "../framework.ts";
import type { FleetSnapshot } from "../snapshot.ts";

/**
 * Prices one offer under the spot policy. `never`: on-demand only. `allowed`: the cheaper of spot and on-demand.
 * `preferred`: spot whenever the cluster sells it for the model. Returns false when no usable price exists.
 */
export const priceOffer = (snap: FleetSnapshot, cluster: number, offer: Offer, policy: SpotPolicy): boolean => {
  if (offer.modelId < 0) return true;
  const at = cluster * snap.models.length + offer.modelId;
  // NaN marks "not sold"; the snapshot already leaves out spot prices of clusters with `spot: false`.
  const onDemand = snap.onDemand[at]!;
  const spot = policy === "never" ? Number.NaN : snap.spot[at]!;
  if (!Number.isNaN(spot) && (Number.isNaN(onDemand) || policy === "preferred" || spot < onDemand)) {
    offer.pricePerGpuHour = spot;
    offer.spot = true;
    return true;
  }
  if (Number.isNaN(onDemand)) return false;
  offer.pricePerGpuHour = onDemand;
  offer.spot = false;
  return true;
};

const unpriced = (models: string, spotOnly: boolean, policy: SpotPolicy): Rejection => ({
  code: "no_usable_price",
  message: spotOnly
    ? `${models} is sold only as spot here and the spot policy is never`
    : `no price for ${models} under spot policy ${policy}`,
  plugin: "spot",
  summary: spotOnly ? "spot only, spot policy never" : "no usable GPU price",
});

/** Drops GPU models without a price the spot policy allows; an unpriced GPU is never treated as free. */
export const spotFilter: FilterPlugin = {
  name: "spot",
  filter(ctx) {
    const policy = ctx.request.spot;
    const before = ctx.offerCount;
    for (let i = 0; i < ctx.offerCount; i++)
      if (!priceOffer(ctx.snapshot, ctx.index, ctx.offers[i]!, policy)) dropOffer(ctx, i--);
    if (ctx.offerCount > 0) return undefined;
    // Every offer was dropped, so the first `before` slots hold them all (in swapped order): sort for a stable text.
    const offers = ctx.offers.slice(0, before);
    const models = offers
      .map((o) => o.model ?? "")
      .sort()
      .join("/");
    const spotOnly =
      policy === "never" &&
      offers.some((o) => !Number.isNaN(ctx.snapshot.spot[ctx.index * ctx.snapshot.models.length + o.modelId]!));
    const key = `spot:${models}:${spotOnly}`;
    return ctx.request.memo.get(key) ?? remember(ctx.request, key, unpriced(models, spotOnly, policy));
  },
};
