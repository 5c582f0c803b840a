import { Decision } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import { plan } from "./plan.ts";
import { reservationsFor } from "./reservations.ts";
import { aCluster, aFleet, aNodeGroup, aWorkload } from "./testing/builders.ts";

const h100Gang = (replicas: number, gpus = 8, name = "w1") =>
  aWorkload({ replicas, gang: true, resources: { gpu: { count: gpus, models: ["H100"] } } }, name);
const verdictOf = (d: Decision, cluster: string) => d.clusters.find((c) => c.cluster === cluster);

describe("plan: gangs and fragmentation", () => {
  it("skips a cheap cluster whose free GPUs are fragmented and lands the gang whole elsewhere", () => {
    const fleet = aFleet([
      aCluster({ name: "cheap", pricing: { gpuHour: { H100: 1 } }, nodes: [aNodeGroup({ count: 8, gpusUsed: 4 })] }),
      aCluster({ name: "dear", pricing: { gpuHour: { H100: 3 } }, nodes: [aNodeGroup({ count: 4 })] }),
    ]);
    const d = plan(fleet, h100Gang(4));
    expect(d.feasible).toBe(true);
    expect(d.assignments).toHaveLength(1);
    expect(d.assignments[0]).toMatchObject({ cluster: "dear", replicas: 4, gpuModel: "H100", spot: false });
    expect(d.assignments[0]?.nodes.map((n) => n.node)).toEqual(["gpu-0", "gpu-1", "gpu-2", "gpu-3"]);
    expect(verdictOf(d, "cheap")).toMatchObject({ verdict: "filtered", reasons: [{ code: "gpu_fragmented" }] });
    expect(d.runnerUp).toBeNull();
    expect(() => Decision.parse(d)).not.toThrow();
  });

  it("explains an infeasible gang like the Kubernetes scheduler", () => {
    const fleet = aFleet([
      aCluster({ name: "a", nodes: [aNodeGroup({ gpu: { model: "A100", count: 8, memoryGiB: 40 } })] }),
      aCluster({ name: "b", nodes: [aNodeGroup({ gpu: { model: "H100", count: 8, memoryGiB: 40 } })] }),
      aCluster({ name: "c", tier: "edge" }),
      aCluster({ name: "d", nodes: [aNodeGroup({ count: 4, gpusUsed: 4 })] }),
    ]);
    const w = aWorkload(
      {
        replicas: 2,
        gang: true,
        resources: { gpu: { count: 8, models: ["H100"], minMemoryGiB: 80 } },
        placement: { tiers: ["cloud", "onprem"] },
      },
      "resnet-train",
    );
    const d = plan(fleet, w);
    expect(d).toMatchObject({ feasible: false, assignments: [], runnerUp: null });
    expect(d.estimatedCost).toEqual({ total: 0, perHour: 0, compute: 0, egress: 0 });
    expect(d.summary).toBe(
      "0/4 clusters can run resnet-train: 2 no H100 with >=80 GiB, 1 needs 8 free H100 on one node; largest free block is 4, 1 tier edge is not in the allowed tiers (cloud, onprem)",
    );
  });
});

describe("plan: data gravity", () => {
  const fleet = (farPrice: number) =>
    aFleet(
      [
        aCluster({ name: "far", region: "us-east-1", pricing: { gpuHour: { H100: farPrice }, egressPerGB: 0.09 } }),
        aCluster({ name: "near", region: "eu-west-1", pricing: { gpuHour: { H100: 3 }, egressPerGB: 0.09 } }),
      ],
      { datasets: [{ name: "crawl", sizeGB: 12000, locations: ["near"] }] },
    );
  const w = aWorkload({
    replicas: 2,
    gang: true,
    durationHours: 10,
    resources: { gpu: { count: 8 } },
    data: ["crawl"],
  });

  it("sends the job to its data when egress costs more than the price difference", () => {
    // far saves 2 × 8 × $1 × 10 h = $160 on compute but pays 12,000 GB × $0.09 = $1,080 to move the data.
    const d = plan(fleet(2), w);
    expect(d.assignments[0]?.cluster).toBe("near");
    expect(verdictOf(d, "far")?.estimatedCost).toMatchObject({ compute: 320, egress: 1080 });
    expect(d.runnerUp).toBe("far");
  });
  it("moves the data when the compute saving is larger than the egress", () => {
    const d = plan(fleet(0.1), aWorkload({ ...w.spec, durationHours: 200 }));
    expect(d.assignments[0]?.cluster).toBe("far");
  });
});

