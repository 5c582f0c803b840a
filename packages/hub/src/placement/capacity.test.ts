import type { NodeGroupInput, WorkloadSpecInput } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import { countSlots, indexReservations, NO_USE, nodeName, resolveReservations } from "./capacity.ts";
import type { NodeUse, Offer } from "./framework.ts";
import { compileRequest } from "./request.ts";
import { compileFleet } from "./snapshot.ts";
import { aCluster, aFleet, aNodeGroup, aWorkload } from "./testing/builders.ts";

const use = (gpus: number, cpu = 0, memoryGiB = 0): NodeUse => ({ gpus, cpu, memoryGiB });

const anOffer = (model: string | undefined, modelId: number): Offer => ({
  model,
  modelId,
  pricePerGpuHour: 0,
  spot: false,
  // Stale numbers from a previous cluster: countSlots must start from zero.
  gpuSlots: 99,
  slots: 99,
  cpuSlots: 99,
  memorySlots: 99,
  largestFreeBlock: 99,
  freeGpus: 99,
});

/** countSlots on the fleet's only cluster, with its reservations, for the H100 offer (or the GPU-less one). */
const slotsOf = (
  nodes: NodeGroupInput[],
  spec: Partial<WorkloadSpecInput>,
  reservations: { node: string; gpus: number; cpu?: number; memoryGiB?: number }[] = [],
) => {
  const fleet = aFleet([aCluster({ nodes })], {
    reservations: reservations.length > 0 ? [{ workload: "x", cluster: "c1", nodes: reservations }] : [],
  });
  const snap = compileFleet(fleet);
  const req = compileRequest(snap, aWorkload(spec));
  const uses = indexReservations(fleet.reservations).get("c1");
  const offer = req.gpus === 0 ? anOffer(undefined, -1) : anOffer("H100", snap.modelIds.get("H100")!);
  countSlots(snap, 0, uses === undefined ? undefined : resolveReservations(fleet.clusters[0]!, uses), offer, req);
  const { gpuSlots, cpuSlots, memorySlots, slots, freeGpus, largestFreeBlock } = offer;
  return { gpuSlots, cpuSlots, memorySlots, slots, freeGpus, largestFreeBlock };
};

describe("nodeName", () => {
  it("is the group name for a one-node group and group-index otherwise", () => {
    expect(nodeName(aCluster({ nodes: [aNodeGroup({ name: "solo", count: 1 })] }).nodes[0]!, 0)).toBe("solo");
    expect(nodeName(aCluster({ nodes: [aNodeGroup({ name: "gpu", count: 3 })] }).nodes[0]!, 2)).toBe("gpu-2");
  });
});

describe("indexReservations", () => {
  it("sums what reservations hold per cluster and node", () => {
    const fleet = aFleet([aCluster()], {
      reservations: [
        {
          workload: "w1",
          cluster: "c1",
          nodes: [
            { node: "n1", gpus: 2, cpu: 4, memoryGiB: 8 },
            { node: "n2", gpus: 1 },
          ],
        },
        { workload: "w2", cluster: "c1", nodes: [{ node: "n1", gpus: 3, cpu: 1, memoryGiB: 2 }] },
        { workload: "w3", cluster: "c2", nodes: [{ node: "n1", gpus: 8 }] },
      ],
    });
    const byCluster = indexReservations(fleet.reservations);
    expect([...byCluster.keys()]).toEqual(["c1", "c2"]);
    expect([...byCluster.get("c1")!]).toEqual([
      ["n1", use(5, 5, 10)],
      ["n2", use(1)],
    ]);
    expect([...byCluster.get("c2")!]).toEqual([["n1", use(8)]]);
    // The sums are new objects: the reservations as given are left as they were.
    expect(fleet.reservations[0]?.nodes[0]).toEqual({ node: "n1", gpus: 2, cpu: 4, memoryGiB: 8 });
  });
});

