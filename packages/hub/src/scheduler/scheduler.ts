import { randomUUID } from "node:crypto";
import type { Decision, Fleet, PlacementStatus, Workload } from "@gantry/shared";
import type { HealthThresholds } from "../fleet/health.ts";
import { buildSnapshot } from "../fleet/snapshot.ts";
import { plan, reservationsFor } from "../placement/index.ts";
import type { Store, WorkloadRow } from "../store/index.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { coalesced, mutex } from "../util/serial.ts";
import { aggregatePhase } from "./phase.ts";

export interface SchedulerDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  thresholds: HealthThresholds;
  /** Called after a transaction queued desired-state changes, so the relay publishes now. */
  onDesiredStateChanged: () => void;
}

/**
 * The loop around the pure engine: it builds a snapshot, asks `plan`, and records the outcome.
 * Passes are serialised, so two decisions never read the same free capacity.
 */
export const createScheduler = (deps: SchedulerDeps) => {
  const { store, clock, logger } = deps;
  const exclusive = mutex();

  const snapshot = async (): Promise<Fleet> => {
    const [clusters, datasets, reservations] = await Promise.all([
      store.clusters.list(),
      store.datasets.list(),
      store.workloads.reservations(),
    ]);
    return buildSnapshot({ clusters, datasets, reservations, now: clock.now(), thresholds: deps.thresholds });
  };

  /** Decide for one workload on `fleet`; on success the fleet's reservations grow in place. */
  const decideOne = async (row: WorkloadRow, fleet: Fleet): Promise<Decision> => {
    const workload: Workload = row.manifest;
    const decision = plan(fleet, workload);
    const decisionId = randomUUID();
    const at = clock.now();
    if (!decision.feasible) {
      if (row.message !== decision.summary) {
        await store.workloads.recordUnplaced(row.name, decisionId, decision, decision.summary, at);
      }
      return decision;
    }
    const reservations = reservationsFor(row.name, workload, decision);
    const placed = await store.workloads.place(row.name, { decisionId, decision, reservations, at });
    if (placed) {
      fleet.reservations.push(...reservations);
      logger.info(
        { workload: row.name, assignments: decision.assignments.map((a) => `${a.cluster}×${a.replicas}`) },
        "placed",
      );
    }
    return decision;
  };

  const pass = coalesced(
    () =>
      exclusive(async () => {
        const pending = await store.workloads.pending();
        if (pending.length === 0) return;
        const fleet = await snapshot();
        let placedAny = false;
        for (const row of pending) {
          const decision = await decideOne(row, fleet);
          placedAny ||= decision.feasible;
        }
        if (placedAny) deps.onDesiredStateChanged();
      }),
    (error) => logger.error({ err: error }, "scheduling pass failed"),
  );

  return {
    /** Accept a workload and try to place it at once. */
    async submit(workload: Workload): Promise<WorkloadRow> {
      const row = await store.workloads.create(workload, clock.now());
      await pass.kick();
      return row;
    },

    /** Re-evaluate the pending queue soon (capacity changed, a workload ended, a timer fired). */
    kick: () => pass.kick(),
    idle: () => pass.idle(),

    /** A dry run on the current snapshot: nothing is stored. */
    async dryRun(workload: Workload): Promise<Decision> {
      return plan(await snapshot(), workload);
    },

    /** Fold an agent's status report into placements and workload phases. */
    async onStatuses(cluster: string, statuses: PlacementStatus[]): Promise<void> {
      const changed = await store.workloads.recordStatuses(cluster, statuses);
      let ended = false;
      for (const name of new Set(changed)) {
        const w = await store.workloads.get(name);
        if (!w || w.phase === "Succeeded" || w.phase === "Failed") continue;
        const active = w.placements.filter((p) => p.active);
        const { phase, message } = aggregatePhase(
          w.manifest.spec.type,
          active.map((p) => (p.generation === w.generation ? p.status : null)),
        );
        if (phase === "Pending") continue;
        await store.workloads.setPhase(name, phase, message, clock.now());
        if (phase !== w.phase) logger.info({ workload: name, phase }, "workload phase");
        ended ||= phase === "Succeeded" || phase === "Failed";
      }
      if (ended) {
        deps.onDesiredStateChanged();
        void pass.kick();
      }
    },
  };
};
export type Scheduler = ReturnType<typeof createScheduler>;
