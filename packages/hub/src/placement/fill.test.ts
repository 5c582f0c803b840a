import type { NodeGroupInput, WorkloadSpecInput } from "@gantry/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { indexReservations, resolveReservations } from "./capacity.ts";
import { fillNodes, strandedAfter } from "./fill.ts";
import { compileRequest } from "./request.ts";
import { compileFleet } from "./snapshot.ts";
import { aCluster, aFleet, aNodeGroup, aWorkload } from "./testing/builders.ts";
import { runs } from "./testing/runs.ts";

describe("fillNodes", () => {
  it("fills the nodes with the fewest free GPUs first and names them group-index", () => {
    const c = aCluster({
      nodes: [aNodeGroup({ name: "big", count: 2 }), aNodeGroup({ name: "half", count: 3, gpusUsed: 4 })],
    });
    const w = aWorkload({ replicas: 4, resources: { gpu: { count: 4 } } });
    const snap = compileFleet(aFleet([c]));
    const r = fillNodes(snap, 0, undefined, snap.modelIds.get("H100")!, compileRequest(snap, w), 4, true);
    expect(r.nodes).toEqual([
      { node: "half-0", replicas: 1 },
      { node: "half-1", replicas: 1 },
      { node: "half-2", replicas: 1 },
      { node: "big-0", replicas: 1 },
    ]);
    expect(r).toMatchObject({ placed: 4, usedGpus: 16, strandedGpus: 0 });
  });

  it("agrees with the allocation-free best-fit count on random clusters", () => {
    const group = (i: number) =>
      fc.record({
        name: fc.constant(`g${i}`),
        count: fc.integer({ min: 1, max: 5 }),
        gpu: fc.record({
          model: fc.constantFrom("H100", "A100"),
          count: fc.constantFrom(2, 4, 8),
          memoryGiB: fc.constant(80),
        }),
        gpusUsed: fc.integer({ min: 0, max: 6 }),
        cpu: fc.constantFrom(16, 96),
        ready: fc.boolean(),
      });
    const arb = fc.record({
      groups: fc.integer({ min: 1, max: 5 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => group(i)))),
      gpus: fc.constantFrom(1, 2, 3, 4, 8),
      cpu: fc.constantFrom(0, 8, 32),
      replicas: fc.integer({ min: 1, max: 12 }),
    });
    fc.assert(
      fc.property(arb, ({ groups, gpus, cpu, replicas }) => {
        const snap = compileFleet(aFleet([aCluster({ nodes: groups })]));
        const req = compileRequest(snap, aWorkload({ replicas, resources: { gpu: { count: gpus }, cpu } }));
        for (const model of snap.models) {
          const id = snap.modelIds.get(model)!;
          const slow = fillNodes(snap, 0, undefined, id, req, replicas, false).strandedGpus;
          expect(strandedAfter(snap, 0, undefined, id, req, replicas)).toBe(slow);
        }
      }),
      { numRuns: runs(300), seed: 11 },
    );
  });
});

/** One cluster of these groups, its reservations resolved, a request, and the H100 model id. */
const setup = (
  nodes: NodeGroupInput[],
  spec: Partial<WorkloadSpecInput>,
  held: { node: string; gpus: number; cpu?: number }[] = [],
) => {
  const fleet = aFleet([aCluster({ nodes })], {
    reservations: held.length > 0 ? [{ workload: "x", cluster: "c1", nodes: held }] : [],
  });
  const snap = compileFleet(fleet);
  const uses = indexReservations(fleet.reservations).get("c1");
  const reserved = uses === undefined ? undefined : resolveReservations(fleet.clusters[0]!, uses);
  const req = compileRequest(snap, aWorkload(spec));
  const model = req.gpus === 0 ? -1 : snap.modelIds.get("H100")!;
  return {
    fill: (replicas: number, withNodes = true) => fillNodes(snap, 0, reserved, model, req, replicas, withNodes),
    stranded: (replicas: number) => strandedAfter(snap, 0, reserved, model, req, replicas),
  };
};

