import { STORED_KEEP } from "../placement/keep.ts";
import type { WorkloadRow } from "../store/index.ts";
import { storedDecision } from "../store/stored-decision.ts";
import type { PassInput } from "./pass.ts";
import { planSlice, type SliceOptions, type SlicePlan } from "./plan-slice.ts";

/** What one slice of a pass is decided on: the pass's input (its snapshot), the workloads, how it may batch. */
export type SliceRequest = Pick<PassInput, "fleet" | "compiled" | "policies" | "usage" | "queuedGpus" | "now"> & {
  candidates: readonly WorkloadRow[];
  options: SliceOptions;
};

/**
 * Where a pass's decisions are made: on the hub's event loop (`inProcessEngine`) or in a thread of their own
 * (`engine-worker.ts`). Either way the plan is `planSlice`'s on the request's snapshot, with each decision kept in its
 * stored form; `observe` hears each decision's duration (seconds).
 */
export interface Engine {
  planSlice(request: SliceRequest, observe: (seconds: number) => void): Promise<SlicePlan>;
  close(): Promise<void>;
}

/** Decide on the event loop, giving it a turn whenever `pause` says so. */
export const inProcessEngine = (pause: () => Promise<void> | undefined): Engine => ({
  planSlice: (r, observe) =>
    planSlice(
      r.candidates,
      {
        fleet: r.fleet,
        compiled: r.compiled,
        policies: r.policies,
        usage: r.usage,
        queuedGpus: r.queuedGpus,
        now: r.now,
        // Only the stored form of each decision outlives it (what `place` and `recordUnplaced` write anyway).
        retain: storedDecision,
        keep: STORED_KEEP,
        observe,
      },
      r.options,
      pause,
    ),
  close: async () => undefined,
});
