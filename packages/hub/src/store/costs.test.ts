import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { statusTransition } from "../scheduler/phase.ts";
import type { Store } from "./index.ts";
import { costLedger } from "./schema.ts";
import {
  aDecision,
  aStatus,
  at,
  aWorkload,
  KINDS,
  openTestStore,
  registered,
  type TestStore,
} from "./testing/fixtures.ts";

describe.each(KINDS)("cost accrual on %s", (kind) => {
  let t: TestStore;
  let store: Store;

  beforeAll(async () => {
    t = await openTestStore(kind);
    store = t.store;
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  /** A job of `replicas` × 4 GPUs placed on `cluster` at $2 a GPU-hour. */
  const placed = async (name: string, replicas: number, cluster: string) => {
    const { row } = await store.workloads.create(aWorkload(name, { replicas }, "team-c"), at(0));
    const decision = aDecision([{ cluster, replicas, pricePerGpuHour: 2 }]);
    expect(
      await store.placing.place(row.uid, { decisionId: randomUUID(), decision, reservations: [], at: at(0) }),
    ).toBe(true);
    return row;
  };

  it("bills ready replicas × GPUs × price × hours once per stretch, a finished job up to its end only", async () => {
    const [x] = await registered(store, "accrue-x");
    const running = await placed("long", 2, x!);
    const finished = await placed("short", 1, x!);
    await store.placing.applyStatuses(
      x!,
      1,
      [
        aStatus(running, 1, { replicas: 2, readyReplicas: 2, startedAt: at(0).toISOString() }),
        aStatus(finished, 1, {
          phase: "Succeeded",
          readyReplicas: 0,
          startedAt: at(0).toISOString(),
          finishedAt: at(1_800).toISOString(),
        }),
      ],
      at(1),
      statusTransition,
    );
    // Worked by hand: long 2 × 4 GPUs × $2 × 1 h = $16; short 1 × 4 × $2 × 0.5 h = $4.
    expect(await store.costs.accrue(at(3_600))).toBeCloseTo(20, 9);
    const rows = await store.db.select().from(costLedger).where(eq(costLedger.uid, running.uid));
    expect(rows.map((r) => ({ ...r, id: 0 }))).toEqual([
      {
        id: 0,
        uid: running.uid,
        workload: "long",
        tenant: "team-c",
        cluster: x,
        pool: null,
        policy: null,
        kind: "compute",
        usd: 16,
        startAt: at(0),
        endAt: at(3_600),
      },
    ]);
    // The same instant again: nothing more to bill.
    expect(await store.costs.accrue(at(3_600))).toBe(0);
    // An hour later only the running job adds: $16; the finished one was billed to its end.
    expect(await store.costs.accrue(at(7_200))).toBeCloseTo(16, 9);
    expect(await store.costs.tenantSpend("team-c", at(0))).toBeCloseTo(36, 9);
    const byWorkload = await store.costs.report("workload", at(0), at(7_200));
    expect(byWorkload.map((r) => [r.key, Math.round(r.compute * 1e6) / 1e6]).sort()).toEqual([
      ["long", 32],
      ["short", 4],
    ]);
  });
});
