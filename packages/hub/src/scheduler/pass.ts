import type { BurstPolicy, Decision, Fleet, Workload } from "@gantry/shared";
import {
  type CapacityPrices,
  expectedCost,
  type FleetSnapshot,
  type KeepPolicy,
  placeInRegretOrder,
  planOn,
  queuePricing,
  reservationsFor,
} from "../placement/index.ts";
import type { WorkloadRow } from "../store/index.ts";
import { type BurstContext, decideUnderPolicy, type Planner, policyFor } from "./burst.ts";

/**
 * One scheduling pass's decisions, made on one compiled snapshot without touching the store: the scheduler
 * plans the pass here, then records the outcome.
 */
export interface PassPlan {
  /** In the order they were decided. */
  placed: { row: WorkloadRow; outcome: PassOutcome }[];
  unplaced: { row: WorkloadRow; outcome: PassOutcome }[];
  /** Workloads whose decision threw (a bug or a spec the engine cannot handle): quarantined, never blocking others. */
  failed: { row: WorkloadRow; error: unknown }[];
}

export interface PassOutcome {
  decision: Decision;
  policy?: BurstPolicy;
  pool: string | null;
  note: string | null;
  retryInSeconds?: number;
}

/** Per-policy burst usage at the start of the pass (active placements and today's ledger). */
export type BurstUsage = Map<string, Omit<BurstContext, "waitedSeconds" | "queuedGpus">>;

export interface PassInput {
  fleet: Fleet;
  compiled: FleetSnapshot;
  policies: BurstPolicy[];
  usage: BurstUsage;
  /** GPUs waiting per policy (a burst trigger). */
  queuedGpus: Map<string, number>;
  now: Date;
  /** Called with each decision's duration (metrics). */
  observe?: (seconds: number) => void;
  /**
   * Prices on capacity from a demand forecast (`priceCapacity` on `compiled` and the pass's starting reservations):
   * every decision's headroom charge reads them. Without them, the utilisation charge.
   */
  capacityPrices?: CapacityPrices;
  /**
   * What of a decision the plan keeps once it is made (the hub: the stored, compacted form). A decision explains
   * itself against every cluster, ~3.6 MB at 10,000 clusters, and a pass over a long queue held one per waiting
   * workload until it ended: a restarted hub with a few hundred waiting went past 1 GB. Absent: kept whole.
   */
  retain?: (decision: Decision) => Decision;
  /**
   * Decide compactly (`PlanOptions.keep`): each decision lists only what `retain` keeps, and ranks only the clusters
   * that can be among it. A 10,000-cluster decision then builds a few dozen verdicts instead of 10,000.
   */
  keep?: KeepPolicy;
}

/** Most waiting workloads decided as one batch (the quality benchmark's 200). */
export const DEFAULT_BATCH_LIMIT = 200;

/**
 * Regret order re-decides every waiting workload after each placement: n(n+1)/2 decisions, each over every
 * cluster. This bounds that work per pass (~1.3 s on the benchmark machine; 200 workloads on 50 clusters,
 * 44 on 1,000, 14 on 10,000), so a long queue on a large fleet cannot stall the hub.
 */
const BATCH_CLUSTER_DECISIONS = 1_000_000;

/**
 * How many workloads a batch may hold to finish in about `budgetMs`, given what one decision took in this pass's
 * queue-order plan: n(n+1)/2 decisions ≈ n²/2. The regret batch is the pass's costly part and runs on the hub's event
 * loop, so a pass of a burst of submissions on a large fleet must not take seconds: while it runs, the API, the
 * heartbeat acks and open transactions wait (a 2 s batch at 1,000 clusters made PostgreSQL end idle transactions).
 * No budget (undefined) or no measurement leaves the batch as `batchSize` made it.
 */
export const batchWithinBudget = (
  batched: number,
  decisionMs: number | undefined,
  budgetMs: number | undefined,
): number => {
  if (budgetMs === undefined || decisionMs === undefined || !(decisionMs > 0)) return batched;
  return Math.min(batched, Math.floor(Math.sqrt((2 * budgetMs) / decisionMs)));
};

/** Fewest workloads a slice of a pass holds (so a slow decision still moves the queue in useful steps). */
export const MIN_SLICE = 16;

