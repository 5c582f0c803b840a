import { randomUUID } from "node:crypto";
import type { BurstPolicy, Decision, Fleet, PlacementStatus, Workload } from "@gantry/shared";
import type { HealthThresholds } from "../fleet/health.ts";
import { buildSnapshot } from "../fleet/snapshot.ts";
import type { Metrics } from "../metrics.ts";
import {
  compileFleet,
  type FleetSnapshot,
  placeInRegretOrder,
  plan,
  planOn,
  reservationsFor,
} from "../placement/index.ts";
import type { Store, WorkloadRow } from "../store/index.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { coalesced, mutex } from "../util/serial.ts";
import { overBudget, startOfUtcDay, startOfUtcMonth } from "./budgets.ts";
import { type BurstContext, decideUnderPolicy, type Planner, policyFor } from "./burst.ts";
import { aggregatePhase } from "./phase.ts";
import { queueOrder } from "./queue.ts";

interface PassPlan {
  /** In the order they were decided. */
  placed: { row: WorkloadRow; outcome: PassOutcome }[];
  unplaced: { row: WorkloadRow; outcome: PassOutcome }[];
}

interface PassOutcome {
  decision: Decision;
  policy?: BurstPolicy;
  pool: string | null;
  note: string | null;
  retryInSeconds?: number;
}

/** Most waiting workloads decided as one batch (the quality benchmark's 200). */
export const DEFAULT_BATCH_LIMIT = 200;

/**
 * Regret order re-decides every waiting workload after each placement: n(n+1)/2 decisions, each over every
 * cluster. This bounds that work per pass (~1.3 s on the benchmark machine; 200 workloads on 50 clusters,
 * 44 on 1,000, 14 on 10,000), so a long queue on a large fleet cannot stall the hub.
 */
const BATCH_CLUSTER_DECISIONS = 1_000_000;

/** How many of the waiting workloads a pass decides as one batch. */
export const batchSize = (waiting: number, clusters: number, limit: number): number => {
  // n(n+1)/2 decisions of `clusters` each: about n²/2 × clusters.
  const byWork = Math.floor(Math.sqrt((2 * BATCH_CLUSTER_DECISIONS) / Math.max(1, clusters)));
  return Math.min(waiting, limit, byWork);
};

const costOf = (p: PassPlan) => p.placed.reduce((n, x) => n + x.outcome.decision.estimatedCost.total, 0);

/** The batch wins when it places everything queue order placed, and then more, or the same for less. */
const batchIsBetter = (batch: PassPlan, queue: PassPlan): boolean => {
  const placed = new Set(batch.placed.map((p) => p.row.name));
  if (!queue.placed.every((p) => placed.has(p.row.name))) return false;
  return batch.placed.length > queue.placed.length || costOf(batch) < costOf(queue) - 1e-6;
};

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

