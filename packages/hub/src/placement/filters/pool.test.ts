import { describe, expect, it } from "vitest";
import { aCluster, aWorkload } from "../testing/builders.ts";
import { runFilter } from "../testing/harness.ts";

describe("pool filter", () => {
  it("passes a cluster in the burst policy's pool", () => {
    expect(runFilter("pool", aCluster({ name: "a" }), aWorkload(), { onlyClusters: ["a"] }).rejection).toBeUndefined();
  });
  it("rejects a cluster outside the pool, naming the pool", () => {
    const r = runFilter("pool", aCluster({ name: "b" }), aWorkload(), { onlyClusters: ["a"], poolName: "burst" });
    expect(r.rejection).toMatchObject({ code: "not_in_pool", message: "not in pool burst", plugin: "pool" });
  });
});