/**
 * How many of the waiting workloads (in queue order) one slice of a pass decides and commits before the next slice
 * is decided: as many as take about `budgetMs` at the decision speed measured last (`decisionMs`). A pass used to
 * decide the whole queue and then write it: at 10,000 clusters, 200 waiting workloads at 18 ms a decision on a loaded
 * machine meant the first of them waited 7 s for the last to be decided. No measurement yet, or no budget: one slice.
 */
export const sliceSize = (waiting: number, decisionMs: number | undefined, budgetMs: number | undefined): number => {
  if (budgetMs === undefined || decisionMs === undefined || !(decisionMs > 0)) return Math.max(1, waiting);
  return Math.max(1, Math.min(waiting, Math.max(MIN_SLICE, Math.floor(budgetMs / decisionMs))));
};

export const gpusOf = (w: Workload) => w.spec.replicas * w.spec.resources.gpu.count;

/** How many of the waiting workloads a pass decides as one batch. */
export const batchSize = (waiting: number, clusters: number, limit: number): number => {
  // n(n+1)/2 decisions of `clusters` each: about n²/2 × clusters.
  const byWork = Math.floor(Math.sqrt((2 * BATCH_CLUSTER_DECISIONS) / Math.max(1, clusters)));
  return Math.min(waiting, limit, byWork);
};

/** What a plan is expected to cost: its decisions' rank values without the headroom charge (`expectedCost`). */
export const costOf = (p: PassPlan) => p.placed.reduce((n, x) => n + expectedCost(x.outcome.decision), 0);

/** The batch wins when it places everything queue order placed, and then more, or the same for less. */
export const batchIsBetter = (batch: PassPlan, queue: PassPlan): boolean => {
  const placed = new Set(batch.placed.map((p) => p.row.uid));
  if (!queue.placed.every((p) => placed.has(p.row.uid))) return false;
  return batch.placed.length > queue.placed.length || costOf(batch) < costOf(queue) - 1e-6;
};

const failedDecision = (row: WorkloadRow, error: unknown): Decision => ({
  feasible: false,
  assignments: [],
  estimatedCost: { total: 0, perHour: 0, compute: 0, egress: 0 },
  clusters: [],
  runnerUp: null,
  summary: `the placement engine failed on ${row.name}: ${error instanceof Error ? error.message : String(error)}`,
});

const ordinal = (n: number): string => {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th");
  return `${n}${suffix}`;
};

/** One workload's decision: under its burst policy when it has one, else on the whole fleet. */
const decide = (row: WorkloadRow, fleet: Fleet, planner: Planner, input: PassInput, usage: BurstUsage): PassOutcome => {
  const workload = row.manifest;
  const policy = policyFor(workload, input.policies);
  if (!policy) return { decision: planner(workload), pool: null, note: null };
  const ctx = usage.get(policy.metadata.name);
  const outcome = decideUnderPolicy(
    fleet,
    workload,
    policy,
    {
      burstGpusInUse: ctx?.burstGpusInUse ?? 0,
      burstSpendPerHour: ctx?.burstSpendPerHour ?? 0,
      burstSpendToday: ctx?.burstSpendToday ?? 0,
      waitedSeconds: (input.now.getTime() - row.createdAt.getTime()) / 1000,
      queuedGpus: input.queuedGpus.get(policy.metadata.name) ?? 0,
    },
    planner,
  );
  return { ...outcome, policy };
};

/**
 * Decides a pass's workloads (given in queue order: priority, fair share, age): the first `batched` of them as
 * one batch in regret order (`placeInRegretOrder`), its capacity priced by the workloads still waiting in it
 * (`queuePricing`, from 20 waiting), then the rest in queue order; `batched` 0 is plain queue order. Each
 * placement's reservations and burst usage count against the decisions after it.
 */
export const planPass = (rows: readonly WorkloadRow[], batched: number, input: PassInput): PassPlan => {
  const steps = planSteps(rows, batched, input);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
};

/**
 * `planPass`, giving the event loop a turn whenever `pause` says so between two decisions: a pass over a long
 * queue on a large fleet is seconds of decisions, and the hub must keep answering requests, acking heartbeats and
 * finishing its open transactions meanwhile (PostgreSQL ends a transaction left idle too long). The regret batch
 * itself runs in one piece; its size is bounded by time (`batchWithinBudget`). The plan is the same as `planPass`'s:
 * it decides on the snapshot in `input`, whatever changes while it waits.
 */
