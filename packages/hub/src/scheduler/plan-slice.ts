import type { WorkloadRow } from "../store/index.ts";
import {
  batchIsBetter,
  batchSize,
  batchWithinBudget,
  costOf,
  type PassInput,
  type PassPlan,
  planPassCooperatively,
} from "./pass.ts";

/** How a slice may batch. */
export interface SliceOptions {
  /** Whether this slice may run the regret batch (the first slice of a pass). */
  batch: boolean;
  batchLimit: number;
  /** About how long the batch may decide (ms), at the speed queue order showed; absent: no time bound. */
  batchBudgetMs?: number;
}

/** A slice's decisions and what they took. */
export interface SlicePlan {
  chosen: PassPlan;
  /** The regret batch, when one was decided: its size, whether it was kept, what it saved. */
  batch?: { size: number; kept: boolean; placed: number; saves: number };
  /** ms of deciding per workload in queue order (sizes the next slices); absent when nothing was decided. */
  decisionMs?: number;
  /** Wall-clock ms of queue order, then of the batch. */
  decideMs: number;
  batchMs: number;
}

/** The part of a plan that decided `rows`. */
const headOf = (plan: PassPlan, rows: ReadonlySet<WorkloadRow>): PassPlan => ({
  placed: plan.placed.filter((p) => rows.has(p.row)),
  unplaced: plan.unplaced.filter((p) => rows.has(p.row)),
  failed: plan.failed.filter((p) => rows.has(p.row)),
});

/**
 * Decide a slice of the queue (in queue order) on one snapshot: queue order first; then, when several wait and the
 * options allow, the head of the slice as one batch in regret order, kept when it places every workload queue order
 * placed (so priority and fair share still decide who gets scarce capacity) and either places more or costs less.
 * Pure apart from the clock it times itself with: the hub runs it on its event loop or in the engine thread.
 */
export const planSlice = async (
  candidates: readonly WorkloadRow[],
  input: PassInput,
  options: SliceOptions,
  pause: () => Promise<void> | undefined,
): Promise<SlicePlan> => {
  // Time spent deciding (not waiting for the event loop between decisions): what sizes the batch and the slices.
  let decidingMs = 0;
  const timed: PassInput = {
    ...input,
    observe: (seconds) => {
      decidingMs += seconds * 1000;
      input.observe?.(seconds);
    },
  };
  let at = performance.now();
  const lap = () => {
    const was = at;
    at = performance.now();
    return at - was;
  };
  let chosen = await planPassCooperatively(candidates, 0, timed, pause);
  const decideMs = lap();
  const decisionMs = candidates.length > 0 && decidingMs > 0 ? decidingMs / candidates.length : undefined;
  const batched = batchWithinBudget(
    batchSize(candidates.length, input.fleet.clusters.length, options.batchLimit),
    decisionMs,
    options.batchBudgetMs,
  );
  let batch: SlicePlan["batch"];
  if (options.batch && batched >= 2 && chosen.placed.length > 0) {
    // The batch's head against queue order's first: only a better head is worth deciding the rest of the slice
    // again on (the tail was decided on queue order's head). Before, every batch re-decided the whole slice, which
    // at 10,000 clusters was most of a pass's time for batches that were then thrown away.
    const head = candidates.slice(0, batched);
    const regret = await planPassCooperatively(head, batched, timed, pause);
    let kept = batchIsBetter(regret, headOf(chosen, new Set(head)));
    let plan = regret;
    if (kept && batched < candidates.length) {
      plan = await planPassCooperatively(candidates, batched, timed, pause);
      kept = batchIsBetter(plan, chosen);
    }
    batch = { size: batched, kept, placed: plan.placed.length, saves: costOf(chosen) - costOf(plan) };
    if (kept) chosen = plan;
  }
  return { chosen, ...(batch ? { batch } : {}), ...(decisionMs ? { decisionMs } : {}), decideMs, batchMs: lap() };
};
