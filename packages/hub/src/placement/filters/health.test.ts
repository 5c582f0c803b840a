import { describe, expect, it } from "vitest";
import { plan } from "../plan.ts";
import { aCluster, aFleet, aWorkload } from "../testing/builders.ts";
import { runFilter } from "../testing/harness.ts";

describe("health filter", () => {
  it("passes a ready cluster", () => {
    expect(runFilter("health", aCluster(), aWorkload()).rejection).toBeUndefined();
  });
  it("rejects an offline or unknown cluster", () => {
    expect(runFilter("health", aCluster({ health: "offline" }), aWorkload()).rejection).toMatchObject({
      code: "cluster_not_ready",
      message: "cluster is offline",
    });
    expect(runFilter("health", aCluster({ health: "unknown" }), aWorkload()).rejection?.code).toBe("cluster_not_ready");
  });
});

describe("health filter: one decision", () => {
  it("names each cluster's own health, with one summary for all", () => {
    const fleet = aFleet([
      aCluster({ name: "a", health: "offline" }),
      aCluster({ name: "b", health: "unknown" }),
      aCluster({ name: "c", health: "offline" }),
      aCluster({ name: "d" }),
    ]);
    const d = plan(fleet, aWorkload());
    expect(d.clusters.map((v) => [v.cluster, v.reasons[0]?.code, v.reasons[0]?.message])).toEqual([
      ["a", "cluster_not_ready", "cluster is offline"],
      ["b", "cluster_not_ready", "cluster is unknown"],
      ["c", "cluster_not_ready", "cluster is offline"],
      ["d", "fits", expect.any(String)],
    ]);
    expect(runFilter("health", aCluster({ health: "unknown" }), aWorkload()).rejection).toEqual({
      code: "cluster_not_ready",
      message: "cluster is unknown",
      plugin: "health",
      summary: "cluster not ready",
    });
  });
});
