import { API_VERSION, BurstPolicy, type BurstPolicyInput, type CapacityReport, type Workload } from "@gantry/shared";
import { eq } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFleetView, type FleetView } from "../fleet/view.ts";
import { createMetrics } from "../metrics.ts";
import { aWorkload } from "../placement/testing/builders.ts";
import type { FencedError, Store } from "../store/index.ts";
import { decisions, workloads } from "../store/schema.ts";
import { KINDS, openTestStore, type TestStore, unique } from "../store/testing/fixtures.ts";
import { silentLogger } from "../util/logger.ts";
import { type Engine, inProcessEngine } from "./engine.ts";
import { batchSize, MIN_SLICE } from "./pass.ts";
import { createScheduler } from "./scheduler.ts";

const at = new Date("2026-06-01T00:00:00Z");
const clock = { now: () => new Date(at.getTime() + 1000) };
const thresholds = { unknownAfterMs: 60_000, offlineAfterMs: 120_000 };

const oneH100Node = (accounted: CapacityReport["accountedWorkloads"] = []): CapacityReport => ({
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
  accountedWorkloads: accounted,
  datasets: [],
});

const pricing = (usd: number) => ({ gpuHour: { H100: usd }, spotGpuHour: {}, egressPerGB: 0 });

describe.each(KINDS)("scheduler on %s", (kind) => {
  let t: TestStore;
  let store: Store;
  let view: FleetView;
  let epoch: number;

  beforeAll(async () => {
    t = await openTestStore(kind);
    store = t.store;
    await store.clusters.register("us", { tier: "cloud", region: "us-east-1", pricing: pricing(2) }, at);
    await store.clusters.register("eu", { tier: "cloud", region: "eu-west-1", pricing: pricing(3) }, at);
    // An agent that announced itself, cheapest of all, but was never approved: it must get no work.
    await store.clusters.announce({
      name: "rogue",
      reported: {
        name: "rogue",
        tier: "cloud",
        provider: "",
        region: "us-east-2",
        zone: "",
        labels: {},
        taints: [],
        pricing: pricing(0.1),
      },
      agentId: "rogue-agent",
      driver: "sim",
      agentVersion: "test",
      at,
    });
    view = createFleetView({ clock, thresholds });
    view.load(await store.clusters.list());
    for (const c of ["us", "eu", "rogue"]) view.heartbeat(c, oneH100Node());
    epoch = (await store.leases.acquire("leader", "hub-test", 3_600_000))!.epoch;
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  const schedulerWith = (
    over: {
      epoch?: () => number | undefined;
      batchLimit?: number;
      placeChunk?: number;
      sliceBudgetMs?: number;
      metrics?: ReturnType<typeof createMetrics>;
      store?: Store;
      engine?: Engine;
    } = {},
  ) => {
    const fenced: FencedError[] = [];
    let published = 0;
    const scheduler = createScheduler({
      store: over.store ?? store,
      view,
      clock,
      logger: silentLogger(),
      epoch: over.epoch ?? (() => epoch),
      onFenced: (e) => fenced.push(e),
      onDesiredStateChanged: () => {
        published++;
      },
      metrics: over.metrics ?? createMetrics(),
      ...(over.batchLimit === undefined ? {} : { batchLimit: over.batchLimit }),
      ...(over.placeChunk === undefined ? {} : { placeChunk: over.placeChunk }),
      ...(over.sliceBudgetMs === undefined ? {} : { sliceBudgetMs: over.sliceBudgetMs }),
      ...(over.engine === undefined ? {} : { engine: over.engine }),
    });
    return { scheduler, fenced, published: () => published };
  };

  /** The engine on the event loop, telling `ask` of every slice it is asked to decide. */
  const spyEngine = (ask: (request: Parameters<Engine["planSlice"]>[0]) => void | Promise<void>): Engine => {
    const inner = inProcessEngine(() => undefined);
    return {
      planSlice: async (request, observe) => {
        await ask(request);
        return inner.planSlice(request, observe);
      },
      close: () => inner.close(),
    };
  };

  /** Submit, run one pass, and say where each went (`phase:clusters`); then remove them. */
  const run = async (ws: Workload[], over: Parameters<typeof schedulerWith>[0] = {}, keep = false) => {
    for (const [i, w] of ws.entries()) await store.workloads.create(w, new Date(at.getTime() + i));
    const { scheduler, fenced, published } = schedulerWith(over);
    await scheduler.kick();
    await scheduler.idle();
    scheduler.close();
    const out: Record<string, string> = {};
    for (const w of ws) {
      const row = await store.workloads.get(w.metadata.tenant, w.metadata.name);
      out[w.metadata.name] = `${row?.phase}:${row?.placements
        .filter((p) => p.active)
        .map((p) => p.cluster)
        .join(",")}`;
      if (!keep) await store.workloads.delete(w.metadata.tenant, w.metadata.name, at);
    }
    return { out, fenced, published: published() };
  };

  it("warms the engine with the fleet and no workloads on a large fleet, and leaves it alone on a small one", async () => {
    const requests: { clusters: number; candidates: number }[] = [];
    const engine: Engine = {
      planSlice: async (r) => {
        requests.push({ clusters: r.fleet.clusters.length, candidates: r.candidates.length });
        return { chosen: { placed: [], unplaced: [], failed: [] }, decideMs: 0, batchMs: 0 };
      },
      close: async () => undefined,
    };
    const warmer = (warmFromClusters: number, leads: () => number | undefined = () => epoch) =>
      createScheduler({
        store,
        view,
        clock,
        logger: silentLogger(),
        epoch: leads,
        onFenced: () => undefined,
        onDesiredStateChanged: () => undefined,
        engine,
        warmFromClusters,
      });
    const n = (await warmer(0).snapshot()).fleet.clusters.length;
    expect(n).toBeGreaterThan(0);
    await warmer(n + 1).warm();
    expect(requests).toEqual([]);
    await warmer(n).warm();
    expect(requests).toEqual([{ clusters: n, candidates: 0 }]);
    // A replica that does not lead has nothing to warm.
    await warmer(0, () => undefined).warm();
    expect(requests).toHaveLength(1);
  });

  const flexible = (name: string) => aWorkload({ resources: { gpu: { count: 8 } } }, name);
  const pinned = (name: string) =>
    aWorkload({ resources: { gpu: { count: 8 } }, placement: { regions: ["us-*"] } }, name);

  it("decides waiting workloads as one batch, so the older flexible one does not strand the pinned one", async () => {
    const metrics = createMetrics();
    const { out, published } = await run([flexible(unique("flex")), pinned(unique("pin"))], { metrics });
    expect(Object.values(out)).toEqual(["Placed:eu", "Placed:us"]);
    // The relay is told as each chunk of placements commits (one transaction for both here), not once per pass.
    expect(published).toBe(1);
    expect((await metrics.batches.get()).values).toEqual([{ labels: { result: "kept" }, value: 1 }]);
  });

  it("commits a pass's placements in chunks and tells the relay after each one", async () => {
    const small = Array.from({ length: 5 }, () => aWorkload({ resources: { gpu: { count: 1 } } }, unique("s")));
    const { out, published } = await run(small, { placeChunk: 2 });
    expect(Object.values(out).every((o) => o.startsWith("Placed:"))).toBe(true);
    // 5 placements, 2 per transaction: 3 commits, 3 publishes.
    expect(published).toBe(3);
  });

  it("stops a pass that close interrupts at its next step, and says so at debug, not as a failure", async () => {
    const small = Array.from({ length: 5 }, () => aWorkload({ resources: { gpu: { count: 1 } } }, unique("c")));
    for (const [i, w] of small.entries()) await store.workloads.create(w, new Date(at.getTime() + i));
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: "debug" }, { write: (line: string) => lines.push(JSON.parse(line)) });
    let chunks = 0;
    let scheduler: ReturnType<typeof createScheduler> | undefined;
    const closing: Store = {
      ...store,
      placing: {
        ...store.placing,
        placeMany: async (items, e) => {
          chunks++;
          const placed = await store.placing.placeMany(items, e);
          // The hub shutting down while the pass writes: what this chunk committed stays, no later chunk is written.
          scheduler?.close();
          return placed;
        },
      },
    };
    scheduler = createScheduler({
      store: closing,
      view,
      clock,
      logger,
      epoch: () => epoch,
      onFenced: () => undefined,
      onDesiredStateChanged: () => undefined,
      placeChunk: 2,
    });
    await scheduler.kick();
    await scheduler.idle();
    expect(chunks).toBe(1);
    const phases = await Promise.all(
      small.map(async (w) => (await store.workloads.get(w.metadata.tenant, w.metadata.name))?.phase),
    );
    expect(phases.filter((p) => p === "Placed")).toHaveLength(2);
    expect(phases.filter((p) => p === "Pending")).toHaveLength(3);
    // Closed: a kick starts nothing.
    await scheduler.kick();
    await scheduler.idle();
    expect(chunks).toBe(1);
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    for (const w of small) await store.workloads.delete(w.metadata.tenant, w.metadata.name, at);
  });

  it("decides a long queue in slices, each on what the last one left, and writes them in queue order", async () => {
    // Record the order of the pass's writes: a slice's placements commit before the next slice records anything.
    const writes: string[] = [];
    const spied: Store = {
      ...store,
      placing: {
        ...store.placing,
        placeMany: (items, e) => {
          writes.push(`place ${items.length}`);
          return store.placing.placeMany(items, e);
        },
        recordUnplaced: (...args) => {
          writes.push("unplaced");
          return store.placing.recordUnplaced(...args);
        },
      },
    };
    // A tiny budget: every slice holds the fewest allowed (MIN_SLICE), once one decision has been measured.
    const { scheduler } = schedulerWith({ store: spied, sliceBudgetMs: 0.001, batchLimit: 0 });
    const warm = aWorkload({ resources: { gpu: { count: 1 } } }, unique("warm"));
    await store.workloads.create(warm, at);
    await scheduler.kick();
    await scheduler.idle();
    writes.length = 0;
    // 15 GPUs left on us and eu together: 20 one-GPU workloads, oldest first.
    const queue = Array.from({ length: 20 }, () => aWorkload({ resources: { gpu: { count: 1 } } }, unique("q")));
    for (const [i, w] of queue.entries()) await store.workloads.create(w, new Date(at.getTime() + 10 + i));
    await scheduler.kick();
    await scheduler.idle();
    scheduler.close();
    // 15 GPUs left: the first slice (MIN_SLICE = 16 workloads) places 15 and commits them; the second (4) is decided
    // with the first slice's reservations, and places none. One slice would record all 5 unplaced first.
    expect(MIN_SLICE).toBe(16);
    expect(writes).toEqual(["unplaced", "place 15", "unplaced", "unplaced", "unplaced", "unplaced"]);
    const phases: (string | undefined)[] = [];
    for (const w of queue) phases.push((await store.workloads.get(w.metadata.tenant, w.metadata.name))?.phase);
    expect(phases).toEqual([...Array(15).fill("Placed"), ...Array(5).fill("Pending")]);
    for (const w of [warm, ...queue]) await store.workloads.delete(w.metadata.tenant, w.metadata.name, at);
  });

  it("decides the next slice while the last one is written, on the capacity the one being written holds", async () => {
    const log: string[] = [];
    let asked = 0;
    let secondAsked: () => void = () => undefined;
    const second = new Promise<void>((resolve) => {
      secondAsked = resolve;
    });
    const seen: string[][] = [];
    const engine = spyEngine((request) => {
      asked++;
      log.push(`decide ${request.candidates.length}`);
      seen.push(request.fleet.reservations.map((r) => r.workload));
      if (asked === 3) secondAsked();
    });
    const slowed: Store = {
      ...store,
      placing: {
        ...store.placing,
        placeMany: async (items, e) => {
          log.push(`place ${items.length}`);
          // The first slice's write waits until the next slice is being decided (or 5 s: then the test fails below).
          if (asked < 3) await Promise.race([second, new Promise((r) => setTimeout(r, 5_000))]);
          const placed = await store.placing.placeMany(items, e);
          log.push(`placed ${placed.size}`);
          return placed;
        },
      },
    };
    const { scheduler } = schedulerWith({ store: slowed, sliceBudgetMs: 0.001, batchLimit: 0, engine });
    const warm = aWorkload({ resources: { gpu: { count: 1 } } }, unique("warm"));
    await store.workloads.create(warm, at);
    await scheduler.kick();
    await scheduler.idle();
    log.length = 0;
    seen.length = 0;
    // 15 GPUs left on us and eu together: 20 one-GPU workloads in two slices (16, then 4).
    const queue = Array.from({ length: 20 }, () => aWorkload({ resources: { gpu: { count: 1 } } }, unique("o")));
    for (const [i, w] of queue.entries()) await store.workloads.create(w, new Date(at.getTime() + 10 + i));
    await scheduler.kick();
    await scheduler.idle();
    scheduler.close();
    expect(log[0]).toBe("decide 16");
    expect([...log].sort()).toEqual(["decide 16", "decide 4", "place 15", "placed 15"]);
    expect(log.indexOf("decide 4")).toBeLessThan(log.indexOf("placed 15"));
    // The second slice was decided on the first one's 15 reservations, not yet stored: it placed none of its 4.
    const uids = new Set(
      await Promise.all(
        queue.slice(0, 15).map(async (w) => (await store.workloads.get(w.metadata.tenant, w.metadata.name))?.uid),
      ),
    );
    expect(seen[1]!.filter((u) => uids.has(u))).toHaveLength(15);
    const phases: (string | undefined)[] = [];
    for (const w of queue) phases.push((await store.workloads.get(w.metadata.tenant, w.metadata.name))?.phase);
    expect(phases).toEqual([...Array(15).fill("Placed"), ...Array(5).fill("Pending")]);
    for (const w of [warm, ...queue]) await store.workloads.delete(w.metadata.tenant, w.metadata.name, at);
  });

  it("decides what was submitted after it read the queue in the same pass, before its last write ends", async () => {
    const log: string[] = [];
    let lateAsked: () => void = () => undefined;
    const asked = new Promise<void>((resolve) => {
      lateAsked = resolve;
    });
    const late = aWorkload({ resources: { gpu: { count: 1 } } }, unique("late"));
    let submitted = false;
    const engine = spyEngine(async (request) => {
      const names = request.candidates.map((c) => c.name);
      log.push(`decide ${names.length}`);
      if (names.includes(late.metadata.name)) lateAsked();
      if (!submitted) {
        // Submitted after the pass read the queue, while it decides its only slice.
        submitted = true;
        await store.workloads.create(late, new Date(at.getTime() + 100));
      }
    });
    let first = true;
    const slowed: Store = {
      ...store,
      placing: {
        ...store.placing,
        placeMany: async (items, e) => {
          log.push(`place ${items.length}`);
          if (first) {
            // The slice's write waits until the pass has asked about the late workload (or 5 s: the test then fails).
            first = false;
            await Promise.race([asked, new Promise((r) => setTimeout(r, 5_000))]);
          }
          const placed = await store.placing.placeMany(items, e);
          log.push(`placed ${placed.size}`);
          return placed;
        },
      },
    };
    const { scheduler } = schedulerWith({ store: slowed, batchLimit: 0, engine });
    const queue = Array.from({ length: 2 }, () => aWorkload({ resources: { gpu: { count: 1 } } }, unique("e")));
    for (const [i, w] of queue.entries()) await store.workloads.create(w, new Date(at.getTime() + i));
    // One kick, one pass: nothing else would decide the late workload.
    await scheduler.kick();
    await scheduler.idle();
    scheduler.close();
    expect(log).toEqual(["decide 2", "place 2", "decide 1", "placed 2", "place 1", "placed 1"]);
    for (const w of [...queue, late]) {
      expect((await store.workloads.get(w.metadata.tenant, w.metadata.name))?.phase).toBe("Placed");
      await store.workloads.delete(w.metadata.tenant, w.metadata.name, at);
    }
  });

  it("holds a burst cap across slices: what the slice being written burst counts against the next", async () => {
    const policy = BurstPolicy.parse({
      apiVersion: API_VERSION,
      kind: "BurstPolicy",
      metadata: { name: unique("cap") },
      spec: {
        pools: [
          { name: "home", selector: { names: ["us"] } },
          { name: "away", selector: { names: ["eu"] } },
        ],
        burst: { whenQueuedGpusAbove: 0 },
        caps: { maxBurstGpus: 2 },
      },
    } satisfies BurstPolicyInput);
    await store.policies.put(policy, at);
    const { scheduler } = schedulerWith({ sliceBudgetMs: 0.001, batchLimit: 0 });
    const warm = aWorkload({ resources: { gpu: { count: 1 } } }, unique("warm"));
    await store.workloads.create(warm, at);
    await scheduler.kick();
    await scheduler.idle();
    // 7 GPUs left at home: 20 one-GPU workloads under the policy, in two slices (16, then 4).
    const queue = Array.from({ length: 20 }, () =>
      aWorkload({ placement: { policy: policy.metadata.name }, resources: { gpu: { count: 1 } } }, unique("b")),
    );
    for (const [i, w] of queue.entries()) await store.workloads.create(w, new Date(at.getTime() + 10 + i));
    await scheduler.kick();
    await scheduler.idle();
    scheduler.close();
    const where: string[] = [];
    for (const w of queue) {
      const row = await store.workloads.get(w.metadata.tenant, w.metadata.name);
      where.push(row?.placements.find((p) => p.active)?.cluster ?? "-");
    }
    // 7 at home, 2 away (the cap), whichever slice decided them; the rest wait.
    expect(where.filter((c) => c === "us")).toHaveLength(7);
    expect(where.filter((c) => c === "eu")).toHaveLength(2);
    for (const w of [warm, ...queue]) await store.workloads.delete(w.metadata.tenant, w.metadata.name, at);
    await store.policies.delete(policy.metadata.name);
  });

  it("batches only the head of the queue, in the first slice; later slices follow in queue order", async () => {
    const metrics = createMetrics();
    const { scheduler } = schedulerWith({ sliceBudgetMs: 0.001, metrics });
    const warm = aWorkload({ resources: { gpu: { count: 1 } } }, unique("warm"));
    await store.workloads.create(warm, at);
    await scheduler.kick();
    await scheduler.idle();
    // CPU-only, so both slices place something (a slice that places nothing has nothing to batch).
    const queue = Array.from({ length: 2 * MIN_SLICE }, () =>
      aWorkload({ resources: { gpu: { count: 0 }, cpu: 1, memoryGiB: 1 } }, unique("q")),
    );
    for (const [i, w] of queue.entries()) await store.workloads.create(w, new Date(at.getTime() + 10 + i));
    await scheduler.kick();
    await scheduler.idle();
    scheduler.close();
    const batches = (await metrics.batches.get()).values.reduce((n, v) => n + v.value, 0);
    expect(batches).toBe(1);
    const phases: (string | undefined)[] = [];
    for (const w of queue) phases.push((await store.workloads.get(w.metadata.tenant, w.metadata.name))?.phase);
    expect(phases.every((p) => p === "Placed")).toBe(true);
    for (const w of [warm, ...queue]) await store.workloads.delete(w.metadata.tenant, w.metadata.name, at);
  });

  it("throws a batch whose head does no better away without deciding the rest of the slice again", async () => {
    const metrics = createMetrics();
    // Alike CPU-only workloads: regret order places the head as queue order does, at the same cost.
    const alike = Array.from({ length: 5 }, () =>
      aWorkload({ resources: { gpu: { count: 0 }, cpu: 1, memoryGiB: 1 } }, unique("alike")),
    );
    const { out } = await run(alike, { metrics, batchLimit: 3 });
    expect(Object.values(out).every((o) => o.startsWith("Placed:"))).toBe(true);
    expect((await metrics.batches.get()).values).toEqual([{ labels: { result: "discarded" }, value: 1 }]);
    // Queue order decides 5; the batch of 3 in regret order 3 + 2 + 1. Deciding the slice again would add 2 more.
    const count = (await metrics.decisionSeconds.get()).values.find((v) => v.metricName?.endsWith("_count"));
    expect(count?.value).toBe(5 + 6);
  });

  it("decides in queue order alone above the batch limit: the older workload takes the cheap cluster", async () => {
    const { out } = await run([flexible(unique("flex")), pinned(unique("pin"))], { batchLimit: 1 });
    expect(Object.values(out)).toEqual(["Placed:us", "Pending:"]);
  });

  it("counts a placement's reservation until the cluster's report accounts for it", async () => {
    const first = flexible(unique("w"));
    expect((await run([first], {}, true)).out[first.metadata.name]).toBe("Placed:us");
    // us still reports 0 GPUs used: only the reservation keeps the next workload off it.
    const second = flexible(unique("w"));
    expect((await run([second])).out[second.metadata.name]).toBe("Placed:eu");
    // us reports it has the first workload's generation and its GPUs are free again (it finished): room again.
    const row = (await store.workloads.get("default", first.metadata.name))!;
    view.heartbeat("us", oneH100Node([{ uid: row.uid, generation: row.generation }]));
    const third = flexible(unique("w"));
    expect((await run([third])).out[third.metadata.name]).toBe("Placed:us");
    await store.workloads.delete("default", first.metadata.name, at);
    view.heartbeat("us", oneH100Node());
  });

  it("never schedules on a replica that does not lead", async () => {
    const w = flexible(unique("w"));
    const { out, fenced, published } = await run([w], { epoch: () => undefined });
    expect(out[w.metadata.name]).toBe("Pending:");
    expect([fenced, published]).toEqual([[], 0]);
  });

  it("steps down when its epoch was fenced off, writing nothing", async () => {
    const w = flexible(unique("w"));
    await store.workloads.create(w, at);
    const { uid } = (await store.workloads.get("default", w.metadata.name))!;
    const { scheduler, fenced, published } = schedulerWith({ epoch: () => epoch - 1 });
    await scheduler.kick();
    await scheduler.idle();
    scheduler.close();
    expect(fenced).toHaveLength(1);
    expect(fenced[0]).toMatchObject({ code: "fenced", epoch: epoch - 1, current: epoch });
    expect(published()).toBe(0);
    expect(await store.workloads.getByUid(uid)).toMatchObject({ phase: "Pending", generation: 0, placements: [] });
    expect(await store.db.select().from(decisions).where(eq(decisions.uid, uid))).toEqual([]);
    await store.workloads.delete("default", w.metadata.name, at);
  });

  /** Submit `w`, then overwrite its stored manifest with `broken` (an older schema, a bad write). */
  const storedAs = async (w: Workload, broken: unknown) => {
    await store.workloads.create(w, at);
    const { uid } = (await store.workloads.get("default", w.metadata.name))!;
    await store.db
      .update(workloads)
      .set({ manifest: broken as Workload })
      .where(eq(workloads.uid, uid));
    return uid;
  };

  it.each([
    [
      "the engine throws on it",
      (w: Workload) => ({ ...w, spec: { ...w.spec, placement: { ...w.spec.placement, regions: null } } }),
    ],
    [
      "its stored manifest lacks what the queue reads",
      (w: Workload) => {
        const { resources: _gone, ...spec } = w.spec;
        return { ...w, spec };
      },
    ],
  ])("quarantines a workload when %s, and places the others", async (_what, breakIt) => {
    const bad = flexible(unique("bad"));
    const uid = await storedAs(bad, breakIt(bad));
    const good = flexible(unique("good"));
    const { out } = await run([good]);
    expect(out[good.metadata.name]).toBe("Placed:us");
    const got = (await store.workloads.getByUid(uid))!;
    expect(got).toMatchObject({ phase: "Pending", placements: [] });
    expect(got.quarantine).toEqual(expect.any(String));
    expect((await store.workloads.pending()).map((p) => p.uid)).not.toContain(uid);
    await store.workloads.delete("default", bad.metadata.name, at);
  });

  it("answers a dry run on the live snapshot without storing anything", async () => {
    const { scheduler } = schedulerWith();
    const before = (await store.db.select().from(decisions)).length;
    const decision = await scheduler.dryRun(pinned(unique("dry")));
    expect(decision.assignments.map((a) => a.cluster)).toEqual(["us"]);
    expect((await store.db.select().from(decisions)).length).toBe(before);
    scheduler.close();
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
