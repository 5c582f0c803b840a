import { describe, expect, it } from "vitest";
import { plan } from "../plan.ts";
import { aCluster, aFleet, aNodeGroup, aWorkload } from "../testing/builders.ts";

const by = (d: ReturnType<typeof plan>, name: string) => d.clusters.find((c) => c.cluster === name)!;

describe("data charge: egress and staging", () => {
  const fleet = aFleet(
    [
      aCluster({ name: "near", region: "eu-west-1", pricing: { gpuHour: { H100: 2 }, egressPerGB: 0.08 } }),
      aCluster({ name: "far", region: "us-east-1", pricing: { gpuHour: { H100: 2 }, egressPerGB: 0.02 } }),
    ],
    { datasets: [{ name: "corpus", sizeGB: 9000, locations: ["eu-*"] }] },
  );
  const d = plan(fleet, aWorkload({ data: ["corpus"] }), { headroomFactor: 0 });

  it("charges nothing where the data is (region glob)", () => {
    expect(by(d, "near").rankCost).toMatchObject({ egress: 0, staging: 0 });
    expect(by(d, "near").reasons).toContainEqual({ code: "data_locality", message: "all 9000 GB of data is local" });
  });
  it("charges egress at the source's price and the GPU time held while it copies at 10 Gbit/s", () => {
    // 9,000 GB × $0.08 from near; 9,000 GB × 8 / 10 Gbit/s = 2 h of one $2 GPU held.
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
