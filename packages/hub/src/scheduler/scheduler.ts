import { randomUUID } from "node:crypto";
import {
  type BurstPolicy,
  type Dataset,
  type Decision,
  type Fleet,
  inSpan,
  type Reservation,
  type Workload,
} from "@gantry/shared";
import { type Span, trace } from "@opentelemetry/api";
import type { FleetView } from "../fleet/view.ts";
import type { Metrics } from "../metrics.ts";
import { type FleetSnapshot, planOn, reservationsFor, stagingPlan } from "../placement/index.ts";
import { type ActiveUsage, FencedError, type PlacementChange, type Store, type WorkloadRow } from "../store/index.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { coalesced, mutex } from "../util/serial.ts";
import { overBudget, startOfUtcDay, startOfUtcMonth } from "./budgets.ts";
import { policyFor } from "./burst.ts";
import { type Engine, inProcessEngine } from "./engine.ts";
import { type BurstUsage, DEFAULT_BATCH_LIMIT, gpusOf, type PassPlan, sliceSize } from "./pass.ts";
import { queueOrder } from "./queue.ts";

const tracer = trace.getTracer("gantry-hub");

export interface SchedulerDeps {
  store: Store;
  view: FleetView;
  /** The work clock: queue waits, budget windows, burst spend today and every time a decision records. */
  clock: Clock;
  /** How long a timer waits on the process clock for this much work time (a simulated clock runs faster). */
  timerMs?: (workMs: number) => number;
  logger: Logger;
  /** The leader's epoch; undefined when this replica is not the leader (it then never schedules). */
  epoch: () => number | undefined;
  /** A leader write was refused: a newer leader exists. */
  onFenced: (error: FencedError) => void;
  /** Called after a transaction queued desired-state changes, so the relay publishes now. */
  onDesiredStateChanged: () => void;
  metrics?: Metrics;
  /**
   * At most this many waiting workloads (the first in queue order) are also decided as one batch in regret order
   * (default `DEFAULT_BATCH_LIMIT`, lower on large fleets: `batchSize`); 0 or 1 turns batching off.
   */
  batchLimit?: number;
  /** About how long a pass's batch may take (ms; `batchWithinBudget`); undefined: bounded by `batchSize` only. */
  batchBudgetMs?: number;
  /** Most placements per transaction (default `PLACE_CHUNK`). */
  placeChunk?: number;
  /** About how long one slice of a pass decides before it commits (ms; default `SLICE_BUDGET_MS`). */
  sliceBudgetMs?: number;
  /** Where decisions are made: the engine thread (`createEngineWorker`); by default the event loop. */
  engine?: Engine;
  /** From how many clusters `warm` prepares the engine (default `WARM_FROM_CLUSTERS`). */
  warmFromClusters?: number;
}

/** From how many clusters the scheduler keeps its snapshot and the engine's fleet warm between passes (`warm`). */
const WARM_FROM_CLUSTERS = 2_000;
/** How long after a decided slice `warm` has nothing to do. */
const WARM_IDLE_MS = 30_000;

/** Most placements one transaction of a pass commits (`placeMany`). */
const PLACE_CHUNK = 16;

/** About how long (ms of deciding) one slice of a pass takes before its placements commit (`sliceSize`). */
const SLICE_BUDGET_MS = 500;

/** Wall-clock ms a slice spent on each step (the pass's debug line sums them). */
interface SliceTimes {
  snapshotMs: number;
  decideMs: number;
  batchMs: number;
  writeMs: number;
}

/** A reservation as stored: with the generation of the placement it holds capacity for. */
type StoredReservation = Reservation & { generation: number };

/** A slice's decisions, ready to record (`writeSlice`). */
interface DecidedSlice {
  chosen: PassPlan;
  placements: { row: WorkloadRow; pool: string | null; decision: Decision; change: PlacementChange }[];
  /** Seconds until a waiting workload's trigger fires (a burst after a wait), or Infinity. */
  retryIn: number;
  times: SliceTimes;
  /** The work clock's time the slice was decided at (every record it makes carries it). */
  now: Date;
}

