import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runs } from "./testing/runs.ts";
import { curveAt, displacementCurves, solveTransport, type TransportProblem } from "./transport.ts";

interface Highs {
  solve(lp: string): { Status: string; ObjectiveValue: number };
}
const loader = (await import("highs")).default as unknown as () => Promise<Highs>;
const highs = await loader();

/** The same LP in CPLEX format, solved by HiGHS: the independent answer. */
const lpOptimum = (p: TransportProblem, capacity = p.capacity): number => {
  const obj: string[] = [];
  const rows: string[] = [];
  const slots = new Map<number, string[]>();
  p.options.forEach((opts, d) => {
    const terms = [`u${d}`];
    obj.push(`${p.unservedCost[d]} u${d}`);
    opts.forEach((o, k) => {
      obj.push(`${o.cost} x${d}_${k}`);
      terms.push(`x${d}_${k}`);
      slots.set(o.slot, [...(slots.get(o.slot) ?? []), `x${d}_${k}`]);
    });
    rows.push(` d${d}: ${terms.join(" + ")} = ${p.demand[d]}`);
  });
  for (const [s, terms] of slots) rows.push(` s${s}: ${terms.join(" + ")} <= ${capacity[s]}`);
  const lp = ["Minimize", ` obj: ${obj.join(" + ")}`, "Subject To", ...rows, "End", ""].join("\n");
  const sol = highs.solve(lp);
  expect(sol.Status).toBe("Optimal");
  return sol.ObjectiveValue;
};

const problemArb: fc.Arbitrary<TransportProblem> = fc
  .record({ n: fc.integer({ min: 1, max: 7 }), m: fc.integer({ min: 1, max: 5 }) })
  .chain(({ n, m }) =>
    fc.record({
      demand: fc.array(fc.integer({ min: 1, max: 16 }), { minLength: n, maxLength: n }),
      unserved: fc.array(fc.integer({ min: 5, max: 40 }), { minLength: n, maxLength: n }),
      capacity: fc.array(fc.integer({ min: 0, max: 24 }), { minLength: m, maxLength: m }),
      options: fc.array(
        fc.uniqueArray(fc.record({ slot: fc.integer({ min: 0, max: m - 1 }), cost: fc.integer({ min: 0, max: 30 }) }), {
          selector: (o) => o.slot,
          maxLength: m,
        }),
        { minLength: n, maxLength: n },
      ),
    }),
  )
  .map((r) => ({
    demand: Float64Array.from(r.demand),
    unservedCost: Float64Array.from(r.unserved),
    capacity: Float64Array.from(r.capacity),
    options: r.options,
  }));

describe("solveTransport", () => {
  it("finds the LP optimum HiGHS finds", () => {
    fc.assert(
      fc.property(problemArb, (p) => {
        expect(solveTransport(p).cost).toBeCloseTo(lpOptimum(p), 6);
      }),
      { numRuns: runs(200), seed: 11 },
    );
  });

  it("prices a slot at what losing a little of its capacity costs the optimum", () => {
    fc.assert(
      fc.property(problemArb, fc.nat(), (p, pick) => {
        const s = pick % p.capacity.length;
        if (p.capacity[s]! < 1) return;
        const base = lpOptimum(p);
        const less = Float64Array.from(p.capacity);
        less[s] = less[s]! - 0.01;
        const price = solveTransport(p).prices[s]!;
        expect((lpOptimum(p, less) - base) / 0.01).toBeCloseTo(price, 4);
      }),
      { numRuns: runs(200), seed: 12 },
    );
  });

  it("charges for g GPUs taken from a slot what HiGHS says the optimum loses with g fewer there", () => {
    fc.assert(
      fc.property(problemArb, fc.nat(), fc.integer({ min: 1, max: 24 }), (p, pick, g) => {
        const s = pick % p.capacity.length;
        const take = Math.min(g, p.capacity[s]!);
        const curves = displacementCurves(p, solveTransport(p), 24);
        const less = Float64Array.from(p.capacity);
        less[s] = less[s]! - take;
        expect(curveAt(curves[s]!, take)).toBeCloseTo(lpOptimum(p, less) - lpOptimum(p), 5);
      }),
      { numRuns: runs(200), seed: 13 },
    );
  });

  it("prices a slot with room at nothing, and serves demand nowhere when that is cheaper", () => {
    const p: TransportProblem = {
      demand: Float64Array.of(4, 4),
      unservedCost: Float64Array.of(10, 3),
      capacity: Float64Array.of(4, 10),
      options: [
        [
          { slot: 0, cost: 1 },
          { slot: 1, cost: 2 },
        ],
        [
          { slot: 0, cost: 0 },
          { slot: 1, cost: 5 },
        ],
      ],
    };
    // Demand 1 takes slot 0 (0/GPU) and demand 0 goes to slot 1 (2/GPU). A GPU less in slot 0 would leave one of
    // demand 1's GPUs unserved (3), cheaper than slot 1 for it (5) or moving demand 0 anywhere: slot 0 is worth 3.
    const sol = solveTransport(p);
    expect(sol.cost).toBe(4 * 2 + 4 * 0);
    expect(Array.from(sol.prices)).toEqual([3, 0]);
  });
});
