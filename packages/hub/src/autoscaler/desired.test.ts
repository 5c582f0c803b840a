import { AutoscalingSpec, type AutoscalingSpecInput } from "@gantry/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type DesiredReplicas, desiredReplicas, initialScaleState, type ScaleState } from "./desired.ts";
import type { Observation } from "./observe.ts";

const aSpec = (over: Partial<AutoscalingSpecInput> = {}): AutoscalingSpec =>
  AutoscalingSpec.parse({ minReplicas: 1, maxReplicas: 20, target: 4, ...over });

const anObservation = (over: Partial<Observation> = {}): Observation => ({
  metric: "concurrency",
  stable: 0,
  panic: 0,
  requestsPerSecond: 0,
  byRegion: {},
  replicas: 0,
  readyReplicas: 0,
  active: true,
  ...over,
});

/** Run passes in order, feeding each decision's state to the next. */
const run = (spec: AutoscalingSpec, passes: { at: number; obs: Observation }[], state?: ScaleState) => {
  let s = state ?? initialScaleState(passes[0]?.at ?? 0, 1);
  const out: DesiredReplicas[] = [];
  for (const p of passes) {
    const d = desiredReplicas(spec, p.obs, s, p.at);
    out.push(d);
    s = d.state;
  }
  return out;
};

