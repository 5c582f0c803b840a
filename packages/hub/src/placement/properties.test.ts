/**
 * Invariants over random fleets and workloads, judged by `ReferenceModel`: it books each decision's own assignments
 * against the raw fleet and re-derives every constraint and the billed cost, so it does not trust the engine's
 * helpers (not even `reservationsFor`, whose output feeds the next decision under test).
 */
import type { Decision, Fleet, Reservation, Workload } from "@gantry/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { placeInRegretOrder } from "./batch.ts";
import { plan } from "./plan.ts";
import { reservationsFor } from "./reservations.ts";
import { fleetArb, workloadArb } from "./testing/arbitraries.ts";
import { ReferenceModel, refClusterBar } from "./testing/reference-model.ts";
import { runs } from "./testing/runs.ts";

const RUNS = { numRuns: runs(300), seed: 20260 };

/** Every cluster the model bars outright must be filtered, with a reason. */
const expectBarsFiltered = (fleet: Fleet, w: Workload, d: Decision): void => {
  for (const c of fleet.clusters) {
    if (refClusterBar(w, c) === undefined) continue;
    const v = d.clusters.find((x) => x.cluster === c.name);
    expect(v?.verdict, `${c.name}: ${refClusterBar(w, c)}`).toBe("filtered");
  }
};

describe("placement properties", () => {
  it("never over-commits a node across back-to-back decisions with reservations", () => {
    const arb = fc.tuple(
      fleetArb,
      fc.tuple(workloadArb("w0"), workloadArb("w1"), workloadArb("w2"), workloadArb("w3")),
    );
    fc.assert(
      fc.property(arb, ([fleet0, workloads]) => {
        const model = new ReferenceModel(fleet0);
        let fleet = fleet0;
        for (const w of workloads) {
          const d = plan(fleet, w);
          expect(model.book(w, d), w.metadata.name).toEqual([]);
          fleet = { ...fleet, reservations: [...fleet.reservations, ...reservationsFor(w.metadata.name, w, d)] };
        }
      }),
      RUNS,
    );
  });

  it("never over-commits a node, breaks a constraint or decides differently when a batch goes in regret order", () => {
    const arb = fc.tuple(
      fleetArb,
      fc.tuple(workloadArb("w0"), workloadArb("w1"), workloadArb("w2"), workloadArb("w3"), workloadArb("w4")),
    );
    const batch = (fleet: Fleet, workloads: readonly Workload[]) => {
      const reservations: Reservation[] = [];
      return placeInRegretOrder(
        workloads,
        (w) => plan({ ...fleet, reservations }, w),
        (w, d) => {
          reservations.push(...reservationsFor(w.metadata.name, w, d));
        },
      );
    };
    fc.assert(
      fc.property(arb, ([fleet, workloads]) => {
        const result = batch(fleet, workloads);
        expect(result.placed.length + result.unplaced.length).toBe(workloads.length);
        // The batch commits in the order `placed` lists, so the model books them in that order too.
        const model = new ReferenceModel(fleet);
        for (const p of result.placed) expect(model.book(p.item, p.decision), p.item.metadata.name).toEqual([]);
        expect(batch(fleet, workloads)).toEqual(result);
      }),
      RUNS,
    );
  });

  it("never violates region, tier, model, memory, price, spot, taint or health constraints, and bills what it chose", () => {
    fc.assert(
      fc.property(fleetArb, workloadArb("w"), (fleet, w) => {
        const d = plan(fleet, w);
        expect(new ReferenceModel(fleet).book(w, d)).toEqual([]);
        expectBarsFiltered(fleet, w, d);
      }),
      RUNS,
    );
  });

  it("decides the same on the same input, and gives every cluster a verdict with a reason", () => {
    fc.assert(
      fc.property(fleetArb, workloadArb("w"), (fleet, w) => {
        const a = plan(fleet, w);
        expect(plan(structuredClone(fleet), structuredClone(w))).toEqual(a);
        expect(a.clusters.map((c) => c.cluster)).toEqual(fleet.clusters.map((c) => c.name));
        for (const v of a.clusters) expect(v.reasons.length).toBeGreaterThan(0);
        expect(a.summary).not.toBe("");
      }),
      RUNS,
    );
  });
});
