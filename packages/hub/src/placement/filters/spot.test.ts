import { describe, expect, it } from "vitest";
import { plan } from "../plan.ts";
import { aCluster, aFleet, aNodeGroup, aWorkload } from "../testing/builders.ts";
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

describe("spot filter: prices within the cap and after rework", () => {
  const priced = (od: number, sp: number, spec: Parameters<typeof aWorkload>[0], rates?: Record<string, number>) => {
    const c = aCluster({
      spot: true,
      pricing: { gpuHour: { H100: od }, spotGpuHour: { H100: sp } },
      ...(rates === undefined ? {} : { spotPreemptionsPerHour: rates }),
    });
    const o = runFilter("spot", c, aWorkload(spec)).ctx.offers[0];
    return [o?.pricePerGpuHour, o?.spot];
  };
  const policy = (spot: "allowed" | "preferred", maxGpuHourPrice?: number) => ({
    placement: { spot, ...(maxGpuHourPrice === undefined ? {} : { maxGpuHourPrice }) },
  });

  it("takes the one price within maxGpuHourPrice, counting a price equal to the max as within", () => {
    expect(priced(4, 1.5, policy("allowed", 2))).toEqual([1.5, true]);
    expect(priced(3, 2, policy("allowed", 2))).toEqual([2, true]);
    expect(priced(1.5, 3, policy("preferred", 2))).toEqual([1.5, false]);
    expect(priced(2, 2.5, policy("preferred", 2))).toEqual([2, false]);
  });

  it("under preferred takes spot when both are within the cap (or both above it), even when dearer", () => {
    expect(priced(1.5, 2, policy("preferred", 2))).toEqual([2, true]);
    expect(priced(3, 4, policy("preferred", 2))).toEqual([4, true]);
    expect(priced(1, 1.5, policy("preferred"))).toEqual([1.5, true]);
  });

  it("under allowed counts the rework a preemption costs: spot must beat on-demand after it", () => {
    // λ = 0.05/h, hourly checkpoints: rework per hour = (e^0.05 − 1)/0.05 − 1 = 0.025422.
    // $1.96 × 1.025422 = $2.0098 > $2: on-demand; $1.90 × 1.025422 = $1.948 < $2: spot.
    expect(priced(2, 1.96, policy("allowed"))).toEqual([2, false]);
    expect(priced(2, 1.9, policy("allowed"))).toEqual([1.9, true]);
    // Over 10 hours the rework per hour is the same (10 intervals of 0.025422 h over 10 h).
    expect(priced(2, 1.9, { durationHours: 10, ...policy("allowed") })).toEqual([1.9, true]);
    // A gang of 4 rolls back together: Λ = 0.2/h, (e^0.2 − 1)/0.2 − 1 = 0.107014; $1.90 × 1.107 = $2.103 > $2.
    const gang = { replicas: 4, gang: true, ...policy("allowed") };
    expect(priced(2, 1.9, gang)).toEqual([2, false]);
    expect(priced(2, 1.9, { ...gang, gang: false })).toEqual([1.9, true]);
    // The cluster's own preemption rate: 0.2/h per node makes one replica as costly as the gang above.
    expect(priced(2, 1.9, policy("allowed"), { H100: 0.2 })).toEqual([2, false]);
  });

  it("reads the prices and preemption rate of the cluster it judges", () => {
    const other = aCluster({
      name: "other",
      spot: true,
      pricing: { gpuHour: { H100: 9 }, spotGpuHour: { H100: 0.5 } },
      spotPreemptionsPerHour: { H100: 0.2 },
    });
    const me = aCluster({ name: "me", spot: true, pricing: { gpuHour: { H100: 2 }, spotGpuHour: { H100: 1.9 } } });
    const r = runFilter("spot", me, aWorkload(policy("allowed")), {}, aFleet([other, me]));
    expect(r.ctx.offers[0]).toMatchObject({ pricePerGpuHour: 1.9, spot: true });
  });

  it("offers only spot in a spot pool, even where on-demand is cheaper", () => {
    const dearSpot = aCluster({ spot: true, pricing: { gpuHour: { H100: 1 }, spotGpuHour: { H100: 1.5 } } });
    const r = runFilter("spot", dearSpot, aWorkload(policy("allowed")), { spotOnly: true });
    expect(r.ctx.offers[0]).toMatchObject({ pricePerGpuHour: 1.5, spot: true });
  });

  it("leaves a GPU-less offer unpriced", () => {
    const r = runFilter("spot", both, aWorkload({ resources: { cpu: 2 }, placement: { spot: "preferred" } }));
    expect(r.rejection).toBeUndefined();
    expect(r.ctx.offers[0]).toMatchObject({ modelId: -1, pricePerGpuHour: 0, spot: false });
  });
});