describe("desiredReplicas", () => {
  it("follows the stable-window average at the per-replica target", () => {
    const [d] = run(aSpec(), [{ at: 0, obs: anObservation({ stable: 10, panic: 10, readyReplicas: 3 }) }]);
    expect(d).toMatchObject({ replicas: 3, mode: "stable", panicking: false });
    expect(d!.reason).toContain("concurrency 10.0 averaged over 60 s at 4 per replica: 3");
  });

  it("panics when panic-window demand is ≥ threshold × ready capacity and scales up at once", () => {
    // 2 ready replicas handle 8 at target 4; 20 in the last 6 s is ≥ 2 × 8.
    const [d] = run(aSpec(), [{ at: 0, obs: anObservation({ stable: 8, panic: 20, readyReplicas: 2 }) }]);
    expect(d).toMatchObject({ replicas: 5, mode: "panic", panicking: true });
    const [calm] = run(aSpec(), [{ at: 0, obs: anObservation({ stable: 8, panic: 15, readyReplicas: 2 }) }]);
    expect(calm!.panicking).toBe(false);
  });

  it("counts only ready replicas as capacity: loading ones do not stop a panic", () => {
    const [d] = run(aSpec(), [{ at: 0, obs: anObservation({ panic: 4, stable: 1, replicas: 5, readyReplicas: 0 }) }]);
    expect(d!.panicking).toBe(true);
  });

  it("never scales down while panicking, and follows the stable window a window after the last surge", () => {
    const spec = aSpec();
    const out = run(spec, [
      { at: 0, obs: anObservation({ stable: 8, panic: 40, readyReplicas: 2 }) },
      { at: 5, obs: anObservation({ stable: 9, panic: 4, readyReplicas: 2 }) },
      { at: 55, obs: anObservation({ stable: 4, panic: 4, readyReplicas: 10 }) },
      { at: 61, obs: anObservation({ stable: 4, panic: 4, readyReplicas: 10 }) },
    ]);
    expect(out.map((d) => d.replicas)).toEqual([10, 10, 10, 10]);
    expect(out.map((d) => d.mode)).toEqual(["panic", "panic", "panic", "held"]);
    const later = run(
      spec,
      [{ at: 122, obs: anObservation({ stable: 4, panic: 4, readyReplicas: 10 }) }],
      out[3]!.state,
    );
    expect(later[0]).toMatchObject({ replicas: 1, mode: "stable" });
  });

  it("holds a scale-down for one stable window", () => {
    const out = run(aSpec(), [
      { at: 0, obs: anObservation({ stable: 20, panic: 20, readyReplicas: 5 }) },
      { at: 30, obs: anObservation({ stable: 4, panic: 4, readyReplicas: 5 }) },
      { at: 60, obs: anObservation({ stable: 4, panic: 4, readyReplicas: 5 }) },
    ]);
    expect(out.map((d) => [d.replicas, d.mode])).toEqual([
      [5, "stable"],
      [5, "held"],
      [1, "stable"],
    ]);
  });

  it("stays within min and max", () => {
    const spec = aSpec({ minReplicas: 2, maxReplicas: 6 });
    expect(run(spec, [{ at: 0, obs: anObservation({ stable: 100, panic: 100, readyReplicas: 6 }) }])[0]!.replicas).toBe(
      6,
    );
    expect(run(spec, [{ at: 0, obs: anObservation({ readyReplicas: 2, active: false }) }])[0]!.replicas).toBe(2);
  });

  it("scales to zero after the idle spell (then one stable window of hold), and never without the spec's leave", () => {
    const spec = aSpec({ scaleToZeroAfterSeconds: 30 });
    const idle = anObservation({ readyReplicas: 1, active: false });
    const passes = [0, 20, 35, 60, 91, 100].map((at) => ({ at, obs: idle }));
    const out = run(spec, passes, initialScaleState(0, 1));
    expect(out.map((d) => d.replicas)).toEqual([1, 1, 1, 1, 0, 0]);
    expect(out[4]!.mode).toBe("idle");
    const never = run(aSpec(), passes, initialScaleState(0, 1));
    expect(never.map((d) => d.replicas)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it("scales on p95 latency by the ratio of observed to target", () => {
    const spec = aSpec({ metric: "p95LatencyMs", target: 300 });
    const [d] = run(spec, [
      { at: 0, obs: anObservation({ metric: "p95LatencyMs", stable: 450, panic: 450, readyReplicas: 4 }) },
    ]);
    expect(d!.replicas).toBe(6);
    expect(d!.panicking).toBe(false);
  });
});

describe("desiredReplicas properties", () => {
  const pass = fc.record({
    dt: fc.integer({ min: 1, max: 40 }),
    stable: fc.double({ min: 0, max: 200, noNaN: true }),
    panic: fc.double({ min: 0, max: 400, noNaN: true }),
    ready: fc.integer({ min: 0, max: 30 }),
    active: fc.boolean(),
  });
  const spec = fc.record({
    minReplicas: fc.integer({ min: 0, max: 3 }),
    maxReplicas: fc.integer({ min: 3, max: 40 }),
    target: fc.constantFrom(1, 2.5, 4, 10),
    stableWindowSeconds: fc.constantFrom(30, 60, 120),
    panicWindowSeconds: fc.constantFrom(6, 10),
    panicThreshold: fc.constantFrom(1.5, 2, 3),
    scaleToZeroAfterSeconds: fc.option(fc.constantFrom(10, 30, 300), { nil: undefined }),
  });
  const simulate = (
    s: AutoscalingSpec,
    steps: { dt: number; stable: number; panic: number; ready: number; active: boolean }[],
  ) => {
    let at = 0;
    const passes = steps.map((p) => {
      at += p.dt;
      return { at, obs: anObservation({ stable: p.stable, panic: p.panic, readyReplicas: p.ready, active: p.active }) };
    });
    return { passes, out: run(s, passes, initialScaleState(0, 0)) };
  };

  it("never removes a replica within one stable window of adding it (no oscillation)", () => {
    fc.assert(
      fc.property(spec, fc.array(pass, { minLength: 2, maxLength: 80 }), (input, steps) => {
        const s = aSpec(input);
        const { passes, out } = simulate(s, steps);
        for (let i = 1; i < out.length; i++) {
          if (out[i]!.replicas <= out[i - 1]!.replicas) continue;
          for (let j = i + 1; j < out.length && passes[j]!.at - passes[i]!.at < s.stableWindowSeconds; j++) {
            expect(out[j]!.replicas).toBeGreaterThanOrEqual(out[i]!.replicas);
          }
        }
      }),
    );
  });

  it("stays within [min, max], going below min only after the idle spell", () => {
    fc.assert(
      fc.property(spec, fc.array(pass, { minLength: 1, maxLength: 60 }), (input, steps) => {
        const s = aSpec(input);
        const { passes, out } = simulate(s, steps);
        let lastActive = 0;
        out.forEach((d, i) => {
          if (passes[i]!.obs.active) lastActive = passes[i]!.at;
          expect(d.replicas).toBeLessThanOrEqual(s.maxReplicas);
          if (d.replicas < s.minReplicas) {
            expect(s.scaleToZeroAfterSeconds).toBeDefined();
            expect(passes[i]!.at - lastActive).toBeGreaterThanOrEqual(s.scaleToZeroAfterSeconds!);
          }
        });
      }),
    );
  });

  it("never scales down while panicking (panic: demand ≥ threshold × ready capacity within the last stable window)", () => {
    fc.assert(
      fc.property(spec, fc.array(pass, { minLength: 2, maxLength: 60 }), (input, steps) => {
        const s = aSpec(input);
        const { passes, out } = simulate(s, steps);
        for (let i = 1; i < out.length; i++) {
          const at = passes[i]!.at;
          const surged = passes.some(
            (p, k) =>
              k <= i &&
              at - p.at < s.stableWindowSeconds &&
              p.obs.panic > 0 &&
              (p.obs.readyReplicas === 0 || p.obs.panic >= s.panicThreshold * p.obs.readyReplicas * s.target),
          );
          if (surged) expect(out[i]!.replicas).toBeGreaterThanOrEqual(Math.min(out[i - 1]!.replicas, s.maxReplicas));
        }
      }),
    );
  });
});
