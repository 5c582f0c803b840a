import type { Reservation } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import { evaluate } from "./evaluate.ts";
import { compileRequest } from "./request.ts";
import { compileFleet } from "./snapshot.ts";
import { aCluster, aFleet, aNodeGroup, aWorkload } from "./testing/builders.ts";

describe("evaluate", () => {
  const fleet = aFleet([
    aCluster({ name: "down", health: "offline" }),
    // Two 8-GPU nodes, one of them fully reserved below.
    aCluster({
      name: "od",
      tier: "onprem",
      spotPreemptionsPerHour: { "*": 0.5 },
      pricing: { gpuHour: { H100: 2 } },
      nodes: [aNodeGroup({ count: 2 })],
    }),
    // GPUs free but 2 CPUs a node: the gpu-fit filter finds an offer, the resources filter rejects it.
    aCluster({ name: "cpu-poor", nodes: [aNodeGroup({ count: 1, cpu: 2 })] }),
    // One spot node with 6 of its 8 GPUs free.
    aCluster({
      name: "sp",
      spot: true,
      spotPreemptionsPerHour: { H100: 0.3 },
      pricing: { gpuHour: { H100: 4 }, spotGpuHour: { H100: 1 } },
      nodes: [aNodeGroup({ count: 1, gpusUsed: 2 })],
    }),
  ]);
  const reservations: Reservation[] = [
    { workload: "x", cluster: "od", nodes: [{ node: "gpu-0", gpus: 8, cpu: 0, memoryGiB: 0 }] },
    { workload: "y", cluster: "ghost", nodes: [{ node: "gpu-0", gpus: 8, cpu: 0, memoryGiB: 0 }] },
  ];
  const w = aWorkload({ replicas: 2, resources: { gpu: { count: 4 }, cpu: 4 }, placement: { spot: "preferred" } });

  it("gives every rejected cluster its filter's reason, in fleet order, with what fits when an offer was found", () => {
    const snap = compileFleet(fleet);
    const e = evaluate(snap, reservations, compileRequest(snap, w));
    expect(e.verdicts[0]).toEqual({
      cluster: "down",
      verdict: "filtered",
      reasons: [{ code: "cluster_not_ready", message: expect.any(String) }],
    });
    expect(e.verdicts[2]).toEqual({
      cluster: "cpu-poor",
      verdict: "filtered",
      reasons: [
        { code: "insufficient_cpu", message: "needs 4 CPU per replica beside 4 H100; room for 0 of 1 replicas" },
      ],
      fitReplicas: 0,
    });
    // Survivors' verdicts are the caller's to fill in.
    expect(e.verdicts[1]).toBeUndefined();
    expect(e.verdicts[3]).toBeUndefined();
    expect(e.rejections.map((r) => r.code)).toEqual(["cluster_not_ready", "insufficient_cpu"]);
  });

  it("prepares each survivor with its offer, what it takes and the capacity its charges read", () => {
    const snap = compileFleet(fleet);
    const { candidates } = evaluate(snap, reservations, compileRequest(snap, w));
    const [od, sp] = candidates;
    // od: gpu-0 is reserved whole, gpu-1 takes both replicas and is left with none; on-demand is never preempted.
    expect(od).toMatchObject({
      name: "od",
      tier: "onprem",
      index: 1,
      model: "H100",
      pricePerGpuHour: 2,
      spot: false,
      preemptionsPerHour: 0,
      take: 2,
      fullFit: true,
      strandedGpus: 0,
      freeGpus: 8,
      capacityGpus: 16,
      rank: undefined,
      rankCents: 0,
    });
    expect(od?.reservations?.[0]?.byIndex.get(0)?.gpus).toBe(8);
    // sp: one replica in its 6 free GPUs (2 left over), at the spot price and its own preemption rate.
    expect(sp).toMatchObject({
      name: "sp",
      tier: "cloud",
      index: 3,
      pricePerGpuHour: 1,
      spot: true,
      preemptionsPerHour: 0.3,
      take: 1,
      fullFit: false,
      strandedGpus: 2,
      freeGpus: 6,
      capacityGpus: 8,
    });
    expect(sp?.reservations).toBeUndefined();
  });

  it("gives a GPU-less workload no capacity and no preemptions, and without reservations holds nothing back", () => {
    const snap = compileFleet(fleet);
    const cpu = aWorkload({ resources: { cpu: 4 }, placement: { spot: "preferred" } });
    const { candidates } = evaluate(snap, [], compileRequest(snap, cpu));
    const sp = candidates.find((c) => c.name === "sp")!;
    expect(sp).toMatchObject({ model: undefined, modelId: -1, preemptionsPerHour: 0, capacityGpus: 0, take: 1 });
    expect(candidates.find((c) => c.name === "od")?.reservations).toBeUndefined();
  });
});
