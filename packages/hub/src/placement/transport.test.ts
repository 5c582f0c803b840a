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

/** Random problems within bounds: demands, slots, GPUs per demand, USD per unserved GPU, free GPUs, USD per GPU. */
const problems = (b: {
  demands: number;
  slots: number;
  gpus: number;
  unserved: [number, number];
  capacity: number;
  cost: number;
}): fc.Arbitrary<TransportProblem> =>
  fc
    .record({ n: fc.integer({ min: 1, max: b.demands }), m: fc.integer({ min: 1, max: b.slots }) })
    .chain(({ n, m }) =>
      fc.record({
        demand: fc.array(fc.integer({ min: 1, max: b.gpus }), { minLength: n, maxLength: n }),
        unserved: fc.array(fc.integer({ min: b.unserved[0], max: b.unserved[1] }), { minLength: n, maxLength: n }),
        capacity: fc.array(fc.integer({ min: 0, max: b.capacity }), { minLength: m, maxLength: m }),
        options: fc.array(
          fc.uniqueArray(
            fc.record({ slot: fc.integer({ min: 0, max: m - 1 }), cost: fc.integer({ min: 0, max: b.cost }) }),
            { selector: (o) => o.slot, maxLength: m },
          ),
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

const problemArb = problems({ demands: 7, slots: 5, gpus: 16, unserved: [5, 40], capacity: 24, cost: 30 });

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

/**
 * The exact optimum by exhaustion, independent of the solver: every way of splitting each demand's GPUs, in whole
 * GPUs, over its options within the slots' room, the rest unserved. With integer demands and capacities the
 * transportation LP has an integral optimal vertex (its constraint matrix is totally unimodular), so the cheapest
 * integral split is the LP optimum; costs may be any non-negative reals.
 */
const bruteOptimum = (p: TransportProblem, capacity: ArrayLike<number> = p.capacity): number => {
  const room = Array.from(capacity, (c) => Math.floor(c));
  let best = Number.POSITIVE_INFINITY;
  const demandFrom = (d: number, cost: number): void => {
    // Every cost is >= 0, so a partial sum at or above the best known total cannot lead to a better one.
    if (cost >= best) return;
    if (d === p.demand.length) {
      best = cost;
      return;
    }
    const opts = p.options[d]!;
    const option = (k: number, left: number, sum: number): void => {
      if (k === opts.length) {
        demandFrom(d + 1, sum + left * p.unservedCost[d]!);
        return;
      }
      const s = opts[k]!.slot;
      for (let x = Math.min(left, room[s]!); x >= 0; x--) {
        room[s] = room[s]! - x;
        option(k + 1, left - x, sum + x * opts[k]!.cost);
        room[s] = room[s]! + x;
      }
    };
    option(0, p.demand[d]!, cost);
  };
  demandFrom(0, 0);
  return best;
};

/** Small instances for the brute force: up to 3 demands of up to 4 GPUs on up to 3 slots of up to 5. */
const smallArb = problems({ demands: 3, slots: 3, gpus: 4, unserved: [1, 12], capacity: 5, cost: 9 });

/** The capacities with `g` GPUs fewer in slot `s`. */
const without = (p: TransportProblem, s: number, g: number): Float64Array => {
  const less = Float64Array.from(p.capacity);
  less[s] = less[s]! - g;
  return less;
};

describe("solveTransport against exhaustive search", () => {
  it("returns a feasible flow whose own cost is the exhaustive optimum, and reports that cost", () => {
    fc.assert(
      fc.property(smallArb, (p) => {
        const sol = solveTransport(p);
        const best = bruteOptimum(p);
        // The flow's cost, recomputed from the flow alone: options at their cost, the rest of each demand unserved.
        let own = 0;
        const load = new Float64Array(p.capacity.length);
        p.options.forEach((opts, d) => {
          let placed = 0;
          opts.forEach((o, k) => {
            const x = sol.flow[d]![k]!;
            expect(x).toBeGreaterThanOrEqual(-1e-9);
            placed += x;
            load[o.slot] = load[o.slot]! + x;
            own += x * o.cost;
          });
          expect(placed).toBeLessThanOrEqual(p.demand[d]! + 1e-9);
          own += (p.demand[d]! - placed) * p.unservedCost[d]!;
        });
        load.forEach((l, s) => {
          expect(l).toBeLessThanOrEqual(p.capacity[s]! + 1e-9);
        });
        expect(own).toBeCloseTo(best, 9);
        expect(sol.cost).toBeCloseTo(best, 9);
      }),
      { numRuns: runs(300), seed: 21 },
    );
  });

  it("prices each slot at what one GPU fewer there costs the exhaustive optimum", () => {
    fc.assert(
      fc.property(smallArb, (p) => {
        const sol = solveTransport(p);
        const base = bruteOptimum(p);
        for (let s = 0; s < p.capacity.length; s++) {
          // Integral data: the optimum is linear between whole capacities, so the price is the step to cap − 1.
          if (p.capacity[s]! >= 1) expect(sol.prices[s]).toBeCloseTo(bruteOptimum(p, without(p, s, 1)) - base, 9);
          // A slot with no GPUs has none to lose: priced 0, not the infinity of its missing path to the sink.
          else expect(sol.prices[s]).toBe(0);
        }
      }),
      { numRuns: runs(300), seed: 22 },
    );
  });

  it("draws each slot's displacement curve through the exhaustive optimum at every whole GPU, and extends its last slope", () => {
    fc.assert(
      fc.property(smallArb, fc.integer({ min: 0, max: 5 }), (p, maxUnits) => {
        const curves = displacementCurves(p, solveTransport(p), maxUnits);
        expect(curves).toHaveLength(p.capacity.length);
        const base = bruteOptimum(p);
        for (let s = 0; s < p.capacity.length; s++) {
          const limit = Math.min(maxUnits, p.capacity[s]!);
          const lost = (g: number) => bruteOptimum(p, without(p, s, g)) - base;
          for (let g = 0; g <= limit; g++) expect(curveAt(curves[s]!, g)).toBeCloseTo(lost(g), 9);
          // Past the priced range the curve goes on at the slope of its last whole GPU (flat if none was priced).
          const slope = limit === 0 ? 0 : lost(limit) - lost(limit - 1);
          expect(curveAt(curves[s]!, limit + 2)).toBeCloseTo(lost(limit) + 2 * slope, 9);
        }
      }),
      { numRuns: runs(300), seed: 23 },
    );
  });
});

describe("curveAt", () => {
  // Free for 2 GPUs, then $3 a GPU up to 5.
  const curve = Float64Array.of(0, 0, 2, 0, 5, 9);

  it("reads a curve linearly between its points", () => {
    expect(curveAt(curve, 0)).toBe(0);
    expect(curveAt(curve, 1)).toBe(0);
    expect(curveAt(curve, 2)).toBe(0);
    expect(curveAt(curve, 3)).toBe(3);
    expect(curveAt(curve, 4.5)).toBe(7.5);
    expect(curveAt(curve, 5)).toBe(9);
  });

  it("goes on at the last slope past the last point, and is flat zero without one", () => {
    expect(curveAt(curve, 7)).toBe(15);
    expect(curveAt(Float64Array.of(0, 0, 4, 8), 6)).toBe(12);
    expect(curveAt(Float64Array.of(0, 0), 3)).toBe(0);
  });
});

describe("solveTransport: prices through chains of full slots", () => {
  it("prices a full slot by the cheapest re-routing, even through another full slot", () => {
    // d0 (1 GPU, $10 unserved) uses s1 at $0 and could use s0 at $1; d1 (1 GPU, $3 unserved) uses s0 at $0 only.
    // Both slots hold 1 GPU and are full. One GPU less in s0: d1 goes unserved, +$3. One GPU less in s1: d0 moves
    // to s0 (+$1) and pushes d1 out (+$3), $4, cheaper than leaving d0 unserved ($10).
    const p: TransportProblem = {
      demand: Float64Array.of(1, 1),
      unservedCost: Float64Array.of(10, 3),
      capacity: Float64Array.of(1, 1),
      options: [
        [
          { slot: 1, cost: 0 },
          { slot: 0, cost: 1 },
        ],
        [{ slot: 0, cost: 0 }],
      ],
    };
    const sol = solveTransport(p);
    expect(sol.cost).toBe(0);
    expect(Array.from(sol.prices)).toEqual([3, 4]);
    const curves = displacementCurves(p, sol, 1);
    expect(curveAt(curves[0]!, 1)).toBe(3);
    expect(curveAt(curves[1]!, 1)).toBe(4);
  });
});

describe("displacementCurves: a partly used slot", () => {
  it("is free for its spare GPUs, then costs what moving the demand that used it costs", () => {
    // d0 needs 3 GPUs ($10 each unserved): s0 at $1 a GPU (5 free), s1 at $3 (10 free). The optimum puts all 3 on s0,
    // which keeps 2 spare. Taking GPUs out of s0: the first 2 cost nothing, each further one moves one of d0's GPUs
    // to s1 at $3 − $1 = $2: 0, 0, 0, 2, 4, 6 USD for 0…5 GPUs. s1 holds nothing: losing any of it costs nothing.
    const p: TransportProblem = {
      demand: Float64Array.of(3),
      unservedCost: Float64Array.of(10),
      capacity: Float64Array.of(5, 10),
      options: [
        [
          { slot: 0, cost: 1 },
          { slot: 1, cost: 3 },
        ],
      ],
    };
    const [s0, s1] = displacementCurves(p, solveTransport(p), 5);
    expect([0, 1, 2, 3, 4, 5].map((g) => curveAt(s0!, g))).toEqual([0, 0, 0, 2, 4, 6]);
    expect([0, 2, 5].map((g) => curveAt(s1!, g))).toEqual([0, 0, 0]);
  });
});
