import type { StagingItem } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import { createDataCache } from "./data-cache.ts";

const item = (dataset: string, sizeGB: number, gbps: number, shards?: number[]): StagingItem => ({
  dataset,
  sizeGB,
  gbps,
  ...(shards ? { shards } : {}),
});

describe("the simulated data cache", () => {
  // One simulated hour is 3.6 real seconds: one real millisecond is one simulated second.
  const cache = () => createDataCache({ secondsPerHour: 3.6, cacheGB: 1_000 });

  it("copies at the link's bandwidth in simulated time: 100 GB at 8 Gbit/s takes 100 simulated seconds", () => {
    const c = cache();
    const need = [item("d", 100, 8)];
    c.ensure(need, 0);
    c.step(50);
    expect(c.ready(need)).toBe(false);
    expect(c.progress(need)).toEqual({ copiedGB: 50, totalGB: 100, etaSeconds: 50 });
    expect(c.step(100)).toBe(true);
    expect(c.ready(need)).toBe(true);
    expect(c.report()).toEqual([expect.objectContaining({ dataset: "d", state: "ready", copiedGB: 100 })]);
  });

  it("makes one copy for every workload that needs the same data, and a whole copy serves any shards", () => {
    const c = cache();
    c.ensure([item("d", 100, 8)], 0);
    c.ensure([item("d", 100, 8)], 10);
    expect(c.report()).toHaveLength(1);
    c.step(200);
    expect(c.ready([item("d", 25, 8, [0, 4])])).toBe(true);
    // Shards alone do not make a whole copy.
    c.ensure([item("e", 10, 8, [1])], 200);
    c.step(300);
    expect(c.ready([item("e", 100, 8)])).toBe(false);
  });

  it("evicts the least recently used ready copies nobody reads until it fits, never one in use", () => {
    const c = cache();
    for (const [d, t] of [
      ["old", 0],
      ["mid", 1],
      ["new", 2],
    ] as const) {
      c.ensure([item(d, 400, 8_000)], t);
      c.step(t + 1);
      c.touch([d], t + 1);
    }
    expect(c.evict(new Set(["old"]))).toEqual(["mid"]);
    expect(
      c
        .report()
        .map((r) => r.dataset)
        .sort(),
    ).toEqual(["new", "old"]);
    expect(c.evict(new Set())).toEqual([]);
  });
});
