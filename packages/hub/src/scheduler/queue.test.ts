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
