import { ValidationError } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import { arrivalsFor, demandAt, LoadTrace, type LoadTraceInput, parseLoadTrace } from "./trace.ts";

const aTrace = (t: LoadTraceInput): LoadTrace => LoadTrace.parse(t);

const issueFields = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e.issues.map((i) => i.field);
    throw e;
  }
  return [];
};

describe("load traces", () => {
  it("parses a YAML trace and names the field of a point out of order", () => {
    const ok = parseLoadTrace("kind: points\npoints:\n  - { atSeconds: 0, rps: { eu-west: 1 } }\n");
    expect(ok.kind).toBe("points");
    const bad = "kind: points\npoints:\n  - { atSeconds: 10, rps: {} }\n  - { atSeconds: 5, rps: {} }\n";
    expect(issueFields(() => parseLoadTrace(bad))).toEqual(["points.1.atSeconds"]);
    expect(issueFields(() => parseLoadTrace("kind: diurnal\nbase: { eu: -1 }\n"))).toEqual(["base.eu"]);
    expect(issueFields(() => parseLoadTrace("kind: weekly\n"))).toEqual(["kind"]);
  });

  it("interpolates between points, holds the ends, steps and repeats", () => {
    const points: { atSeconds: number; rps: Record<string, number> }[] = [
      { atSeconds: 100, rps: { eu: 10, us: 0 } },
      { atSeconds: 200, rps: { eu: 30 } },
    ];
    const linear = aTrace({ kind: "points", points });
    expect(demandAt(linear, 0)).toEqual({ eu: 10, us: 0 });
    expect(demandAt(linear, 150)).toEqual({ eu: 20, us: 0 });
    expect(demandAt(linear, 175).eu).toBeCloseTo(25, 12);
    expect(demandAt(linear, 1e6)).toEqual({ eu: 30, us: 0 });
    const step = aTrace({ kind: "points", interpolation: "step", points });
    expect(demandAt(step, 199).eu).toBe(10);
    const daily = aTrace({ kind: "points", repeatSeconds: 300, points });
    expect(demandAt(daily, 450).eu).toBe(20);
  });

  it("adds bell-shaped peaks to the base, wrapping around midnight", () => {
    const day = 86_400;
    const t = aTrace({
      kind: "diurnal",
      base: { eu: 5, us: 2 },
      peaks: [{ region: "eu", atSeconds: 23 * 3600, widthSeconds: 3600, rps: 40 }],
    });
    expect(demandAt(t, 23 * 3600).eu).toBeCloseTo(45, 12);
    // One standard deviation either side, across midnight: 5 + 40·e^(−1/2).
    expect(demandAt(t, 22 * 3600).eu).toBeCloseTo(5 + 40 * Math.exp(-0.5), 9);
    expect(demandAt(t, day).eu).toBeCloseTo(5 + 40 * Math.exp(-0.5), 9);
    expect(demandAt(t, day + 23 * 3600).eu).toBeCloseTo(45, 9);
    expect(demandAt(t, 11 * 3600).eu).toBeCloseTo(5, 9);
    expect(demandAt(t, 23 * 3600).us).toBe(2);
  });

  it("multiplies a region's demand during a spike, ramping linearly", () => {
    const t = aTrace({
      kind: "diurnal",
      base: { eu: 10, us: 10 },
      spikes: [{ region: "eu", atSeconds: 1000, durationSeconds: 200, factor: 5, rampSeconds: 20 }],
    });
    expect(demandAt(t, 999).eu).toBe(10);
    expect(demandAt(t, 1010).eu).toBeCloseTo(10 * 3, 12); // halfway up: 1 + 4/2
    expect(demandAt(t, 1100)).toEqual({ eu: 50, us: 10 });
    expect(demandAt(t, 1200).eu).toBe(10);
    const tooSteep = {
      kind: "diurnal",
      base: { eu: 1 },
      spikes: [{ atSeconds: 0, durationSeconds: 200, factor: 2, rampSeconds: 150 }],
    };
    expect(issueFields(() => parseLoadTrace(JSON.stringify(tooSteep)))).toEqual(["spikes.0.rampSeconds"]);
  });
});

describe("arrivalsFor", () => {
  it("gives a cluster its share of each region", () => {
    const weights = { eu: { paris: 0.25, fra: 0.75 }, us: { virginia: 1 } };
    expect(arrivalsFor({ eu: 40, us: 10 }, weights, "paris")).toEqual({ eu: 10 });
    expect(arrivalsFor({ eu: 40, us: 10 }, weights, "nowhere")).toEqual({});
  });
});