describe("spot filter: dropping offers and the sentences", () => {
  const twoModels = (pricing: Parameters<typeof aCluster>[0]) =>
    aCluster({
      nodes: [aNodeGroup({ name: "a", gpu: { model: "A100", count: 8, memoryGiB: 80 } }), aNodeGroup({ name: "h" })],
      ...pricing,
    });
  const anyOf = (spot: "never" | "allowed" | "preferred") =>
    aWorkload({ resources: { gpu: { count: 1, models: ["H100", "A100"] } }, placement: { spot } });

  it("drops an unpriced model and still prices the one swapped into its place", () => {
    const r = runFilter("spot", twoModels({ pricing: { gpuHour: { H100: 2 } } }), anyOf("never"));
    expect(r.ctx.offers.slice(0, r.ctx.offerCount)).toMatchObject([{ model: "H100", pricePerGpuHour: 2, spot: false }]);
  });

  it("names the models sorted and the policy when nothing is priced", () => {
    const r = runFilter("spot", twoModels({ pricing: { gpuHour: { L4: 1 } } }), anyOf("allowed"));
    expect(r.rejection).toEqual({
      code: "no_usable_price",
      message: "no price for A100/H100 under spot policy allowed",
      plugin: "spot",
      summary: "no usable GPU price",
    });
  });

  it("says spot only under never, and no spot in a pool of spot (named or not)", () => {
    expect(runFilter("spot", spotOnly, wants("never")).rejection?.summary).toBe("spot only, spot policy never");
    // never in a spot pool, where spot is sold: the policy is what bars it.
    expect(runFilter("spot", spotOnly, wants("never"), { spotOnly: true }).rejection?.summary).toBe(
      "spot only, spot policy never",
    );
    const onDemand = aCluster({ pricing: { gpuHour: { H100: 2 } } });
    expect(runFilter("spot", onDemand, wants("allowed"), { spotOnly: true }).rejection).toEqual({
      code: "no_usable_price",
      message: "no spot price for H100 here, and the pool offers only spot capacity",
      plugin: "spot",
      summary: "no spot price in a spot pool",
    });
    expect(runFilter("spot", onDemand, wants("never"), { spotOnly: true }).rejection?.message).toBe(
      "no spot price for H100 here, and the pool offers only spot capacity",
    );
    const nothing = aCluster({ pricing: { gpuHour: { A100: 1 } } });
    expect(runFilter("spot", nothing, wants("never")).rejection?.message).toBe(
      "no price for H100 under spot policy never",
    );
  });

  it("gives each cluster of one decision its own reason", () => {
    const fleet = aFleet([
      aCluster({ name: "a", spot: true, pricing: { spotGpuHour: { H100: 1 } } }),
      aCluster({ name: "b", pricing: { gpuHour: { A100: 1 } } }),
      aCluster({ name: "c", spot: true, pricing: { spotGpuHour: { H100: 1 } } }),
      aCluster({ name: "d", spot: true, pricing: { gpuHour: { H100: 2 }, spotGpuHour: { H100: 1 } } }),
    ]);
    const d = plan(fleet, aWorkload({ placement: { spot: "never" } }));
    expect(d.clusters.map((v) => [v.cluster, v.verdict, v.reasons[0]?.code, v.reasons[0]?.message])).toEqual([
      ["a", "filtered", "no_usable_price", "H100 is sold only as spot here and the spot policy is never"],
      ["b", "filtered", "no_usable_price", "no price for H100 under spot policy never"],
      ["c", "filtered", "no_usable_price", "H100 is sold only as spot here and the spot policy is never"],
      ["d", "selected", "fits", expect.any(String)],
    ]);
  });
});