/** What a placement not yet stored holds, as `activeUsage` sums it. */
const usageOf = ({ row, change, decision }: DecidedSlice["placements"][number]): ActiveUsage => ({
  tenant: row.tenant,
  policy: change.policy ?? null,
  pool: change.pool ?? null,
  gpus: decision.assignments.reduce((n, a) => n + a.replicas, 0) * row.manifest.spec.resources.gpu.count,
  spendPerHour: decision.assignments.reduce(
    (n, a) => n + a.replicas * row.manifest.spec.resources.gpu.count * a.pricePerGpuHour,
    0,
  ),
});

/** The reservations a placement being stored holds, at the generation it will be stored with. */
const heldBy = ({ row, change }: DecidedSlice["placements"][number]): StoredReservation[] =>
  change.reservations.map((r) => ({ ...r, generation: row.generation + 1 }));

/** GPUs waiting per burst policy (a trigger); a manifest the queue cannot read counts for none. */
const queuedGpusOf = (rows: readonly WorkloadRow[], policies: BurstPolicy[]): Map<string, number> => {
  const out = new Map<string, number>();
  for (const row of rows) {
    try {
      const p = policyFor(row.manifest, policies);
      if (p) out.set(p.metadata.name, (out.get(p.metadata.name) ?? 0) + gpusOf(row.manifest));
    } catch {
      // Quarantined by the pass that read it first.
    }
  }
  return out;
};

/** How many times a pass reads the queue again for what arrived while it decided (`schedulePass`). */
const PASS_ROUNDS = 8;

/** Longest stretch (ms) a pass decides without giving the event loop a turn. */
const PASS_SLICE_MS = 10;

/**
 * The loop around the pure engine: it orders the queue, applies burst policies and budgets, asks the engine, and
 * records the outcome. It runs on the leader only, decides on the in-memory fleet view (never a fleet query), and
 * every write it makes carries the leader's epoch. Passes are serialised, so two decisions never read the same free
 * capacity; within a pass, each placement's reservations are added to the snapshot.
 */
