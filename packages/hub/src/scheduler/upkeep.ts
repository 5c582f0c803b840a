import { randomUUID } from "node:crypto";
import type { BurstPolicy } from "@gantry/shared";
import { compileFleet, planOn, reservationsFor } from "../placement/index.ts";
import type { Store } from "../store/index.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { decideUnderPolicy } from "./burst.ts";
import type { Scheduler } from "./scheduler.ts";

export interface UpkeepDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  scheduler: Scheduler;
  /** Stop any workload running longer than this unless it sets its own `maxRuntimeHours`. */
  defaultMaxRuntimeHours?: number;
  onDesiredStateChanged: () => void;
}

/**
 * The hub's periodic duties besides the queue: accrue cost, stop runaways, drain burst work back
 * to the preferred pool once it has had room for long enough.
 */
export const createUpkeep = (deps: UpkeepDeps) => {
  const { store, clock, logger, scheduler } = deps;
  /** Since when the preferred pool has had room for a workload (hysteresis for drain-back). */
  const roomSince = new Map<string, number>();

  const runawayGuard = async (): Promise<boolean> => {
    let stopped = false;
    const now = clock.now();
    for (const w of await store.workloads.running()) {
      const limit = w.manifest.spec.maxRuntimeHours ?? deps.defaultMaxRuntimeHours;
      if (limit === undefined || !w.startedAt) continue;
      const ranHours = (now.getTime() - w.startedAt.getTime()) / 3_600_000;
      if (ranHours <= limit) continue;
      const reason = `stopped by the runaway guard: ran ${ranHours.toFixed(2)} h, past maxRuntimeHours ${limit}`;
      await store.workloads.setPhase(w.name, "Failed", reason, now);
      logger.warn({ workload: w.name, ranHours, limit }, "runaway workload stopped");
      stopped = true;
    }
    return stopped;
  };

  const drainBack = async (): Promise<boolean> => {
    const policies = await store.policies.list();
    if (!policies.some((p) => p.spec.drainBack.enabled && p.spec.pools.length > 1)) return false;
    return scheduler.exclusive(async () => {
      const running = await store.workloads.running();
      const fleet = await scheduler.snapshot();
      const compiled = compileFleet(fleet);
      const now = clock.now();
      const seen = new Set<string>();
      let moved = false;
      for (const w of running) {
        const policy: BurstPolicy | undefined = w.policy
          ? policies.find((p) => p.metadata.name === w.policy)
          : undefined;
        const preferred = policy?.spec.pools[0];
        if (!policy || !preferred || !policy.spec.drainBack.enabled || !w.pool || w.pool === preferred.name) continue;
        const spec = w.manifest.spec;
        const movable = spec.type === "service" || (spec.restartable && policy.spec.drainBack.restartableJobs);
        if (!movable) continue;
        const current = await store.workloads.get(w.name);
        if (!current || current.placements.some((p) => p.active && p.generation < w.generation)) continue;
        seen.add(w.name);
        // Only the preferred pool counts: a policy with just that pool never bursts, so never waits.
        const onlyPreferred: BurstPolicy = {
          ...policy,
          spec: { ...policy.spec, pools: [preferred], burst: undefined },
        };
        const outcome = decideUnderPolicy(
          fleet,
          w.manifest,
          onlyPreferred,
          {
            waitedSeconds: 0,
            queuedGpus: 0,
            burstGpusInUse: 0,
            burstSpendPerHour: 0,
            burstSpendToday: 0,
          },
          (wl, o) => planOn(compiled, fleet.reservations, wl, o),
        );
        if (!outcome.decision.feasible) {
          roomSince.delete(w.name);
          continue;
        }
        const since = roomSince.get(w.name) ?? now.getTime();
        roomSince.set(w.name, since);
        if (now.getTime() - since < policy.spec.drainBack.afterSeconds * 1000) continue;
        const decision = outcome.decision;
        const overlap = decision.assignments.some((a) =>
          current.placements.some((p) => p.active && p.cluster === a.cluster),
        );
        if (overlap) continue;
        const reservations = reservationsFor(w.name, w.manifest, decision);
        const service = spec.type === "service";
        const note = `drained back from ${w.pool} to ${preferred.name}: it had room for ${policy.spec.drainBack.afterSeconds} s (policy ${policy.metadata.name})${service ? "; old replicas stay until the new ones run" : "; restartable job restarted there"}`;
        const placed = await store.workloads.place(w.name, {
          decisionId: randomUUID(),
          decision,
          reservations,
          at: now,
          policy: policy.metadata.name,
          pool: preferred.name,
          poolNote: note,
          ...(service ? { keepOld: true } : { restart: true }),
        });
        if (placed) {
          fleet.reservations.push(...reservations);
          roomSince.delete(w.name);
          moved = true;
          logger.info({ workload: w.name, from: w.pool, to: preferred.name }, "drain-back started");
        }
      }
      for (const name of roomSince.keys()) if (!seen.has(name)) roomSince.delete(name);
      return moved;
    });
  };

  return {
    /** One round of upkeep; the hub calls it on a timer. */
    async tick(): Promise<void> {
      await store.costs.accrue(clock.now());
      const stopped = await runawayGuard();
      const moved = await drainBack();
      if (stopped || moved) deps.onDesiredStateChanged();
      if (stopped) void scheduler.kick();
    },
  };
};
