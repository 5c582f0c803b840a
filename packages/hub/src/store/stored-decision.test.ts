import type { ClusterVerdict, Decision } from "@gantry/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cheapest, KEEP_ALL_UP_TO, omittedLine, storedDecision } from "./stored-decision.ts";

const cost = (total: number) => ({
  total,
  compute: total,
  egress: 0,
  staging: 0,
  spotRisk: 0,
  headroom: 0,
  preference: 0,
});
const feasible = (cluster: string, total: number, verdict: "feasible" | "selected" = "feasible"): ClusterVerdict => ({
  cluster,
  verdict,
  reasons: [{ code: "fits", message: "fits" }],
  rankCost: cost(total),
});
const filtered = (cluster: string, code: string): ClusterVerdict => ({
  cluster,
  verdict: "filtered",
  reasons: [{ code, message: `${cluster} refused: ${code}` }],
});
const decision = (clusters: ClusterVerdict[], runnerUp: string | null): Decision => ({
  feasible: true,
  assignments: [{ cluster: "sel", replicas: 1, spot: false, nodes: [{ node: "n", replicas: 1 }], pricePerGpuHour: 1 }],
  estimatedCost: { total: 1, perHour: 1, compute: 1, egress: 0 },
  clusters,
  runnerUp,
  summary: "placed on sel",
});

/**
 * 150 clusters: `sel` (selected), 60 feasible f00…f59 whose totals fall as the number rises (f59 cheapest, 100 + 59
 * − i), 50 refused for GPU model, 30 for tier, 9 unhealthy. The runner-up is f59.
 */
const large = (): Decision => {
  const clusters: ClusterVerdict[] = [feasible("sel", 50, "selected")];
  for (let i = 0; i < 60; i++) clusters.push(feasible(`f${String(i).padStart(2, "0")}`, 100 + 59 - i));
  for (let i = 0; i < 50; i++) clusters.push(filtered(`m${i}`, "gpu_model"));
  for (let i = 0; i < 30; i++) clusters.push(filtered(`t${i}`, "tier"));
  for (let i = 0; i < 9; i++) clusters.push(filtered(`h${i}`, "health"));
  return decision(clusters, "f59");
};

describe("storedDecision", () => {
  it("keeps a small fleet's decision whole", () => {
    const clusters = Array.from({ length: KEEP_ALL_UP_TO }, (_, i) => filtered(`c${i}`, "tier"));
    const d = decision(clusters, null);
    expect(storedDecision(d)).toBe(d);
  });

  it("keeps the selected cluster, the runner-up, the 20 cheapest others and 3 examples per rejection", () => {
    const s = storedDecision(large());
    const names = s.clusters.map((c) => c.cluster);
    // Runner-up f59, then the next 20 cheapest: f58 down to f39.
    const cheapest = Array.from({ length: 20 }, (_, k) => `f${58 - k}`);
    expect(new Set(names)).toEqual(
      new Set(["sel", "f59", ...cheapest, "m0", "m1", "m2", "t0", "t1", "t2", "h0", "h1", "h2"]),
    );
    // In the engine's order, not re-sorted.
    expect(names.indexOf("sel")).toBe(0);
    expect(names.indexOf("f39")).toBeLessThan(names.indexOf("f59"));
    expect(names.indexOf("f59")).toBeLessThan(names.indexOf("m0"));
    // 150 − 31 kept (1 + 1 + 20 + 3 × 3); of the 59 feasible besides the runner-up, 20 kept; 47, 27 and 6 filtered out.
    expect(s.omitted).toEqual({
      clusters: 119,
      feasible: 39,
      filtered: [
        { code: "gpu_model", count: 47, example: "m0 refused: gpu_model" },
        { code: "tier", count: 27, example: "t0 refused: tier" },
        { code: "health", count: 6, example: "h0 refused: health" },
      ],
    });
    // The rest of the decision is what the engine said.
    expect(s.summary).toBe("placed on sel");
    expect(s.assignments).toEqual(large().assignments);
  });

  it("keeps a runner-up that is not among the cheapest, and every selected cluster of a spread", () => {
    const d = large();
    d.clusters[1] = feasible("f00", 158, "selected"); // a second selected cluster (a spread)
    d.runnerUp = "f01"; // dear: 157, far from the 20 cheapest
    const names = storedDecision(d).clusters.map((c) => c.cluster);
    expect(names).toContain("f00");
    expect(names).toContain("f01");
    expect(names).toContain("f59");
    expect(names.filter((n) => n.startsWith("f"))).toHaveLength(22);
  });

  it("says what was left out in one line", () => {
    const line = omittedLine(storedDecision(large()).omitted!);
    expect(line).toContain("119 more clusters");
    expect(line).toContain("39 feasible");
    expect(line).toContain("47 filtered (gpu_model");
  });

  it("shrinks a 10,000-cluster decision to a few dozen verdicts", () => {
    const clusters: ClusterVerdict[] = [feasible("sel", 1, "selected")];
    for (let i = 0; i < 9_999; i++) clusters.push(i % 2 ? feasible(`f${i}`, 2 + i) : filtered(`x${i}`, "gpu_fit"));
    const s = storedDecision(decision(clusters, "f1"));
    expect(s.clusters).toHaveLength(1 + 1 + 20 + 3);
    expect(JSON.stringify(s).length).toBeLessThan(JSON.stringify(clusters).length / 100);
  });
});

describe("cheapest", () => {
  it("keeps what a stable sort by rank total would keep first, ties in the engine's order", () => {
    // Few distinct totals, so ties are common; some verdicts have no rank total at all (they sort last).
    const verdicts = fc.array(fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }), { maxLength: 60 });
    fc.assert(
      fc.property(verdicts, fc.integer({ min: 1, max: 25 }), (totals, k) => {
        const vs = totals.map((t, i): ClusterVerdict => {
          const v = feasible(`c${i}`, t ?? 0);
          if (t === undefined) delete v.rankCost;
          return v;
        });
        const key = (v: ClusterVerdict) => v.rankCost?.total ?? Number.POSITIVE_INFINITY;
        const oracle = vs
          .map((v, i) => ({ v, i }))
          .sort((a, b) => {
            const d = key(a.v) - key(b.v);
            return Number.isNaN(d) || d === 0 ? a.i - b.i : d;
          })
          .slice(0, k)
          .map((x) => x.v.cluster);
        expect(cheapest(vs, k).map((v) => v.cluster)).toEqual(oracle);
      }),
      { numRuns: 3_000 },
    );
  });
});
