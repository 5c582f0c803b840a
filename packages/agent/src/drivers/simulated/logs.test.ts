import { describe, expect, it } from "vitest";
import { simulatedLogLines } from "./logs.ts";

const base = {
  workload: "train",
  type: "job" as const,
  replica: 0,
  durationMs: 10_000,
  serviceEveryMs: 1_000,
  waiting: "staging imagenet",
};
const t0 = Date.parse("2026-01-01T00:00:00Z");

describe("simulated logs", () => {
  it("says why a replica that has not started waits", () => {
    expect(simulatedLogLines({ ...base, timeline: {} }, t0)).toEqual([
      "2026-01-01T00:00:00.000Z replica 0 of train has not started: staging imagenet",
    ]);
  });

  it("writes a progress line at each tenth of a job's run, the same lines every time", () => {
    const input = { ...base, timeline: { node: "n-1", startedAt: t0 } };
    const lines = simulatedLogLines(input, t0 + 3_500);
    expect(lines).toEqual([
      "2026-01-01T00:00:00.000Z replica 0 of train started on n-1",
      "2026-01-01T00:00:01.000Z step 1/10 (10%) done",
      "2026-01-01T00:00:02.000Z step 2/10 (20%) done",
      "2026-01-01T00:00:03.000Z step 3/10 (30%) done",
    ]);
    expect(simulatedLogLines(input, t0 + 3_500)).toEqual(lines);
  });

  it("ends a finished job with its completion, and nothing after it", () => {
    const lines = simulatedLogLines(
      { ...base, timeline: { node: "n", startedAt: t0, finishedAt: t0 + 10_000 } },
      t0 + 60_000,
    );
    expect(lines).toHaveLength(12);
    expect(lines.at(-1)).toBe("2026-01-01T00:00:10.000Z replica 0 of train completed");
  });

  it("writes a health line per interval for a service", () => {
    const lines = simulatedLogLines({ ...base, type: "service", timeline: { node: "n", startedAt: t0 } }, t0 + 2_100);
    expect(lines.slice(1)).toEqual([
      "2026-01-01T00:00:01.000Z serving: healthy (check 1)",
      "2026-01-01T00:00:02.000Z serving: healthy (check 2)",
    ]);
  });
});