export const planPassCooperatively = async (
  rows: readonly WorkloadRow[],
  batched: number,
  input: PassInput,
  pause: () => Promise<void> | undefined,
): Promise<PassPlan> => {
  const steps = planSteps(rows, batched, input);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await pause();
  }
};

/** The pass's decisions, yielding after the batch and after each decision in queue order. */
function* planSteps(rows: readonly WorkloadRow[], batched: number, input: PassInput): Generator<void, PassPlan> {
  const reservations = [...input.fleet.reservations];
  const fleet = { ...input.fleet, reservations };
  const usage: BurstUsage = new Map([...input.usage].map(([k, v]) => [k, { ...v }]));
  // The batch prices capacity from its own queue (`queuePricing`); the rest of the pass uses the input's prices.
  let prices = input.capacityPrices;
  const keep = input.keep;
  const planner: Planner = (w, o) =>
    planOn(input.compiled, reservations, w, {
      ...o,
      ...(prices === undefined ? {} : { capacityPrices: prices }),
      ...(keep === undefined ? {} : { keep }),
    });
  const failed = new Map<WorkloadRow, unknown>();
  const run = (row: WorkloadRow): PassOutcome => {
    const started = performance.now();
    try {
      return decide(row, fleet, planner, input, usage);
    } catch (error) {
      failed.set(row, error);
      return { decision: failedDecision(row, error), pool: null, note: null };
    } finally {
      input.observe?.((performance.now() - started) / 1000);
    }
  };
  const commit = (row: WorkloadRow, outcome: PassOutcome) => {
    reservations.push(...reservationsFor(row.uid, row.manifest, outcome.decision));
    // What this pass bursts counts against the caps of the next decision in the same pass.
    const policy = outcome.policy;
    if (policy === undefined || outcome.pool === policy.spec.pools[0]?.name) return;
    const name = policy.metadata.name;
    const ctx = usage.get(name) ?? { burstGpusInUse: 0, burstSpendPerHour: 0, burstSpendToday: 0 };
    usage.set(name, ctx);
    ctx.burstGpusInUse += gpusOf(row.manifest);
    ctx.burstSpendPerHour += outcome.decision.estimatedCost.perHour;
  };
  const result: PassPlan = { placed: [], unplaced: [], failed: [] };
  const kept = (outcome: PassOutcome): PassOutcome =>
    input.retain ? { ...outcome, decision: input.retain(outcome.decision) } : outcome;
  const last = new Map<WorkloadRow, PassOutcome>();
  const pricing = queuePricing(input.compiled, reservations, rows.slice(0, batched), (r) => r.manifest);
  const batch = placeInRegretOrder(
    rows.slice(0, batched),
    (row) => {
      if (pricing !== undefined) prices = pricing.prices();
      const outcome = run(row);
      last.set(row, outcome);
      return outcome.decision;
    },
    (row) => {
      commit(row, last.get(row)!);
      pricing?.committed(row);
    },
  );
  prices = input.capacityPrices;
  for (const [i, { item }] of batch.placed.entries()) {
    const outcome = last.get(item)!;
    const before = batch.placed.slice(Math.max(0, i - 3), i).map((p) => p.item.name);
    // Say why a cheaper cluster may have been taken: by workloads decided before this one in the same batch.
    const note =
      `; decided in a batch of ${batched} waiting workloads, ${ordinal(i + 1)} in regret order` +
      (before.length > 0 ? ` (after ${i > 3 ? "…, " : ""}${before.join(", ")})` : "");
    result.placed.push({
      row: item,
      outcome: kept({ ...outcome, decision: { ...outcome.decision, summary: `${outcome.decision.summary}${note}` } }),
    });
  }
  for (const { item } of batch.unplaced) result.unplaced.push({ row: item, outcome: kept(last.get(item)!) });
  last.clear();
  if (batched > 0) yield;
  for (const row of rows.slice(batched)) {
    const outcome = run(row);
    if (outcome.decision.feasible) commit(row, outcome);
    result[outcome.decision.feasible ? "placed" : "unplaced"].push({ row, outcome: kept(outcome) });
    yield;
  }
  result.unplaced = result.unplaced.filter(({ row }) => !failed.has(row));
  for (const [row, error] of failed) result.failed.push({ row, error });
  return result;
}