describe("plan: spot policy", () => {
  const fleet = aFleet([
    aCluster({ name: "od", pricing: { gpuHour: { H100: 2 } } }),
    aCluster({ name: "sp", spot: true, pricing: { gpuHour: { H100: 4 }, spotGpuHour: { H100: 1 } } }),
  ]);
  const w = (spot: "never" | "allowed" | "preferred") => aWorkload({ placement: { spot } });

  it("never uses spot under never, takes the cheaper spot under allowed", () => {
    expect(plan(fleet, w("never")).assignments[0]).toMatchObject({ cluster: "od", spot: false, pricePerGpuHour: 2 });
    expect(plan(fleet, w("allowed")).assignments[0]).toMatchObject({ cluster: "sp", spot: true, pricePerGpuHour: 1 });
  });
  it("takes spot where sold under preferred, and lets dollars decide between clusters", () => {
    const close = (spotPrice: number) =>
      aFleet([
        aCluster({ name: "od", pricing: { gpuHour: { H100: 1.2 } } }),
        aCluster({ name: "sp", spot: true, pricing: { gpuHour: { H100: 1 }, spotGpuHour: { H100: spotPrice } } }),
      ]);
    // Spot at $1.40 is dearer than on-demand elsewhere at $1.20: a preference for spot is not a price.
    expect(plan(close(1.4), w("preferred")).assignments[0]).toMatchObject({ cluster: "od", spot: false });
    // Under preferred, sp prices its spot ($1.10) although its on-demand is cheaper, and still wins on price.
    expect(plan(close(1.1), w("preferred")).assignments[0]).toMatchObject({ cluster: "sp", spot: true });
    expect(plan(close(1.1), w("allowed")).assignments[0]).toMatchObject({ cluster: "sp", spot: false });
  });
  it("counts only spot offers in a spot pool", () => {
    const d = plan(fleet, w("preferred"), { spotOnly: true, poolName: "cloud-spot" });
    expect(d.assignments[0]).toMatchObject({ cluster: "sp", spot: true });
    expect(verdictOf(d, "od")?.reasons).toEqual([
      {
        code: "no_usable_price",
        message: "no spot price for H100 here, and pool cloud-spot offers only spot capacity",
      },
    ]);
  });
});