describe("resolveReservations", () => {
  it("maps node names onto groups: the group's own name on every node, group-index on that node", () => {
    const cluster = aCluster({
      nodes: [
        aNodeGroup({ name: "solo", count: 1 }),
        aNodeGroup({ name: "gpu", count: 12 }),
        aNodeGroup({ name: "idle", count: 2 }),
        aNodeGroup({ name: "big", count: 2 }),
      ],
    });
    const uses = new Map<string, NodeUse>([
      ["solo", use(1, 2, 3)],
      // A one-node group's nodes have no index names: this is an unknown node.
      ["solo-0", use(8)],
      ["gpu-1", use(1, 1, 1)],
      ["gpu-01", use(2, 2, 2)],
      ["gpu-10", use(3)],
      ["gpu-11", use(4)],
      // Past the last node, not a number, or a number inside other text: unknown nodes, ignored.
      ["gpu-12", use(8)],
      ["gpu-x", use(8)],
      ["gpu-1a", use(8)],
      ["gpu-a1", use(8)],
      ["other", use(8)],
      ["big", use(2)],
      ["big-0", use(1)],
    ]);
    const out = resolveReservations(cluster, uses);
    expect(out).toEqual([
      { all: use(1, 2, 3), byIndex: new Map() },
      {
        all: undefined,
        byIndex: new Map([
          [1, use(3, 3, 3)],
          [10, use(3)],
          [11, use(4)],
        ]),
      },
      undefined,
      { all: use(2), byIndex: new Map([[0, use(1)]]) },
    ]);
    // Copies: booking more later never changes the index the reservations came from.
    expect(out[0]?.all).not.toBe(uses.get("solo"));
    expect(out[3]?.byIndex.get(0)).not.toBe(uses.get("big-0"));
    expect(uses.get("gpu-1")).toEqual(use(1, 1, 1));
  });
});

