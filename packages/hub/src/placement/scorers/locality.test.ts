import { describe, expect, it } from "vitest";
import { plan } from "../plan.ts";
import { aCluster, aFleet, aWorkload } from "../testing/builders.ts";

describe("locality scorer", () => {
  const fleet = aFleet(
    [
      aCluster({ name: "near", region: "eu-west-1", pricing: { gpuHour: { H100: 2 }, egressPerGB: 0.08 } }),
      aCluster({ name: "far", region: "us-east-1", pricing: { gpuHour: { H100: 2 }, egressPerGB: 0.02 } }),
    ],
    { datasets: [{ name: "corpus", sizeGB: 9000, locations: ["eu-*"] }] },
  );
  const d = plan(fleet, aWorkload({ data: ["corpus"] }));
  const by = (name: string) => d.clusters.find((c) => c.cluster === name)!;

  it("gives full marks where the data is (region glob) and no egress", () => {
    expect(by("near").scores.locality).toBe(200);
    expect(by("near").estimatedCost?.egress).toBe(0);
    expect(by("near").reasons).toContainEqual({ code: "data_locality", message: "all 9000 GB of data is local" });
  });
  it("scores remote data zero, charges the source's egress price and says how long the copy takes", () => {
    expect(by("far").scores.locality).toBe(0);
    expect(by("far").estimatedCost?.egress).toBe(720);
    expect(by("far").reasons).toContainEqual({
      code: "data_locality",
      message: "9000 of 9000 GB of data is remote; ~2.0 h to copy at 10 Gbit/s",
    });
  });
});
