import { interruptionRate, reworkHours } from "../charges/spot-risk.ts";
import { dropOffer, type FilterPlugin, type Offer, type PlanRequest, type Rejection, remember } from "../framework.ts";
import type { FleetSnapshot } from "../snapshot.ts";

/**
 * Prices one offer under the spot policy. `never`: on-demand only. `allowed`: whichever of spot and on-demand has
 * the lower expected price, spot counting its rework (`charges/spot-risk.ts`), among those within
 * `maxGpuHourPrice`. `preferred`: spot whenever the cluster sells it for the model within the cap. `spotOnly` (a
 * spot pool): spot or nothing. Returns false when no usable price exists.
 */
export const priceOffer = (snap: FleetSnapshot, cluster: number, offer: Offer, req: PlanRequest): boolean => {
  if (offer.modelId < 0) return true;
  const at = cluster * snap.models.length + offer.modelId;
  // NaN marks "not sold"; the snapshot already leaves out spot prices of clusters with `spot: false`.
  const onDemand = snap.onDemand[at]!;
  const spot = req.spot === "never" ? Number.NaN : snap.spot[at]!;
  const hasSpot = !Number.isNaN(spot);
  const hasOnDemand = !Number.isNaN(onDemand) && !req.spotOnly;
  let useSpot: boolean;
  if (!hasSpot || !hasOnDemand) {
    if (!hasSpot && !hasOnDemand) return false;
    useSpot = hasSpot;
  } else {
    const max = req.maxGpuHourPrice ?? Number.POSITIVE_INFINITY;
    if (spot <= max !== onDemand <= max) useSpot = spot <= max;
    else if (req.spot === "preferred") useSpot = true;
    else {
      const rework = reworkHours(interruptionRate(snap.preemptions[at]!, req, req.replicas), req) / req.hours;
      useSpot = spot * (1 + rework) < onDemand;
    }
  }
  offer.pricePerGpuHour = useSpot ? spot : onDemand;
  offer.spot = useSpot;
  return true;
};

const unpriced = (models: string, why: "spot-only" | "no-spot" | "none", req: PlanRequest): Rejection => {
  if (why === "spot-only") {
    const summary = "spot only, spot policy never";
    return {
      code: "no_usable_price",
      message: `${models} is sold only as spot here and the spot policy is never`,
      plugin: "spot",
      summary,
    };
  }
  if (why === "no-spot") {
    const pool = req.poolName === undefined ? "the pool" : `pool ${req.poolName}`;
    const message = `no spot price for ${models} here, and ${pool} offers only spot capacity`;
    return { code: "no_usable_price", message, plugin: "spot", summary: "no spot price in a spot pool" };
  }
  return {
    code: "no_usable_price",
    message: `no price for ${models} under spot policy ${req.spot}`,
    plugin: "spot",
    summary: "no usable GPU price",
  };
};

/** Drops GPU models without a price the spot policy allows; an unpriced GPU is never treated as free. */
export const spotFilter: FilterPlugin = {
  name: "spot",
  filter(ctx) {
    const req = ctx.request;
    const before = ctx.offerCount;
    for (let i = 0; i < ctx.offerCount; i++)
      if (!priceOffer(ctx.snapshot, ctx.index, ctx.offers[i]!, req)) dropOffer(ctx, i--);
    if (ctx.offerCount > 0) return undefined;
    // Every offer was dropped, so the first `before` slots hold them all (in swapped order): sort for a stable text.
    const offers = ctx.offers.slice(0, before);
    const models = offers
      .map((o) => o.model ?? "")
      .sort()
      .join("/");
    const sellsSpot = offers.some(
      (o) => !Number.isNaN(ctx.snapshot.spot[ctx.index * ctx.snapshot.models.length + o.modelId]!),
    );
    const why = req.spot === "never" && sellsSpot ? "spot-only" : req.spotOnly && !sellsSpot ? "no-spot" : "none";
    const key = `spot:${models}:${why}`;
    return req.memo.get(key) ?? remember(req, key, unpriced(models, why, req));
  },
};