describe("fillNodes: reservations, order and stranding", () => {
  it("skips the names of reserved nodes when it fills a group's unreserved ones", () => {
    const s = setup([aNodeGroup({ count: 3 })], { replicas: 2, resources: { gpu: { count: 8 } } }, [
      { node: "gpu-1", gpus: 8 },
    ]);
    expect(s.fill(2)).toEqual({
      placed: 2,
      usedGpus: 16,
      strandedGpus: 0,
      nodes: [
        { node: "gpu-0", replicas: 1 },
        { node: "gpu-2", replicas: 1 },
      ],
    });
  });

  it("fills a partly reserved node first when it has fewer free GPUs, then the rest of its group", () => {
    const s = setup([aNodeGroup({ count: 3 })], { replicas: 3, resources: { gpu: { count: 4 } } }, [
      { node: "gpu-1", gpus: 4 },
    ]);
    expect(s.fill(3).nodes).toEqual([
      { node: "gpu-1", replicas: 1 },
      { node: "gpu-0", replicas: 2 },
    ]);
  });

  it("holds a reservation on the group's name on every node, on top of a node's own", () => {
    // Every node keeps 8 − 2 = 6; gpu-0 another 2 → 4. Replicas of 4 GPUs: gpu-0 strands 0, the others 2 each.
    const held = [
      { node: "gpu", gpus: 2 },
      { node: "gpu-0", gpus: 2 },
    ];
    const s = setup([aNodeGroup({ count: 3 })], { replicas: 3, resources: { gpu: { count: 4 } } }, held);
    expect(s.fill(3)).toEqual({
      placed: 3,
      usedGpus: 12,
      strandedGpus: 4,
      nodes: [
        { node: "gpu-0", replicas: 1 },
        { node: "gpu-1", replicas: 1 },
        { node: "gpu-2", replicas: 1 },
      ],
    });
    expect(s.stranded(3)).toBe(4);
    // Two replicas: gpu-0 (0 stranded) and gpu-1 (2).
    expect(s.stranded(2)).toBe(2);
  });

  it("breaks equal free GPUs by fleet order, then by node index", () => {
    const s = setup([aNodeGroup({ name: "b", count: 1 }), aNodeGroup({ name: "a", count: 1 })], {
      replicas: 1,
      resources: { gpu: { count: 8 } },
    });
    expect(s.fill(1).nodes).toEqual([{ node: "b", replicas: 1 }]);
    const r = setup([aNodeGroup({ count: 3 })], { replicas: 2, resources: { gpu: { count: 4 } } }, [
      { node: "gpu-2", gpus: 4 },
      { node: "gpu-0", gpus: 4 },
    ]);
    expect(r.fill(2).nodes).toEqual([
      { node: "gpu-0", replicas: 1 },
      { node: "gpu-2", replicas: 1 },
    ]);
  });

  it("orders nodes by free CPU for a GPU-less workload", () => {
    const nodes = [
      aNodeGroup({ name: "big", count: 1, gpu: undefined, cpu: 96 }),
      aNodeGroup({ name: "small", count: 1, gpu: undefined, cpu: 16 }),
    ];
    const s = setup(nodes, { replicas: 2, resources: { cpu: 8 } });
    expect(s.fill(2)).toEqual({ placed: 2, usedGpus: 0, strandedGpus: 0, nodes: [{ node: "small", replicas: 2 }] });
    expect(s.stranded(2)).toBe(0);
    // 3 replicas: small takes 2, big the third.
    expect(s.fill(3).nodes).toEqual([
      { node: "small", replicas: 2 },
      { node: "big", replicas: 1 },
    ]);
  });

  it("places what fits when the cluster cannot take every replica, and names no nodes unless asked", () => {
    // 2 nodes × 2 slots of 3 GPUs; each touched node keeps 8 − 6 = 2 GPUs no replica can use.
    const s = setup([aNodeGroup({ count: 2 })], { replicas: 5, resources: { gpu: { count: 3 } } });
    expect(s.fill(5)).toEqual({
      placed: 4,
      usedGpus: 12,
      strandedGpus: 4,
      nodes: [
        { node: "gpu-0", replicas: 2 },
        { node: "gpu-1", replicas: 2 },
      ],
    });
    expect(s.fill(5, false)).toEqual({ placed: 4, usedGpus: 12, strandedGpus: 4, nodes: [] });
    expect(s.stranded(5)).toBe(4);
  });

  it("counts as stranded only the GPUs a touched node keeps below one replica's worth", () => {
    // 8 free, 4 per replica: one replica leaves exactly 4, enough for another, so nothing is stranded.
    const four = setup([aNodeGroup({ count: 1 })], { replicas: 1, resources: { gpu: { count: 4 } } });
    expect(four.fill(1).strandedGpus).toBe(0);
    expect(four.stranded(1)).toBe(0);
    // 8 free, 3 per replica: one replica leaves 5 (0 stranded), two leave 2 (2 stranded).
    const three = setup([aNodeGroup({ count: 3 })], { replicas: 7, resources: { gpu: { count: 3 } } });
    expect(three.fill(1).strandedGpus).toBe(0);
    expect(three.fill(2).strandedGpus).toBe(2);
    expect(three.stranded(1)).toBe(0);
    expect(three.stranded(2)).toBe(2);
    // 5 replicas: two full nodes (2 + 2) and one more on the third, which keeps 5: 4.
    expect(three.stranded(5)).toBe(4);
    // 7 replicas, 6 slots: three full nodes, 2 stranded each.
    expect(three.stranded(7)).toBe(6);
    expect(three.fill(7).placed).toBe(6);
  });
});

