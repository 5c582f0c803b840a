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
  const upkeepAt = (
    now: { ms: number },
    accrueEveryMs?: number,
    maintenance?: {
      everyMs: number;
      autovacuum?: boolean;
      fail?: boolean;
      due?: { vacuum: string[]; analyze: string[] };
      busy?: () => boolean;
    },
  ) => {
    const accruals: number[] = [];
    /** What maintenance the store was asked for, and when (s since the first tick's clock). */
    const maintained: [string, number][] = [];
    const start = now.ms;
    /** The tables each call named (undefined: all of them). */
    const named: [string, readonly string[] | undefined][] = [];
    const asked = (what: string, real: () => Promise<void>) => async (tables?: readonly string[]) => {
      maintained.push([what, (now.ms - start) / 1_000]);
      named.push([what, tables]);
      if (maintenance?.fail) throw new Error("permission denied for table workloads");
      await real();
    };
    const store = {
      ...t.store,
      maintenance: {
        ...t.store.maintenance,
        autovacuumRuns: async () => maintenance?.autovacuum ?? (await t.store.maintenance.autovacuumRuns()),
        analyze: asked("analyze", t.store.maintenance.analyze),
        vacuum: asked("vacuum", t.store.maintenance.vacuum),
        ...(maintenance?.due ? { due: async () => maintenance.due } : {}),
      },
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
      ...(maintenance ? { maintainEveryMs: maintenance.everyMs } : {}),
      ...(maintenance?.busy ? { busy: maintenance.busy } : {}),
    });
    return { upkeep, accruals, maintained, named };
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

  it("looks after PGlite's tables: analyzes every `maintainEveryMs`, vacuums on the first round and every fifth", async () => {
    const now = { ms: Date.parse("2026-12-03T00:00:00Z") };
    const { upkeep, maintained } = upkeepAt(now, undefined, { everyMs: 60_000 });
    for (let i = 0; i <= 72; i++) {
      await upkeep.tick();
      now.ms += 5_000;
    }
    // PGlite has no autovacuum (the real question, asked of the real database): ticks every 5 s for 360 s.
    expect(maintained).toEqual([
      ["vacuum", 0],
      ["analyze", 60],
      ["analyze", 120],
      ["analyze", 180],
      ["analyze", 240],
      ["vacuum", 300],
      ["analyze", 360],
    ]);
  });

  it("leaves the tables to autovacuum where it runs, and does nothing when maintenance is off", async () => {
    const now = { ms: Date.parse("2026-12-03T00:00:00Z") };
    const withAutovacuum = upkeepAt(now, undefined, { everyMs: 60_000, autovacuum: true });
    const off = upkeepAt(now, undefined, { everyMs: 0 });
    for (let i = 0; i < 30; i++) {
      await withAutovacuum.upkeep.tick();
      await off.upkeep.tick();
      now.ms += 5_000;
    }
    expect(withAutovacuum.maintained).toEqual([]);
    expect(off.maintained).toEqual([]);
  });

  it("logs a maintenance failure and goes on with upkeep", async () => {
    const now = { ms: Date.parse("2026-12-03T00:00:00Z") };
    const { upkeep, accruals, maintained } = upkeepAt(now, undefined, { everyMs: 60_000, fail: true });
    await upkeep.tick();
    now.ms += 60_000;
    await upkeep.tick();
    expect(maintained.map(([w]) => w)).toEqual(["vacuum", "analyze"]);
    expect(accruals).toHaveLength(2);
  });

  it("takes only the tables past autovacuum's thresholds where the database counts changes", async () => {
    const now = { ms: Date.parse("2026-12-03T00:00:00Z") };
    const due = { vacuum: ['"clusters"'], analyze: ['"clusters"', '"workloads"'] };
    const { upkeep, named } = upkeepAt(now, undefined, { everyMs: 60_000, due });
    await upkeep.tick();
    // Vacuumed tables are analyzed by that vacuum: not twice.
    expect(named).toEqual([
      ["vacuum", ['"clusters"']],
      ["analyze", ['"workloads"']],
    ]);
  });

  it("waits while the hub is placing work, but not longer than five periods", async () => {
    const now = { ms: Date.parse("2026-12-03T00:00:00Z") };
    let busy = true;
    const { upkeep, maintained } = upkeepAt(now, undefined, { everyMs: 60_000, busy: () => busy });
    for (let i = 0; i <= 72; i++) {
      if (i === 6) busy = false; // quiet at 30 s
      if (i === 12) busy = true; // busy again from 60 s on, for good
      await upkeep.tick();
      now.ms += 5_000;
    }
    // Quiet at 30 s: the first round then. Busy after: held until five periods (300 s) after that round.
    expect(maintained).toEqual([
      ["vacuum", 30],
      ["analyze", 330],
    ]);
  });
});
