import { Fleet, type FleetCluster } from "@gantry/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileFleet, patchFleet } from "./snapshot.ts";
import { fleetArb } from "./testing/arbitraries.ts";
import { aCluster, aFleet, aNodeGroup } from "./testing/builders.ts";

/**
 * Three clusters in fleet order b, a, c: b and c share a region and a hard taint set, a is the one in us-east-1.
 * Every expected value below is read off this fleet by hand.
 */
const fleet = aFleet(
  [
    aCluster({
      name: "b",
      tier: "onprem",
      region: "eu-west-1",
      health: "unknown",
      taints: [
        { key: "gpu", value: "x", effect: "NoSchedule" },
        { key: "soft", value: "y", effect: "PreferNoSchedule" },
      ],
      spot: true,
      bandwidthGbps: 25,
      spotPreemptionsPerHour: { H100: 0.2, "*": 0.1 },
      pricing: { gpuHour: { H100: 3, L4: 0.4 }, spotGpuHour: { H100: 1, A100: 0.8 }, egressPerGB: 0.02 },
      nodes: [
        aNodeGroup({ name: "gpu", count: 3, gpusUsed: 2, cpu: 96, cpuUsed: 10, memoryGiB: 1024, memoryUsedGiB: 24 }),
        aNodeGroup({ name: "down", count: 2, ready: false, gpu: { model: "A100", count: 4, memoryGiB: 40 } }),
        aNodeGroup({ name: "cpu", count: 1, gpu: undefined, cpu: 32, cpuUsed: 40, memoryGiB: 64 }),
        aNodeGroup({ name: "cordoned", count: 1, schedulable: false }),
        aNodeGroup({ name: "zero", count: 2, gpu: { model: "A100", count: 0, memoryGiB: 40 } }),
      ],
    }),
    aCluster({
      name: "a",
      tier: "cloud",
      region: "us-east-1",
      spot: false,
      spotPreemptionsPerHour: { A100: 0.3 },
      pricing: { gpuHour: { H100: 2 }, spotGpuHour: { H100: 0.5 }, egressPerGB: 0.05 },
      nodes: [aNodeGroup({ name: "g", count: 1, gpusUsed: 9 })],
    }),
    aCluster({
      name: "c",
      tier: "edge",
      region: "eu-west-1",
      health: "offline",
      taints: [{ key: "gpu", value: "x", effect: "NoSchedule" }],
      pricing: { gpuHour: {}, spotGpuHour: { H100: 0.7, T4: 0.3 }, egressPerGB: 0 },
      nodes: [],
    }),
  ],
  {
    datasets: [
      { name: "by-name", sizeGB: 100, locations: ["a"] },
      { name: "by-region", sizeGB: 200, locations: ["eu-*"], shards: 4 },
      { name: "nowhere", sizeGB: 300, locations: ["zzz"] },
    ],
  },
);
/** Compiled inside each test, not at load: Stryker's per-test coverage only sees code that runs in a test. */
const compiled = () => compileFleet(fleet);

