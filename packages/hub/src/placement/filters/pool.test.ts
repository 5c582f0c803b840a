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

describe("pool filter: without a pool name or a pool", () => {
  it("says the allowed pool when the pool has no name", () => {
    expect(runFilter("pool", aCluster({ name: "b" }), aWorkload(), { onlyClusters: ["a"] }).rejection).toEqual({
      code: "not_in_pool",
      message: "not in the allowed pool",
      plugin: "pool",
      summary: "not in the allowed pool",
    });
    expect(
      runFilter("pool", aCluster({ name: "b" }), aWorkload(), { onlyClusters: ["a"], poolName: "burst" }).rejection
        ?.summary,
    ).toBe("not in pool burst");
  });
  it("passes every cluster without a pool", () => {
    expect(runFilter("pool", aCluster({ name: "b" }), aWorkload()).rejection).toBeUndefined();
  });
});
