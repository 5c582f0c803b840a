import { describe, expect, it } from "vitest";
import { plan } from "../plan.ts";
import { aCluster, aFleet, aNodeGroup, aWorkload } from "../testing/builders.ts";
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

describe("price filter: the cap, the offers it drops and the sentence", () => {
  const twoModels = (h100: number, a100: number) =>
    aCluster({
      nodes: [aNodeGroup({ name: "h" }), aNodeGroup({ name: "a", gpu: { model: "A100", count: 8, memoryGiB: 80 } })],
      pricing: { gpuHour: { H100: h100, A100: a100 } },
    });
  const capped = (max: number) =>
    aWorkload({ resources: { gpu: { count: 1, models: ["A100", "H100"] } }, placement: { maxGpuHourPrice: max } });
  const offered = (r: ReturnType<typeof runFilter>) => r.ctx.offers.slice(0, r.ctx.offerCount).map((o) => o.model);

  it("passes a price equal to the max", () => {
    expect(runFilter("price", aCluster({ pricing: { gpuHour: { H100: 3 } } }), capped(3)).rejection).toBeUndefined();
  });

  it("drops only the offers above the max once one is within it", () => {
    expect(offered(runFilter("price", twoModels(4, 2), capped(3)))).toEqual(["A100"]);
    expect(offered(runFilter("price", twoModels(2, 4), capped(3)))).toEqual(["H100"]);
    expect(offered(runFilter("price", twoModels(2, 3), capped(3)))).toEqual(["H100", "A100"]);
  });

  it("leaves offers alone without a max, and GPU-less work is never priced out", () => {
    expect(offered(runFilter("price", twoModels(40, 20), aWorkload()))).toEqual(["H100", "A100"]);
    const cpu = aWorkload({ resources: { cpu: 2 }, placement: { maxGpuHourPrice: 0.5 } });
    expect(runFilter("price", aCluster(), cpu).rejection).toBeUndefined();
  });

  it("quotes the cheapest offer and the max to the cent, per cluster of one decision", () => {
    expect(runFilter("price", twoModels(4.5, 3.25), capped(3)).rejection).toEqual({
      code: "price_too_high",
      message: "cheapest A100/H100 costs $3.25/GPU-h, above the max $3.00",
      plugin: "price",
      summary: "above max price $3.00/GPU-h",
    });
    const fleet = aFleet([
      aCluster({ name: "a", pricing: { gpuHour: { H100: 4 } } }),
      aCluster({ name: "b", pricing: { gpuHour: { H100: 5 } } }),
      aCluster({ name: "c", pricing: { gpuHour: { H100: 4 } } }),
    ]);
    const d = plan(fleet, aWorkload({ placement: { maxGpuHourPrice: 3 } }));
    expect(d.clusters.map((v) => v.reasons[0]?.message)).toEqual([
      "cheapest GPU costs $4.00/GPU-h, above the max $3.00",
      "cheapest GPU costs $5.00/GPU-h, above the max $3.00",
      "cheapest GPU costs $4.00/GPU-h, above the max $3.00",
    ]);
  });
});

describe("price filter: dropping several offers", () => {
  it("checks the offer swapped into a dropped one's place", () => {
    const c = aCluster({
      nodes: [
        aNodeGroup({ name: "h" }),
        aNodeGroup({ name: "a", gpu: { model: "A100", count: 8, memoryGiB: 80 } }),
        aNodeGroup({ name: "l", gpu: { model: "L4", count: 8, memoryGiB: 24 } }),
      ],
      pricing: { gpuHour: { H100: 4, A100: 5, L4: 1 } },
    });
    const r = runFilter("price", c, aWorkload({ placement: { maxGpuHourPrice: 3 } }));
    expect(r.ctx.offers.slice(0, r.ctx.offerCount).map((o) => o.model)).toEqual(["L4"]);
  });
});
