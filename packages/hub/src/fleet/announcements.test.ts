import { describe, expect, it } from "vitest";
import { announcementKey, createAnnouncements } from "./announcements.ts";

const hello = { agentId: "a1", driver: "simulated", agentVersion: "0.1.0", description: { name: "c1", tier: "cloud" } };

describe("hello announcements", () => {
  it("takes a hello as a repeat only for the same leader, agent, description and view entry, within the refresh", () => {
    const a = createAnnouncements<object>({ refreshMs: 1_000, maxClusters: 10 });
    const entry = {};
    const key = announcementKey(1, hello);
    expect(a.isRepeat("c1", key, entry, 0)).toBe(false);
    a.recorded("c1", key, entry, 0);
    expect(a.isRepeat("c1", key, entry, 999)).toBe(true);
    expect(a.isRepeat("c1", key, entry, 1_000)).toBe(false);
    expect(a.isRepeat("c1", announcementKey(2, hello), entry, 10)).toBe(false);
    expect(a.isRepeat("c1", announcementKey(1, { ...hello, agentId: "a2" }), entry, 10)).toBe(false);
    expect(
      a.isRepeat("c1", announcementKey(1, { ...hello, description: { name: "c1", tier: "edge" } }), entry, 10),
    ).toBe(false);
    // Removed and registered again: the view holds a new entry, whose hello must be recorded.
    expect(a.isRepeat("c1", key, {}, 10)).toBe(false);
    expect(a.isRepeat("c1", key, undefined, 10)).toBe(false);
    expect(a.isRepeat("c2", key, entry, 10)).toBe(false);
  });

  it("stays bounded: past the limit it forgets, which only costs another write", () => {
    const a = createAnnouncements<object>({ refreshMs: 1_000, maxClusters: 2 });
    const entry = {};
    for (const c of ["c1", "c2", "c3"]) a.recorded(c, "k", entry, 0);
    expect(a.isRepeat("c3", "k", entry, 1)).toBe(true);
    expect(a.isRepeat("c1", "k", entry, 1)).toBe(false);
  });
});
