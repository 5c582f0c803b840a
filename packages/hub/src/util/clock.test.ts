import { describe, expect, it } from "vitest";
import { continueAnchor, realWorkClock, simulatedWorkClock } from "./clock.ts";

const at = (ms: number) => ({ now: () => new Date(ms) });

describe("work clocks", () => {
  it("runs work on the process clock by default", () => {
    const c = realWorkClock(at(1_000));
    expect(c.now().getTime()).toBe(1_000);
    expect(c.fromReal(new Date(5)).getTime()).toBe(5);
    expect(c.realMs(60_000)).toBe(60_000);
  });

  it("passes one work hour every secondsPerHour real seconds", () => {
    let t = 1_000_000;
    const c = simulatedWorkClock(
      { realMs: 1_000_000, workMs: 5_000_000, secondsPerHour: 5 },
      { now: () => new Date(t) },
    );
    expect(c.now().getTime()).toBe(5_000_000);
    t += 5_000;
    expect(c.now().getTime()).toBe(5_000_000 + 3_600_000);
    // An agent's report from the same process clock lands at the same work time.
    expect(c.fromReal(new Date(t)).getTime()).toBe(c.now().getTime());
    // A wait of 10 work minutes is 10 × 5 / 60 real seconds.
    expect(c.realMs(600_000)).toBeCloseTo(833.33, 1);
  });

  it("refuses a clock that does not run", () => {
    expect(() => simulatedWorkClock({ realMs: 0, workMs: 0, secondsPerHour: 0 })).toThrow(RangeError);
  });

  it("continues the previous run's clock so work time never goes back", () => {
    expect(continueAnchor(undefined, 10_000, 60)).toEqual({ realMs: 10_000, workMs: 10_000, secondsPerHour: 60 });
    // The last run anchored at real 0 = work 0 at 60 s/h: 10 s later it stands at 10 work minutes.
    const next = continueAnchor({ realMs: 0, workMs: 0, secondsPerHour: 60 }, 10_000, 5);
    expect(next).toEqual({ realMs: 10_000, workMs: 600_000, secondsPerHour: 5 });
    // Never behind the process clock.
    expect(continueAnchor({ realMs: 0, workMs: -1e9, secondsPerHour: 3600 }, 10_000, 5).workMs).toBe(10_000);
  });
});
