/**
 * The engine thread: decides slices of a pass off the hub's event loop (`engine-worker.ts` is the other side). It
 * keeps its own copy of the fleet, which the hub updates with the clusters that changed since the last slice, and
 * compiles or patches it itself, so a slice costs the event loop a structured clone of what changed, not a decision
 * per workload over 10,000 clusters.
 */
import { parentPort } from "node:worker_threads";
import type { BurstPolicy, Dataset, FleetCluster, Reservation } from "@gantry/shared";
import { compileFleet, type FleetSnapshot, patchFleet } from "../placement/index.ts";
import { STORED_KEEP } from "../placement/keep.ts";
import type { WorkloadRow } from "../store/index.ts";
import { storedDecision } from "../store/stored-decision.ts";
import type { BurstUsage, PassOutcome } from "./pass.ts";
import { planSlice, type SliceOptions, type SlicePlan } from "./plan-slice.ts";

/** What the hub sends for one slice. */
export interface ThreadRequest {
  id: number;
  /** The whole fleet (first slice, or after a cluster joined or left), or the clusters that changed, by index. */
  clusters: { all: readonly FleetCluster[] } | { changed: readonly [number, FleetCluster][] };
  /** Sent when they changed (a new array in the hub's snapshot). */
  datasets?: readonly Dataset[];
  reservations: readonly Reservation[];
  candidates: readonly WorkloadRow[];
  policies: BurstPolicy[];
  usage: BurstUsage;
  queuedGpus: Map<string, number>;
  now: Date;
  options: SliceOptions;
}

/** An outcome as it crosses the thread boundary: its row by index, its policy by name. */
export type ThreadOutcome = Omit<PassOutcome, "policy"> & { policy?: string };

/** What the thread answers. */
export type ThreadReply =
  | {
      id: number;
      placed: [number, ThreadOutcome][];
      unplaced: [number, ThreadOutcome][];
      failed: [number, string][];
      batch?: SlicePlan["batch"];
      decisionMs?: number;
      decideMs: number;
      batchMs: number;
      /** Each decision's duration (seconds), for the hub's histogram. */
      durations: number[];
    }
  | { id: number; error: string };

let clusters: FleetCluster[] = [];
let datasets: Dataset[] = [];
let compiled: FleetSnapshot | undefined;

/** Bring this thread's fleet to the hub's: patch what only moved in usage or health, else compile. */
const update = (r: ThreadRequest): FleetSnapshot => {
  const fleet = (list: FleetCluster[]) => ({ clusters: list, datasets, reservations: [] });
  if (r.datasets) datasets = [...r.datasets];
  if ("all" in r.clusters) {
    clusters = [...r.clusters.all];
    compiled = compileFleet(fleet(clusters));
    return compiled;
  }
  clusters = [...clusters];
  for (const [i, c] of r.clusters.changed) clusters[i] = c;
  const idx = r.clusters.changed.map(([i]) => i);
  if (!compiled || r.datasets) compiled = compileFleet(fleet(clusters));
  else if (idx.length > 0) compiled = patchFleet(compiled, clusters, idx) ?? compileFleet(fleet(clusters));
  return compiled;
};

const outcomeOf = (o: PassOutcome): ThreadOutcome => {
  const { policy, ...rest } = o;
  return policy ? { ...rest, policy: policy.metadata.name } : rest;
};

const handle = async (r: ThreadRequest): Promise<ThreadReply> => {
  const snapshot = update(r);
  const durations: number[] = [];
  const plan = await planSlice(
    r.candidates,
    {
      fleet: { clusters, datasets, reservations: [...r.reservations] },
      compiled: snapshot,
      policies: r.policies,
      usage: r.usage,
      queuedGpus: r.queuedGpus,
      now: r.now,
      retain: storedDecision,
      keep: STORED_KEEP,
      observe: (seconds) => durations.push(seconds),
    },
    r.options,
    // Nothing else runs on this thread: decide without pausing.
    () => undefined,
  );
  const index = new Map(r.candidates.map((row, i) => [row, i]));
  return {
    id: r.id,
    placed: plan.chosen.placed.map(({ row, outcome }) => [index.get(row)!, outcomeOf(outcome)]),
    unplaced: plan.chosen.unplaced.map(({ row, outcome }) => [index.get(row)!, outcomeOf(outcome)]),
    failed: plan.chosen.failed.map(({ row, error }) => [
      index.get(row)!,
      error instanceof Error ? error.message : String(error),
    ]),
    ...(plan.batch ? { batch: plan.batch } : {}),
    ...(plan.decisionMs === undefined ? {} : { decisionMs: plan.decisionMs }),
    decideMs: plan.decideMs,
    batchMs: plan.batchMs,
    durations,
  };
};

parentPort?.on("message", (r: ThreadRequest) => {
  handle(r).then(
    (reply) => parentPort?.postMessage(reply),
    (error: unknown) =>
      parentPort?.postMessage({ id: r.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