export const createScheduler = (deps: SchedulerDeps) => {
  const { store, clock, logger, view } = deps;
  const batchLimit = deps.batchLimit ?? DEFAULT_BATCH_LIMIT;
  const timerMs = deps.timerMs ?? ((ms: number) => ms);
  const exclusive = mutex();
  let retryTimer: NodeJS.Timeout | undefined;
  /** Closing: a pass in progress stops at its next step (what it committed stays; the rest waits for a leader). */
  let closed = false;
  let datasets: { key: string; list: Dataset[] } = { key: "", list: [] };

  /**
   * Datasets as operators registered them, with the ready copies agents report as more locations (caches). They
   * change rarely: the same array is kept while their content is the same, so the compiled fleet is reused.
   */
  const currentDatasets = async (): Promise<Dataset[]> => {
    const copies = view.copies();
    const list = (await store.datasets.list()).map((d) => {
      const extra = copies.get(d.name)?.filter((c) => !d.locations.includes(c)) ?? [];
      return extra.length === 0 ? d : { ...d, locations: [...d.locations, ...extra] };
    });
    const key = JSON.stringify(list);
    if (key !== datasets.key) datasets = { key, list };
    return datasets.list;
  };

  /**
   * The snapshot a decision is made on: the fleet view, datasets, and reservations not yet seen in reports — the
   * stored ones and `writing`'s, those of placements being committed (a uid already stored is not counted twice).
   */
  const snapshot = async (
    writing: readonly StoredReservation[] = [],
  ): Promise<{ fleet: Fleet; compiled: FleetSnapshot }> => {
    const [ds, stored] = await Promise.all([currentDatasets(), store.workloads.reservations()]);
    const { fleet, compiled } = view.snapshot(ds);
    const storedUids = new Set(stored.map((r) => r.workload));
    const all = [...stored, ...writing.filter((r) => !storedUids.has(r.workload))];
    return { fleet: { ...fleet, reservations: view.openReservations(all) }, compiled };
  };

  /** Per-policy burst usage from active placements and the ledger. */
  const burstContexts = async (policies: BurstPolicy[], active: readonly ActiveUsage[]) => {
    const today = startOfUtcDay(clock.now());
    const out: BurstUsage = new Map();
    for (const p of policies) {
      const preferred = p.spec.pools[0]?.name;
      const burst = active.filter((a) => a.policy === p.metadata.name && a.pool !== null && a.pool !== preferred);
      out.set(p.metadata.name, {
        burstGpusInUse: burst.reduce((n, a) => n + a.gpus, 0),
        burstSpendPerHour: burst.reduce((n, a) => n + a.spendPerHour, 0),
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

  /** Between two decisions of a pass: after ~10 ms of deciding, let the event loop run what waits. */
  let lastTurn = performance.now();
  const pause = (): Promise<void> | undefined => {
    if (performance.now() - lastTurn < PASS_SLICE_MS) return undefined;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        lastTurn = performance.now();
        resolve();
      }),
    );
  };

  /** What one decision took in the last slice (ms of deciding, not of waiting for the event loop). */
  let decisionMsLately: number | undefined;
  /** When a slice was last decided (`performance.now()`): the engine is warm for a while after. */
  let decidedAt = Number.NEGATIVE_INFINITY;
  const engine = deps.engine ?? inProcessEngine(pause);

  /**
   * The waiting workloads a pass may decide, in queue order: a manifest the queue cannot read is quarantined (set
   * aside like a failed decision instead of failing every pass for everyone); a tenant over its budget is held, with
   * the reason in its workloads' messages.
   */
  const queueOf = async (
    waiting: readonly WorkloadRow[],
    policies: BurstPolicy[],
    active: readonly ActiveUsage[],
    weights: Map<string, number>,
  ): Promise<WorkloadRow[] | undefined> => {
    const usage = new Map<string, number>();
    for (const a of active) usage.set(a.tenant, (usage.get(a.tenant) ?? 0) + a.gpus);
    const pending: (WorkloadRow & { gpus: number })[] = [];
    for (const row of waiting) {
      try {
        // What the queue and the burst trigger read of the manifest: a manifest that fails either is set aside here.
        const gpus = gpusOf(row.manifest);
        policyFor(row.manifest, policies);
        pending.push({ ...row, gpus });
      } catch (error) {
        deps.metrics?.decisions.inc({ outcome: "failed" });
        logger.error(
          { err: error, workload: row.name, tenant: row.tenant },
          "unreadable manifest; workload quarantined",
        );
        await store.placing.quarantine(row.uid, error instanceof Error ? error.message : String(error), clock.now());
      }
    }
    const held = await heldTenants(new Set(pending.map((p) => p.tenant)));
    const now = clock.now();
    const candidates: WorkloadRow[] = [];
    for (const row of queueOrder(pending, usage, weights)) {
      if (closed) return undefined;
      const holdReason = held.get(row.tenant);
      if (holdReason) await store.placing.setPendingMessage(row.uid, `held: ${holdReason}`, now);
      else candidates.push(row);
    }
    return candidates;
  };

  const schedulePass = async (span: Span, epoch: number): Promise<void> => {
    const passStarted = performance.now();
    const waiting = await store.workloads.pending();
    deps.metrics?.pending.set(waiting.length);
    span.setAttribute("gantry.waiting", waiting.length);
    if (waiting.length === 0) return;
    const [policies, budgets, active] = await Promise.all([
      store.policies.list(),
      store.budgets.list(),
      store.workloads.activeUsage(),
    ]);
    const weights = new Map(budgets.map((b) => [b.metadata.name, b.spec.weight]));
    let candidates = await queueOf(waiting, policies, active, weights);
    if (!candidates) return;
    let queuedGpus = queuedGpusOf(waiting, policies);
    // The queue in slices, each decided on the fleet as the slices before it left it: the first workloads of a long
    // queue on a large fleet run while the rest are still being decided. A slice is committed while the next one is
    // decided (the engine thread decides while the event loop and PostgreSQL write): at 10,000 clusters a pass spent
    // as long writing as deciding, one after the other. Writes stay in queue order, one slice at a time.
    const started = performance.now();
    const times: SliceTimes = { snapshotMs: 0, decideMs: 0, batchMs: 0, writeMs: 0 };
    let retryIn = Number.POSITIVE_INFINITY;
    let placed = 0;
    let slices = 0;
    let decided = 0;
    // Every workload this pass has read (decided, held or quarantined): a pass decides each once.
    const seen = new Set(waiting.map((w) => w.uid));
    // What the slices decided so far hold: burst caps and fair share count them before they are stored.
    let holding: readonly ActiveUsage[] = active;
    let writing: { uids: Set<string>; reservations: StoredReservation[]; done: Promise<number> } | undefined;
    try {
      for (let round = 0; ; round++) {
        const per = sliceSize(candidates.length, decisionMsLately, deps.sliceBudgetMs ?? SLICE_BUDGET_MS);
        for (let i = 0; i < candidates.length; i += per) {
          if (closed) return;
          const slice = await decideSlice(span, candidates.slice(i, i + per), {
            policies,
            queuedGpus,
            active: holding,
            // The regret batch is over the head of the queue, as before slices: later slices follow in queue order.
            batch: round === 0 && i === 0,
            writing: writing?.reservations ?? [],
          });
          slices++;
          decided += Math.min(per, candidates.length - i);
          retryIn = Math.min(retryIn, slice.retryIn);
          for (const k of Object.keys(times) as (keyof SliceTimes)[]) times[k] += slice.times[k];
          if (writing) placed += await writing.done;
          if (closed) return;
          holding = [...holding, ...slice.placements.map(usageOf)];
          const done = writeSlice(epoch, slice, times);
          // Awaited before the next write or at the end; until then a failure must not count as unhandled.
          done.catch(() => undefined);
          writing = {
            uids: new Set(slice.placements.map((p) => p.row.uid)),
            reservations: slice.placements.flatMap(heldBy),
            done,
          };
        }
        // While the last slice is written, what was submitted since the pass read the queue is decided too, instead
        // of waiting for this pass to end and the next to read the queue again (a few rounds: failover and
        // drain-back wait for the pass to end). The workloads being written are still Pending in the database.
        if (!writing || round >= PASS_ROUNDS || closed) break;
        const being = writing.uids;
        const still = (await store.workloads.pending()).filter((w) => !being.has(w.uid));
        const fresh = still.filter((w) => !seen.has(w.uid));
        if (fresh.length === 0) break;
        for (const w of fresh) seen.add(w.uid);
        const next = await queueOf(fresh, policies, holding, weights);
        if (!next) return;
        candidates = next;
        // A burst trigger counts every GPU still waiting under its policy, not only the newcomers'.
        queuedGpus = queuedGpusOf(still, policies);
      }
      if (writing) placed += await writing.done;
      writing = undefined;
    } finally {
      // A pass that stops early (closing, a failed decision slice) still waits for the write it started.
      await writing?.done.catch(() => undefined);
    }
    // Where a slow pass's time went (wall-clock ms, event-loop waits included): read before deciding, then per step.
    logger.debug(
      {
        waiting: waiting.length,
        candidates: decided,
        placed,
        slices,
        readMs: Math.round(started - passStarted),
        ...Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Math.round(v)])),
      },
      "scheduling pass",
    );
    deps.metrics?.passSeconds.observe((performance.now() - started) / 1000);
    span.setAttributes({ "gantry.placed": placed, "gantry.slices": slices });
    // A wait trigger fires at a known time: wake up then rather than at the next periodic pass.
    if (Number.isFinite(retryIn)) {
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = setTimeout(() => void pass.kick(), Math.ceil(timerMs(retryIn * 1000)) + 50);
      retryTimer.unref();
    }
  };

  /** Decide `candidates` (in queue order) on the current snapshot; `writeSlice` records and commits the outcome. */
  const decideSlice = async (
    span: Span,
    candidates: WorkloadRow[],
    context: {
      policies: BurstPolicy[];
      queuedGpus: Map<string, number>;
      active: readonly ActiveUsage[];
      batch: boolean;
      /** Reservations of the slice being committed meanwhile. */
      writing: readonly StoredReservation[];
    },
  ): Promise<DecidedSlice> => {
    const { policies, queuedGpus, active } = context;
    let at = performance.now();
    const lap = () => {
      const was = at;
      at = performance.now();
      return at - was;
    };
    const [{ fleet, compiled }, contexts] = await Promise.all([
      snapshot(context.writing),
      burstContexts(policies, active),
    ]);
    const times: SliceTimes = { snapshotMs: lap(), decideMs: 0, batchMs: 0, writeMs: 0 };
    const now = clock.now();
    const plan = await engine.planSlice(
      {
        candidates,
        fleet,
        compiled,
        policies,
        usage: contexts,
        queuedGpus,
        now,
        options: {
          batch: context.batch,
          batchLimit,
          ...(deps.batchBudgetMs === undefined ? {} : { batchBudgetMs: deps.batchBudgetMs }),
        },
      },
      (seconds) => deps.metrics?.decisionSeconds.observe(seconds),
    );
    lap();
    times.decideMs = plan.decideMs;
    times.batchMs = plan.batchMs;
    if (plan.decisionMs !== undefined) decisionMsLately = plan.decisionMs;
    decidedAt = performance.now();
    const { chosen, batch } = plan;
    if (batch) {
      span.setAttributes({ "gantry.batch.size": batch.size, "gantry.batch.kept": batch.kept });
      deps.metrics?.batches.inc({ result: batch.kept ? "kept" : "discarded" });
      if (batch.kept) {
        logger.info(
          { workloads: batch.size, placed: batch.placed, saves: batch.saves },
          "batch placement in regret order",
        );
      }
    }
    for (const { row, outcome } of chosen.placed) {
      span.addEvent("placed", {
        "gantry.workload": `${row.tenant}/${row.name}`,
        "gantry.assignments": outcome.decision.assignments.map((a) => `${a.cluster}×${a.replicas}`).join(","),
        "gantry.estimated_cost_usd": outcome.decision.estimatedCost.total,
      });
    }

    let retryIn = Number.POSITIVE_INFINITY;
    for (const { outcome } of [...chosen.placed, ...chosen.unplaced]) {
      if (outcome.retryInSeconds !== undefined) retryIn = Math.min(retryIn, outcome.retryInSeconds);
    }
    const placements = chosen.placed.map(({ row, outcome }) => {
      const { decision, policy, pool, note } = outcome;
      const burst = policy !== undefined && pool !== null && pool !== policy.spec.pools[0]?.name;
      const change: PlacementChange = {
        decisionId: randomUUID(),
        decision,
        reservations: reservationsFor(row.uid, row.manifest, decision),
        at: now,
        policy: policy?.metadata.name ?? null,
        pool,
        poolNote: note,
        reason: burst ? "Burst" : "Placed",
        staging: stagingPlan(compiled, fleet.datasets, row.manifest, decision),
      };
      return { row, pool, decision, change };
    });
    return { chosen, placements, retryIn, times, now };
  };

  /** Record a decided slice: quarantines, unplaced messages, then its placements, committed and published in chunks. */
  const writeSlice = async (epoch: number, slice: DecidedSlice, times: SliceTimes): Promise<number> => {
    const started = performance.now();
    const { chosen, placements, now } = slice;
    for (const { row, error } of chosen.failed) {
      deps.metrics?.decisions.inc({ outcome: "failed" });
      logger.error({ err: error, workload: row.name, tenant: row.tenant }, "decision failed; workload quarantined");
      await store.placing.quarantine(row.uid, error instanceof Error ? error.message : String(error), now);
    }
    for (const { row, outcome } of chosen.unplaced) {
      if (closed) break;
      deps.metrics?.decisions.inc({ outcome: "unplaced" });
      const message = outcome.note ?? outcome.decision.summary;
      if (row.message !== message) {
        await store.placing.recordUnplaced(row.uid, randomUUID(), outcome.decision, message, now, epoch);
      }
    }
    for (const _ of placements) deps.metrics?.decisions.inc({ outcome: "placed" });
    // Placements commit in chunks, each one transaction, and are published as each chunk commits: a pass of hundreds
    // of placements should neither be hundreds of transactions nor make the first workload's agent wait for the
    // last one. The relay coalesces kicks (one run at a time, at most one more queued).
    const per = deps.placeChunk ?? PLACE_CHUNK;
    let placedCount = 0;
    for (let i = 0; i < placements.length; i += per) {
      if (closed) break;
      const chunk = placements.slice(i, i + per);
      const placed = await store.placing.placeMany(
        chunk.map((p) => ({ uid: p.row.uid, change: p.change })),
        epoch,
      );
      if (placed.size > 0) deps.onDesiredStateChanged();
      placedCount += placed.size;
      for (const { row, pool, decision } of chunk) {
        if (!placed.has(row.uid)) continue;
        logger.info(
          {
            workload: row.name,
            tenant: row.tenant,
            pool,
            assignments: decision.assignments.map((a) => `${a.cluster}×${a.replicas}`),
          },
          "placed",
        );
      }
    }
    times.writeMs += performance.now() - started;
    return placedCount;
  };

  const pass = coalesced(
    () =>
      exclusive(async () => {
        const epoch = deps.epoch();
        if (epoch === undefined || closed) return;
        await tracer.startActiveSpan("gantry.schedule.pass", (span) => inSpan(span, (s) => schedulePass(s, epoch)));
      }),
    (error) => {
      if (error instanceof FencedError) deps.onFenced(error);
      // Closing under a pass (the engine thread or the database going away) is not a failure: nothing half-written.
      else if (closed) logger.debug({ err: error }, "scheduling pass stopped by close");
      else logger.error({ err: error }, "scheduling pass failed");
    },
  );

  return {
    /** Re-evaluate the pending queue soon (a submission, capacity changed, a workload ended, a timer fired). */
    kick: () => pass.kick(),
    idle: () => pass.idle(),
    /** Milliseconds since a pass last decided something (Infinity before the first). */
    sinceDecidedMs: () => performance.now() - decidedAt,
    /** Run `section` with no scheduling pass in progress (drain-back and failover decide on the same capacity). */
    exclusive,
    snapshot,

    /**
     * Bring the snapshot and the engine's copy of the fleet up to date without deciding anything, so the first
     * workloads after a start (or after the fleet grew) do not wait for them: at 10,000 clusters compiling the
     * snapshot and sending the whole fleet to the engine thread is ~0.5 s of the event loop on a busy core, paid by
     * the first pass with work. Below `WARM_FROM_CLUSTERS` that cost is small and the thread is left to start
     * with the first pass (an idle hub on a small fleet keeps its memory).
     */
    warm: () =>
      exclusive(async () => {
        // Passes that decide keep it warm themselves; warming then would only hold the next one up.
        if (closed || deps.epoch() === undefined || performance.now() - decidedAt < WARM_IDLE_MS) return;
        const { fleet, compiled } = await snapshot();
        if (fleet.clusters.length < (deps.warmFromClusters ?? WARM_FROM_CLUSTERS)) return;
        await engine.planSlice(
          {
            candidates: [],
            fleet,
            compiled,
            policies: [],
            usage: new Map(),
            queuedGpus: new Map(),
            now: clock.now(),
            options: { batch: false, batchLimit },
          },
          () => undefined,
        );
      }),

    /** A dry run on the live snapshot: nothing is stored. */
    async dryRun(workload: Workload): Promise<Decision> {
      const { fleet, compiled } = await snapshot();
      return planOn(compiled, fleet.reservations, workload);
    },

    /** Stop: no new pass starts, one in progress stops at its next step; the engine closes once it has. */
    close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      void pass.idle().finally(() => engine.close());
    },
  };
};
export type Scheduler = ReturnType<typeof createScheduler>;
