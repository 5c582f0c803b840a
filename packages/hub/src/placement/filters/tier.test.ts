import { describe, expect, it } from "vitest";
import { aCluster, aWorkload } from "../testing/builders.ts";
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
