import { describe, expect, it } from "vitest";
import type { DataNeed } from "../framework.ts";
import { plan } from "../plan.ts";
import { compileRequest } from "../request.ts";
import { compileFleet } from "../snapshot.ts";
import { aCluster, aFleet, aNodeGroup, aWorkload } from "../testing/builders.ts";
import { bestCopy, gbFor, transferHours } from "./data.ts";

const by = (d: ReturnType<typeof plan>, name: string) => d.clusters.find((c) => c.cluster === name)!;

describe("data charge: egress and staging", () => {
  const fleet = aFleet(
    [
      aCluster({ name: "near", region: "eu-west-1", pricing: { gpuHour: { H100: 2 }, egressPerGB: 0.08 } }),
      aCluster({ name: "far", region: "us-east-1", pricing: { gpuHour: { H100: 2 }, egressPerGB: 0.02 } }),
    ],
    { datasets: [{ name: "corpus", sizeGB: 9000, locations: ["eu-*"] }] },
  );
  // Decided inside each test, not once while the suite is collected: what a test checks must run in it.
  const decide = () => plan(fleet, aWorkload({ data: ["corpus"] }), { headroomFactor: 0 });

  it("charges nothing where the data is (region glob)", () => {
    const d = decide();
    expect(by(d, "near").rankCost).toMatchObject({ egress: 0, staging: 0 });
    expect(by(d, "near").reasons).toContainEqual({ code: "data_locality", message: "all 9000 GB of data is local" });
  });
  it("charges egress at the source's price and the GPU time held while it copies at 10 Gbit/s", () => {
    // 9,000 GB × $0.08 from near; 9,000 GB × 8 / 10 Gbit/s = 2 h of one $2 GPU held.
    const d = decide();
    expect(by(d, "far").rankCost).toMatchObject({ compute: 2, egress: 720, staging: 4, total: 726 });
    expect(by(d, "far").estimatedCost).toMatchObject({ egress: 720, total: 722 });
    expect(by(d, "far").reasons).toContainEqual({
      code: "data_locality",
      message:
        "9000 of 9000 GB of data is remote (corpus 9000 GB from a copy at $0.08/GB over 10 Gbit/s): egress $720.00, ~2.0 h to copy, staging $4.00 for 1 GPUs held meanwhile",
    });
  });

  it("copies from the source with the lowest egress + staging for this placement", () => {
    const sources = aFleet(
      [
        aCluster({ name: "slow-cheap", bandwidthGbps: 1, pricing: { gpuHour: { H100: 50 }, egressPerGB: 0.01 } }),
        aCluster({ name: "fast-dear", bandwidthGbps: 100, pricing: { gpuHour: { H100: 50 }, egressPerGB: 0.05 } }),
        aCluster({
          name: "dest",
          bandwidthGbps: 100,
          pricing: { gpuHour: { H100: 4 } },
          nodes: [aNodeGroup({ count: 2 }), aNodeGroup({ name: "cpu", count: 1, gpu: undefined, cpu: 64 })],
        }),
      ],
      { datasets: [{ name: "images", sizeGB: 1800, locations: ["slow-cheap", "fast-dear"] }] },
    );
    // 16 GPUs at $4: 4 h over 1 Gbit/s would hold $256 of GPUs to save $72 of egress, so the fast copy wins.
    const gang = plan(
      sources,
      aWorkload({ replicas: 2, gang: true, data: ["images"], resources: { gpu: { count: 8 } } }),
    );
    expect(by(gang, "dest").rankCost).toMatchObject({ egress: 90, staging: 2.56 });
    // A CPU job holds no GPUs while it waits: the cheap, slow copy.
    const cpu = plan(sources, aWorkload({ data: ["images"], resources: { cpu: 4 } }));
    expect(by(cpu, "dest").rankCost).toMatchObject({ egress: 18, staging: 0 });
  });

  it("stretches staging over the slower of the two links", () => {
    const f = aFleet(
      [
        aCluster({ name: "holder", bandwidthGbps: 40, pricing: { gpuHour: { H100: 50 }, egressPerGB: 0 } }),
        aCluster({ name: "thin", bandwidthGbps: 1, pricing: { gpuHour: { H100: 2 } } }),
      ],
      { datasets: [{ name: "ds", sizeGB: 450, locations: ["holder"] }] },
    );
    // 450 GB × 8 / 1 Gbit/s = 1 h of one $2 GPU.
    expect(by(plan(f, aWorkload({ data: ["ds"] })), "thin").rankCost).toMatchObject({ egress: 0, staging: 2 });
  });

  it("bills data no cluster holds at the destination's own egress price", () => {
    const f = aFleet([aCluster({ pricing: { gpuHour: { H100: 2 }, egressPerGB: 0.1 } })], {
      datasets: [{ name: "outside", sizeGB: 100, locations: ["s3-bucket"] }],
    });
    expect(plan(f, aWorkload({ data: ["outside"] })).estimatedCost.egress).toBe(10);
  });

  it("does not let a few local GB outweigh tens of dollars of compute, and says which term decided", () => {
    const f = aFleet(
      [
        aCluster({ name: "has-data", pricing: { gpuHour: { H100: 7 }, egressPerGB: 0.09 } }),
        aCluster({ name: "far-west", region: "us-west-2", pricing: { gpuHour: { H100: 2 }, egressPerGB: 0.09 } }),
      ],
      { datasets: [{ name: "tokenizer", sizeGB: 10, locations: ["has-data"] }] },
    );
    const w = aWorkload({ durationHours: 1, resources: { gpu: { count: 8 } }, data: ["tokenizer"] });
    const decided = plan(f, w, { headroomFactor: 0 });
    expect(decided.assignments[0]?.cluster).toBe("far-west");
    expect(decided.margin).toMatchObject({ runnerUp: "has-data", usd: 39.06, decidedBy: "compute" });
    expect(decided.summary).toContain(
      "$39.06 cheaper than has-data, decided by compute: compute −$40.00, egress +$0.90, staging +$0.04",
    );
  });
});

