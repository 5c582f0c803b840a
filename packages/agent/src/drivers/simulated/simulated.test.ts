import {
  FleetCluster,
  type FleetClusterInput,
  type NodeGroupInput,
  Placement,
  type WorkloadSpecInput,
} from "@gantry/shared";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { driverContract } from "../driver.contract.ts";
import type { ClusterDriver } from "../driver.ts";
import * as load from "./load.ts";
import { createSimulatedDriver } from "./simulated.ts";

const aNodeGroup = (over: Partial<NodeGroupInput> = {}): NodeGroupInput => ({
  name: "a100",
  count: 2,
  gpu: { model: "A100", count: 8, memoryGiB: 80 },
  cpu: 64,
  memoryGiB: 512,
  ...over,
});

const aCluster = (over: Partial<FleetClusterInput> = {}): FleetCluster =>
  FleetCluster.parse({ name: "sim", tier: "onprem", nodes: [aNodeGroup()], ...over });

const aPlacement = (
  name: string,
  o: { replicas?: number; gpus?: number; generation?: number; spec?: Partial<WorkloadSpecInput> } = {},
): Placement =>
  Placement.parse({
    uid: `uid-${name}`,
    workload: name,
    tenant: "team-a",
    cluster: "sim",
    replicas: o.replicas ?? 1,
    generation: o.generation ?? 1,
    decisionId: `d-${name}-${o.generation ?? 1}`,
    spec: {
      type: "service",
      replicas: o.replicas ?? 1,
      resources: { gpu: { count: o.gpus ?? 1 }, cpu: 1, memoryGiB: 4 },
      ...o.spec,
    },
  });

driverContract("simulated", async () => ({
  driver: createSimulatedDriver({ cluster: aCluster(), now: () => new Date(), secondsPerHour: 3600, tickMs: 10 }),
  placement: (name, shape) => aPlacement(name, shape),
}));

/** A simulated cluster on a clock the test moves; `tick()` runs the driver's periodic step once. */
const simulated = (cluster: FleetCluster, secondsPerHour = 10) => {
  let t = Date.parse("2026-01-01T00:00:00Z");
  const driver = createSimulatedDriver({ cluster, now: () => new Date(t), secondsPerHour, tickMs: 1_000 });
  return {
    driver,
    advance(ms: number) {
      t += ms;
      vi.advanceTimersByTime(1_000);
    },
  };
};

const usedPerNode = (d: ClusterDriver) => Object.fromEntries(d.capacity().nodes.map((n) => [n.name, n.gpusUsed]));
const statusOf = async (d: ClusterDriver, workload: string) =>
  (await d.statuses()).find((s) => s.workload === workload);