describe("plan: one number, explained", () => {
  const fleet = aFleet(
    [
      aCluster({ name: "a", pricing: { gpuHour: { H100: 2 }, egressPerGB: 0.05 } }),
      aCluster({ name: "b", spot: true, pricing: { gpuHour: { H100: 3 }, spotGpuHour: { H100: 1.5 } } }),
      aCluster({ name: "c", region: "eu-west-1", pricing: { gpuHour: { H100: 1.8 } } }),
    ],
    { datasets: [{ name: "ds", sizeGB: 900, locations: ["a"] }] },
  );
  const w = aWorkload({
    durationHours: 6,
    resources: { gpu: { count: 8 } },
    data: ["ds"],
    placement: { spot: "allowed" },
  });
  const d = plan(fleet, w);

  it("gives every feasible cluster terms that sum to its rank value, and picks the lowest", () => {
    const feasible = d.clusters.filter((c) => c.rankCost !== undefined);
    expect(feasible).toHaveLength(3);
    for (const v of feasible) {
      const r = v.rankCost!;
      const sum = r.compute + r.egress + r.staging + r.spotRisk + r.headroom + r.preference;
      expect(Math.round(sum * 100)).toBe(Math.round(r.total * 100));
    }
    const lowest = Math.min(...feasible.map((v) => v.rankCost!.total));
    expect(verdictOf(d, d.assignments[0]!.cluster)?.rankCost?.total).toBe(lowest);
    expect(d.rankCost).toEqual(verdictOf(d, d.assignments[0]!.cluster)?.rankCost);
  });
  it("says by how much it beat the runner-up and which term decided, in the same dollars", () => {
    const m = d.margin!;
    const chosen = verdictOf(d, d.assignments[0]!.cluster)!.rankCost!;
    const second = verdictOf(d, m.runnerUp)!.rankCost!;
    expect(m.runnerUp).toBe(d.runnerUp);
    expect(m.usd).toBeCloseTo(second.total - chosen.total, 2);
    expect(m.terms.compute).toBeCloseTo(chosen.compute - second.compute, 2);
    expect(m.terms[m.decidedBy as "compute"]).toBe(Math.min(...Object.values(m.terms)));
    expect(d.summary).toMatch(/cheaper than \S+, decided by [a-z ]+: /);
  });
  it("bills compute and egress only, never the ranking charges", () => {
    const v = verdictOf(d, "b")!;
    expect(v.rankCost!.spotRisk).toBeGreaterThan(0);
    expect(v.estimatedCost!.total).toBeCloseTo(v.rankCost!.compute + v.rankCost!.egress, 2);
    expect(d.estimatedCost.total).toBeLessThan(d.rankCost!.total);
  });
  it("says so when an exact tie is broken by best fit, and lets a few cents beat best fit", () => {
    const tied = (roomyPrice: number) =>
      aFleet([
        aCluster({ name: "roomy", pricing: { gpuHour: { H100: roomyPrice } }, nodes: [aNodeGroup({ count: 1 })] }),
        aCluster({ name: "snug", pricing: { gpuHour: { H100: 2 } }, nodes: [aNodeGroup({ count: 1, gpusUsed: 2 })] }),
      ]);
    const six = aWorkload({ resources: { gpu: { count: 6 } } });
    const one = plan(tied(2), six, { headroomFactor: 0 });
    expect(one.assignments[0]?.cluster).toBe("snug");
    expect(one.margin).toMatchObject({ usd: 0, decidedBy: "best_fit" });
    expect(one.summary).toContain(
      "tied with roomy at $12.00; chosen by best fit (strands 0 GPUs, roomy would strand 2)",
    );
    // Not a tie: the cheaper one wins however badly it fits.
    const cheaper = plan(tied(1.995), six, { headroomFactor: 0 });
    expect(cheaper.assignments[0]?.cluster).toBe("roomy");
    expect(cheaper.margin).toMatchObject({ usd: 0.03, decidedBy: "compute" });
  });
});

describe("plan: splitting", () => {
  const fleet = aFleet([
    aCluster({ name: "a", pricing: { gpuHour: { H100: 1 } }, nodes: [aNodeGroup({ count: 4 })] }),
    aCluster({ name: "b", pricing: { gpuHour: { H100: 2 } }, nodes: [aNodeGroup({ count: 4 })] }),
    aCluster({ name: "c", pricing: { gpuHour: { H100: 3 } }, nodes: [aNodeGroup({ count: 4 })] }),
  ]);

  it("fills the cheapest cluster first and puts the rest in the next", () => {
    const d = plan(fleet, aWorkload({ replicas: 6, resources: { gpu: { count: 8 } } }));
    expect(d.assignments.map((a) => [a.cluster, a.replicas])).toEqual([
      ["a", 4],
      ["b", 2],
    ]);
    expect(d.estimatedCost).toEqual({ total: 64, perHour: 64, compute: 64, egress: 0 });
    expect(d.margin).toBeUndefined();
    expect(d.summary).toContain("no single cluster takes all 6 replicas, split lowest rank per replica first");
    expect(d.clusters.filter((c) => c.verdict === "selected").map((c) => c.cluster)).toEqual(["a", "b"]);
    expect(d.runnerUp).toBe("c");
  });
  it("does not split a gang", () => {
    const d = plan(fleet, h100Gang(6));
    expect(d.feasible).toBe(false);
    expect(d.summary).toContain("0/3 clusters can run w1: 3 needs 6 × 8 free H100");
  });
  it("places nothing when the whole fleet cannot take every replica", () => {
    const d = plan(fleet, aWorkload({ replicas: 13, resources: { gpu: { count: 8 } } }));
    expect(d).toMatchObject({ feasible: false, assignments: [] });
    expect(d.summary).toBe("w1 does not fit: only 12 of 13 replicas fit across 3 clusters");
  });
});

