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
  // Decided inside each test: Stryker's per-test coverage only sees code that runs in a test.
  const decide = () => plan(fleet, w);

  it("gives every feasible cluster terms that sum to its rank value, and picks the lowest", () => {
    const d = decide();
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
    const d = decide();
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
    const d = decide();
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

describe("plan: verdicts, explained", () => {
  const one = [aNodeGroup({ count: 1 })];
  const fleet = aFleet([
    aCluster({ name: "a", nodes: one, pricing: { gpuHour: { H100: 1 } } }),
    aCluster({ name: "b", nodes: one, pricing: { gpuHour: { H100: 2 } } }),
    aCluster({ name: "s", nodes: one, spot: true, pricing: { gpuHour: { H100: 9 }, spotGpuHour: { H100: 2.5 } } }),
    aCluster({
      name: "d",
      nodes: [aNodeGroup({ count: 1, gpu: { model: "A100", count: 8, memoryGiB: 80 } })],
      pricing: { gpuHour: { A100: 3 } },
    }),
    aCluster({ name: "e", nodes: one, pricing: { gpuHour: { H100: 4 } } }),
    aCluster({ name: "f", nodes: one, pricing: { gpuHour: { H100: 5 } } }),
  ]);
  // 8 GPUs for 1 h: a $8, b $16, s $20 + spot risk, d $24, e $32, f $40.
  const decide = () =>
    plan(fleet, aWorkload({ resources: { gpu: { count: 8 } }, placement: { spot: "allowed" } }), {
      headroomFactor: 0,
    });

  it("explains the chosen cluster and the runner-up charge by charge, and says how well each fits", () => {
    const d = decide();
    expect(d.assignments.map((a) => a.cluster)).toEqual(["a"]);
    expect(d.runnerUp).toBe("b");
    const a = verdictOf(d, "a")!;
    expect(a.verdict).toBe("selected");
    expect(a.reasons.map((r) => r.code)).toEqual(["fits", "rank", "cost", "best_fit"]);
    expect(a.reasons[0]!.message).toBe("takes 1/1 replicas of 8 × H100");
    expect(a.reasons[1]!.message).toBe("ranked $8.00 = compute $8.00");
    expect(a.reasons[3]!.message).toBe("leaves 0 free H100; 0 stranded on the nodes it uses (breaks exact ties only)");
    const b = verdictOf(d, "b")!;
    expect(b.verdict).toBe("feasible");
    expect(b.reasons.map((r) => r.code)).toEqual(["fits", "rank", "cost", "best_fit"]);
    expect(b.reasons[0]!.message).toBe("fits 1/1 replicas of 8 × H100");
  });

  it("gives every other feasible cluster one line on what it fits, by model and spot", () => {
    const d = decide();
    expect(verdictOf(d, "s")!.reasons).toEqual([{ code: "fits", message: "fits 1/1 replicas of 8 × H100 spot" }]);
    expect(verdictOf(d, "d")!.reasons).toEqual([{ code: "fits", message: "fits 1/1 replicas of 8 × A100" }]);
    for (const name of ["e", "f"]) {
      expect(verdictOf(d, name)!.reasons).toEqual([{ code: "fits", message: "fits 1/1 replicas of 8 × H100" }]);
    }
    expect(verdictOf(d, "s")).toMatchObject({
      verdict: "feasible",
      gpuModel: "H100",
      spot: true,
      pricePerGpuHour: 2.5,
    });
    expect(verdictOf(d, "d")).toMatchObject({ verdict: "feasible", gpuModel: "A100", spot: false, fitReplicas: 1 });
  });

  it("tells partial fits apart by how many replicas each could take", () => {
    const fleet = aFleet([
      aCluster({ name: "whole", nodes: [aNodeGroup({ count: 4 })], pricing: { gpuHour: { H100: 1 } } }),
      aCluster({ name: "next", nodes: [aNodeGroup({ count: 4 })], pricing: { gpuHour: { H100: 2 } } }),
      aCluster({ name: "p1", nodes: [aNodeGroup({ count: 1 })], pricing: { gpuHour: { H100: 3 } } }),
      aCluster({ name: "p2", nodes: [aNodeGroup({ count: 2 })], pricing: { gpuHour: { H100: 3 } } }),
    ]);
    const d = plan(fleet, aWorkload({ replicas: 4, resources: { gpu: { count: 8 } } }), { headroomFactor: 0 });
    expect(d.assignments.map((a) => [a.cluster, a.replicas])).toEqual([["whole", 4]]);
    const partial = "replicas of 8 × H100 (only in a split: it cannot take them all)";
    expect(verdictOf(d, "p1")!.reasons).toEqual([{ code: "fits", message: `fits 1/4 ${partial}` }]);
    expect(verdictOf(d, "p2")!.reasons).toEqual([{ code: "fits", message: `fits 2/4 ${partial}` }]);
    expect(d.margin).toMatchObject({ runnerUp: "next", usd: 32, decidedBy: "compute" });
  });

  it("bills each part of a split for the replicas it takes, per hour and over the run", () => {
    const fleet = aFleet([
      aCluster({ name: "a", nodes: [aNodeGroup({ count: 2 })], pricing: { gpuHour: { H100: 1 } } }),
      aCluster({ name: "b", nodes: [aNodeGroup({ count: 3 })], pricing: { gpuHour: { H100: 2 } } }),
    ]);
    const d = plan(fleet, aWorkload({ replicas: 4, durationHours: 3, resources: { gpu: { count: 8 } } }), {
      headroomFactor: 0,
    });
    // a takes 2 × 8 GPUs at $1: $16/h, $48 over 3 h; b the other 2 (it fits 3) at $2: $32/h, $96.
    expect(d.assignments.map((a) => [a.cluster, a.replicas])).toEqual([
      ["a", 2],
      ["b", 2],
    ]);
    expect(verdictOf(d, "a")!.estimatedCost).toEqual({ total: 48, perHour: 16, compute: 48, egress: 0 });
    const b = verdictOf(d, "b")!;
    expect(b).toMatchObject({ verdict: "selected", fitReplicas: 3 });
    expect(b.estimatedCost).toEqual({ total: 96, perHour: 32, compute: 96, egress: 0 });
    expect(b.rankCost).toMatchObject({ total: 96, compute: 96 });
    expect(b.reasons[0]!.message).toBe("takes 2/4 replicas of 8 × H100 (only in a split: it cannot take them all)");
    expect(d.estimatedCost).toEqual({ total: 144, perHour: 48, compute: 144, egress: 0 });
    expect(d.rankCost).toEqual({
      total: 144,
      compute: 144,
      egress: 0,
      staging: 0,
      spotRisk: 0,
      headroom: 0,
      preference: 0,
    });
    expect(d.summary).toContain("; no single cluster takes all 4 replicas, split lowest rank per replica first; 2/2");
  });

  it("names the next in line after a split, and compares a lone winner with a runner-up that fits only part", () => {
    const fleet = aFleet([
      aCluster({ name: "a", nodes: [aNodeGroup({ count: 2 })], pricing: { gpuHour: { H100: 1 } } }),
      aCluster({ name: "b", nodes: [aNodeGroup({ count: 2 })], pricing: { gpuHour: { H100: 2 } } }),
      aCluster({ name: "c", nodes: [aNodeGroup({ count: 1 })], pricing: { gpuHour: { H100: 3 } } }),
    ]);
    const three = plan(fleet, aWorkload({ replicas: 3, resources: { gpu: { count: 8 } } }), { headroomFactor: 0 });
    expect(three.summary).toContain(
      "; no single cluster takes all 3 replicas, split lowest rank per replica first; next in line c; 3/3",
    );
    const two = plan(fleet, aWorkload({ replicas: 2, resources: { gpu: { count: 8 } } }), { headroomFactor: 0 });
    // a and b both take 2: a wins by $16 with b as runner-up; then without b, c fits only one.
    expect(two.margin).toMatchObject({ runnerUp: "b", usd: 16 });
    const noB = plan(
      aFleet([fleet.clusters[0]!, fleet.clusters[2]!]),
      aWorkload({ replicas: 2, resources: { gpu: { count: 8 } } }),
      { headroomFactor: 0 },
    );
    expect(noB.margin).toBeUndefined();
    expect(noB.runnerUp).toBe("c");
    expect(noB.summary).toContain("; runner-up c takes only 1/2 replicas; 2/2 clusters feasible");
  });

  it("calls a lone feasible cluster the only one", () => {
    const d = plan(aFleet([aCluster({ name: "solo" }), aCluster({ name: "down", health: "offline" })]), aWorkload(), {
      headroomFactor: 0,
    });
    expect(d.runnerUp).toBeNull();
    expect(d.margin).toBeUndefined();
    expect(d.summary).toMatch(/; the only feasible cluster; 1\/2 clusters feasible$/);
  });

  it("explains a GPU-less placement without GPU counts or best fit", () => {
    const cpu = (name: string) => aCluster({ name, nodes: [aNodeGroup({ name: "cpu", count: 1, gpu: undefined })] });
    const d = plan(aFleet([cpu("x"), cpu("y")]), aWorkload({ replicas: 2, resources: { cpu: 4 } }));
    const x = verdictOf(d, "x")!;
    expect(x.reasons.map((r) => r.code)).toEqual(["fits", "rank", "cost"]);
    expect(x.reasons[0]!.message).toBe("takes 2/2 replicas of no GPU");
    expect(x.gpuModel).toBeUndefined();
    expect(verdictOf(d, "y")!.reasons.map((r) => r.code)).toEqual(["fits", "rank", "cost"]);
  });

  it("zeroes the cost and rank value of a decision that places nothing", () => {
    const d = plan(
      aFleet([aCluster({ nodes: [aNodeGroup({ count: 1 })] })]),
      aWorkload({ replicas: 3, resources: { gpu: { count: 8 } } }),
    );
    expect(d.feasible).toBe(false);
    expect(d.estimatedCost).toEqual({ total: 0, perHour: 0, compute: 0, egress: 0 });
    expect(d.rankCost).toEqual({
      total: 0,
      compute: 0,
      egress: 0,
      staging: 0,
      spotRisk: 0,
      headroom: 0,
      preference: 0,
    });
    expect(d.summary).toBe("w1 does not fit: only 1 of 3 replicas fit across 1 clusters");
  });
});
