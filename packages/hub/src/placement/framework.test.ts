import { describe, expect, it } from "vitest";
import { addOffer, type ClusterContext, dropOffer, type Offer, type Rejection, remember } from "./framework.ts";
import { compileRequest } from "./request.ts";
import { compileFleet } from "./snapshot.ts";
import { aCluster, aFleet, aNodeGroup, aWorkload } from "./testing/builders.ts";

/** A context on a one-cluster fleet whose models are H100 (id 0) and A100 (id 1), with no offers yet. */
const context = (): ClusterContext => {
  const c = aCluster({
    pricing: { gpuHour: { H100: 2, A100: 1 } },
    nodes: [aNodeGroup(), aNodeGroup({ name: "a", gpu: { model: "A100", count: 8, memoryGiB: 80 } })],
  });
  const snapshot = compileFleet(aFleet([c]));
  return {
    snapshot,
    index: 0,
    cluster: c,
    request: compileRequest(snapshot, aWorkload()),
    reservations: undefined,
    offers: [],
    offerCount: 0,
    chosen: undefined,
    fitReplicas: 0,
  };
};

const blank = (model: string | undefined, modelId: number): Offer => ({
  model,
  modelId,
  pricePerGpuHour: 0,
  spot: false,
  gpuSlots: 0,
  slots: 0,
  cpuSlots: 0,
  memorySlots: 0,
  largestFreeBlock: 0,
  freeGpus: 0,
});

describe("addOffer", () => {
  it("appends an unpriced, on-demand offer for the model, or for no GPU", () => {
    const ctx = context();
    expect(ctx.snapshot.models).toEqual(["H100", "A100"]);
    addOffer(ctx, 1);
    addOffer(ctx, -1);
    expect(ctx.offerCount).toBe(2);
    expect(ctx.offers).toEqual([blank("A100", 1), blank(undefined, -1)]);
  });

  it("reuses a pooled offer past the live ones as a fresh one: the previous cluster's price and spot do not leak", () => {
    const ctx = context();
    addOffer(ctx, 0);
    addOffer(ctx, 1);
    const pooled = ctx.offers[1]!;
    pooled.pricePerGpuHour = 7;
    pooled.spot = true;
    // The next cluster starts with no live offers.
    ctx.offerCount = 0;
    addOffer(ctx, 1);
    addOffer(ctx, 0);
    expect(ctx.offerCount).toBe(2);
    expect(ctx.offers).toHaveLength(2);
    expect(ctx.offers[0]).toMatchObject({ model: "A100", modelId: 1, pricePerGpuHour: 0, spot: false });
    expect(ctx.offers[1]).toMatchObject({ model: "H100", modelId: 0, pricePerGpuHour: 0, spot: false });
    // A third offer for this cluster needs a new object: the pool had two.
    addOffer(ctx, -1);
    expect(ctx.offers).toHaveLength(3);
    expect(ctx.offers[2]).toEqual(blank(undefined, -1));
    expect(new Set(ctx.offers).size).toBe(3);
  });
});

describe("dropOffer", () => {
  it("swaps the dropped offer past the live ones, so every pooled object stays, once", () => {
    const ctx = context();
    for (const id of [0, 1, -1]) addOffer(ctx, id);
    const [h100, a100, none] = ctx.offers;
    dropOffer(ctx, 0);
    expect(ctx.offerCount).toBe(2);
    expect(ctx.offers).toHaveLength(3);
    expect(ctx.offers[0]).toBe(none);
    expect(ctx.offers[1]).toBe(a100);
    expect(ctx.offers[2]).toBe(h100);
    // Dropping the last live one leaves the order as it is.
    dropOffer(ctx, 1);
    expect(ctx.offerCount).toBe(1);
    expect(ctx.offers).toEqual([none, a100, h100]);
  });
});

describe("remember", () => {
  it("returns the rejection and keeps it for the rest of the decision under its key", () => {
    const ctx = context();
    const r: Rejection = { code: "tier_not_allowed", message: "m", plugin: "tier", summary: "s" };
    expect(remember(ctx.request, 7, r)).toBe(r);
    expect(ctx.request.memo.get(7)).toBe(r);
  });
});