describe("plan: reservations and determinism", () => {
  it("books different nodes when re-planning with the previous decision's reservations", () => {
    let fleet = aFleet([aCluster({ nodes: [aNodeGroup({ count: 2 })] })]);
    const first = plan(fleet, h100Gang(1, 8, "one"));
    expect(first.assignments[0]?.nodes).toEqual([{ node: "gpu-0", replicas: 1 }]);
    const held = reservationsFor("one", h100Gang(1), first);
    expect(held).toEqual([
      { workload: "one", cluster: "c1", nodes: [{ node: "gpu-0", gpus: 8, cpu: 0, memoryGiB: 0 }] },
    ]);
    fleet = { ...fleet, reservations: held };
    const second = plan(fleet, h100Gang(1, 8, "two"));
    expect(second.assignments[0]?.nodes).toEqual([{ node: "gpu-1", replicas: 1 }]);
    fleet = { ...fleet, reservations: [...held, ...reservationsFor("two", h100Gang(1), second)] };
    expect(plan(fleet, h100Gang(1, 8, "three")).feasible).toBe(false);
  });
  it("breaks ties by cluster name, whatever the fleet order", () => {
    const d = plan(aFleet([aCluster({ name: "zeta" }), aCluster({ name: "alpha" })]), aWorkload());
    expect(d.assignments[0]?.cluster).toBe("alpha");
    expect(d.runnerUp).toBe("zeta");
  });
  it("places a GPU-less workload by CPU and memory and charges only egress", () => {
    const fleet = aFleet([aCluster({ nodes: [aNodeGroup({ name: "cpu", count: 1, gpu: undefined, cpu: 8 })] })]);
    const d = plan(fleet, aWorkload({ replicas: 2, resources: { cpu: 4 } }));
    expect(d.assignments[0]).toMatchObject({
      cluster: "c1",
      nodes: [{ node: "cpu", replicas: 2 }],
      pricePerGpuHour: 0,
    });
    expect(d.assignments[0]?.gpuModel).toBeUndefined();
    expect(d.estimatedCost.total).toBe(0);
  });
});

describe("plan: edges", () => {
  it("explains an empty fleet", () => {
    const d = plan(aFleet([]), aWorkload());
    expect(d).toMatchObject({ feasible: false, clusters: [], runnerUp: null });
    expect(d.summary).toBe("0/0 clusters can run w1: the fleet is empty");
  });
  it("applies a reservation that names a whole group to each of its nodes, and ignores unknown nodes", () => {
    const c = aCluster({ nodes: [aNodeGroup({ count: 2 })] });
    const fleet = aFleet([c], {
      reservations: [
        { workload: "x", cluster: "c1", nodes: [{ node: "gpu", gpus: 4 }] },
        { workload: "y", cluster: "c1", nodes: [{ node: "gone-7", gpus: 8 }] },
      ],
    });
    expect(plan(fleet, h100Gang(2, 4)).assignments[0]?.nodes).toEqual([
      { node: "gpu-0", replicas: 1 },
      { node: "gpu-1", replicas: 1 },
    ]);
    expect(plan(fleet, h100Gang(1, 8)).feasible).toBe(false);
  });
  it("restricts to a pool and says which", () => {
    const d = plan(aFleet([aCluster({ name: "a" }), aCluster({ name: "b" })]), aWorkload(), {
      onlyClusters: ["b"],
      poolName: "burst",
    });
    expect(d.assignments[0]?.cluster).toBe("b");
    expect(verdictOf(d, "a")?.reasons).toEqual([{ code: "not_in_pool", message: "not in pool burst" }]);
  });
});
