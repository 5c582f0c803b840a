import { describe, expect, it } from "vitest";
import type { CapacityPrices } from "./pricing.ts";
import { compileRequest } from "./request.ts";
import { compileFleet } from "./snapshot.ts";
import { aCluster, aFleet, aNodeGroup, aWorkload } from "./testing/builders.ts";

// aCluster's models, in the order the snapshot interns them: its node group's H100, then its price list.
const fleet = aFleet(
  [
    aCluster({ name: "a", region: "eu-west-1", taints: [{ key: "k", value: "v", effect: "NoSchedule" }] }),
    aCluster({ name: "b", region: "us-east-1" }),
    aCluster({ name: "c", region: "eu-west-1" }),
  ],
  {
    datasets: [
      { name: "crawl", sizeGB: 1200, locations: ["a"] },
      { name: "empty", sizeGB: 0, locations: ["a"] },
      { name: "logs", sizeGB: 300, locations: ["eu-*"] },
    ],
  },
);
const snap = compileFleet(fleet);

describe("compileRequest", () => {
  it("copies the workload's shape", () => {
    const w = aWorkload(
      {
        replicas: 3,
        gang: true,
        resources: { gpu: { count: 4, models: ["H100"], minMemoryGiB: 40 }, cpu: 12, memoryGiB: 96 },
        placement: { maxGpuHourPrice: 2.5, spot: "allowed", tolerations: [{ key: "k", operator: "Exists" }] },
      },
      "train",
    );
    expect(compileRequest(snap, w)).toMatchObject({
      workload: "train",
      replicas: 3,
      gang: true,
      gpus: 4,
      cpu: 12,
      memoryGiB: 96,
      minGpuMemoryGiB: 40,
      maxGpuHourPrice: 2.5,
      spot: "allowed",
      tolerations: [{ key: "k", operator: "Exists" }],
    });
  });

  it("labels the accepted models sorted, GPU when any model will do, and masks them by snapshot id", () => {
    expect(snap.models).toEqual(["H100", "A100", "L4"]);
    const two = compileRequest(snap, aWorkload({ resources: { gpu: { count: 1, models: ["L4", "A100", "TPU"] } } }));
    expect(two.modelLabel).toBe("A100/L4/TPU");
    // The workload's own list keeps its order (the label sorts a copy).
    expect(two.models).toEqual(["L4", "A100", "TPU"]);
    // TPU is not in the snapshot: it simply matches nothing.
    expect([...two.modelOk]).toEqual([0, 1, 1]);
    const any = compileRequest(snap, aWorkload());
    expect(any.modelLabel).toBe("GPU");
    expect([...any.modelOk]).toEqual([1, 1, 1]);
  });

  it("masks allowed tiers by TIERS id (cloud, onprem, edge) and labels them as written; none allows all", () => {
    const r = compileRequest(snap, aWorkload({ placement: { tiers: ["edge", "cloud"] } }));
    expect([...r.tiers!]).toEqual([1, 0, 1]);
    expect(r.tiersLabel).toBe("edge, cloud");
    const all = compileRequest(snap, aWorkload());
    expect(all.tiers).toBeNull();
    expect(all.tiersLabel).toBe("");
  });

  it("compiles the region list, with an unknown verdict per snapshot region and taint set", () => {
    expect(snap.regions).toEqual(["eu-west-1", "us-east-1"]);
    const r = compileRequest(snap, aWorkload({ placement: { regions: ["eu-*"] } }));
    expect(r.regions?.label).toBe("eu-*");
    expect(r.regions?.matches("eu-west-1")).toBe(true);
    expect(r.regions?.matches("us-east-1")).toBe(false);
    expect([...r.regionOk]).toEqual([-1, -1]);
    // Taint sets: the empty one and a's.
    expect(r.taintVerdicts).toHaveLength(2);
    expect(r.taintVerdicts.every((v) => v === undefined)).toBe(true);
    expect(compileRequest(snap, aWorkload()).regions).toBeNull();
  });

  it("covers one hour and checkpoints hourly unless the workload says otherwise", () => {
    const plain = compileRequest(snap, aWorkload());
    expect(plain.hours).toBe(1);
    expect(plain.checkpointHours).toBe(1);
    const set = compileRequest(snap, aWorkload({ durationHours: 10, checkpointMinutes: 15 }));
    expect(set.hours).toBe(10);
    expect(set.checkpointHours).toBe(0.25);
  });

  it("resolves the datasets the fleet describes and sums their size, skipping unknown and empty ones", () => {
    const r = compileRequest(snap, aWorkload({ data: ["crawl", "nope", "empty", "logs"] }));
    expect(r.data.map((d) => [d.name, d.sizeGB, [...d.holds]])).toEqual([
      ["crawl", 1200, [1, 0, 0]],
      ["logs", 300, [1, 0, 1]],
    ]);
    expect(r.data[0]?.sources).toHaveLength(1);
    expect(r.totalDataGB).toBe(1500);
    expect(compileRequest(snap, aWorkload()).totalDataGB).toBe(0);
  });

  it("masks a pool by cluster index, ignoring names the fleet does not have", () => {
    const r = compileRequest(snap, aWorkload(), { onlyClusters: ["c", "zz", "a"], poolName: "burst" });
    expect([...r.pool!]).toEqual([1, 0, 1]);
    expect(r.poolName).toBe("burst");
    expect(r.spotOnly).toBe(false);
    const none = compileRequest(snap, aWorkload());
    expect(none.pool).toBeNull();
    expect(none.poolName).toBeUndefined();
    expect(compileRequest(snap, aWorkload(), { spotOnly: true }).spotOnly).toBe(true);
  });

  it("keeps a tier premium with each tier's position, and none for an empty order", () => {
    const r = compileRequest(snap, aWorkload(), { tierPremium: { order: ["onprem", "cloud"], usdPerGpuHour: 0.5 } });
    expect(r.tierPremium?.usdPerGpuHour).toBe(0.5);
    expect(r.tierPremium?.order).toEqual(["onprem", "cloud"]);
    expect([...r.tierPremium!.rank]).toEqual([
      ["onprem", 0],
      ["cloud", 1],
    ]);
    expect(
      compileRequest(snap, aWorkload(), { tierPremium: { order: [], usdPerGpuHour: 0.5 } }).tierPremium,
    ).toBeNull();
    expect(compileRequest(snap, aWorkload()).tierPremium).toBeNull();
  });

  it("defaults the headroom factor to 1 and keeps an explicit 0", () => {
    expect(compileRequest(snap, aWorkload()).headroomFactor).toBe(1);
    expect(compileRequest(snap, aWorkload(), { headroomFactor: 0 }).headroomFactor).toBe(0);
    expect(compileRequest(snap, aWorkload(), { headroomFactor: 2.5 }).headroomFactor).toBe(2.5);
  });

  it("starts every decision with an empty memo", () => {
    expect(compileRequest(snap, aWorkload()).memo.size).toBe(0);
  });
});

