import type { Fleet, FleetCluster, Workload } from "@gantry/shared";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { compileFleet } from "../placement/index.ts";
import { fleetArb, workloadArb } from "../placement/testing/arbitraries.ts";
import type { WorkloadRow } from "../store/index.ts";
import { silentLogger } from "../util/logger.ts";
import { type Engine, inProcessEngine, type SliceRequest } from "./engine.ts";
import { createEngineWorker } from "./engine-worker.ts";
import type { SlicePlan } from "./plan-slice.ts";
import { aWorkloadRow } from "./testing/rows.ts";

const NOW = new Date("2026-12-02T12:00:00Z");

const rowOf = (manifest: Workload, i: number): WorkloadRow =>
  aWorkloadRow(manifest, { uid: `uid-${i}`, createdAt: new Date(NOW.getTime() - (100 - i) * 1000) });

const requestOn = (fleet: Fleet, candidates: WorkloadRow[]): SliceRequest => ({
  candidates,
  fleet,
  compiled: compileFleet(fleet),
  policies: [],
  usage: new Map(),
  queuedGpus: new Map(),
  now: NOW,
  options: { batch: true, batchLimit: 4 },
});

/** What a plan decided, by workload name (rows are compared by name: the thread's come back by index). */
const summary = (p: SlicePlan) => ({
  placed: p.chosen.placed.map(({ row, outcome }) => [row.name, outcome.decision]),
  unplaced: p.chosen.unplaced.map(({ row, outcome }) => [row.name, outcome.decision.summary]),
  failed: p.chosen.failed.map(({ row }) => row.name),
  batch: p.batch,
});

/** Usage moved on the clusters at `at`: new objects, as the fleet view makes them. */
const busier = (clusters: readonly FleetCluster[], at: number[]): FleetCluster[] =>
  clusters.map((c, i) =>
    at.includes(i) ? { ...c, nodes: c.nodes.map((n) => ({ ...n, gpusUsed: n.gpu?.count ?? 0, cpuUsed: n.cpu })) } : c,
  );

describe("the engine thread", () => {
  const worker = createEngineWorker({ logger: silentLogger() });
  const local: Engine = inProcessEngine(() => undefined);
  afterAll(() => worker.close());

  const both = async (r: SliceRequest) => {
    const durations: number[] = [];
    const there = await worker.planSlice(r, (s) => durations.push(s));
    const here = await local.planSlice(r, () => undefined);
    expect(summary(there)).toEqual(summary(here));
    // The hub's histogram hears every decision the thread made.
    expect(durations.length).toBeGreaterThanOrEqual(r.candidates.length);
    return there;
  };

  it("decides as the event loop does: on the whole fleet, on the clusters that changed, on a fleet that grew", async () => {
    const [fleet] = fc.sample(fleetArb, { seed: 12, numRuns: 1 });
    const workloads = fc.sample(fc.tuple(...Array.from({ length: 8 }, (_, i) => workloadArb(`w${i}`))), {
      seed: 7,
      numRuns: 1,
    })[0]!;
    const rows = workloads.map(rowOf);
    await both(requestOn(fleet!, rows));
    // Two clusters filled up: the thread hears of those two only, and must decide as if it had the whole fleet.
    const fuller = { ...fleet!, clusters: busier(fleet!.clusters, [0, 1]) };
    await both(requestOn(fuller, rows));
    // Then freed again, with the rest of the fleet unchanged.
    await both(requestOn({ ...fuller, clusters: busier(fleet!.clusters, []) }, rows));
    const grown = { ...fleet!, clusters: [...fleet!.clusters, { ...fleet!.clusters[0]!, name: "zz-new" }] };
    await both(requestOn(grown, rows));
  });

  it("fails the slice of a thread that exits, instead of waiting for it", async () => {
    const [fleet] = fc.sample(fleetArb, { seed: 4, numRuns: 1 });
    const rows = fc.sample(workloadArb("w"), { seed: 6, numRuns: 2 }).map(rowOf);
    // A thread that ends as soon as it hears anything (a crash, an out-of-memory kill of the isolate).
    const dying = createEngineWorker({
      logger: silentLogger(),
      thread: { code: `require("node:worker_threads").parentPort.on("message", () => process.exit(3))` },
    });
    await expect(dying.planSlice(requestOn(fleet!, rows), () => undefined)).rejects.toThrow("exited (code 3)");
    // And again with a new thread: one that died is never reused.
    await expect(dying.planSlice(requestOn(fleet!, rows), () => undefined)).rejects.toThrow("exited (code 3)");
    await dying.close();
  });

  it("fails a slice it cannot send, and sends the whole fleet with the next", async () => {
    const [fleet] = fc.sample(fleetArb, { seed: 3, numRuns: 1 });
    const rows = fc.sample(workloadArb("w"), { seed: 5, numRuns: 3 }).map(rowOf);
    await both(requestOn(fleet!, rows));
    // A row the thread cannot be sent (a function is not cloneable): the slice fails, nothing is half-sent.
    const bad = [{ ...rows[0]!, manifest: { ...rows[0]!.manifest, toJSON: () => "" } } as unknown as WorkloadRow];
    const fuller = { ...fleet!, clusters: busier(fleet!.clusters, [0]) };
    await expect(worker.planSlice(requestOn(fuller, bad), () => undefined)).rejects.toThrow();
    await both(requestOn(fuller, rows));
  });
});
