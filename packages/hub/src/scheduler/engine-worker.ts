import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { Dataset, FleetCluster } from "@gantry/shared";
import type { Logger } from "../util/logger.ts";
import type { Engine, SliceRequest } from "./engine.ts";
import type { ThreadOutcome, ThreadReply, ThreadRequest } from "./engine-thread.ts";
import type { PassOutcome, PassPlan } from "./pass.ts";
import type { SlicePlan } from "./plan-slice.ts";

/** Above this share of clusters changed, the thread gets the whole fleet rather than a list of changes. */
const WHOLE_FLEET_ABOVE = 0.25;

/** How to start the thread: the bundle's entry beside this chunk, or (running from source) tsx, then the source. */
const defaultThread = (): ThreadModule => {
  if (!import.meta.url.endsWith(".ts")) return { url: new URL("./engine-thread.mjs", import.meta.url) };
  // tsx's ESM API (`tsx/esm/api`, import condition), found from its package: require would resolve the CommonJS one.
  const api = new URL(
    "./dist/esm/api/index.mjs",
    pathToFileURL(createRequire(import.meta.url).resolve("tsx/package.json")),
  ).href;
  const source = new URL("./engine-thread.ts", import.meta.url).href;
  return {
    code: `import(${JSON.stringify(api)}).then((t) => { t.register(); return import(${JSON.stringify(source)}); })`,
  };
};

/** The thread's entry: a module file, or (from source) a script that loads one. */
export type ThreadModule = { url: URL } | { code: string };

/**
 * Decides slices in a thread of its own (`engine-thread.ts`), so the hub's event loop serves the API, heartbeats and
 * status while a pass decides; on a 10,000-cluster fleet a decision is ~10 ms and a busy pass hundreds of them. The
 * thread keeps a copy of the fleet: each slice sends the clusters whose engine view changed (the view keeps unchanged
 * clusters' objects, so a change is a new object). A thread that fails or exits is replaced on the next slice, which
 * then sends the whole fleet; the slice it was deciding fails and the pass retries.
 */
export const createEngineWorker = (deps: { logger: Logger; thread?: ThreadModule }): Engine => {
  const thread = deps.thread ?? defaultThread();
  let worker: Worker | undefined;
  let sent: { clusters: readonly FleetCluster[]; datasets: readonly Dataset[] } | undefined;
  const waiting = new Map<number, { resolve: (r: ThreadReply) => void; reject: (e: unknown) => void }>();
  let nextId = 1;

  const fail = (w: Worker, error: unknown) => {
    if (worker !== w) return;
    worker = undefined;
    sent = undefined;
    for (const x of waiting.values()) x.reject(error);
    waiting.clear();
  };

  const start = (): Worker => {
    const w = "url" in thread ? new Worker(thread.url) : new Worker(thread.code, { eval: true });
    w.on("message", (reply: ThreadReply) => {
      const x = waiting.get(reply.id);
      waiting.delete(reply.id);
      x?.resolve(reply);
    });
    w.on("error", (error) => {
      deps.logger.error({ err: error }, "the engine thread failed; a new one starts with the next slice");
      fail(w, error);
    });
    w.on("exit", (code) => fail(w, new Error(`the engine thread exited (code ${code})`)));
    // The hub's own handles keep the process up; an idle engine thread must not.
    w.unref();
    return w;
  };

  /** What of the fleet the thread does not have yet. */
  const deltaOf = (clusters: readonly FleetCluster[]): ThreadRequest["clusters"] => {
    if (!sent || sent.clusters.length !== clusters.length) return { all: clusters };
    const changed: [number, FleetCluster][] = [];
    for (let i = 0; i < clusters.length; i++) if (clusters[i] !== sent.clusters[i]) changed.push([i, clusters[i]!]);
    return changed.length > clusters.length * WHOLE_FLEET_ABOVE ? { all: clusters } : { changed };
  };

  return {
    async planSlice(r: SliceRequest, observe: (seconds: number) => void): Promise<SlicePlan> {
      worker ??= start();
      const w = worker;
      const id = nextId++;
      const request: ThreadRequest = {
        id,
        clusters: deltaOf(r.fleet.clusters),
        ...(!sent || sent.datasets !== r.fleet.datasets ? { datasets: r.fleet.datasets } : {}),
        reservations: r.fleet.reservations,
        candidates: r.candidates,
        policies: r.policies,
        usage: r.usage,
        queuedGpus: r.queuedGpus,
        now: r.now,
        options: r.options,
      };
      const replied = new Promise<ThreadReply>((resolve, reject) => waiting.set(id, { resolve, reject }));
      sent = { clusters: r.fleet.clusters, datasets: r.fleet.datasets };
      try {
        w.postMessage(request);
      } catch (error) {
        waiting.delete(id);
        sent = undefined;
        throw error;
      }
      const reply = await replied;
      if ("error" in reply) {
        // What the thread holds is not known now: the next slice sends the whole fleet.
        sent = undefined;
        throw new Error(`the engine thread could not decide the slice: ${reply.error}`);
      }
      for (const s of reply.durations) observe(s);
      const outcome = (o: ThreadOutcome): PassOutcome => {
        const { policy, ...rest } = o;
        const p = policy === undefined ? undefined : r.policies.find((x) => x.metadata.name === policy);
        return p ? { ...rest, policy: p } : rest;
      };
      const row = (i: number) => r.candidates[i]!;
      const chosen: PassPlan = {
        placed: reply.placed.map(([i, o]) => ({ row: row(i), outcome: outcome(o) })),
        unplaced: reply.unplaced.map(([i, o]) => ({ row: row(i), outcome: outcome(o) })),
        failed: reply.failed.map(([i, message]) => ({ row: row(i), error: new Error(message) })),
      };
      return {
        chosen,
        ...(reply.batch ? { batch: reply.batch } : {}),
        ...(reply.decisionMs === undefined ? {} : { decisionMs: reply.decisionMs }),
        decideMs: reply.decideMs,
        batchMs: reply.batchMs,
      };
    },
    async close(): Promise<void> {
      const w = worker;
      worker = undefined;
      sent = undefined;
      if (w) await w.terminate();
    },
  };
};