describe("data charge: the helpers", () => {
  it("takes GB × 8 / Gbit/s seconds to copy", () => {
    // 450 GB = 3,600 Gbit: an hour at 1 Gbit/s, six minutes at 10.
    expect(transferHours(450, 1)).toBe(1);
    expect(transferHours(450, 10)).toBeCloseTo(0.1, 12);
  });
  it("reads all of a dataset unless it is sharded and the workload is split", () => {
    const sharded: DataNeed = { name: "s", sizeGB: 400, holds: new Uint8Array(1), sources: [], shards: 8 };
    const whole: DataNeed = { ...sharded, shards: undefined };
    const req = (replicas: number, gang: boolean) =>
      compileRequest(compileFleet(aFleet([])), aWorkload({ replicas, gang }));
    // 3 of 4 replicas read 3/4 of the shards.
    expect(gbFor(sharded, req(4, false), 3)).toBe(300);
    expect(gbFor(whole, req(4, false), 3)).toBe(400);
    // A gang runs in one cluster, and one replica is the whole workload: every shard.
    expect(gbFor(sharded, req(4, true), 3)).toBe(400);
    expect(gbFor(sharded, req(1, false), 1)).toBe(400);
  });
  it("copies data no cluster holds over the destination's own link at its own egress price", () => {
    const snap = compileFleet(aFleet([aCluster({ bandwidthGbps: 5, pricing: { gpuHour: {}, egressPerGB: 0.07 } })]));
    const need: DataNeed = { name: "x", sizeGB: 450, holds: new Uint8Array(1), sources: [], shards: undefined };
    // 450 GB over 5 Gbit/s: 0.2 h.
    const copy = bestCopy(snap, 0, need, 100);
    expect(copy.egressPerGB).toBe(0.07);
    expect(copy.gbps).toBe(5);
    expect(copy.hours).toBeCloseTo(0.2, 12);
  });
  it("picks the copy with the lowest egress + staging, over the slower of the two links", () => {
    const snap = compileFleet(aFleet([aCluster({ bandwidthGbps: 40 })]));
    const need: DataNeed = {
      name: "x",
      sizeGB: 450,
      holds: new Uint8Array(1),
      sources: [
        { egressPerGB: 0.01, gbps: 1 },
        { egressPerGB: 0.05, gbps: 100 },
      ],
      shards: undefined,
    };
    // Slow: $4.50 + 1 h of GPUs; fast (capped at the destination's 40 Gbit/s): $22.50 + 0.025 h. With no GPU held
    // the slow copy wins; at $100/h of GPUs ($104.50 against $25) the fast one does.
    expect(bestCopy(snap, 0, need, 0)).toMatchObject({ egressPerGB: 0.01, gbps: 1, hours: 1 });
    const fast = bestCopy(snap, 0, need, 100);
    expect(fast).toMatchObject({ egressPerGB: 0.05, gbps: 40 });
    expect(fast.hours).toBeCloseTo(0.025, 12);
    // A share of the dataset (its shards) takes its share of the time.
    expect(bestCopy(snap, 0, need, 0, 225).hours).toBe(0.5);
  });
});

