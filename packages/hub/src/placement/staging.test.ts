import { type Decision, Fleet, shardsFor, Workload } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import { plan } from "./plan.ts";
import { compileFleet } from "./snapshot.ts";
import { stagingPlan } from "./staging.ts";
import { aCluster, aFleet, aWorkload } from "./testing/builders.ts";

const fleet = Fleet.parse({
  clusters: ["a", "b"].map((name) => ({
    name,
    tier: "cloud",
    region: `r-${name}`,
    bandwidthGbps: 4,
    pricing: { gpuHour: { A100: 1 }, egressPerGB: 0.02 },
    nodes: [{ name: "n", count: 1, gpu: { model: "A100", count: 2, memoryGiB: 80 }, cpu: 64, memoryGiB: 512 }],
  })),
  datasets: [
    { name: "whole", sizeGB: 100, locations: ["elsewhere"], source: "s3://bucket/whole" },
    { name: "sharded", sizeGB: 400, locations: ["elsewhere"], shards: 8 },
  ],
});

const workload = (data: string[], gang: boolean) =>
  Workload.parse({
    apiVersion: "gantry.dev/v1alpha1",
    kind: "Workload",
    metadata: { name: "w" },
    spec: { type: "job", replicas: 4, gang, resources: { gpu: { count: 1 } }, data },
  });

describe("stagingPlan", () => {
  it("stages the whole dataset in every cluster a workload lands on, with the source for movers", () => {
    const w = workload(["whole"], false);
    const d = plan(fleet, w);
    const staging = stagingPlan(compileFleet(fleet), fleet.datasets, w, d);
    expect([...staging.keys()].sort()).toEqual(d.assignments.map((a) => a.cluster).sort());
    for (const items of staging.values()) {
      expect(items).toEqual([{ dataset: "whole", sizeGB: 100, gbps: 4, source: "s3://bucket/whole" }]);
    }
  });

  it("stages only the shards a split workload's replicas there read (replica i reads j mod R = i)", () => {
    const w = workload(["sharded"], false);
    const d = plan(fleet, w);
    expect(d.assignments.map((a) => a.replicas)).toEqual([2, 2]);
    const staging = stagingPlan(compileFleet(fleet), fleet.datasets, w, d);
    const [first, second] = d.assignments;
    expect(staging.get(first!.cluster)).toEqual([{ dataset: "sharded", sizeGB: 200, gbps: 4, shards: [0, 1, 4, 5] }]);
    expect(staging.get(second!.cluster)).toEqual([{ dataset: "sharded", sizeGB: 200, gbps: 4, shards: [2, 3, 6, 7] }]);
    // Every shard is read by exactly one cluster.
    expect([...staging.values()].flatMap((i) => i[0]?.shards ?? []).sort((x, y) => x - y)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7,
    ]);
    // And the rank cost counted only those shards: half the egress each.
    const verdict = d.clusters.find((c) => c.verdict === "selected");
    expect(verdict?.rankCost?.egress).toBeCloseTo(200 * 0.02, 6);
  });

  it("a gang (or a workload on one cluster) reads every shard", () => {
    expect(shardsFor(8, 4, 0, 4)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const w = Workload.parse({
      ...workload(["sharded"], true),
      spec: { ...workload(["sharded"], true).spec, replicas: 2 },
    });
    const d: Decision = plan(fleet, w);
    const staging = stagingPlan(compileFleet(fleet), fleet.datasets, w, d);
    expect([...staging.values()]).toEqual([[{ dataset: "sharded", sizeGB: 400, gbps: 4 }]]);
  });
});