const gpusOf = (w: Workload) => w.spec.replicas * w.spec.resources.gpu.count;

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
    const out = new Map<string, Omit<BurstContext, "waitedSeconds" | "queuedGpus">>();
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

  /** One workload's decision: under its burst policy when it has one, else on the whole fleet. */
  const decide = (
    row: WorkloadRow,
    fleet: Fleet,
    planner: Planner,
    policies: BurstPolicy[],
    contexts: Map<string, Omit<BurstContext, "waitedSeconds" | "queuedGpus">>,
    queuedGpus: Map<string, number>,
    now: Date,
  ): PassOutcome => {
    const workload = row.manifest;
    const policy = policyFor(workload, policies);
    if (!policy) return { decision: planner(workload), pool: null, note: null };
    const ctx = contexts.get(policy.metadata.name);
    const outcome = decideUnderPolicy(
      fleet,
      workload,
      policy,
      {
        burstGpusInUse: ctx?.burstGpusInUse ?? 0,
        burstSpendPerHour: ctx?.burstSpendPerHour ?? 0,
        burstSpendToday: ctx?.burstSpendToday ?? 0,
        waitedSeconds: (now.getTime() - row.createdAt.getTime()) / 1000,
        queuedGpus: queuedGpus.get(policy.metadata.name) ?? 0,
      },
      planner,
    );
    return { ...outcome, policy };
  };

  type Contexts = Map<string, Omit<BurstContext, "waitedSeconds" | "queuedGpus">>;

  /**
   * Decides a pass's workloads on one compiled snapshot, without touching the store: in queue order (priority,
   * fair share, age), or the first `batched` of them as one batch in regret order (`placeInRegretOrder`) and the
   * rest in queue order after them. Each placement's reservations and burst usage count against the decisions
   * after it.
   */
  const planPass = (
    rows: readonly WorkloadRow[],
    batched: number,
    base: { fleet: Fleet; compiled: FleetSnapshot; policies: BurstPolicy[]; contexts: Contexts },
    queuedGpus: Map<string, number>,
    now: Date,
  ): PassPlan => {
    const reservations = [...base.fleet.reservations];
    const fleet = { ...base.fleet, reservations };
    const contexts: Contexts = new Map([...base.contexts].map(([k, v]) => [k, { ...v }]));
    const planner: Planner = (w, o) => planOn(base.compiled, reservations, w, o);
    const run = (row: WorkloadRow): PassOutcome => {
      const started = performance.now();
      const outcome = decide(row, fleet, planner, base.policies, contexts, queuedGpus, now);
      deps.metrics?.decisionSeconds.observe((performance.now() - started) / 1000);
      return outcome;
    };
    const commit = (row: WorkloadRow, outcome: PassOutcome) => {
      reservations.push(...reservationsFor(row.name, row.manifest, outcome.decision));
      // What this pass bursts counts against the caps of the next decision in the same pass.
      const ctx = outcome.policy && contexts.get(outcome.policy.metadata.name);
      if (ctx && outcome.pool !== outcome.policy?.spec.pools[0]?.name) {
        ctx.burstGpusInUse += gpusOf(row.manifest);
        ctx.burstSpendPerHour += outcome.decision.estimatedCost.perHour;
      }
    };
    const result: PassPlan = { placed: [], unplaced: [] };
    const last = new Map<WorkloadRow, PassOutcome>();
    const batch = placeInRegretOrder(
      rows.slice(0, batched),
      (row) => {
        const outcome = run(row);
        last.set(row, outcome);
        return outcome.decision;
      },
      (row) => commit(row, last.get(row)!),
    );
    for (const { item } of batch.placed) result.placed.push({ row: item, outcome: last.get(item)! });
    for (const { item } of batch.unplaced) result.unplaced.push({ row: item, outcome: last.get(item)! });
    for (const row of rows.slice(batched)) {
      const outcome = run(row);
      if (outcome.decision.feasible) commit(row, outcome);
      result[outcome.decision.feasible ? "placed" : "unplaced"].push({ row, outcome });
    }
    return result;
  };

  const schedulePass = async (): Promise<void> => {
    const pending = await store.workloads.pending();
    deps.metrics?.pending.set(pending.length);
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
    const base = { fleet, compiled: compileFleet(fleet), policies, contexts };
    let chosen = planPass(candidates, 0, base, queuedGpus, now);
    // Several workloads waiting together: decide them as one batch too, and keep that when it places every
    // workload queue order placed (so priority and fair share still decide who gets scarce capacity) and
    // either places more or costs less.
    const batched = batchSize(candidates.length, fleet.clusters.length, batchLimit);
    if (batched >= 2 && chosen.placed.length > 0) {
      const batch = planPass(candidates, batched, base, queuedGpus, now);
      if (batchIsBetter(batch, chosen)) {
        logger.info(
          { workloads: batched, placed: batch.placed.length, saves: costOf(chosen) - costOf(batch) },
          "batch placement in regret order",
        );
        chosen = batch;
      }
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
    () => exclusive(schedulePass),
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
