import { describe, expect, it } from "vitest";
import { aCluster, aWorkload } from "../testing/builders.ts";
import { runFilter } from "../testing/harness.ts";

describe("price filter", () => {
  it("passes when the chosen price is at most maxGpuHourPrice (after spot pricing)", () => {
    const c = aCluster({ spot: true, pricing: { gpuHour: { H100: 4 }, spotGpuHour: { H100: 1.5 } } });
    const w = aWorkload({ placement: { maxGpuHourPrice: 2, spot: "allowed" } });
    expect(runFilter("price", c, w).rejection).toBeUndefined();
  });
  it("rejects a cluster whose cheapest acceptable GPU is above the max", () => {
    const c = aCluster({ pricing: { gpuHour: { H100: 4 } } });
    const r = runFilter("price", c, aWorkload({ placement: { maxGpuHourPrice: 3 } }));
    expect(r.rejection).toMatchObject({
      code: "price_too_high",
      message: "cheapest GPU costs $4.00/GPU-h, above the max $3.00",
    });
  });
});
