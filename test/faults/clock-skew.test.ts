import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seconds, writeFigures } from "./support/figures.ts";
import { aJob, aService, type DatabaseKind, every, type FaultStack, startFaultStack } from "./support/stack.ts";

const DATABASES: DatabaseKind[] = ["postgres", "pglite"];
const HOURS = 3_600_000;
const PRICE: Record<string, number> = { alpha: 1.0, beta: 2.0 };

interface CostItem {
  key: string;
  compute: number;
  total: number;
}

describe.each(DATABASES)("clock skew between hub and agents (%s)", (database) => {
  let s: FaultStack;
  beforeAll(async () => {
    s = await startFaultStack({
      scenario: "clock-skew",
      database,
      // alpha's machine is three hours ahead, beta's three hours behind; the hub's and gamma's are right.
      clockOffsetMs: { alpha: 3 * HOURS, beta: -3 * HOURS },
    });
    await s.readyClusters();
  });
  afterAll(async () => s?.close());

  it("agents whose clocks are hours off: work runs and ends, no cluster looks silent, nothing is fenced, and it is billed for the time it ran", async () => {
    const health = every(500, async () => s.clusterHealth());
    // Two replicas of 8 GPUs fill a cluster: the first goes to alpha (cheapest), the second to beta.
    const ahead = await s.submit(aJob("skew-ahead", { replicas: 2, durationHours: 8 }, 8));
    await s.waitPhase(ahead.metadata, ["Running"]);
    const behind = await s.submit(aJob("skew-behind", { replicas: 2, durationHours: 8 }, 8));
    await s.waitPhase(behind.metadata, ["Running"]);
    const placed = { ahead: await s.placedOn(ahead.metadata), behind: await s.placedOn(behind.metadata) };
    const svc = await s.submit(aService("skew-serve"));
    const started = Date.now();
    await s.waitPhase(ahead.metadata, ["Succeeded"]);
    await s.waitPhase(behind.metadata, ["Succeeded"]);
    await s.waitPhase(svc.metadata, ["Running"]);
    const ran = Date.now() - started;
    // Let upkeep accrue a few more rounds: a finished job must not go on costing.
    await new Promise((r) => setTimeout(r, 3_000));
    const samples = await health.stop();
    const notReady = samples.filter((h) => [...h.values()].some((v) => v !== "ready")).length;
    const fenced = s.recorder.statuses().filter((r) => r.report.statuses.some((st) => st.reason === "fenced")).length;

    const now = Date.now();
    const costs = await s.api.call<{ items: CostItem[] }>(
      "GET",
      `/api/v1/costs?groupBy=workload&from=${new Date(now - 24 * HOURS).toISOString()}&to=${new Date(now + 24 * HOURS).toISOString()}`,
    );
    const billed = (name: string) => costs.body.items.find((i) => i.key.endsWith(name))?.compute ?? 0;
    // 16 GPUs for 8 s at the cluster's price, with room for accrual rounds (every 0.5 s) and start-up.
    const fair = (cluster: string) => (16 * (PRICE[cluster] ?? 0) * 8) / 3_600;
    const result = await s.verify((w) => (w.type === "job" ? ["Succeeded"] : ["Running"]));
    writeFigures({
      scenario: "clock-skew",
      database,
      figures: {
        not_ready_samples: notReady,
        fenced_reports: fenced,
        run_s: seconds(ran),
        billed_ahead_usd: Math.round(billed("skew-ahead") * 10_000) / 10_000,
        billed_behind_usd: Math.round(billed("skew-behind") * 10_000) / 10_000,
        fair_usd: Math.round(fair("alpha") * 10_000) / 10_000,
      },
      lost: result.lost.length,
      doubleRuns: result.doubles.length,
      notes: [
        `alpha's agent clock +3 h, beta's −3 h (Date shifted in the agent process; monotonic time true); jobs of 16 GPUs × 8 s; fair bill $${fair("alpha").toFixed(4)} on alpha, $${fair("beta").toFixed(4)} on beta.`,
      ],
    });

    expect(costs.status).toBe(200);
    expect(placed).toEqual({ ahead: ["alpha"], behind: ["beta"] });
    expect(notReady).toBe(0);
    expect(fenced).toBe(0);
    expect(billed("skew-ahead")).toBeGreaterThan(fair("alpha") * 0.5);
    expect(billed("skew-ahead")).toBeLessThan(fair("alpha") * 2);
    expect(billed("skew-behind")).toBeGreaterThan(fair("beta") * 0.5);
    expect(billed("skew-behind")).toBeLessThan(fair("beta") * 2);
    expect(result.lost).toEqual([]);
    expect(result.doubles).toEqual([]);
  });
});
