import fc from "fast-check";
import { describe, expect, it } from "vitest";
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
