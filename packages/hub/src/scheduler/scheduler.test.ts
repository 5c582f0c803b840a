import { type CapacityReport, ClusterDescription, type Workload } from "@gantry/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMetrics } from "../metrics.ts";
import { aWorkload } from "../placement/testing/builders.ts";
import { createStore, type OpenDatabase, openDatabase, type Store } from "../store/index.ts";
import { silentLogger } from "../util/logger.ts";
import { batchSize } from "./pass.ts";
import { createScheduler } from "./scheduler.ts";

const oneH100Node = (): CapacityReport => ({
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
});

describe("scheduler pass with several workloads waiting", () => {
  let database: OpenDatabase;
  let store: Store;
  const at = new Date();

  beforeAll(async () => {
    database = await openDatabase({ dataDir: "memory://" });
    store = createStore(database.db);
    const clusters = [
      { name: "us", tier: "cloud", region: "us-east-1", pricing: { gpuHour: { H100: 2 } } },
      { name: "eu", tier: "cloud", region: "eu-west-1", pricing: { gpuHour: { H100: 3 } } },
    ];
    for (const c of clusters) {
      const description = ClusterDescription.parse(c);
      await store.clusters.announce({ description, agentId: c.name, driver: "sim", agentVersion: "test", at });
      await store.clusters.heartbeat(c.name, oneH100Node(), at);
    }
  }, 60_000);

  afterAll(async () => {
    await database.close();
  });

  const run = async (workloads: Workload[], batchLimit?: number, metrics = createMetrics()) => {
    for (const [i, w] of workloads.entries()) await store.workloads.create(w, new Date(at.getTime() + i));
    const scheduler = createScheduler({
      store,
      clock: { now: () => new Date(at.getTime() + 1000) },
      logger: silentLogger(),
      thresholds: { unknownAfterMs: 60_000, offlineAfterMs: 120_000 },
      onDesiredStateChanged: () => undefined,
      metrics,
      ...(batchLimit === undefined ? {} : { batchLimit }),
    });
    await scheduler.kick();
    await scheduler.idle();
    const out: Record<string, string> = {};
    for (const w of workloads) {
      const row = await store.workloads.get(w.metadata.name);
      out[w.metadata.name] = `${row?.phase}:${row?.placements.map((p) => p.cluster).join(",")}`;
      await store.workloads.delete(w.metadata.name);
    }
    return out;
  };

  const flexible = (name: string) => aWorkload({ resources: { gpu: { count: 8 } } }, name);
  const pinned = (name: string) =>
    aWorkload({ resources: { gpu: { count: 8 } }, placement: { regions: ["us-*"] } }, name);

  it("decides them as one batch, so the older flexible workload does not strand the pinned one", async () => {
    const metrics = createMetrics();
    expect(await run([flexible("flex-1"), pinned("pin-1")], undefined, metrics)).toEqual({
      "flex-1": "Placed:eu",
      "pin-1": "Placed:us",
    });
    expect((await metrics.batches.get()).values).toEqual([{ labels: { result: "kept" }, value: 1 }]);
  });

  it("decides in queue order alone above the batch limit: the older workload takes the cheap cluster", async () => {
    expect(await run([flexible("flex-2"), pinned("pin-2")], 1)).toEqual({ "flex-2": "Placed:us", "pin-2": "Pending:" });
  });
});

describe("batchSize", () => {
  it("batches up to the limit on a small fleet, fewer as the fleet grows, never more than wait", () => {
    expect(batchSize(500, 50, 200)).toBe(200);
    expect(batchSize(500, 1_000, 200)).toBe(44);
    expect(batchSize(500, 10_000, 200)).toBe(14);
    expect(batchSize(3, 50, 200)).toBe(3);
    expect(batchSize(500, 50, 0)).toBe(0);
  });
});