describe("data charge: its sentence", () => {
  it("gives each remote dataset's GB, source and link, the egress, the copy time and the GPUs held meanwhile", () => {
    const f = aFleet(
      [
        aCluster({ name: "holder", bandwidthGbps: 40, pricing: { gpuHour: { H100: 50 }, egressPerGB: 0 } }),
        aCluster({ name: "thin", bandwidthGbps: 1, pricing: { gpuHour: { H100: 2 } } }),
      ],
      { datasets: [{ name: "ds", sizeGB: 450, locations: ["holder"] }] },
    );
    // 450 GB × 8 / 1 Gbit/s = exactly an hour of one $2 GPU.
    expect(by(plan(f, aWorkload({ data: ["ds"] })), "thin").reasons).toContainEqual({
      code: "data_locality",
      message:
        "450 of 450 GB of data is remote (ds 450 GB from a copy at $0.00/GB over 1 Gbit/s): egress $0.00, ~1.0 h to copy, staging $2.00 for 1 GPUs held meanwhile",
    });
  });
  it("counts only the shards a split's replicas read, data from outside the fleet, and short copies in minutes", () => {
    const f = aFleet(
      [
        aCluster({
          name: "a",
          pricing: { gpuHour: { H100: 2 }, egressPerGB: 0.05 },
          nodes: [aNodeGroup({ count: 2 })],
        }),
        aCluster({
          name: "b",
          pricing: { gpuHour: { H100: 3 }, egressPerGB: 0.05 },
          nodes: [aNodeGroup({ count: 1 })],
        }),
      ],
      {
        datasets: [
          { name: "shared", sizeGB: 400, shards: 8, locations: ["elsewhere"] },
          { name: "vocab", sizeGB: 50, locations: ["a", "b"] },
        ],
      },
    );
    const w = aWorkload({ replicas: 3, resources: { gpu: { count: 8 } }, data: ["shared", "vocab"] });
    const d = plan(f, w, { headroomFactor: 0 });
    expect(d.assignments.map((x) => [x.cluster, x.replicas])).toEqual([
      ["a", 2],
      ["b", 1],
    ]);
    // a reads 2/3 of 400 GB = 266.67 GB at $0.05 = $13.33, over 10 Gbit/s: 0.0593 h = 3.6 min, of 16 × $2 GPUs:
    // $1.90. The 50 GB vocabulary is there already.
    expect(by(d, "a").reasons).toContainEqual({
      code: "data_locality",
      message:
        "400 of 450 GB of data is remote (266.67 GB of shared's 400 GB (its replicas' shards) from outside the fleet over 10 Gbit/s): egress $13.33, ~4 min to copy, staging $1.90 for 16 GPUs held meanwhile",
    });
    // b reads 133.33 GB: $6.67, 0.0296 h = 1.8 min of 8 × $3 GPUs: $0.71.
    expect(by(d, "b").reasons).toContainEqual({
      code: "data_locality",
      message:
        "400 of 450 GB of data is remote (133.33 GB of shared's 400 GB (its replicas' shards) from outside the fleet over 10 Gbit/s): egress $6.67, ~2 min to copy, staging $0.71 for 8 GPUs held meanwhile",
    });
    expect(by(d, "a").rankCost).toMatchObject({ egress: 13.33, staging: 1.9 });
  });
  it("holds no GPUs for a GPU-less job, and says nothing for a workload without data", () => {
    const f = aFleet([aCluster({ name: "cpu", nodes: [aNodeGroup({ name: "cpu", count: 1, gpu: undefined })] })], {
      datasets: [
        { name: "logs", sizeGB: 100, locations: ["elsewhere"] },
        { name: "more", sizeGB: 8, locations: ["elsewhere"] },
      ],
    });
    // Two datasets: 108 GB at $0.05 = $5.40, 108 × 8 / 10 Gbit/s = 86 s, shown as 2 min.
    expect(plan(f, aWorkload({ resources: { cpu: 4 }, data: ["logs", "more"] })).clusters[0]?.reasons).toContainEqual({
      code: "data_locality",
      message:
        "108 of 108 GB of data is remote (logs 100 GB from outside the fleet over 10 Gbit/s; more 8 GB from outside the fleet over 10 Gbit/s): egress $5.40, ~2 min to copy",
    });
    // 100 GB over 10 Gbit/s: 80 s, shown as 2 min; $5 at the cluster's own egress price.
    expect(plan(f, aWorkload({ resources: { cpu: 4 }, data: ["logs"] })).clusters[0]?.reasons).toContainEqual({
      code: "data_locality",
      message:
        "100 of 100 GB of data is remote (logs 100 GB from outside the fleet over 10 Gbit/s): egress $5.00, ~2 min to copy",
    });
    const none = plan(f, aWorkload({ resources: { cpu: 4 } }));
    expect(none.clusters[0]?.reasons.map((r) => r.code)).not.toContain("data_locality");
    expect(none.rankCost).toMatchObject({ egress: 0, staging: 0 });
  });
});

