import { describe, expect, it } from "vitest";
import { aCluster, aWorkload } from "../testing/builders.ts";
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