describe("strandedAfter", () => {
  it("is 0 for a GPU-less workload", () => {
    const s = setup([aNodeGroup({ count: 1, gpusUsed: 5 })], { replicas: 1, resources: { cpu: 4 } });
    expect(s.stranded(1)).toBe(0);
  });

  it("between groups with the same free GPUs, goes by fleet order even when CPU gives them different slots", () => {
    // g0: 8 GPUs but 8 CPU → 1 slot of 3 GPUs + 8 CPU; g1: 96 CPU → 2 slots. Fleet order: g0 takes one replica
    // (keeps 5), g1 the other (keeps 5): nothing stranded. g1 first would take both and keep 2.
    const s = setup([aNodeGroup({ name: "g0", count: 1, cpu: 8 }), aNodeGroup({ name: "g1", count: 1 })], {
      replicas: 2,
      resources: { gpu: { count: 3 }, cpu: 8 },
    });
    expect(s.fill(2).nodes).toEqual([
      { node: "g0", replicas: 1 },
      { node: "g1", replicas: 1 },
    ]);
    expect(s.stranded(2)).toBe(0);
  });

  it("skips groups with no slot and takes the group with the fewest free GPUs first", () => {
    // full: 0 free; five: 5 free → one slot of 3, keeps 2; eight: 2 slots, keeps 2.
    const s = setup(
      [
        aNodeGroup({ name: "eight", count: 1 }),
        aNodeGroup({ name: "full", count: 2, gpusUsed: 8 }),
        aNodeGroup({ name: "five", count: 1, gpusUsed: 3 }),
      ],
      { replicas: 3, resources: { gpu: { count: 3 } } },
    );
    expect(s.fill(1).nodes).toEqual([{ node: "five", replicas: 1 }]);
    expect(s.stranded(1)).toBe(2);
    // One on five (keeps 2), one on eight (keeps 5): 2.
    expect(s.stranded(2)).toBe(2);
    expect(s.stranded(3)).toBe(4);
  });

  it("counts clusters of more than 31 groups one node at a time (a 32-bit mask cannot track them)", () => {
    // g0 has 5 free (1 slot of 3, keeps 2), g1…g31 6 free (2 slots, keep 0), g32 3 free (1 slot, keeps 0).
    // Best fit: g32, then g0: 2 GPUs stranded. A mask that wrapped at 32 would mark g0 taken with g32.
    const groups = Array.from({ length: 33 }, (_, i) =>
      aNodeGroup({ name: `g${i}`, count: 1, gpusUsed: i === 0 ? 3 : i === 32 ? 5 : 2 }),
    );
    const s = setup(groups, { replicas: 2, resources: { gpu: { count: 3 } } });
    expect(s.fill(2).nodes).toEqual([
      { node: "g32", replicas: 1 },
      { node: "g0", replicas: 1 },
    ]);
    expect(s.stranded(2)).toBe(2);
  });
});

