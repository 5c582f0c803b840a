import { randomUUID } from "node:crypto";
import {
  type BurstPolicy,
  type Decision,
  type Fleet,
  inSpan,
  type PlacementStatus,
  type Workload,
} from "@gantry/shared";
import { type Span, trace } from "@opentelemetry/api";
import type { HealthThresholds } from "../fleet/health.ts";
import { buildSnapshot } from "../fleet/snapshot.ts";
import type { Metrics } from "../metrics.ts";
import { compileFleet, plan, reservationsFor } from "../placement/index.ts";
import type { Store, WorkloadRow } from "../store/index.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { coalesced, mutex } from "../util/serial.ts";
import { overBudget, startOfUtcDay, startOfUtcMonth } from "./budgets.ts";
import { policyFor } from "./burst.ts";
import {
  type BurstUsage,
  batchIsBetter,
  batchSize,
  costOf,
  DEFAULT_BATCH_LIMIT,
  gpusOf,
  type PassInput,
  planPass,
} from "./pass.ts";
import { aggregatePhase } from "./phase.ts";
import { queueOrder } from "./queue.ts";

const tracer = trace.getTracer("gantry-hub");

export interface SchedulerDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  thresholds: HealthThresholds;
  /** Called after a transaction queued desired-state changes, so the relay publishes now. */
  onDesiredStateChanged: () => void;
  metrics?: Metrics;
  /**
   * At most this many waiting workloads (the first in queue order) are also decided as one batch in regret order
   * (default `DEFAULT_BATCH_LIMIT`, lower on large fleets: `batchSize`); 0 or 1 turns batching off.
   */
  batchLimit?: number;
}

/**
 * The loop around the pure engine: it orders the queue, applies burst policies and budgets, asks
 * `plan`, and records the outcome. Passes are serialised, so two decisions never read the same
 * free capacity; within a pass, each placement's reservations are added to the snapshot.
 */
