import { randomUUID } from "node:crypto";
import type { BurstPolicy } from "@gantry/shared";
import type { FleetView } from "../fleet/view.ts";
import { planOn, reservationsFor, stagingPlan } from "../placement/index.ts";
import type { Store } from "../store/index.ts";
import type { Clock, WorkClock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { decideUnderPolicy } from "./burst.ts";
import { failoverActions } from "./failover.ts";
import type { Scheduler } from "./scheduler.ts";

export interface UpkeepDeps {
  store: Store;
  view: FleetView;
  /** The process clock: how long clusters have been silent (failover). */
  clock: Clock;
  /** The work clock: cost accrual, runaway limits, drain-back's wait and every time a write records. */
  workClock: WorkClock;
  logger: Logger;
  scheduler: Scheduler;
  /** The leader's epoch; upkeep only runs on the leader. */
  epoch: () => number | undefined;
  /** Stop any workload running longer than this unless it sets its own `maxRuntimeHours`. */
  defaultMaxRuntimeHours?: number;
  failover: { fenceAfterMs: number; stopGraceMs: number; defaultAfterMs: number };
  /** When this hub started listening to agents (silence before it is not a cluster's). */
  listeningSince: () => Date;
  onDesiredStateChanged: () => void;
  /** Accrue cost at most this often, in work-clock ms (0 or absent: every tick). */
  accrueEveryMs?: number;
  /**
   * Where no autovacuum runs, look this often (process-clock ms) for tables to vacuum or analyze (`maintain` below;
   * 0 or absent: never).
   */
  maintainEveryMs?: number;
  /**
   * True while the hub is placing work: maintenance waits (it competes with the burst for the database's CPU), but
   * never longer than five of its periods.
   */
  busy?: () => boolean;
  /** Revoke NATS credentials whose rotation grace period ended (wired when the bus has identities). */
  revokeDueCredentials?: () => Promise<void>;
}

/**
 * The leader's periodic duties besides the queue: checkpoint the fleet view, accrue cost, fail over work from lost
 * clusters, stop runaways, drain burst work back to the preferred pool once it has had room long enough.
 */
export const createUpkeep = (deps: UpkeepDeps) => {
  const { store, clock, workClock, logger, scheduler, view } = deps;
  /** Since when the preferred pool has had room for a workload (hysteresis for drain-back). */
  const roomSince = new Map<string, number>();
  /** Work-clock ms of this process's last accrual (undefined: none yet, so the first tick accrues). */
  let accruedAt: number | undefined;
  /** A tick still running when the next is due: that one is skipped, so two never accrue or fail over at once. */
  let ticking = false;
  /** Process-clock ms of the last maintenance check, and how many rounds of maintenance this process has run. */
  let maintainedAt: number | undefined;
  let maintenanceRounds = 0;
  /** Process-clock ms this upkeep was made: a hub busy from its start still gets maintenance after five periods. */
  const startedAt = clock.now().getTime();

  /** One multi-row write for every cluster whose capacity changed, and the reservations reports now account for. */
  const checkpoint = async (): Promise<void> => {
    const { entries, accounted } = view.takeCheckpoint();
    try {
      await store.clusters.checkpoint(entries);
      await store.workloads.releaseReservations(accounted);
    } catch (error) {
      view.restoreCheckpoint(entries.map((e) => e.name));
      throw error;
    }
  };

  const failover = async (epoch: number): Promise<boolean> =>
    scheduler.exclusive(async () => {
      const settings = {
        now: clock.now(),
        lastHeard: (c: string) => view.get(c)?.lastSeenAt ?? null,
        listeningSince: deps.listeningSince(),
        ...deps.failover,
      };
      // No workload moves before its cluster has been silent for the fence time plus the grace (`failoverAfterMs`
      // never goes below it), so only placements on clusters silent that long are read: usually none, and reading
      // every active placement with its manifest every tick grows with the fleet's work.
      const floor = settings.fenceAfterMs + settings.stopGraceMs;
      const silent = (await store.workloads.activeClusters()).filter((c) => {
        const heard = Math.max(settings.lastHeard(c)?.getTime() ?? 0, settings.listeningSince.getTime());
        return settings.now.getTime() - heard >= floor;
      });
      if (silent.length === 0) return false;
      const actions = failoverActions(await store.workloads.active(silent), settings);
      let any = false;
      for (const a of actions) {
        const done = await store.placing.failover(a.uid, a.lost, a.action, a.message, workClock.now(), epoch);
        if (!done) continue;
        any = true;
        logger.warn({ workload: a.workload, tenant: a.tenant, lost: a.lost, action: a.action }, "failover");
      }
      return any;
    });

  const runawayGuard = async (epoch: number): Promise<boolean> => {
    let stopped = false;
    const now = workClock.now();
    for (const w of await store.workloads.pastRuntime(now, deps.defaultMaxRuntimeHours)) {
      const limit = w.limitHours;
      const ranHours = (now.getTime() - w.startedAt.getTime()) / 3_600_000;
      if (ranHours <= limit) continue;
      const reason = `stopped by the runaway guard: ran ${ranHours.toFixed(2)} h, past maxRuntimeHours ${limit}`;
      await store.placing.setPhase(w.uid, "Failed", reason, now, { reason: "Runaway", epoch });
      logger.warn({ workload: w.name, tenant: w.tenant, ranHours, limit }, "runaway workload stopped");
      stopped = true;
    }
    return stopped;
  };

  const drainBack = async (epoch: number): Promise<boolean> => {
    const policies = await store.policies.list();
    const draining = policies.filter((p) => p.spec.drainBack.enabled && p.spec.pools.length > 1);
    if (draining.length === 0) return false;
    return scheduler.exclusive(async () => {
      const running = await store.workloads.runningUnder(draining.map((p) => p.metadata.name));
      const { fleet, compiled } = await scheduler.snapshot();
      const now = workClock.now();
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
        const current = await store.workloads.getByUid(w.uid);
        if (!current || current.placements.some((p) => p.active && p.generation < w.generation)) continue;
        seen.add(w.uid);
        // Only the preferred pool counts: a policy with just that pool never bursts, so never waits.
        const onlyPreferred: BurstPolicy = {
          ...policy,
          spec: { ...policy.spec, pools: [preferred], burst: undefined },
        };
        const outcome = decideUnderPolicy(
          fleet,
          w.manifest,
          onlyPreferred,
          { waitedSeconds: 0, queuedGpus: 0, burstGpusInUse: 0, burstSpendPerHour: 0, burstSpendToday: 0 },
          (wl, o) => planOn(compiled, fleet.reservations, wl, o),
        );
        if (!outcome.decision.feasible) {
          roomSince.delete(w.uid);
          continue;
        }
        const since = roomSince.get(w.uid) ?? now.getTime();
        roomSince.set(w.uid, since);
        if (now.getTime() - since < policy.spec.drainBack.afterSeconds * 1000) continue;
        const decision = outcome.decision;
        const overlap = decision.assignments.some((a) =>
          current.placements.some((p) => p.active && p.cluster === a.cluster),
        );
        if (overlap) continue;
        const reservations = reservationsFor(w.uid, w.manifest, decision);
        const service = spec.type === "service";
        const note = `drained back from ${w.pool} to ${preferred.name}: it had room for ${policy.spec.drainBack.afterSeconds} s (policy ${policy.metadata.name})${service ? "; old replicas stay until the new ones run" : "; restartable job restarted there"}`;
        const placed = await store.placing.place(
          w.uid,
          {
            decisionId: randomUUID(),
            decision,
            reservations,
            at: now,
            policy: policy.metadata.name,
            pool: preferred.name,
            poolNote: note,
            reason: "DrainedBack",
            staging: stagingPlan(compiled, fleet.datasets, w.manifest, decision),
            ...(service ? { keepOld: true } : { restart: true }),
          },
          epoch,
        );
        if (placed) {
          fleet.reservations.push(...reservations);
          roomSince.delete(w.uid);
          moved = true;
          logger.info({ workload: w.name, tenant: w.tenant, from: w.pool, to: preferred.name }, "drain-back started");
        }
      }
      for (const uid of roomSince.keys()) if (!seen.has(uid)) roomSince.delete(uid);
      return moved;
    });
  };

  /**
   * Statistics and dead-row cleanup where nothing else does them (`store/maintenance.ts`): the tables past
   * autovacuum's thresholds where the database counts changes; where it does not, analyze every round and vacuum on
   * the first and every fifth after. Whether autovacuum runs is asked each time (an operator
   * may turn it on). A failure is logged, never the tick's: the hub works on, only its plans and tables age.
   */
  const maintain = async (): Promise<void> => {
    const every = deps.maintainEveryMs ?? 0;
    const now = clock.now().getTime();
    if (every <= 0 || (maintainedAt !== undefined && now - maintainedAt < every)) return;
    if (deps.busy?.() && now - (maintainedAt ?? startedAt) < 5 * every) return;
    maintainedAt = now;
    try {
      if (await store.maintenance.autovacuumRuns()) return;
      if (maintenanceRounds === 0)
        logger.info({ everyMs: every }, "no autovacuum on this database: the hub analyzes and vacuums its own tables");
      const round = maintenanceRounds++;
      // Where the database counts changes, only the tables autovacuum would take now (an ANALYZE of every table is
      // about a second of a core at 10,000 clusters); elsewhere (PGlite) all of them, on the timer.
      const due = await store.maintenance.due();
      if (due) {
        await store.maintenance.vacuum(due.vacuum);
        await store.maintenance.analyze(due.analyze.filter((t) => !due.vacuum.includes(t)));
      } else if (round % 5 === 0) await store.maintenance.vacuum();
      else await store.maintenance.analyze();
    } catch (error) {
      logger.warn({ err: error }, "table maintenance failed; it is tried again when next due");
    }
  };

  const tickOnce = async (): Promise<void> => {
    const epoch = deps.epoch();
    if (epoch === undefined) return;
    await checkpoint();
    const now = workClock.now();
    if (accruedAt === undefined || now.getTime() - accruedAt >= (deps.accrueEveryMs ?? 0)) {
      await store.costs.accrue(now, epoch);
      accruedAt = now.getTime();
    }
    const failedOver = await failover(epoch);
    const stopped = await runawayGuard(epoch);
    const moved = await drainBack(epoch);
    await deps.revokeDueCredentials?.();
    // Tombstones are for watchers catching up: keep them an hour of the process clock, whatever the work clock does.
    await store.workloads.pruneTombstones(workClock.fromReal(new Date(clock.now().getTime() - 3_600_000)));
    if (failedOver || stopped || moved) deps.onDesiredStateChanged();
    if (failedOver || stopped) void scheduler.kick();
    await maintain();
  };

  return {
    /** One round of upkeep; the hub calls it on a timer. Does nothing on a replica that does not lead. */
    async tick(): Promise<void> {
      if (ticking) return;
      ticking = true;
      try {
        await tickOnce();
      } finally {
        ticking = false;
      }
    },
  };
};