describe("fillNodes and strandedAfter: more edges", () => {
  it("adds a node's own CPU reservation to its group's before ordering GPU-less work by free CPU", () => {
    // gpu-0 keeps 96 − 40 − 40 = 16 CPU (one replica of 16), gpu-1 96 − 40 = 56: gpu-0 goes first.
    const held = [
      { node: "gpu", gpus: 0, cpu: 40 },
      { node: "gpu-0", gpus: 0, cpu: 40 },
    ];
    const s = setup([aNodeGroup({ count: 2, gpu: undefined })], { replicas: 2, resources: { cpu: 16 } }, held);
    expect(s.fill(2).nodes).toEqual([
      { node: "gpu-0", replicas: 1 },
      { node: "gpu-1", replicas: 1 },
    ]);
  });

  it("counts only a group's unreserved nodes as unreserved", () => {
    // 2 nodes, gpu-1 fully held: one replica of 8 fits, on gpu-0, not on a third node that does not exist.
    const s = setup([aNodeGroup({ count: 2 })], { replicas: 2, resources: { gpu: { count: 8 } } }, [
      { node: "gpu-1", gpus: 8 },
    ]);
    expect(s.fill(2)).toEqual({ placed: 1, usedGpus: 8, strandedGpus: 0, nodes: [{ node: "gpu-0", replicas: 1 }] });
  });

  it("places GPU work that needs no CPU on a node whose CPU is all in use", () => {
    const s = setup([aNodeGroup({ count: 1, cpuUsed: 96, memoryUsedGiB: 1024 })], {
      replicas: 1,
      resources: { gpu: { count: 8 } },
    });
    expect(s.fill(1)).toEqual({ placed: 1, usedGpus: 8, strandedGpus: 0, nodes: [{ node: "gpu", replicas: 1 }] });
    expect(s.stranded(1)).toBe(0);
  });

  it("moves on to the next group once a group's nodes are all full", () => {
    // a: 1 node of 8 (2 slots of 3, keeps 2); b: 1 node of 10 (3 slots). 4 replicas: a full (2 stranded), 2 on b
    // (keeps 4, enough for another): 2 in all.
    const b = aNodeGroup({ name: "b", count: 1, gpu: { model: "H100", count: 10, memoryGiB: 80 } });
    const s = setup([aNodeGroup({ name: "a", count: 1 }), b], { replicas: 4, resources: { gpu: { count: 3 } } });
    expect(s.fill(4)).toMatchObject({ placed: 4, strandedGpus: 2 });
    expect(s.stranded(4)).toBe(2);
  });

  it("works on any cluster of the fleet: group ids and tie-breaks are the cluster's own", () => {
    const b = aNodeGroup({ name: "b", count: 1, gpu: { model: "H100", count: 10, memoryGiB: 80 } });
    const fleet = aFleet([
      aCluster({ name: "first", nodes: [aNodeGroup({ name: "x", count: 3 })] }),
      aCluster({ name: "second", nodes: [aNodeGroup({ name: "a", count: 1 }), b] }),
      aCluster({
        name: "third",
        nodes: [
          aNodeGroup({ name: "p", count: 1 }),
          aNodeGroup({ name: "q", count: 1 }),
          aNodeGroup({ name: "r", count: 1 }),
        ],
      }),
    ]);
    const snap = compileFleet(fleet);
    const h100 = snap.modelIds.get("H100")!;
    const four = compileRequest(snap, aWorkload({ replicas: 4, resources: { gpu: { count: 3 } } }));
    // As in the one-cluster case above: a full (2 stranded), then b.
    expect(strandedAfter(snap, 1, undefined, h100, four, 4)).toBe(2);
    expect(fillNodes(snap, 1, undefined, h100, four, 4, true).nodes).toEqual([
      { node: "a", replicas: 2 },
      { node: "b", replicas: 2 },
    ]);
    // Reserved nodes of a group that is not the fleet's first, with equal free GPUs: by node index, whatever the
    // order the reservations came in.
    const later = setup(
      [
        aNodeGroup({ name: "a100", count: 1, gpu: { model: "A100", count: 8, memoryGiB: 80 } }),
        aNodeGroup({ count: 3 }),
      ],
      { replicas: 2, resources: { gpu: { count: 4 } } },
      [
        { node: "gpu-2", gpus: 4 },
        { node: "gpu-0", gpus: 4 },
      ],
    );
    expect(later.fill(2).nodes).toEqual([
      { node: "gpu-0", replicas: 1 },
      { node: "gpu-2", replicas: 1 },
    ]);
    // Equal free GPUs: fleet order p, q, r.
    const one = compileRequest(snap, aWorkload({ replicas: 2, resources: { gpu: { count: 8 } } }));
    expect(fillNodes(snap, 2, undefined, h100, one, 2, true).nodes).toEqual([
      { node: "p", replicas: 1 },
      { node: "q", replicas: 1 },
    ]);
  });
});
