/**
 * Invariants over random fleets and workloads. The checks re-derive node capacity and constraints from the raw
 * snapshot on their own (naming, globs, taints), so they do not trust the engine's helpers.
 */
import type { Decision, Fleet, FleetCluster, Reservation, Workload } from "@gantry/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { placeInRegretOrder } from "./batch.ts";
import { plan } from "./plan.ts";
import { reservationsFor } from "./reservations.ts";
import { fleetArb, workloadArb } from "./testing/arbitraries.ts";

/** Every node of the snapshot with what it had free before any reservation, by `cluster/node`. */
const freeByNode = (fleet: Fleet): Map<string, { gpus: number; cpu: number; mem: number }> => {
  const out = new Map<string, { gpus: number; cpu: number; mem: number }>();
  for (const c of fleet.clusters)
    for (const g of c.nodes)
      for (let i = 0; i < g.count; i++) {
        const usable = g.ready && g.schedulable;
        out.set(`${c.name}/${g.count === 1 ? g.name : `${g.name}-${i}`}`, {
          gpus: usable ? Math.max(0, (g.gpu?.count ?? 0) - g.gpusUsed) : 0,
          cpu: usable ? Math.max(0, g.cpu - g.cpuUsed) : 0,
          mem: usable ? Math.max(0, g.memoryGiB - g.memoryUsedGiB) : 0,
        });
      }
  return out;
};

const globMatch = (pattern: string, s: string): boolean =>
  new RegExp(`^${pattern.replace(/[.]/g, "\\.").replace(/\*/g, ".*").replace(/\?/g, ".")}$`).test(s);

const checkConstraints = (fleet: Fleet, w: Workload, d: Decision): void => {
  const p = w.spec.placement;
  const gpu = w.spec.resources.gpu;
  if (!d.feasible) return void expect(d.assignments).toEqual([]);
  expect(d.assignments.reduce((n, a) => n + a.replicas, 0)).toBe(w.spec.replicas);
  if (w.spec.gang) expect(d.assignments).toHaveLength(1);
  for (const a of d.assignments) {
    const c = fleet.clusters.find((x) => x.name === a.cluster) as FleetCluster;
    expect(c.health).toBe("ready");
    if (p.tiers.length > 0) expect(p.tiers).toContain(c.tier);
    if (p.regions.length > 0) expect(p.regions.some((r) => globMatch(r, c.region))).toBe(true);
    if (c.taints.length > 0) expect(p.tolerations.length).toBeGreaterThan(0);
    if (gpu.count === 0) continue;
    const model = a.gpuModel as string;
    if (gpu.models.length > 0) expect(gpu.models).toContain(model);
    if (p.maxGpuHourPrice !== undefined) expect(a.pricePerGpuHour).toBeLessThanOrEqual(p.maxGpuHourPrice);
    if (p.spot === "never") expect(a.spot).toBe(false);
    const expected = a.spot ? c.pricing.spotGpuHour[model] : c.pricing.gpuHour[model];
    expect(a.pricePerGpuHour).toBe(expected);
    for (const n of a.nodes) {
      const g = c.nodes.find((x) => n.node === x.name || n.node.startsWith(`${x.name}-`));
      expect(g?.gpu?.model).toBe(model);
      expect(g?.gpu?.memoryGiB ?? 0).toBeGreaterThanOrEqual(gpu.minMemoryGiB);
    }
  }
};

const RUNS = { numRuns: 300, seed: 20260 };

/** Every reservation names a real node, and no node holds more than it had free. */
const expectWithinCapacity = (fleet: Fleet, reservations: readonly Reservation[]): void => {
  const free = freeByNode(fleet);
  const held = new Map<string, { gpus: number; cpu: number; mem: number }>();
  for (const r of reservations)
    for (const n of r.nodes) {
      const key = `${r.cluster}/${n.node}`;
      expect(free.has(key)).toBe(true);
      const h = held.get(key) ?? { gpus: 0, cpu: 0, mem: 0 };
      held.set(key, { gpus: h.gpus + n.gpus, cpu: h.cpu + n.cpu, mem: h.mem + n.memoryGiB });
    }
  for (const [key, h] of held) {
    const f = free.get(key)!;
    expect(h.gpus).toBeLessThanOrEqual(f.gpus);
    expect(h.cpu).toBeLessThanOrEqual(f.cpu);
    expect(h.mem).toBeLessThanOrEqual(f.mem);
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
        let fleet = fleet0;
        for (const w of workloads) {
          const d = plan(fleet, w);
          fleet = { ...fleet, reservations: [...fleet.reservations, ...reservationsFor(w.metadata.name, w, d)] };
        }
        expectWithinCapacity(fleet0, fleet.reservations);
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
      const result = placeInRegretOrder(
        workloads,
        (w) => plan({ ...fleet, reservations }, w),
        (w, d) => {
          reservations.push(...reservationsFor(w.metadata.name, w, d));
        },
      );
      return { result, reservations };
    };
    fc.assert(
      fc.property(arb, ([fleet, workloads]) => {
        const { result, reservations } = batch(fleet, workloads);
        expect(result.placed.length + result.unplaced.length).toBe(workloads.length);
        for (const p of result.placed) checkConstraints(fleet, p.item, p.decision);
        expectWithinCapacity(fleet, reservations);
        expect(batch(fleet, workloads).result).toEqual(result);
      }),
      RUNS,
    );
  });

  it("never violates region, tier, model, memory, price, spot, taint or health constraints", () => {
    fc.assert(
      fc.property(fleetArb, workloadArb("w"), (fleet, w) => checkConstraints(fleet, w, plan(fleet, w))),
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
