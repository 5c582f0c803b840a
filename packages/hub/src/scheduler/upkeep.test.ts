import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FleetView } from "../fleet/view.ts";
import { hubLeases } from "../store/schema.ts";
import { openTestStore, type TestStore } from "../store/testing/fixtures.ts";
import { realWorkClock } from "../util/clock.ts";
import { silentLogger } from "../util/logger.ts";
import type { Scheduler } from "./scheduler.ts";
import { createUpkeep } from "./upkeep.ts";

describe("upkeep", () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore("pglite");
    // This hub leads at epoch 1, so its writes are not fenced.
    const at = new Date("2026-12-03T00:00:00Z");
    await t.store.db.insert(hubLeases).values({
      name: "leader",
      holder: "hub-a",
      epoch: 1,
      expiresAt: new Date(at.getTime() + 86_400_000),
      acquiredAt: at,
    });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  /** Upkeep on an empty fleet, its work clock at `now`, counting the accruals it asks the store for. */
  const upkeepAt = (now: { ms: number }, accrueEveryMs?: number) => {
    const accruals: number[] = [];
    const store = {
      ...t.store,
      costs: {
        ...t.store.costs,
        accrue: async (at: Date, epoch?: number) => {
          accruals.push(at.getTime());
          return t.store.costs.accrue(at, epoch);
        },
      },
    };
    const view = {
      takeCheckpoint: () => ({ entries: [], accounted: [] }),
      restoreCheckpoint: () => undefined,
      get: () => undefined,
    } as unknown as FleetView;
    const scheduler = {
      exclusive: <T>(f: () => Promise<T>) => f(),
      kick: async () => undefined,
    } as unknown as Scheduler;
    const clock = { now: () => new Date(now.ms) };
    const upkeep = createUpkeep({
      store,
      view,
      clock,
      workClock: realWorkClock(clock),
      logger: silentLogger(),
      scheduler,
      epoch: () => 1,
      failover: { fenceAfterMs: 120_000, stopGraceMs: 15_000, defaultAfterMs: 180_000 },
      listeningSince: () => new Date(0),
      onDesiredStateChanged: () => undefined,
      ...(accrueEveryMs !== undefined ? { accrueEveryMs } : {}),
    });
    return { upkeep, accruals };
  };

  it("accrues on its first tick, then only once `accrueEveryMs` of work time has passed", async () => {
    const now = { ms: Date.parse("2026-12-03T00:00:00Z") };
    const { upkeep, accruals } = upkeepAt(now, 60_000);
    const start = now.ms;
    for (let i = 0; i <= 30; i++) {
      await upkeep.tick();
      now.ms += 5_000;
    }
    // Ticks every 5 s for 150 s: at 0, 60 and 120 s.
    expect(accruals.map((a) => (a - start) / 1_000)).toEqual([0, 60, 120]);
  });

  it("accrues on every tick without a cadence", async () => {
    const now = { ms: Date.parse("2026-12-03T00:00:00Z") };
    const { upkeep, accruals } = upkeepAt(now);
    for (let i = 0; i < 4; i++) {
      await upkeep.tick();
      now.ms += 5_000;
    }
    expect(accruals).toHaveLength(4);
  });

  it("skips a tick that comes while the last one still runs", async () => {
    const now = { ms: Date.parse("2026-12-03T00:00:00Z") };
    const { upkeep, accruals } = upkeepAt(now);
    await Promise.all([upkeep.tick(), upkeep.tick(), upkeep.tick()]);
    expect(accruals).toHaveLength(1);
    await upkeep.tick();
    expect(accruals).toHaveLength(2);
  });
});
