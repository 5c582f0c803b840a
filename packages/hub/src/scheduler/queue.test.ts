import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Queued, queueOrder } from "./queue.ts";

const q = (name: string, tenant: string, over: Partial<Queued> = {}): Queued => ({
  name,
  tenant,
  priority: 0,
  createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, Number(name.replace(/\D/g, "")) || 0)),
  gpus: 8,
  ...over,
});

describe("queueOrder", () => {
  it("orders by priority, then age, then name, wherever each one stands in the input", () => {
    const names = (pending: Queued[]) => queueOrder(pending, new Map(), new Map()).map((w) => w.name);
    const byPriority = [q("p1", "a", { priority: 1 }), q("p5", "a", { priority: 5 }), q("p3", "a", { priority: 3 })];
    expect(names(byPriority)).toEqual(["p5", "p3", "p1"]);
    // Ages 1, 2, 3 s (from the digit) against names in the other order: age decides.
    expect(names([q("a3", "a"), q("z1", "a"), q("m2", "a")])).toEqual(["z1", "m2", "a3"]);
    const at = new Date("2026-01-01T00:00:00Z");
    const same = ["c", "a", "b"].map((n) => q(n, "a", { createdAt: at, gpus: 0 }));
    expect(names(same)).toEqual(["a", "b", "c"]);
    expect(queueOrder([], new Map(), new Map())).toEqual([]);
  });

  it("puts higher priority first, whatever its age", () => {
    const order = queueOrder([q("old1", "a"), q("new2", "a", { priority: 5 })], new Map(), new Map());
    expect(order.map((w) => w.name)).toEqual(["new2", "old1"]);
  });

  it("interleaves tenants of equal priority by fair share, not by arrival", () => {
    const pending = [q("a1", "a"), q("a2", "a"), q("a3", "a"), q("b4", "b")];
    expect(queueOrder(pending, new Map(), new Map()).map((w) => w.name)).toEqual(["a1", "b4", "a2", "a3"]);
  });

  it("weights shares: a tenant with twice the weight gets twice the GPUs before the other goes", () => {
    const pending = [q("a1", "a"), q("a2", "a"), q("a3", "a"), q("b4", "b"), q("b5", "b")];
    const order = queueOrder(pending, new Map(), new Map([["a", 2]]));
    expect(order.map((w) => w.name)).toEqual(["a1", "b4", "a2", "a3", "b5"]);
  });

  it("counts what tenants already run", () => {
    const order = queueOrder([q("a1", "a"), q("b2", "b")], new Map([["a", 64]]), new Map());
    expect(order.map((w) => w.name)).toEqual(["b2", "a1"]);
  });

  it("falls back to age, then name, so the order is total and stable", () => {
    const t = new Date(0);
    const order = queueOrder([q("y", "a", { createdAt: t }), q("x", "a", { createdAt: t })], new Map(), new Map());
    expect(order.map((w) => w.name)).toEqual(["x", "y"]);
  });

  it("keeps the input order between workloads equal in every key, one name in two tenants", () => {
    const t = new Date(0);
    const one = q("same", "t1", { createdAt: t });
    const two = q("same", "t2", { createdAt: t });
    expect(queueOrder([one, two], new Map(), new Map()).map((w) => w.tenant)).toEqual(["t1", "t2"]);
    expect(queueOrder([two, one], new Map(), new Map()).map((w) => w.tenant)).toEqual(["t2", "t1"]);
  });
});

/**
 * The order as its definition reads: again and again, the best of what is left by priority, then the tenant's share
 * (what it runs and what this order handed it, over its weight), then age, then name, then place in the input.
 */
const byDefinition = (pending: readonly Queued[], usage: Map<string, number>, weights: Map<string, number>) => {
  const share = new Map(usage);
  const left = [...pending];
  const out: Queued[] = [];
  const load = (t: string) => (share.get(t) ?? 0) / (weights.get(t) ?? 1);
  while (left.length > 0) {
    let best = 0;
    for (let i = 1; i < left.length; i++) {
      const [a, b] = [left[i]!, left[best]!];
      const key = (x: Queued) => [-x.priority, load(x.tenant), x.createdAt.getTime()] as const;
      const [ka, kb] = [key(a), key(b)];
      const d = ka[0] - kb[0] || ka[1] - kb[1] || ka[2] - kb[2];
      if (d < 0 || (d === 0 && a.name < b.name)) best = i;
    }
    const next = left.splice(best, 1)[0]!;
    out.push(next);
    share.set(next.tenant, (share.get(next.tenant) ?? 0) + next.gpus);
  }
  return out;
};

describe("queueOrder against its definition", () => {
  const queued = fc.record({
    name: fc.constantFrom("a", "b", "c", "d", "e", "f"),
    tenant: fc.constantFrom("t1", "t2", "t3", "t4"),
    priority: fc.integer({ min: 0, max: 3 }),
    createdAt: fc.integer({ min: 0, max: 5 }).map((s) => new Date(s * 1000)),
    gpus: fc.integer({ min: 0, max: 16 }),
  });
  const tenants = fc.dictionary(fc.constantFrom("t1", "t2", "t3", "t4"), fc.integer({ min: 0, max: 64 }));
  const weights = fc.dictionary(fc.constantFrom("t1", "t2", "t3", "t4"), fc.integer({ min: 1, max: 4 }));

  it("is the same order, ties and all, for any queue, usage and weights", () => {
    fc.assert(
      fc.property(fc.array(queued, { maxLength: 40 }), tenants, weights, (pending, u, w) => {
        const usage = new Map(Object.entries(u));
        const weight = new Map(Object.entries(w));
        const got = queueOrder(pending, usage, weight);
        const want = byDefinition(pending, usage, weight);
        expect(got).toHaveLength(want.length);
        // Identity, not equality: duplicates (same name, tenant, age) must come out in the same places.
        expect(got.every((x, i) => x === want[i])).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("orders 20,000 waiting workloads of 50 tenants without comparing every pair", () => {
    const many = Array.from({ length: 20_000 }, (_, i) =>
      q(`w${i}`, `t${i % 50}`, { createdAt: new Date(i * 1000), gpus: 1 + (i % 8) }),
    );
    let compared = 0;
    const counting = many.map((w) => ({
      ...w,
      get createdAt() {
        compared++;
        return w.createdAt;
      },
    }));
    const order = queueOrder(counting, new Map(), new Map());
    expect(order).toHaveLength(20_000);
    // n²/2 is 2×10⁸; n log n is a few hundred thousand.
    expect(compared).toBeLessThan(1_000_000);
  });
});
