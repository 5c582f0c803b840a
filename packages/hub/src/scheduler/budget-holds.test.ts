import { API_VERSION, Budget, type CapacityReport, type Workload } from "@gantry/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFleetView, type FleetView } from "../fleet/view.ts";
import type { Store } from "../store/index.ts";
import { costLedger } from "../store/schema.ts";
import { aWorkload, KINDS, openTestStore, type TestStore, unique } from "../store/testing/fixtures.ts";
import { silentLogger } from "../util/logger.ts";
import { createAdmission } from "./admission.ts";
import { createScheduler } from "./scheduler.ts";

// Mid-month, so "since the first of the month" and "since midnight" are different periods.
const NOW = new Date("2026-06-20T12:00:00Z");
const clock = { now: () => NOW };

const node = (): CapacityReport => ({
  nodes: [
    {
      name: "n",
      count: 1,
      gpu: { model: "H100", count: 8, memoryGiB: 80 },
      gpusUsed: 0,
      cpu: 96,
      cpuUsed: 0,
      memoryGiB: 1024,
      memoryUsedGiB: 0,
      ready: true,
      schedulable: true,
      labels: {},
    },
  ],
  accountedWorkloads: [],
  datasets: [],
});

const budget = (tenant: string, spec: { perDay?: number; perMonth?: number }): Budget =>
  Budget.parse({ apiVersion: API_VERSION, kind: "Budget", metadata: { name: tenant }, spec });

describe.each(KINDS)("budgets hold a tenant's queued work (%s)", (kind) => {
  let t: TestStore;
  let store: Store;
  let view: FleetView;
  let epoch: number;

  beforeAll(async () => {
    t = await openTestStore(kind);
    store = t.store;
    await store.clusters.register(
      "us",
      { tier: "cloud", region: "us-east-1", pricing: { gpuHour: { H100: 2 }, spotGpuHour: {}, egressPerGB: 0 } },
      NOW,
    );
    view = createFleetView({ clock, thresholds: { unknownAfterMs: 60_000, offlineAfterMs: 120_000 } });
    view.load(await store.clusters.list());
    view.heartbeat("us", node());
    epoch = (await store.leases.acquire("leader", "hub-test", 3_600_000))!.epoch;
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  /** A ledger row for `tenant`: `usd` spent in the hour starting at `startAt`. */
  const spent = async (tenant: string, usd: number, startAt: Date) => {
    await store.db.insert(costLedger).values({
      workload: "earlier",
      tenant,
      cluster: "us",
      kind: "compute",
      usd,
      startAt,
      endAt: new Date(startAt.getTime() + 3_600_000),
    });
  };

  /** Submit, run one scheduling pass, and return each workload's phase and message. */
  const pass = async (ws: Workload[]) => {
    for (const w of ws) await store.workloads.create(w, NOW);
    const scheduler = createScheduler({
      store,
      view,
      clock,
      logger: silentLogger(),
      epoch: () => epoch,
      onFenced: () => {},
      onDesiredStateChanged: () => {},
    });
    await scheduler.kick();
    await scheduler.idle();
    scheduler.close();
    const out = [];
    for (const w of ws) {
      const row = await store.workloads.get(w.metadata.tenant, w.metadata.name);
      out.push({ phase: row?.phase, message: row?.message });
      await store.workloads.delete(w.metadata.tenant, w.metadata.name, NOW);
    }
    return out;
  };

  const job = (tenant: string) => aWorkload(unique("job"), { replicas: 1, resources: { gpu: { count: 1 } } }, tenant);

  it("holds a tenant that spent its monthly budget earlier this month, and places another tenant's work", async () => {
    const tenant = unique("monthly");
    await store.budgets.put(budget(tenant, { perMonth: 100 }), NOW);
    await spent(tenant, 150, new Date("2026-06-05T08:00:00Z"));
    const [held, other] = await pass([job(tenant), job(unique("free"))]);
    expect(held).toEqual({
      phase: "Pending",
      message: `held: tenant ${tenant} has spent $150.00 of its $100.00 monthly budget`,
    });
    expect(other?.phase).toBe("Placed");
  });

  it("does not count last month's spend against this month, nor yesterday's against today", async () => {
    const tenant = unique("fresh");
    await store.budgets.put(budget(tenant, { perDay: 50, perMonth: 100 }), NOW);
    await spent(tenant, 500, new Date("2026-05-31T22:00:00Z"));
    await spent(tenant, 40, new Date("2026-06-19T22:00:00Z"));
    const [w] = await pass([job(tenant)]);
    expect(w?.phase).toBe("Placed");
  });

  it("holds a tenant over its daily budget until midnight UTC", async () => {
    const tenant = unique("daily");
    await store.budgets.put(budget(tenant, { perDay: 50 }), NOW);
    await spent(tenant, 60, new Date("2026-06-20T01:00:00Z"));
    const [w] = await pass([job(tenant)]);
    expect(w?.phase).toBe("Pending");
    expect(w?.message).toMatch(/^held: tenant .* has spent \$60\.00 of its \$50\.00 daily budget/);
  });

  it("refuses new work at the door for a tenant that spent its monthly budget earlier this month", async () => {
    const tenant = unique("door");
    await store.budgets.put(budget(tenant, { perMonth: 100 }), NOW);
    await spent(tenant, 120, new Date("2026-06-02T08:00:00Z"));
    const admission = createAdmission({ store, clock, acceptUnsatisfiable: true });
    await expect(admission.admit(job(tenant))).rejects.toMatchObject({ code: "budget_exceeded" });
    await expect(admission.admit(job(unique("other")))).resolves.toBeUndefined();
  });
});