describe("compileRequest: capacity prices", () => {
  const curve = (n: number) => Float64Array.of(0, 0, 1, n);

  it("uses the curves as they are when priced on the same snapshot, and none without prices", () => {
    const curves = [curve(1), undefined, curve(2), undefined, undefined, undefined, undefined, undefined, undefined];
    const prices: CapacityPrices = { snapshot: snap, curves };
    expect(compileRequest(snap, aWorkload(), { capacityPrices: prices }).capacityPrices).toBe(curves);
    expect(compileRequest(snap, aWorkload()).capacityPrices).toBeNull();
  });

  it("carries curves to another snapshot by cluster and model name; unknown clusters and models get none", () => {
    // Priced on snapshot `from`: clusters x, y; models H100, A100 (slot = cluster × 2 + model).
    const from = compileFleet(
      aFleet([
        aCluster({ name: "x", pricing: { gpuHour: { H100: 2, A100: 1 } } }),
        aCluster({ name: "y", pricing: { gpuHour: { H100: 2, A100: 1 } } }),
      ]),
    );
    expect(from.models).toEqual(["H100", "A100"]);
    const xH = curve(10);
    const xA = curve(11);
    const yH = curve(20);
    const prices: CapacityPrices = { snapshot: from, curves: [xH, xA, yH, undefined] };
    // The new snapshot: clusters y, new, x, last; models A100 (its node group), L4, H100 (slot = cluster × 3 + model).
    const to = compileFleet(
      aFleet([
        aCluster({
          name: "y",
          nodes: [aNodeGroup({ gpu: { model: "A100", count: 8, memoryGiB: 80 } })],
          pricing: { gpuHour: { L4: 1, H100: 2 } },
        }),
        aCluster({ name: "new", pricing: { gpuHour: { H100: 2 } } }),
        aCluster({ name: "x", pricing: { gpuHour: { H100: 2 } } }),
        aCluster({ name: "last", pricing: { gpuHour: { H100: 2 } } }),
      ]),
    );
    expect(to.models).toEqual(["A100", "L4", "H100"]);
    const got = compileRequest(to, aWorkload(), { capacityPrices: prices }).capacityPrices!;
    // One slot per cluster and model of the new snapshot, the last cluster's too (it has no curves).
    expect(got).toHaveLength(12);
    expect([...got]).toEqual([
      undefined,
      undefined,
      yH,
      undefined,
      undefined,
      undefined,
      xA,
      undefined,
      xH,
      undefined,
      undefined,
      undefined,
    ]);
  });
});