export const createScheduler = (deps: SchedulerDeps) => {
  const { store, clock, logger } = deps;
  const batchLimit = deps.batchLimit ?? DEFAULT_BATCH_LIMIT;
  const exclusive = mutex();
  let retryTimer: NodeJS.Timeout | undefined;

  const snapshot = async (): Promise<Fleet> => {
    const [clusters, datasets, reservations] = await Promise.all([
      store.clusters.list(),
      store.datasets.list(),
      store.workloads.reservations(),
    ]);
    return buildSnapshot({ clusters, datasets, reservations, now: clock.now(), thresholds: deps.thresholds });
  };

  /** Per-policy burst usage from active placements and the ledger. */
  const burstContexts = async (policies: BurstPolicy[], active: Awaited<ReturnType<Store["workloads"]["active"]>>) => {
    const today = startOfUtcDay(clock.now());
    const out: BurstUsage = new Map();
    for (const p of policies) {
      const preferred = p.spec.pools[0]?.name;
      const burst = active.filter((a) => a.policy === p.metadata.name && a.pool !== null && a.pool !== preferred);
      out.set(p.metadata.name, {
        burstGpusInUse: burst.reduce((n, a) => n + a.replicas * a.gpusPerReplica, 0),
        burstSpendPerHour: burst.reduce((n, a) => n + a.replicas * a.gpusPerReplica * a.pricePerGpuHour, 0),
        burstSpendToday: preferred ? await store.costs.burstSpend(p.metadata.name, preferred, today) : 0,
      });
    }
    return out;
  };

  /** Tenants that may not start new work now, with the reason. */
  const heldTenants = async (tenants: Set<string>): Promise<Map<string, string>> => {
    const held = new Map<string, string>();
    const now = clock.now();
    for (const tenant of tenants) {
      const budget = await store.budgets.get(tenant);
      if (!budget) continue;
      const reason = overBudget(
        budget,
        await store.costs.tenantSpend(tenant, startOfUtcDay(now)),
        await store.costs.tenantSpend(tenant, startOfUtcMonth(now)),
      );
      if (reason) held.set(tenant, reason);
    }
    return held;
  };

  const schedulePass = async (span: Span): Promise<void> => {
    const pending = await store.workloads.pending();
    deps.metrics?.pending.set(pending.length);
    span.setAttribute("gantry.waiting", pending.length);
    if (pending.length === 0) return;
    const [fleet, policies, budgets, active] = await Promise.all([
      snapshot(),
      store.policies.list(),
      store.budgets.list(),
      store.workloads.active(),
    ]);
    const usage = new Map<string, number>();
    for (const a of active) usage.set(a.tenant, (usage.get(a.tenant) ?? 0) + a.replicas * a.gpusPerReplica);
    const weights = new Map(budgets.map((b) => [b.metadata.name, b.spec.weight]));
    const contexts = await burstContexts(policies, active);
    const held = await heldTenants(new Set(pending.map((p) => p.tenant)));
    const queuedGpus = new Map<string, number>();
    for (const row of pending) {
      const p = policyFor(row.manifest, policies);
      if (p) queuedGpus.set(p.metadata.name, (queuedGpus.get(p.metadata.name) ?? 0) + gpusOf(row.manifest));
    }

    const now = clock.now();
    const order = queueOrder(
      pending.map((row) => ({ ...row, gpus: gpusOf(row.manifest) })),
      usage,
      weights,
    );
    const candidates: WorkloadRow[] = [];
    for (const row of order) {
      const holdReason = held.get(row.tenant);
      if (holdReason) await store.workloads.setPendingMessage(row.name, `held: ${holdReason}`, now);
      else candidates.push(row);
    }
    // Compile the snapshot once per pass; every decision in it adds its reservations on top.
    const input: PassInput = {
      fleet,
      compiled: compileFleet(fleet),
      policies,
      usage: contexts,
      queuedGpus,
      now,
      observe: (seconds) => deps.metrics?.decisionSeconds.observe(seconds),
    };
    const started = performance.now();
    let chosen = planPass(candidates, 0, input);
    // Several workloads waiting together: decide them as one batch too, and keep that when it places every
    // workload queue order placed (so priority and fair share still decide who gets scarce capacity) and
    // either places more or costs less.
    const batched = batchSize(candidates.length, fleet.clusters.length, batchLimit);
    if (batched >= 2 && chosen.placed.length > 0) {
      const batch = planPass(candidates, batched, input);
      const kept = batchIsBetter(batch, chosen);
      span.setAttributes({ "gantry.batch.size": batched, "gantry.batch.kept": kept });
      deps.metrics?.batches.inc({ result: kept ? "kept" : "discarded" });
      if (kept) {
        logger.info(
          { workloads: batched, placed: batch.placed.length, saves: costOf(chosen) - costOf(batch) },
          "batch placement in regret order",
        );
        chosen = batch;
      }
    }
    deps.metrics?.passSeconds.observe((performance.now() - started) / 1000);
    span.setAttributes({ "gantry.placed": chosen.placed.length, "gantry.unplaced": chosen.unplaced.length });
    // One event per placement, so a trace shows where each workload went and at what estimated cost.
    for (const { row, outcome } of chosen.placed) {
      span.addEvent("placed", {
        "gantry.workload": row.name,
        "gantry.assignments": outcome.decision.assignments.map((a) => `${a.cluster}×${a.replicas}`).join(","),
        "gantry.estimated_cost_usd": outcome.decision.estimatedCost.total,
      });
    }

    let placedAny = false;
    let retryIn = Number.POSITIVE_INFINITY;
    for (const { outcome } of [...chosen.placed, ...chosen.unplaced]) {
      if (outcome.retryInSeconds !== undefined) retryIn = Math.min(retryIn, outcome.retryInSeconds);
    }
    for (const { row, outcome } of chosen.unplaced) {
      deps.metrics?.decisions.inc({ outcome: "unplaced" });
      const message = outcome.note ?? outcome.decision.summary;
      if (row.message !== message) {
        await store.workloads.recordUnplaced(row.name, randomUUID(), outcome.decision, message, now);
      }
    }
    for (const { row, outcome } of chosen.placed) {
      deps.metrics?.decisions.inc({ outcome: "placed" });
      const { decision, policy, pool, note } = outcome;
      const placed = await store.workloads.place(row.name, {
        decisionId: randomUUID(),
        decision,
        reservations: reservationsFor(row.name, row.manifest, decision),
        at: now,
        policy: policy?.metadata.name ?? null,
        pool,
        poolNote: note,
      });
      if (!placed) continue;
      placedAny = true;
      logger.info(
        { workload: row.name, pool, assignments: decision.assignments.map((a) => `${a.cluster}×${a.replicas}`) },
        "placed",
      );
    }
    if (placedAny) deps.onDesiredStateChanged();
    // A wait trigger fires at a known time: wake up then rather than at the next periodic pass.
    if (Number.isFinite(retryIn)) {
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = setTimeout(() => void pass.kick(), Math.ceil(retryIn * 1000) + 50);
      retryTimer.unref();
    }
  };

  const pass = coalesced(
    () => exclusive(() => tracer.startActiveSpan("gantry.schedule.pass", (span) => inSpan(span, schedulePass))),
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
    /** Run `section` with no scheduling pass in progress (drain-back decides on the same capacity). */
    exclusive,
    snapshot,

    /** A dry run on the current snapshot: nothing is stored. */
    async dryRun(workload: Workload): Promise<Decision> {
      return plan(await snapshot(), workload);
    },

    /** Fold an agent's status report into placements and workload phases. */
    async onStatuses(cluster: string, statuses: PlacementStatus[]): Promise<void> {
      const changed = await store.workloads.recordStatuses(cluster, statuses);
      let desiredChanged = false;
      let ended = false;
      for (const name of new Set(changed)) {
        const w = await store.workloads.get(name);
        if (!w || w.phase === "Succeeded" || w.phase === "Failed") continue;
        const active = w.placements.filter((p) => p.active);
        const current = active.filter((p) => p.generation === w.generation);
        const draining = active.filter((p) => p.generation < w.generation);
        const { phase, message } = aggregatePhase(
          w.manifest.spec.type,
          current.map((p) => p.status),
        );
        if (draining.length > 0) {
          // Drain-back: the old replicas serve until every new one is ready, then they go.
          const allReady = current.every((p) => p.status?.phase === "Running" && p.status.readyReplicas >= p.replicas);
          if (allReady && current.length > 0) {
            const retired = await store.workloads.retireOld(name, w.generation);
            logger.info({ workload: name, retired }, "drain-back complete; old placements retired");
            desiredChanged = true;
            await store.workloads.setPhase(
              name,
              "Running",
              `moved to ${w.pool ?? "the preferred pool"}; ${message}`,
              clock.now(),
            );
          }
          continue;
        }
        if (phase === "Pending") continue;
        await store.workloads.setPhase(name, phase, message, clock.now());
        if (phase !== w.phase) logger.info({ workload: name, phase }, "workload phase");
        ended ||= phase === "Succeeded" || phase === "Failed";
      }
      if (ended || desiredChanged) deps.onDesiredStateChanged();
      if (ended) void pass.kick();
    },

    close() {
      if (retryTimer) clearTimeout(retryTimer);
    },
  };
};
export type Scheduler = ReturnType<typeof createScheduler>;
