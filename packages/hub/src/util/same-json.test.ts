import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical.ts";
import { sameJson } from "./same-json.ts";

/** Reorders every object's keys (equal JSON, other text). */
const shuffled = (v: unknown, seed: number): unknown => {
  if (Array.isArray(v)) return v.map((x, i) => shuffled(x, seed + i));
  if (v === null || typeof v !== "object") return v;
  const keys = Object.keys(v);
  const order = keys
    .map((k, i) => ({ k, r: (i * 7919 + seed * 104729) % (keys.length + 3) }))
    .sort((x, y) => x.r - y.r);
  const out: Record<string, unknown> = {};
  for (const { k } of order) out[k] = shuffled((v as Record<string, unknown>)[k], seed + 1);
  return out;
};

describe("sameJson", () => {
  it("agrees with comparing canonical JSON text, on random values and on near-copies of them", () => {
    const json = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
    fc.assert(
      fc.property(json, json, fc.nat(), (a, b, seed) => {
        expect(sameJson(a, b)).toBe(canonicalJson(a) === canonicalJson(b));
        const copy = shuffled(JSON.parse(JSON.stringify(a)), seed);
        expect(sameJson(a, copy)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it("tells apart what differs in one place only", () => {
    const base = { nodes: [{ name: "n-0", gpu: { model: "A100", count: 8 }, labels: {} }], accounted: [] };
    expect(sameJson(base, structuredClone(base))).toBe(true);
    expect(sameJson(base, { ...base, nodes: [{ ...base.nodes[0], gpu: { model: "A100", count: 7 } }] })).toBe(false);
    expect(sameJson(base, { ...base, extra: null })).toBe(false);
    expect(sameJson({ a: undefined }, {})).toBe(false);
    expect(sameJson({ a: undefined }, { b: undefined })).toBe(false);
    expect(sameJson([1, 2], { 0: 1, 1: 2 })).toBe(false);
    expect(sameJson({ 0: 1, 1: 2 }, [1, 2])).toBe(false);
    expect(sameJson(new Date(0), new Date(1))).toBe(false);
    expect(sameJson(0, "0")).toBe(false);
    expect(sameJson(null, {})).toBe(false);
  });
});