describe("simulated driver", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("names nodes after their group, with an index when the group stands for several", () => {
    const { driver } = simulated(
      aCluster({ nodes: [aNodeGroup({ name: "big", count: 2 }), aNodeGroup({ name: "one", count: 1 })] }),
    );
    expect(driver.capacity().nodes.map((n) => n.name)).toEqual(["big-0", "big-1", "one"]);
    expect(driver.capacity().nodes.every((n) => n.count === 1)).toBe(true);
  });

  it("describes the cluster without its nodes or health", () => {
    const { driver } = simulated(aCluster({ region: "eu-1", health: "offline" }));
    expect(driver.describe()).toMatchObject({ name: "sim", tier: "onprem", region: "eu-1" });
    expect(driver.describe()).not.toHaveProperty("nodes");
    expect(driver.describe()).not.toHaveProperty("health");
  });

  it("runs a job for durationHours × secondsPerHour, then reports it succeeded and frees its GPUs", async () => {
    const sim = simulated(aCluster(), 10);
    await sim.driver.start();
    const job = aPlacement("train", { replicas: 2, gpus: 4, spec: { type: "job", durationHours: 0.5 } });
    await sim.driver.reconcile([job]);
    expect(await statusOf(sim.driver, "train")).toMatchObject({ phase: "Running", readyReplicas: 2 });
    expect(Object.values(usedPerNode(sim.driver)).reduce((a, b) => a + b)).toBe(8);

    sim.advance(4_999);
    expect((await statusOf(sim.driver, "train"))?.phase).toBe("Running");

    sim.advance(1);
    const done = await statusOf(sim.driver, "train");
    expect(done).toMatchObject({ phase: "Succeeded", message: "2/2 replicas completed", readyReplicas: 0 });
    expect(done?.finishedAt).toBe("2026-01-01T00:00:05.000Z");
    expect(done?.startedAt).toBe("2026-01-01T00:00:00.000Z");
    expect(usedPerNode(sim.driver)).toEqual({ "a100-0": 0, "a100-1": 0 });
    await sim.driver.close();
  });

  /** A job of `durationHours` (10 s per hour) on a clock the test moves, with its replica 0's logs followed. */
  const followedJob = async (name: string, durationHours: number) => {
    let t = Date.parse("2026-01-01T00:00:00Z");
    const driver = createSimulatedDriver({
      cluster: aCluster(),
      now: () => new Date(t),
      secondsPerHour: 10,
      tickMs: 20,
    });
    await driver.start();
    const job = aPlacement(name, { spec: { type: "job", durationHours } });
    await driver.reconcile([job]);
    const it = driver.logs!({ uid: job.uid, replica: 0, follow: true, signal: new AbortController().signal })[
      Symbol.asyncIterator
    ]();
    const rest = async () => {
      const lines: string[] = [];
      for (let next = await it.next(); !next.done; next = await it.next()) lines.push(...next.value);
      return lines;
    };
    const advance = (ms: number) => {
      t += ms;
    };
    return { driver, it, rest, advance };
  };

  it("sends a followed job's last lines even when it is released before the follow looks again", async () => {
    const { driver, it, rest, advance } = await followedJob("short", 0.5);
    const lines = [...((await it.next()).value ?? [])];
    expect(lines).toEqual(["2026-01-01T00:00:00.000Z replica 0 of short started on a100-0"]);
    // The job completes, and the hub ends its placement at once (the agent reconciles it away), within one tick.
    advance(5_000);
    vi.advanceTimersByTime(20);
    expect((await statusOf(driver, "short"))?.phase).toBe("Succeeded");
    await driver.reconcile([]);
    lines.push(...(await rest()));
    expect(lines.at(-2)).toBe("2026-01-01T00:00:05.000Z step 10/10 (100%) done");
    expect(lines.at(-1)).toBe("2026-01-01T00:00:05.000Z replica 0 of short completed");
    await driver.close();
  });

  it("ends a followed replica's stream when it is released before it ends, with nothing after its release", async () => {
    const { driver, it, rest, advance } = await followedJob("long", 1);
    await it.next();
    await driver.reconcile([]);
    advance(10_000);
    expect(await rest()).toEqual([]);
    await driver.close();
  });

  it("runs a job without a duration for one simulated hour", async () => {
    const sim = simulated(aCluster(), 10);
    await sim.driver.start();
    await sim.driver.reconcile([aPlacement("j", { spec: { type: "job" } })]);
    sim.advance(9_999);
    expect((await statusOf(sim.driver, "j"))?.phase).toBe("Running");
    sim.advance(1);
    expect((await statusOf(sim.driver, "j"))?.phase).toBe("Succeeded");
    await sim.driver.close();
  });

  it("keeps a service running however long it runs", async () => {
    const sim = simulated(aCluster(), 10);
    await sim.driver.start();
    await sim.driver.reconcile([aPlacement("svc", { spec: { durationHours: 0.1 } })]);
    sim.advance(3_600_000);
    expect(await statusOf(sim.driver, "svc")).toMatchObject({ phase: "Running", readyReplicas: 1 });
    await sim.driver.close();
  });

  it("tells its listeners when a job finishes", async () => {
    const sim = simulated(aCluster(), 10);
    await sim.driver.start();
    await sim.driver.reconcile([aPlacement("j", { spec: { type: "job", durationHours: 0.1 } })]);
    const listener = vi.fn();
    sim.driver.onChange(listener);
    sim.advance(500);
    expect(listener).not.toHaveBeenCalled();
    sim.advance(500);
    expect(listener).toHaveBeenCalledTimes(1);
    await sim.driver.close();
  });

  it("starts a gang only when every replica fits, and takes nothing until then", async () => {
    const sim = simulated(aCluster(), 10);
    await sim.driver.start();
    await sim.driver.reconcile([aPlacement("gang", { replicas: 3, gpus: 8, spec: { type: "job", gang: true } })]);
    expect(await statusOf(sim.driver, "gang")).toMatchObject({ phase: "Pending", readyReplicas: 0 });
    expect(usedPerNode(sim.driver)).toEqual({ "a100-0": 0, "a100-1": 0 });
    expect(sim.driver.capacity().accountedWorkloads).toEqual([]);
  });

  it("starts what fits of a workload that is not a gang", async () => {
    const sim = simulated(aCluster(), 10);
    await sim.driver.start();
    await sim.driver.reconcile([aPlacement("loose", { replicas: 3, gpus: 8, spec: { type: "job", gang: false } })]);
    expect(await statusOf(sim.driver, "loose")).toMatchObject({ phase: "Running", readyReplicas: 2 });
    expect(usedPerNode(sim.driver)).toEqual({ "a100-0": 8, "a100-1": 8 });
  });

  it("starts a waiting gang once the capacity it needs is freed", async () => {
    const sim = simulated(aCluster(), 10);
    await sim.driver.start();
    const blocker = aPlacement("blocker", { gpus: 4 });
    const gang = aPlacement("gang", { replicas: 2, gpus: 8, spec: { type: "job", gang: true } });
    await sim.driver.reconcile([blocker, gang]);
    expect((await statusOf(sim.driver, "gang"))?.phase).toBe("Pending");
    await sim.driver.reconcile([gang]);
    expect(await statusOf(sim.driver, "gang")).toMatchObject({ phase: "Running", readyReplicas: 2 });
  });

  it("puts a replica on the fullest node that fits, so big blocks stay whole", async () => {
    const cluster = aCluster({
      nodes: [
        aNodeGroup({ name: "big", count: 1 }),
        aNodeGroup({ name: "half", count: 1, gpu: { model: "A100", count: 4, memoryGiB: 80 } }),
      ],
    });
    const sim = simulated(cluster);
    await sim.driver.start();
    await sim.driver.reconcile([aPlacement("small", { gpus: 2 })]);
    expect(usedPerNode(sim.driver)).toEqual({ big: 0, half: 2 });
    await sim.driver.reconcile([aPlacement("small", { gpus: 2 }), aPlacement("whole", { gpus: 8 })]);
    expect(usedPerNode(sim.driver)).toEqual({ big: 8, half: 2 });
    expect((await statusOf(sim.driver, "whole"))?.phase).toBe("Running");
  });

  it("packs replicas onto one node of identical ones", async () => {
    const sim = simulated(aCluster());
    await sim.driver.start();
    await sim.driver.reconcile([aPlacement("a", { replicas: 2, gpus: 4 })]);
    expect(usedPerNode(sim.driver)).toEqual({ "a100-0": 8, "a100-1": 0 });
  });

  it("explains a pending placement with the largest free block of an acceptable model", async () => {
    const cluster = aCluster({
      nodes: [
        aNodeGroup({ name: "busy", count: 1, gpusUsed: 5 }),
        aNodeGroup({ name: "small", count: 1, gpu: { model: "A100", count: 4, memoryGiB: 80 } }),
        aNodeGroup({ name: "other", count: 1, gpu: { model: "L4", count: 8, memoryGiB: 24 } }),
      ],
    });
    const sim = simulated(cluster);
    await sim.driver.start();
    const p = aPlacement("wide", { gpus: 6 });
    await sim.driver.reconcile([
      {
        ...p,
        spec: { ...p.spec, resources: { ...p.spec.resources, gpu: { count: 6, models: ["A100"], minMemoryGiB: 0 } } },
      },
    ]);
    const s = await statusOf(sim.driver, "wide");
    expect(s?.phase).toBe("Pending");
    expect(s?.message).toBe("Unschedulable: 0/1 replicas fit; needs 6 free GPUs on one node, largest free block is 4");
    expect(s?.events).toEqual([s?.message]);
  });

  it("uses the placement's GPU model over the workload's list", async () => {
    const cluster = aCluster({
      nodes: [
        aNodeGroup({ name: "a", count: 1 }),
        aNodeGroup({ name: "h", count: 1, gpu: { model: "H100", count: 8, memoryGiB: 80 } }),
      ],
    });
    const sim = simulated(cluster);
    await sim.driver.start();
    await sim.driver.reconcile([{ ...aPlacement("pinned", { gpus: 2 }), gpuModel: "H100" }]);
    expect(usedPerNode(sim.driver)).toEqual({ a: 0, h: 2 });
  });

  it("does not place on nodes that are not ready or not schedulable", async () => {
    const cluster = aCluster({
      nodes: [
        aNodeGroup({ name: "down", count: 1, ready: false }),
        aNodeGroup({ name: "cordoned", count: 1, schedulable: false }),
      ],
    });
    const sim = simulated(cluster);
    await sim.driver.start();
    await sim.driver.reconcile([aPlacement("w", { gpus: 1 })]);
    const s = await statusOf(sim.driver, "w");
    expect(s?.phase).toBe("Pending");
    expect(s?.message).toMatch(/largest free block is 0$/);
    expect(usedPerNode(sim.driver)).toEqual({ down: 0, cordoned: 0 });
  });
});