describe("stagingPlan: what each cluster copies, and from where", () => {
  const mover = { apiVersion: "batch/v1", kind: "Job" as const, spec: { template: {} } };
  const three = Fleet.parse({
    clusters: [
      ...["a", "b"].map((name) => ({
        name,
        tier: "cloud",
        region: `r-${name}`,
        bandwidthGbps: 4,
        pricing: { gpuHour: { A100: 1 }, egressPerGB: 0.02 },
        nodes: [{ name: "n", count: 1, gpu: { model: "A100", count: 2, memoryGiB: 80 }, cpu: 64, memoryGiB: 512 }],
      })),
      // Holds a copy of "moved" behind a 2 Gbit/s link; no GPUs, so nothing lands there.
      {
        name: "src",
        tier: "cloud",
        region: "r-src",
        bandwidthGbps: 2,
        pricing: { gpuHour: {}, egressPerGB: 0.01 },
        nodes: [{ name: "cpu", count: 1, cpu: 64, memoryGiB: 512 }],
      },
    ],
    datasets: [
      { name: "thirds", sizeGB: 100, shards: 6, locations: ["elsewhere"] },
      { name: "moved", sizeGB: 10, locations: ["src"], source: "s3://bucket/moved", mover },
    ],
  });
  const w = (data: string[], replicas = 3) =>
    Workload.parse({
      apiVersion: "gantry.dev/v1alpha1",
      kind: "Workload",
      metadata: { name: "w" },
      spec: { type: "job", replicas, resources: { gpu: { count: 1 } }, data },
    });

  it("gives each cluster of a split its shards' GB to the thousandth, and copies over the slower link", () => {
    const workload = w(["thirds", "moved"]);
    const d = plan(three, workload);
    expect(d.assignments.map((x) => [x.cluster, x.replicas])).toEqual([
      ["a", 2],
      ["b", 1],
    ]);
    const staging = stagingPlan(compileFleet(three), three.datasets, workload, d);
    // Replicas 0, 1 on a read shards j mod 3 ∈ {0, 1}: 4 of 6 shards, 66.667 GB; replica 2 on b reads 2 and 5.
    // "moved" comes whole from src, whose 2 Gbit/s link is slower than a's and b's 4, with its mover.
    expect(staging.get("a")).toEqual([
      { dataset: "thirds", sizeGB: 66.667, gbps: 4, shards: [0, 1, 3, 4] },
      { dataset: "moved", sizeGB: 10, gbps: 2, source: "s3://bucket/moved", mover },
    ]);
    expect(staging.get("b")).toEqual([
      { dataset: "thirds", sizeGB: 33.333, gbps: 4, shards: [2, 5] },
      { dataset: "moved", sizeGB: 10, gbps: 2, source: "s3://bucket/moved", mover },
    ]);
    expect(staging.size).toBe(2);
  });

  it("stages nothing for an infeasible decision, a workload without data, or data already there", () => {
    const snap = compileFleet(three);
    const tooBig = w(["thirds"], 10);
    expect(stagingPlan(snap, three.datasets, tooBig, plan(three, tooBig)).size).toBe(0);
    const noData = w([], 1);
    expect(stagingPlan(snap, three.datasets, noData, plan(three, noData)).size).toBe(0);
    // A decision placing "moved"'s readers on src itself (as if it had GPUs) copies nothing there.
    const onSrc = w(["moved"], 1);
    const d = plan(three, onSrc);
    const there: Decision = { ...d, assignments: [{ ...d.assignments[0]!, cluster: "src" }] };
    expect(stagingPlan(snap, three.datasets, onSrc, there).size).toBe(0);
  });

  it("stages a dataset the caller's list does not describe, without a source or mover", () => {
    const workload = w(["moved"], 1);
    const d = plan(three, workload);
    expect([...stagingPlan(compileFleet(three), [], workload, d).values()]).toEqual([
      [{ dataset: "moved", sizeGB: 10, gbps: 2 }],
    ]);
  });

  it("skips an assignment to a cluster the snapshot does not know", () => {
    const workload = w(["moved"], 1);
    const d = plan(three, workload);
    const gone: Decision = { ...d, assignments: [{ ...d.assignments[0]!, cluster: "gone" }] };
    expect(stagingPlan(compileFleet(three), three.datasets, workload, gone).size).toBe(0);
  });

  it("reads every shard when one cluster takes the whole (non-gang) workload", () => {
    const workload = w(["thirds"], 2);
    const d = plan(three, workload);
    expect(d.assignments).toHaveLength(1);
    expect([...stagingPlan(compileFleet(three), three.datasets, workload, d).values()]).toEqual([
      [{ dataset: "thirds", sizeGB: 100, gbps: 4 }],
    ]);
  });
});

describe("stagingPlan: the link the engine priced", () => {
  it("takes the fast copy when the GPUs waiting for it cost more than the egress it saves", () => {
    const fleet = aFleet(
      [
        aCluster({ name: "slow-cheap", bandwidthGbps: 1, pricing: { gpuHour: { H100: 50 }, egressPerGB: 0.01 } }),
        aCluster({ name: "fast-dear", bandwidthGbps: 100, pricing: { gpuHour: { H100: 50 }, egressPerGB: 0.05 } }),
        aCluster({ name: "dest", bandwidthGbps: 100, pricing: { gpuHour: { H100: 4 } } }),
      ],
      { datasets: [{ name: "images", sizeGB: 1800, locations: ["slow-cheap", "fast-dear"] }] },
    );
    // 16 GPUs at $4 = $64/h held: over 1 Gbit/s, 4 h ($256) to save $72 of egress, so the 100 Gbit/s copy.
    const gang = aWorkload({ replicas: 2, gang: true, data: ["images"], resources: { gpu: { count: 8 } } });
    const d = plan(fleet, gang);
    expect(d.assignments.map((a) => a.cluster)).toEqual(["dest"]);
    expect(stagingPlan(compileFleet(fleet), fleet.datasets, gang, d).get("dest")).toEqual([
      { dataset: "images", sizeGB: 1800, gbps: 100 },
    ]);
  });
});
