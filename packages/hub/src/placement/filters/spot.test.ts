import { describe, expect, it } from "vitest";
import { aCluster, aWorkload } from "../testing/builders.ts";
import { runFilter } from "../testing/harness.ts";

const both = aCluster({ spot: true, pricing: { gpuHour: { H100: 4 }, spotGpuHour: { H100: 1.5 } } });
const spotOnly = aCluster({ spot: true, pricing: { spotGpuHour: { H100: 1.5 } } });
const wants = (spot: "never" | "allowed" | "preferred") => aWorkload({ placement: { spot } });

describe("spot filter", () => {
  it("prices by policy: never → on-demand, allowed → cheaper, preferred → spot", () => {
    expect(runFilter("spot", both, wants("never")).ctx.offers[0]).toMatchObject({ pricePerGpuHour: 4, spot: false });
    expect(runFilter("spot", both, wants("allowed")).ctx.offers[0]).toMatchObject({ pricePerGpuHour: 1.5, spot: true });
    expect(runFilter("spot", both, wants("preferred")).ctx.offers[0]).toMatchObject({ spot: true });
    const dearSpot = aCluster({ spot: true, pricing: { gpuHour: { H100: 1 }, spotGpuHour: { H100: 1.5 } } });
    expect(runFilter("spot", dearSpot, wants("allowed")).ctx.offers[0]).toMatchObject({ pricePerGpuHour: 1 });
  });
  it("rejects a spot-only cluster for spot: never, and a model with no price at all", () => {
    expect(runFilter("spot", spotOnly, wants("never")).rejection).toMatchObject({
      code: "no_usable_price",
      message: "H100 is sold only as spot here and the spot policy is never",
    });
    const noSpotSold = aCluster({ spot: false, pricing: { spotGpuHour: { H100: 1.5 } } });
    expect(runFilter("spot", noSpotSold, wants("preferred")).rejection?.code).toBe("no_usable_price");
  });
});
