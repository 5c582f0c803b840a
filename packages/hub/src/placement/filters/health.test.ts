import { describe, expect, it } from "vitest";
import { aCluster, aWorkload } from "../testing/builders.ts";
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
