import { describe, expect, it } from "vitest";
import { plan } from "../plan.ts";
import { aCluster, aFleet, aWorkload } from "../testing/builders.ts";
import { runFilter } from "../testing/harness.ts";

describe("region filter", () => {
  it("passes a region matching a glob", () => {
    const w = aWorkload({ placement: { regions: ["eu-*", "us-west-2"] } });
    expect(runFilter("region", aCluster({ region: "eu-central-1" }), w).rejection).toBeUndefined();
    expect(runFilter("region", aCluster({ region: "us-west-2" }), w).rejection).toBeUndefined();
  });
  it("rejects a region no pattern matches (globs match whole names)", () => {
    const w = aWorkload({ placement: { regions: ["eu-*"] } });
    const r = runFilter("region", aCluster({ region: "europe-west4" }), w);
    expect(r.rejection).toMatchObject({
      code: "region_not_allowed",
      message: "region europe-west4 is not in the allowed regions (eu-*)",
    });
    expect(runFilter("region", aCluster({ region: "" }), w).rejection?.code).toBe("region_not_allowed");
  });
});

describe("region filter: one decision", () => {
  it("names each cluster's own region, (none) for none, and decides each region once", () => {
    const fleet = aFleet([
      aCluster({ name: "a", region: "us-east-1" }),
      aCluster({ name: "b", region: "eu-west-1" }),
      aCluster({ name: "c", region: "" }),
      aCluster({ name: "d", region: "us-west-2" }),
      aCluster({ name: "e", region: "us-east-1" }),
      aCluster({ name: "f", region: "eu-west-1" }),
    ]);
    const d = plan(fleet, aWorkload({ placement: { regions: ["eu-*"] } }));
    expect(d.clusters.map((v) => [v.cluster, v.reasons[0]?.code, v.reasons[0]?.message])).toEqual([
      ["a", "region_not_allowed", "region us-east-1 is not in the allowed regions (eu-*)"],
      ["b", "fits", expect.any(String)],
      ["c", "region_not_allowed", "region (none) is not in the allowed regions (eu-*)"],
      ["d", "region_not_allowed", "region us-west-2 is not in the allowed regions (eu-*)"],
      ["e", "region_not_allowed", "region us-east-1 is not in the allowed regions (eu-*)"],
      ["f", "fits", expect.any(String)],
    ]);
  });
  it("has a cluster-independent summary", () => {
    const w = aWorkload({ placement: { regions: ["eu-*", "ap-south-1"] } });
    expect(runFilter("region", aCluster({ region: "us-east-1" }), w).rejection).toEqual({
      code: "region_not_allowed",
      message: "region us-east-1 is not in the allowed regions (eu-*, ap-south-1)",
      plugin: "region",
      summary: "not in allowed regions",
    });
    expect(runFilter("region", aCluster({ region: "ap-south-1" }), w).rejection).toBeUndefined();
  });
});
