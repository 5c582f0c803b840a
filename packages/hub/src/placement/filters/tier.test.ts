import { describe, expect, it } from "vitest";
import { plan } from "../plan.ts";
import { aCluster, aFleet, aWorkload } from "../testing/builders.ts";
import { runFilter } from "../testing/harness.ts";

describe("tier filter", () => {
  it("passes an allowed tier and any tier when the list is empty", () => {
    const onprem = aCluster({ tier: "onprem" });
    expect(runFilter("tier", onprem, aWorkload({ placement: { tiers: ["onprem"] } })).rejection).toBeUndefined();
    expect(runFilter("tier", onprem, aWorkload()).rejection).toBeUndefined();
  });
  it("rejects a tier outside the allow-list", () => {
    const r = runFilter("tier", aCluster({ tier: "edge" }), aWorkload({ placement: { tiers: ["onprem", "cloud"] } }));
    expect(r.rejection).toMatchObject({
      code: "tier_not_allowed",
      message: "tier edge is not in the allowed tiers (onprem, cloud)",
    });
  });
});

describe("tier filter: one decision", () => {
  it("names each cluster's own tier, with one summary", () => {
    const fleet = aFleet([
      aCluster({ name: "a", tier: "edge" }),
      aCluster({ name: "b", tier: "onprem" }),
      aCluster({ name: "c", tier: "cloud" }),
      aCluster({ name: "d", tier: "edge" }),
    ]);
    const d = plan(fleet, aWorkload({ placement: { tiers: ["cloud"] } }));
    expect(d.clusters.map((v) => [v.cluster, v.reasons[0]?.code, v.reasons[0]?.message])).toEqual([
      ["a", "tier_not_allowed", "tier edge is not in the allowed tiers (cloud)"],
      ["b", "tier_not_allowed", "tier onprem is not in the allowed tiers (cloud)"],
      ["c", "fits", expect.any(String)],
      ["d", "tier_not_allowed", "tier edge is not in the allowed tiers (cloud)"],
    ]);
    expect(
      runFilter("tier", aCluster({ tier: "edge" }), aWorkload({ placement: { tiers: ["cloud"] } })).rejection,
    ).toEqual({
      code: "tier_not_allowed",
      message: "tier edge is not in the allowed tiers (cloud)",
      plugin: "tier",
      summary: "not in allowed tiers",
    });
  });
});
