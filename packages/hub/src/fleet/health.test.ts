import { describe, expect, it } from "vitest";
import { healthOf } from "./health.ts";

const t = { unknownAfterMs: 1_000, offlineAfterMs: 5_000 };
const now = new Date("2026-01-01T00:00:10Z");
const ago = (ms: number) => new Date(now.getTime() - ms);

describe("healthOf", () => {
  it("is unknown for a cluster never heard from", () => {
    expect(healthOf(null, now, t)).toBe("unknown");
  });

  it("is ready up to and including the unknown threshold", () => {
    expect(healthOf(ago(0), now, t)).toBe("ready");
    expect(healthOf(ago(1_000), now, t)).toBe("ready");
  });

  it("is unknown after the unknown threshold, up to the offline one", () => {
    expect(healthOf(ago(1_001), now, t)).toBe("unknown");
    expect(healthOf(ago(5_000), now, t)).toBe("unknown");
  });

  it("is offline after the offline threshold", () => {
    expect(healthOf(ago(5_001), now, t)).toBe("offline");
  });

  it("treats a heartbeat from a clock ahead of ours as fresh", () => {
    expect(healthOf(ago(-3_000), now, t)).toBe("ready");
  });
});