describe("simulated driver: serving load from a trace", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const autoscaled = (replicas: number, routing?: Record<string, number>) =>
    Placement.parse({
      ...aPlacement("chat", {
        replicas,
        spec: {
          autoscaling: { maxReplicas: 10, target: 1, coldStartSeconds: 10 },
          serving: { latencySloMs: 300, replicaRequestsPerSecond: 5 },
        },
      }),
      ...(routing ? { routing } : {}),
    });

  it("serves its routed share of the trace, counts replicas ready after the cold start, and scales in place", async () => {
    let t = Date.parse("2026-01-01T00:00:00Z");
    const trace = load.LoadTrace.parse({
      kind: "points",
      interpolation: "step",
      points: [
        { atSeconds: 0, rps: { "eu-west": 8, "us-east": 4 } },
        { atSeconds: 100, rps: { "eu-west": 40, "us-east": 4 } },
      ],
    });
    const driver = createSimulatedDriver({
      cluster: aCluster({ nodes: [aNodeGroup({ count: 2 })] }),
      now: () => new Date(t),
      secondsPerHour: 10,
      tickMs: 1_000,
      // Ten trace seconds per real second: the step at trace time 100 comes 10 s in.
      load: { trace, startedAtMs: t, offsetSeconds: 0, speed: 10 },
    });
    await driver.start();
    await driver.reconcile([autoscaled(2, { "eu-west": 0.5 })]);
    const first = (await driver.servingSignals!())[0]!;
    expect(first).toMatchObject({ workload: "chat", replicas: 2, readyReplicas: 0, requestsPerSecond: 4 });
    expect(first.byRegion).toEqual({ "eu-west": 4 });
    expect(first.modelLoadSeconds).toBe(10);

    t += 11_000;
    vi.advanceTimersByTime(1_000);
    const surge = (await driver.servingSignals!())[0]!;
    expect(surge).toMatchObject({ readyReplicas: 2, requestsPerSecond: 20 });
    // 20 req/s on two replicas of 5 req/s: overloaded, a backlog builds.
    expect(surge.queueDepth).toBeGreaterThan(0);

    // Scaled out: the two running replicas stay ready, the new ones load.
    await driver.reconcile([autoscaled(4, { "eu-west": 0.5 })]);
    const scaled = (await driver.servingSignals!())[0]!;
    expect(scaled).toMatchObject({ replicas: 4, readyReplicas: 2 });
    t += 10_000;
    vi.advanceTimersByTime(1_000);
    expect((await driver.servingSignals!())[0]).toMatchObject({ readyReplicas: 4 });
    expect(await statusOf(driver, "chat")).toMatchObject({ phase: "Running", readyReplicas: 4 });
    await driver.close();
  });

  it("sends no traffic to a service the load balancer has no weight for yet", async () => {
    const t = Date.parse("2026-01-01T00:00:00Z");
    const trace = load.LoadTrace.parse({ kind: "points", points: [{ atSeconds: 0, rps: { "eu-west": 8 } }] });
    const driver = createSimulatedDriver({
      cluster: aCluster(),
      now: () => new Date(t),
      secondsPerHour: 10,
      load: { trace, startedAtMs: t, offsetSeconds: 0, speed: 1 },
    });
    await driver.reconcile([autoscaled(1)]);
    expect((await driver.servingSignals!())[0]).toMatchObject({ requestsPerSecond: 0, concurrency: 0 });
  });
});