/** The dataset as the engine resolved it. */
const snapNeed = (snap: ReturnType<typeof compileFleet>, name: string): DataNeed => {
  const ds = snap.datasets.get(name)!;
  return { name, sizeGB: ds.sizeGB, holds: ds.holds, sources: ds.sources, shards: ds.shards };
};

describe("data charge: choosing among copies", () => {
  const sources = (dest: { gpuHour: number }, mid: { egressPerGB: number; gbps: number }) =>
    aFleet(
      [
        aCluster({ name: "slow-cheap", bandwidthGbps: 1, pricing: { gpuHour: { H100: 50 }, egressPerGB: 0.01 } }),
        aCluster({
          name: "mid",
          bandwidthGbps: mid.gbps,
          pricing: { gpuHour: { H100: 50 }, egressPerGB: mid.egressPerGB },
        }),
        aCluster({ name: "dest", bandwidthGbps: 100, pricing: { gpuHour: { H100: dest.gpuHour } } }),
      ],
      { datasets: [{ name: "images", sizeGB: 1800, locations: ["slow-cheap", "mid"] }] },
    );
  const gang = aWorkload({ replicas: 2, gang: true, data: ["images"], resources: { gpu: { count: 8 } } });

  it("keeps the slow, cheap copy while the GPUs held cost less than the egress a faster one adds", () => {
    // 16 GPUs at $1 = $16/h. Slow: $18 + 4 h × $16 = $82; 2 Gbit/s at $0.05: $90 + 2 h × $16 = $122.
    const d = plan(sources({ gpuHour: 1 }, { egressPerGB: 0.05, gbps: 2 }), gang, { headroomFactor: 0 });
    expect(by(d, "dest").rankCost).toMatchObject({ egress: 18, staging: 64 });
  });
  it("on an exact tie takes the copy with the smaller bill", () => {
    // 450 GB for 5 GPUs at $1 = $5/h held. From "slow": $4.50 + 1 h × $5 = $9.50; from "fast": $9.00 + 0.1 h × $5
    // = $9.50. The same rank value either way, and the first bills $4.50 of egress instead of $9.00.
    const f = aFleet(
      [
        aCluster({ name: "slow", bandwidthGbps: 1, pricing: { gpuHour: { H100: 50 }, egressPerGB: 0.01 } }),
        aCluster({ name: "fast", bandwidthGbps: 10, pricing: { gpuHour: { H100: 50 }, egressPerGB: 0.02 } }),
        aCluster({ name: "dest", bandwidthGbps: 100, pricing: { gpuHour: { H100: 1 } } }),
      ],
      { datasets: [{ name: "ds", sizeGB: 450, locations: ["slow", "fast"] }] },
    );
    const d = plan(f, aWorkload({ data: ["ds"], resources: { gpu: { count: 5 } } }), { headroomFactor: 0 });
    expect(by(d, "dest").rankCost).toMatchObject({ egress: 4.5, staging: 5 });
    const snap = compileFleet(f);
    const need: DataNeed = { ...snapNeed(snap, "ds") };
    expect(bestCopy(snap, 2, need, 5)).toMatchObject({ egressPerGB: 0.01, gbps: 1, hours: 1 });
  });
});