describe("compileFleet", () => {
  it("indexes clusters in fleet order and ranks their names in code-unit order", () => {
    const s = compiled();
    expect(s.size).toBe(3);
    expect(s.names).toEqual(["b", "a", "c"]);
    expect([...s.indexByName]).toEqual([
      ["b", 0],
      ["a", 1],
      ["c", 2],
    ]);
    // a < b < c.
    expect(Array.from(s.nameOrder)).toEqual([1, 0, 2]);
    expect(s.clusters).toBe(fleet.clusters);
  });

  it("keeps fleet order between clusters of the same name", () => {
    const twins = aFleet([aCluster({ name: "z" }), aCluster({ name: "m" }), aCluster({ name: "m" })]);
    expect(Array.from(compileFleet(twins).nameOrder)).toEqual([2, 0, 1]);
  });

  it("records health, tier, region and hard taints as small ids", () => {
    const s = compiled();
    expect(Array.from(s.ready)).toEqual([0, 1, 0]);
    // HEALTHS is ready, unknown, offline; TIERS is cloud, onprem, edge.
    expect(Array.from(s.health)).toEqual([1, 0, 2]);
    expect(Array.from(s.tier)).toEqual([1, 0, 2]);
    expect(s.regions).toEqual(["eu-west-1", "us-east-1"]);
    expect(Array.from(s.region)).toEqual([0, 1, 0]);
    // PreferNoSchedule is a preference, not a bar: b and c carry the same hard set, a none.
    expect(Array.from(s.taintSet)).toEqual([1, 0, 1]);
    expect(s.taintSets).toEqual([[], [{ key: "gpu", value: "x", effect: "NoSchedule" }]]);
  });

  it("tells taint sets apart by key, value and effect", () => {
    const taints = [
      [{ key: "k", value: "v", effect: "NoSchedule" as const }],
      [{ key: "k", value: "v", effect: "NoExecute" as const }],
      [{ key: "k", value: "w", effect: "NoSchedule" as const }],
      [{ key: "j", value: "v", effect: "NoSchedule" as const }],
      [
        { key: "k", value: "v", effect: "NoSchedule" as const },
        { key: "j", value: "v", effect: "NoSchedule" as const },
      ],
      [{ key: "k", value: "v", effect: "NoSchedule" as const }],
    ];
    const snap = compileFleet(aFleet(taints.map((t, i) => aCluster({ name: `t${i}`, taints: t }))));
    expect(Array.from(snap.taintSet)).toEqual([1, 2, 3, 4, 5, 1]);
    expect(snap.taintSets).toHaveLength(6);
    expect(snap.taintSets[5]).toEqual(taints[4]);
  });

  it("interns GPU models from nodes first, then on-demand and spot price lists", () => {
    const s = compiled();
    // b's nodes: H100, A100; b's on-demand prices add L4; c's spot prices add T4.
    expect(s.models).toEqual(["H100", "A100", "L4", "T4"]);
    expect([...s.modelIds]).toEqual([
      ["H100", 0],
      ["A100", 1],
      ["L4", 2],
      ["T4", 3],
    ]);
  });

  it("lays out prices and preemption rates per cluster and model, NaN where not sold", () => {
    const s = compiled();
    const N = Number.NaN;
    // Per cluster (b, a, c), per model (H100, A100, L4, T4).
    expect(Array.from(s.onDemand)).toEqual([3, N, 0.4, N, 2, N, N, N, N, N, N, N]);
    // a says spot: false, so its spot price list does not count; c sells spot without saying so.
    expect(Array.from(s.spot)).toEqual([1, 0.8, N, N, N, N, N, N, 0.7, N, N, 0.3]);
    // b: H100 its own rate, the others "*"; a: A100 its own, the others the default 0.05; c: the default.
    expect(Array.from(s.preemptions)).toEqual([0.2, 0.1, 0.1, 0.1, 0.05, 0.3, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05]);
    expect(Array.from(s.egressPerGB)).toEqual([0.02, 0.05, 0]);
    // 10 Gbit/s where unset.
    expect(Array.from(s.bandwidthGbps)).toEqual([25, 10, 10]);
  });

  it("counts free resources per node group only on usable nodes, and the model's GPUs there used or not", () => {
    const s = compiled();
    expect(Array.from(s.groupStart)).toEqual([0, 5, 6, 6]);
    // A GPU entry with count 0 is no GPU group.
    expect(Array.from(s.groupModel)).toEqual([0, 1, -1, 0, -1, 0]);
    expect(Array.from(s.groupGpuMemory)).toEqual([80, 40, 0, 80, 40, 80]);
    expect(Array.from(s.groupNodes)).toEqual([3, 2, 1, 1, 2, 1]);
    expect(Array.from(s.groupUsable)).toEqual([1, 0, 1, 0, 1, 1]);
    // gpu: 8 − 2; down and cordoned: nothing; a's node reports more used than it has: 0, not −1.
    expect(Array.from(s.groupFreeGpus)).toEqual([6, 0, 0, 0, 0, 0]);
    // cpu: 32 cores with 40 used is 0 free, not −8.
    expect(Array.from(s.groupFreeCpu)).toEqual([86, 0, 0, 0, 96, 96]);
    expect(Array.from(s.groupFreeMemory)).toEqual([1000, 0, 64, 0, 1024, 1024]);
    // b: 3 × 8 H100 on usable nodes (the cordoned one does not count); a: 1 × 8.
    expect(Array.from(s.modelGpus)).toEqual([24, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("resolves each dataset's holders by cluster name or region, and keeps its shards", () => {
    const s = compiled();
    const byName = s.datasets.get("by-name")!;
    expect(Array.from(byName.holds)).toEqual([0, 1, 0]);
    expect(byName).toMatchObject({ sizeGB: 100, shards: undefined, sources: [{ egressPerGB: 0.05, gbps: 10 }] });
    const byRegion = s.datasets.get("by-region")!;
    expect(Array.from(byRegion.holds)).toEqual([1, 0, 1]);
    expect(byRegion.shards).toBe(4);
    // b: $0.02 at 25 Gbit/s; c: free egress at 10: neither is both cheaper and faster, so both are sources.
    expect(byRegion.sources).toEqual([
      { egressPerGB: 0, gbps: 10 },
      { egressPerGB: 0.02, gbps: 25 },
    ]);
    expect(Array.from(s.datasets.get("nowhere")!.holds)).toEqual([0, 0, 0]);
    expect(s.datasets.get("nowhere")!.sources).toEqual([]);
  });

  it("keeps as sources only holders no other is both cheaper to copy out of and faster", () => {
    const holder = (name: string, egressPerGB: number, bandwidthGbps: number) =>
      aCluster({ name, pricing: { gpuHour: {}, egressPerGB }, bandwidthGbps });
    const snap = compileFleet(
      aFleet(
        [
          holder("h1", 0.05, 10),
          holder("h2", 0.02, 5),
          holder("h3", 0.02, 25),
          holder("h4", 0.08, 40),
          holder("h5", 0.09, 40),
          holder("h6", 0.1, 20),
          holder("h7", 0.01, 1),
        ],
        { datasets: [{ name: "d", sizeGB: 1, locations: ["h*"] }] },
      ),
    );
    // By price: h7 (0.01, 1), h3 (0.02, 25) beats h2 (0.02, 5) and h1 (0.05, 10), h4 (0.08, 40) beats h5 and h6.
    expect(snap.datasets.get("d")!.sources).toEqual([
      { egressPerGB: 0.01, gbps: 1 },
      { egressPerGB: 0.02, gbps: 25 },
      { egressPerGB: 0.08, gbps: 40 },
    ]);
  });

  it("ranks the names of a large fleet in code-unit order, fleet order between equal names", () => {
    // 300 clusters named from 23 names (so most names repeat), in a scrambled order: past a few dozen elements the
    // sort merges runs and compares in both directions, which a small fleet never does.
    const names = Array.from({ length: 300 }, (_, i) => `n${(i * 7919) % 23}`);
    const snap = compileFleet(aFleet(names.map((name) => aCluster({ name, nodes: [] }))));
    // The position, by definition: clusters with a smaller name, plus earlier clusters of the same name.
    const expected = names.map(
      (name, i) => names.filter((other, j) => other < name || (other === name && j < i)).length,
    );
    expect(Array.from(snap.nameOrder)).toEqual(expected);
  });

  it("counts each model's GPUs in that model's slot", () => {
    const snap = compileFleet(
      aFleet([
        aCluster({
          name: "x",
          nodes: [
            aNodeGroup({ name: "h", count: 2 }),
            aNodeGroup({ name: "a", count: 1, gpu: { model: "A100", count: 4, memoryGiB: 40 } }),
          ],
          pricing: { gpuHour: {} },
        }),
        aCluster({
          name: "y",
          nodes: [aNodeGroup({ name: "a", count: 3, gpu: { model: "A100", count: 2, memoryGiB: 40 } })],
          pricing: { gpuHour: {} },
        }),
      ]),
    );
    expect(snap.models).toEqual(["H100", "A100"]);
    // x: 2 × 8 H100, 1 × 4 A100; y: 3 × 2 A100.
    expect(Array.from(snap.modelGpus)).toEqual([16, 4, 0, 6]);
  });

  it("compiles an empty fleet", () => {
    const snap = compileFleet(Fleet.parse({}));
    expect(snap.size).toBe(0);
    expect(snap.models).toEqual([]);
    expect(Array.from(snap.groupStart)).toEqual([0]);
  });
});

describe("patchFleet", () => {
  /** New usage, readiness and health for the clusters at `changed` (their shape and description kept). */
  const usageChange = fc.record({
    gpusUsed: fc.constantFrom(0, 1, 3, 8),
    cpuUsed: fc.constantFrom(0, 4, 200),
    memoryUsedGiB: fc.constantFrom(0, 16, 2_000),
    ready: fc.boolean(),
    schedulable: fc.boolean(),
    health: fc.constantFrom("ready", "unknown", "offline"),
  });

  it("gives what compiling the changed fleet gives, for any change of usage, readiness and health", () => {
    fc.assert(
      fc.property(fleetArb, fc.array(fc.tuple(fc.nat(), usageChange), { maxLength: 6 }), (fleet, changes) => {
        const prev = compileFleet(fleet);
        const clusters = [...fleet.clusters];
        const changed = new Set<number>();
        for (const [at, u] of changes) {
          const i = at % clusters.length;
          const c = clusters[i]!;
          clusters[i] = {
            ...c,
            health: u.health,
            nodes: c.nodes.map((n) => ({ ...n, ...u, gpusUsed: Math.min(u.gpusUsed, n.gpu?.count ?? 0) })),
          };
          changed.add(i);
        }
        const patched = patchFleet(prev, clusters, [...changed]);
        expect(patched).toEqual(compileFleet({ ...fleet, clusters }));
        // The earlier snapshot is left as it was: a pass still deciding on it must not see the change.
        expect(prev).toEqual(compileFleet(fleet));
      }),
      { numRuns: 150 },
    );
  });

  it("declines a change of shape or description, so the fleet is compiled instead", () => {
    const prev = compiled();
    const b = fleet.clusters[0]!;
    const changes: FleetCluster[] = [
      { ...b, nodes: b.nodes.slice(1) },
      { ...b, nodes: b.nodes.map((n, k) => (k === 0 ? { ...n, count: n.count + 1 } : n)) },
      { ...b, nodes: b.nodes.map((n, k) => (k === 0 ? { ...n, gpu: { ...n.gpu!, model: "L4" } } : n)) },
      { ...b, nodes: b.nodes.map((n, k) => (k === 0 ? { ...n, gpu: { ...n.gpu!, memoryGiB: 1 } } : n)) },
      { ...b, tier: "cloud" },
      { ...b, region: "us-east-1" },
      { ...b, pricing: { ...b.pricing } },
      { ...b, taints: [...b.taints] },
      { ...b, name: "renamed" },
    ];
    for (const c of changes) expect(patchFleet(prev, [c, ...fleet.clusters.slice(1)], [0])).toBeUndefined();
    expect(patchFleet(prev, fleet.clusters.slice(1), [0])).toBeUndefined();
  });
});