describe("countSlots", () => {
  it("counts replica slots per resource across usable groups of the offered model", () => {
    const nodes = [
      // 6 GPUs free: 3 slots of 2 per node; CPU and memory ample.
      aNodeGroup({ name: "a", count: 3, gpusUsed: 2 }),
      // 8 GPUs → 4 slots, but 20 CPU / 8 → 2 and 100 GiB / 64 → 1.
      aNodeGroup({ name: "b", count: 2, cpu: 20, memoryGiB: 100 }),
      // Another model, and a group that is not ready: neither counts.
      aNodeGroup({ name: "c", count: 5, gpu: { model: "A100", count: 8, memoryGiB: 80 } }),
      aNodeGroup({ name: "d", count: 4, ready: false }),
    ];
    const spec = { replicas: 10, resources: { gpu: { count: 2 }, cpu: 8, memoryGiB: 64 } };
    // a: 3 nodes × (3, 3, 3, 3); b: 2 nodes × (4, min(4, 2), min(4, 1), 1).
    expect(slotsOf(nodes, spec)).toEqual({
      gpuSlots: 3 * 3 + 2 * 4,
      cpuSlots: 3 * 3 + 2 * 2,
      memorySlots: 3 * 3 + 2 * 1,
      slots: 3 * 3 + 2 * 1,
      freeGpus: 3 * 6 + 2 * 8,
      largestFreeBlock: 8,
    });
    // With 2 replicas no node counts more than 2 slots along any resource: a 3 × 2, b 2 × (2, 2, 1, 1).
    expect(slotsOf(nodes, { ...spec, replicas: 2 })).toEqual({
      gpuSlots: 3 * 2 + 2 * 2,
      cpuSlots: 3 * 2 + 2 * 2,
      memorySlots: 3 * 2 + 2 * 1,
      slots: 3 * 2 + 2 * 1,
      freeGpus: 34,
      largestFreeBlock: 8,
    });
  });

  it("holds GPU memory to the minimum: a 40 GiB group does not serve 80, an 80 GiB one does", () => {
    const nodes = [
      aNodeGroup({ name: "small", count: 1, gpu: { model: "H100", count: 8, memoryGiB: 40 } }),
      aNodeGroup({ name: "exact", count: 1, gpusUsed: 4 }),
    ];
    const spec = { replicas: 4, resources: { gpu: { count: 1, minMemoryGiB: 80 } } };
    expect(slotsOf(nodes, spec)).toEqual({
      gpuSlots: 4,
      cpuSlots: 4,
      memorySlots: 4,
      slots: 4,
      freeGpus: 4,
      largestFreeBlock: 4,
    });
  });

  it("counts a GPU-less workload on every usable node by CPU and memory alone", () => {
    const nodes = [
      aNodeGroup({ name: "a", count: 3, gpusUsed: 2 }),
      aNodeGroup({ name: "b", count: 2, cpu: 20 }),
      aNodeGroup({ name: "c", count: 1, gpu: undefined, cpu: 96, memoryGiB: 100 }),
      aNodeGroup({ name: "d", count: 4, schedulable: false }),
    ];
    // Replicas 4 of 16 CPU, 32 GiB: a 3 × min(4, 6, 32) = 12; b 2 × min(4, 1) = 2; c min(4, 6, 3) = 3.
    // GPU slots are not bounded by GPUs: every node counts all 4.
    expect(slotsOf(nodes, { replicas: 4, resources: { cpu: 16, memoryGiB: 32 } })).toEqual({
      gpuSlots: 4 * 6,
      cpuSlots: 3 * 4 + 2 * 1 + 1 * 4,
      memorySlots: 3 * 4 + 2 * 4 + 1 * 3,
      slots: 12 + 2 + 3,
      freeGpus: 3 * 6 + 2 * 8,
      largestFreeBlock: 8,
    });
  });

  it("takes what reservations hold off the nodes they name, and a group's own name off every node", () => {
    const nodes = [aNodeGroup({ name: "gpu", count: 3 })];
    const spec = { replicas: 5, resources: { gpu: { count: 2 }, cpu: 16 } };
    const held = [
      { node: "gpu", gpus: 1 },
      { node: "gpu-0", gpus: 4, cpu: 32 },
      { node: "gpu-2", gpus: 8 },
    ];
    // gpu-1: 7 GPUs, 96 CPU → 3 slots; gpu-0: 8 − 5 = 3 GPUs, 64 CPU → 1; gpu-2: 8 − 9 → none left (not −1).
    expect(slotsOf(nodes, spec, held)).toEqual({
      gpuSlots: 4,
      cpuSlots: 4,
      memorySlots: 4,
      slots: 4,
      freeGpus: 7 + 3 + 0,
      largestFreeBlock: 7,
    });
    // CPU and memory reserved past what gpu-0 has leave it 0 slots, not a negative count that would cancel other
    // nodes' slots: gpu-1 and gpu-2 take 4 each (8 GPUs / 2); gpu-0 still has 4 GPU slots.
    const over = { replicas: 5, resources: { gpu: { count: 2 }, cpu: 16, memoryGiB: 8 } };
    expect(slotsOf(nodes, over, [{ node: "gpu-0", gpus: 0, cpu: 200, memoryGiB: 2000 }])).toMatchObject({
      gpuSlots: 4 + 4 + 4,
      cpuSlots: 4 + 4 + 0,
      memorySlots: 4 + 4 + 0,
      slots: 4 + 4 + 0,
    });
  });

  it("counts no unreserved nodes when reservations name every node of a group", () => {
    const nodes = [aNodeGroup({ name: "gpu", count: 2 })];
    const held = [
      { node: "gpu-0", gpus: 4 },
      { node: "gpu-1", gpus: 4 },
    ];
    expect(slotsOf(nodes, { replicas: 2, resources: { gpu: { count: 8 } } }, held)).toEqual({
      gpuSlots: 0,
      cpuSlots: 0,
      memorySlots: 0,
      slots: 0,
      freeGpus: 8,
      largestFreeBlock: 4,
    });
  });

  it("holds nothing in NO_USE", () => {
    expect(NO_USE).toEqual(use(0));
  });
});