describe("spot filter: more edges", () => {
  const policy = (spot: "never" | "allowed" | "preferred", maxGpuHourPrice?: number) => ({
    placement: { spot, ...(maxGpuHourPrice === undefined ? {} : { maxGpuHourPrice }) },
  });

  it("under allowed, spot priced at the max against cheaper on-demand goes on-demand", () => {
    const c = aCluster({ spot: true, pricing: { gpuHour: { H100: 1.5 }, spotGpuHour: { H100: 2 } } });
    expect(runFilter("spot", c, aWorkload(policy("allowed", 2))).ctx.offers[0]).toMatchObject({
      pricePerGpuHour: 1.5,
      spot: false,
    });
  });

  it("without preemptions takes spot only when strictly cheaper", () => {
    const at = (sp: number) =>
      runFilter(
        "spot",
        aCluster({
          spot: true,
          pricing: { gpuHour: { H100: 2 }, spotGpuHour: { H100: sp } },
          spotPreemptionsPerHour: { H100: 0 },
        }),
        aWorkload(policy("allowed")),
      ).ctx.offers[0];
    expect(at(2)).toMatchObject({ pricePerGpuHour: 2, spot: false });
    expect(at(1.99)).toMatchObject({ pricePerGpuHour: 1.99, spot: true });
  });

  it("says spot only when any dropped model is sold as spot, with the full reason", () => {
    const c = aCluster({
      spot: true,
      nodes: [aNodeGroup({ name: "h" }), aNodeGroup({ name: "a", gpu: { model: "A100", count: 8, memoryGiB: 80 } })],
      pricing: { spotGpuHour: { H100: 1 } },
    });
    expect(runFilter("spot", c, aWorkload(policy("never"))).rejection).toEqual({
      code: "no_usable_price",
      message: "A100/H100 is sold only as spot here and the spot policy is never",
      plugin: "spot",
      summary: "spot only, spot policy never",
    });
  });

  it("names only this cluster's offers and reads this cluster's spot prices", () => {
    // a passes with two offers; b has only H100, unpriced: its reason must not name a's A100 left in the pool.
    // c sells A100 as spot only: at slot (2 × 3 + 1) of the price table, not a's or b's.
    const fleet = aFleet([
      aCluster({
        name: "a",
        nodes: [aNodeGroup({ name: "h" }), aNodeGroup({ name: "a", gpu: { model: "A100", count: 8, memoryGiB: 80 } })],
      }),
      aCluster({ name: "b", pricing: { gpuHour: { L4: 1 } } }),
      aCluster({
        name: "c",
        spot: true,
        nodes: [aNodeGroup({ gpu: { model: "A100", count: 8, memoryGiB: 80 } })],
        pricing: { spotGpuHour: { A100: 1 } },
      }),
    ]);
    const d = plan(fleet, aWorkload(policy("never")));
    expect(d.clusters.map((v) => [v.cluster, v.reasons[0]?.message])).toEqual([
      ["a", expect.stringMatching(/./)],
      ["b", "no price for H100 under spot policy never"],
      ["c", "A100 is sold only as spot here and the spot policy is never"],
    ]);
    expect(d.clusters[0]?.verdict).toBe("selected");
  });
});
