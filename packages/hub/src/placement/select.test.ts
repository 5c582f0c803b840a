import { describe, expect, it } from "vitest";
import type { Candidate } from "./framework.ts";
import { best, rank, rankPerReplica, select, tieBreak } from "./select.ts";

/** Only the fields selection reads; `name` is for reading failures. */
const cand = (
  name: string,
  over: { fullFit?: boolean; rankCents?: number; strandedGpus?: number; nameOrder?: number; take?: number },
): Candidate =>
  ({
    name,
    fullFit: over.fullFit ?? true,
    rankCents: over.rankCents ?? 100,
    strandedGpus: over.strandedGpus ?? 0,
    nameOrder: over.nameOrder ?? 0,
    take: over.take ?? 1,
  }) as unknown as Candidate;

const names = (portions: { candidate: Candidate; replicas: number }[] | undefined) =>
  portions?.map((p) => [p.candidate.name, p.replicas]);

describe("tieBreak and rank", () => {
  it("breaks an exact tie by fewer stranded GPUs, then by name order", () => {
    const snug = cand("snug", { strandedGpus: 0, nameOrder: 1 });
    const roomy = cand("roomy", { strandedGpus: 2, nameOrder: 0 });
    expect(tieBreak(snug, roomy)).toBeLessThan(0);
    expect(tieBreak(roomy, snug)).toBeGreaterThan(0);
    const a = cand("a", { nameOrder: 0 });
    const b = cand("b", { nameOrder: 1 });
    expect(tieBreak(a, b)).toBeLessThan(0);
    expect(tieBreak(b, a)).toBeGreaterThan(0);
    expect(tieBreak(a, a)).toBe(0);
  });

  it("puts a full fit first whatever its rank value, then the lower rank value, then the tie-break", () => {
    const full = cand("full", { fullFit: true, rankCents: 900 });
    const partial = cand("partial", { fullFit: false, rankCents: 1 });
    expect(rank(full, partial)).toBeLessThan(0);
    expect(rank(partial, full)).toBeGreaterThan(0);
    const cheap = cand("cheap", { rankCents: 100, strandedGpus: 8, nameOrder: 5 });
    const dear = cand("dear", { rankCents: 101, strandedGpus: 0, nameOrder: 0 });
    expect(rank(cheap, dear)).toBeLessThan(0);
    expect(rank(dear, cheap)).toBeGreaterThan(0);
    const tiedSnug = cand("snug", { rankCents: 100, strandedGpus: 0, nameOrder: 9 });
    expect(rank(tiedSnug, cheap)).toBeLessThan(0);
    const p1 = cand("p1", { fullFit: false, rankCents: 5 });
    const p2 = cand("p2", { fullFit: false, rankCents: 7 });
    expect(rank(p1, p2)).toBeLessThan(0);
  });
});

describe("best", () => {
  it("returns the top candidate by rank, skipping excluded ones, and undefined when none is left", () => {
    const a = cand("a", { rankCents: 300, nameOrder: 0 });
    const b = cand("b", { rankCents: 200, nameOrder: 1 });
    const c = cand("c", { rankCents: 200, nameOrder: 2 });
    expect(best([a, b, c])?.name).toBe("b");
    expect(best([c, b, a])?.name).toBe("b");
    expect(best([a, b, c], new Set([b]))?.name).toBe("c");
    expect(best([a, b, c], new Set([b, c]))?.name).toBe("a");
    expect(best([a], new Set([a]))).toBeUndefined();
    expect(best([])).toBeUndefined();
  });
});

describe("rankPerReplica", () => {
  it("divides the rank value by the replicas taken, counting a candidate that takes none as one", () => {
    expect(rankPerReplica(cand("x", { rankCents: 1200, take: 4 }))).toBe(300);
    expect(rankPerReplica(cand("x", { rankCents: 700, take: 0 }))).toBe(700);
    expect(rankPerReplica(cand("x", { rankCents: 700, take: 1 }))).toBe(700);
  });
});

describe("select", () => {
  it("places every replica on the best full fit", () => {
    const full = cand("full", { fullFit: true, rankCents: 800, take: 3 });
    const partial = cand("partial", { fullFit: false, rankCents: 10, take: 2 });
    expect(names(select([partial, full], 3))).toEqual([["full", 3]]);
  });

  it("returns undefined without candidates", () => {
    expect(select([], 2)).toBeUndefined();
  });

  it("splits by rank value per replica, each cluster up to what it takes, and stops when all are placed", () => {
    // Per replica: a 1200/4 = 300, b 500/1 = 500, c 600/3 = 200 (lowest total is b, lowest per replica is c).
    const a = cand("a", { fullFit: false, rankCents: 1200, take: 4, nameOrder: 0 });
    const b = cand("b", { fullFit: false, rankCents: 500, take: 1, nameOrder: 1 });
    const c = cand("c", { fullFit: false, rankCents: 600, take: 3, nameOrder: 2 });
    expect(names(select([a, b, c], 5))).toEqual([
      ["c", 3],
      ["a", 2],
    ]);
    // Exactly what c and a take: b is not listed with zero replicas.
    expect(names(select([a, b, c], 7))).toEqual([
      ["c", 3],
      ["a", 4],
    ]);
    expect(names(select([a, b, c], 8))).toEqual([
      ["c", 3],
      ["a", 4],
      ["b", 1],
    ]);
    // 9 replicas, 8 places in all: nothing is placed.
    expect(select([a, b, c], 9)).toBeUndefined();
  });

  it("orders equal values per replica by the tie-break", () => {
    // Both 100 cents per replica; y strands fewer GPUs, so it goes first although its name sorts later.
    const x = cand("x", { fullFit: false, rankCents: 200, take: 2, strandedGpus: 4, nameOrder: 0 });
    const y = cand("y", { fullFit: false, rankCents: 300, take: 3, strandedGpus: 0, nameOrder: 1 });
    expect(names(select([x, y], 4))).toEqual([
      ["y", 3],
      ["x", 1],
    ]);
    const z = cand("z", { fullFit: false, rankCents: 300, take: 3, strandedGpus: 4, nameOrder: 2 });
    expect(names(select([z, x], 4))).toEqual([
      ["x", 2],
      ["z", 2],
    ]);
  });
});
