import { describe, expect, it } from "vitest";
import type { ClusterRow } from "../store/index.ts";
import { createFleetView } from "./view.ts";

const HOUR = 3_600_000;
const hubNow = new Date("2026-06-01T12:00:00Z");

const aRow = (): ClusterRow => ({
  name: "c1",
  state: "registered",
  registration: null,
  description: {
    name: "c1",
    tier: "cloud",
    provider: "",
    region: "r",
    zone: "",
    labels: {},
    taints: [],
    pricing: { gpuHour: {}, spotGpuHour: {}, egressPerGB: 0 },
  },
  reported: null,
  agentId: "agent-1",
  driver: "simulated",
  agentVersion: "0.2.0",
  capacity: null,
  lastSeenAt: null,
  revision: 0,
  createdAt: hubNow,
  registeredAt: hubNow,
  revokedAt: null,
});

/** A view with one cluster whose agent (session started) has sent messages stamped with `sentAt` offsets. */
const viewWithAgentClock = (agentOffsetsMs: number[]) => {
  let now = hubNow.getTime();
  const view = createFleetView({
    clock: { now: () => new Date(now) },
    thresholds: { unknownAfterMs: 15_000, offlineAfterMs: 60_000 },
  });
  view.upsert(aRow());
  view.hello("c1", "agent-1", 1);
  for (const [i, offset] of agentOffsetsMs.entries()) {
    now = hubNow.getTime() + i * 1_000;
    view.observeClock("c1", new Date(now + offset).toISOString());
  }
  now = hubNow.getTime() + agentOffsetsMs.length * 1_000;
  return { view, now: () => now };
};

describe("agent times in the hub's clock", () => {
  it("shifts a time from an agent whose clock is three hours behind by its offset", () => {
    // Its messages took 5–40 ms to arrive: the fastest one tells the offset.
    const { view } = viewWithAgentClock([-3 * HOUR - 40, -3 * HOUR - 5, -3 * HOUR - 20]);
    const started = new Date(hubNow.getTime() - 3 * HOUR + 500).toISOString();
    expect(view.toHubTime("c1", started)).toBe(new Date(hubNow.getTime() + 505).toISOString());
  });

  it("never puts a time later than now (a clock ahead, a time it has not reached)", () => {
    const { view, now } = viewWithAgentClock([3 * HOUR, 3 * HOUR]);
    const future = new Date(now() + 10 * HOUR).toISOString();
    expect(view.toHubTime("c1", future)).toBe(new Date(now()).toISOString());
  });

  it("takes times as given when the clocks agree within network delay", () => {
    const { view } = viewWithAgentClock([-300, -120]);
    const t = new Date(hubNow.getTime() - 60_000).toISOString();
    expect(view.toHubTime("c1", t)).toBe(t);
    expect(view.toHubTime("c1", undefined)).toBeUndefined();
  });
});

describe("agent sessions", () => {
  const aView = () => {
    let now = hubNow.getTime();
    const view = createFleetView({
      clock: { now: () => new Date(now) },
      thresholds: { unknownAfterMs: 15_000, offlineAfterMs: 60_000 },
    });
    view.upsert(aRow());
    return { view, advance: (ms: number) => (now += ms) };
  };
  const capacity = { nodes: [], accountedWorkloads: [], datasets: [] };

  it("refuses a late hello from an earlier agent process while the current one is heard", () => {
    const { view } = aView();
    expect(view.hello("c1", "old", 1_000)).toBe("ok");
    expect(view.hello("c1", "new", 5_000)).toBe("ok");
    expect(view.admit("c1", "heartbeat", "new", 5_001)).toBe("ok");
    view.heartbeat("c1", capacity);
    expect(view.hello("c1", "old", 1_000)).toBe("seq_backwards");
    expect(view.get("c1")?.agentId).toBe("new");
  });

  it("lets a successor take over, and an earlier agent back once the current session has gone silent", () => {
    const { view, advance } = aView();
    view.hello("c1", "a", 1_000);
    view.admit("c1", "heartbeat", "a", 1_001);
    view.heartbeat("c1", capacity);
    expect(view.hello("c1", "b", 2_000)).toBe("ok");
    view.heartbeat("c1", capacity);
    advance(20_000);
    expect(view.hello("c1", "a", 1_500)).toBe("ok");
    expect(view.get("c1")?.agentId).toBe("a");
  });
});

describe("agent clock offsets at the edges", () => {
  const iso = (ms: number) => new Date(ms).toISOString();
  // A job start the agent stamps 500 ms after the hub's start time, in a clock three hours behind.
  const started = iso(hubNow.getTime() - 3 * HOUR + 500);

  it("learns the offset from the last 32 messages only", () => {
    // The first message was the fastest (5 ms), the later ones took 40 ms.
    const offsets = (n: number) => [-3 * HOUR - 5, ...Array<number>(n - 1).fill(-3 * HOUR - 40)];
    // 32 messages: the fastest is still in the window, the shift is 3 h + 5 ms.
    expect(viewWithAgentClock(offsets(32)).view.toHubTime("c1", started)).toBe(iso(hubNow.getTime() + 505));
    // 33: it has left the window, the shift is 3 h + 40 ms.
    expect(viewWithAgentClock(offsets(33)).view.toHubTime("c1", started)).toBe(iso(hubNow.getTime() + 540));
  });

  it("learns nothing from a message whose sent time is no time", () => {
    const { view } = viewWithAgentClock([-3 * HOUR - 5]);
    view.observeClock("c1", "yesterday");
    expect(view.toHubTime("c1", started)).toBe(iso(hubNow.getTime() + 505));
  });

  it("learns nothing before a hello, nor of a cluster it does not know, and takes their times as given", () => {
    const view = createFleetView({
      clock: { now: () => hubNow },
      thresholds: { unknownAfterMs: 15_000, offlineAfterMs: 60_000 },
    });
    view.upsert(aRow());
    view.observeClock("c1", iso(hubNow.getTime() - 3 * HOUR));
    view.observeClock("ghost", iso(hubNow.getTime() - 3 * HOUR));
    const t = iso(hubNow.getTime() - 60_000);
    expect(view.toHubTime("c1", t)).toBe(t);
    expect(view.toHubTime("ghost", t)).toBe(t);
  });

  it("takes times as given from a session whose clock it has not seen yet", () => {
    const { view } = viewWithAgentClock([]);
    const t = iso(hubNow.getTime() - 60_000);
    expect(view.toHubTime("c1", t)).toBe(t);
  });

  it("has no hub time for a time that is no time", () => {
    const { view } = viewWithAgentClock([-3 * HOUR]);
    expect(view.toHubTime("c1", "not a time")).toBeUndefined();
  });

  it("takes an offset of 2 s as network delay, and shifts by one of 2.001 s", () => {
    const t = hubNow.getTime() - 60_000;
    expect(viewWithAgentClock([-2_000]).view.toHubTime("c1", iso(t))).toBe(iso(t));
    expect(viewWithAgentClock([-2_001]).view.toHubTime("c1", iso(t))).toBe(iso(t + 2_001));
  });

  it("shifts a time from an agent whose clock is three hours ahead back by its offset", () => {
    // Sent at agent time hub + 3 h − 10 ms (10 ms on the way): the offset is −(3 h − 10 ms).
    const { view } = viewWithAgentClock([3 * HOUR - 10]);
    // A job the agent says started an hour before that message: an hour before the hub's start time.
    const jobStart = iso(hubNow.getTime() + 3 * HOUR - 10 - HOUR);
    expect(view.toHubTime("c1", jobStart)).toBe(iso(hubNow.getTime() - HOUR));
  });
});
