/**
 * Decision quality: 200 workloads arrive in order on 50 clusters. Gantry places each one greedily on the snapshot
 * plus the reservations of the decisions before it; the MILP places all of them at once, knowing the future. Both
 * are costed by the independent model in `instance.ts`: expected cost = compute + egress + staging + spot risk. The
 * ratio of the totals is what the online engine gives away; violations must be 0.
 */
import type { Decision, Fleet, Reservation, Workload } from "@gantry/shared";
import {
  type CapacityPrices,
  compileFleet,
  expectedCost,
  type FleetSnapshot,
  type PlanOptions,
  placeInRegretOrder,
  planOn,
  priceCapacity,
  queuePricing,
  reservationsFor,
} from "../../src/placement/index.ts";
import { costsFor, eligible, GPUS_PER_NODE, priceFor, qualityInstance } from "./instance.ts";
import { type MilpResult, solveOptimum } from "./milp.ts";

export interface GreedyResult {
  label: string;
  placed: number;
  totalCost: number;
  violations: string[];
  /** Largest gap between the engine's billed estimate and the independent model's compute + egress, USD. */
  estimateGap: number;
  /** Largest gap between the engine's expected cost (rank value less headroom) and the independent model's, USD. */
  expectedGap: number;
  placedNames: Set<string>;
}

/** Checks one decision against the independent rules and the node capacity left so far; returns violations. */
const check = (
  fleet: Fleet,
  w: Workload,
  d: Decision,
  used: Map<string, { gpus: number; cpu: number; mem: number }>,
): string[] => {
  const out: string[] = [];
  const s = w.spec;
  if (!d.feasible) return out;
  if (d.assignments.reduce((n, a) => n + a.replicas, 0) !== s.replicas) out.push(`${w.metadata.name}: replica count`);
  if (s.gang && d.assignments.length !== 1) out.push(`${w.metadata.name}: gang split`);
  for (const a of d.assignments) {
    const c = fleet.clusters.find((x) => x.name === a.cluster);
    const model = a.gpuModel ?? "";
    if (c === undefined || !eligible(w, c, model)) {
      out.push(`${w.metadata.name}: not allowed on ${a.cluster}/${model}`);
      continue;
    }
    if (priceFor(w, c, model)?.price !== a.pricePerGpuHour) out.push(`${w.metadata.name}: wrong price on ${a.cluster}`);
    for (const n of a.nodes) {
      const g = c.nodes.find((x) => n.node.startsWith(`${x.name}-`) || n.node === x.name);
      const key = `${c.name}/${n.node}`;
      const u = used.get(key) ?? { gpus: 0, cpu: 0, mem: 0 };
      u.gpus += n.replicas * s.resources.gpu.count;
      u.cpu += n.replicas * s.resources.cpu;
      u.mem += n.replicas * s.resources.memoryGiB;
      used.set(key, u);
      if (g?.gpu?.model !== model) out.push(`${w.metadata.name}: node ${key} has no ${model}`);
      if (u.gpus > GPUS_PER_NODE || u.cpu > (g?.cpu ?? 0) || u.mem > (g?.memoryGiB ?? 0)) {
        out.push(`${key} over-committed`);
      }
    }
  }
  return out;
};

/** Checks and costs a sequence of decisions, in the order they were made (each on the ones before it). */
const tally = (fleet0: Fleet, decided: readonly { w: Workload; d: Decision }[], label: string): GreedyResult => {
  const used = new Map<string, { gpus: number; cpu: number; mem: number }>();
  const result: GreedyResult = {
    label,
    placed: 0,
    totalCost: 0,
    violations: [],
    estimateGap: 0,
    expectedGap: 0,
    placedNames: new Set(),
  };
  for (const { w, d } of decided) {
    result.violations.push(...check(fleet0, w, d, used));
    if (!d.feasible) continue;
    const a = d.assignments[0]!;
    const c = fleet0.clusters.find((x) => x.name === a.cluster)!;
    // Every instance workload is a gang or has one replica, so a decision has one assignment.
    if (d.assignments.length !== 1) throw new Error(`${w.metadata.name}: split, which the instance never needs`);
    const cost = costsFor(fleet0, w, c, a.gpuModel ?? "");
    result.estimateGap = Math.max(result.estimateGap, Math.abs(cost.billed - d.estimatedCost.total));
    result.expectedGap = Math.max(result.expectedGap, Math.abs(cost.expected - expectedCost(d)));
    result.totalCost += cost.expected;
    result.placed++;
    result.placedNames.add(w.metadata.name);
  }
  return result;
};

/** Options for the k-th arrival, given the snapshot and the reservations of the arrivals before it. */
export type OptionsAt = (k: number, compiled: FleetSnapshot, reservations: readonly Reservation[]) => PlanOptions;

/** Runs the workloads through `planOn` in order, with reservations between decisions: arrivals one at a time. */
export const runGreedy = (
  fleet0: Fleet,
  workloads: readonly Workload[],
  label: string,
  options: PlanOptions | OptionsAt = {},
) => {
  const compiled = compileFleet(fleet0);
  const reservations: Reservation[] = [...fleet0.reservations];
  const decided: { w: Workload; d: Decision }[] = [];
  workloads.forEach((w, k) => {
    const o = typeof options === "function" ? options(k, compiled, reservations) : options;
    const d = planOn(compiled, reservations, w, o);
    decided.push({ w, d });
    if (d.feasible) reservations.push(...reservationsFor(w.metadata.name, w, d));
  });
  return tally(fleet0, decided, label);
};

/**
 * A demand forecast from what has arrived so far: the next arrivals will look like the past ones. Before the k-th
 * arrival, the k seen so far stand for the `remaining × horizonScale` still to come (each weighted equally), and
 * `priceCapacity` turns that into prices on capacity, recomputed every `every` arrivals on the current
 * reservations. With fewer than `minSeen` seen, the utilisation charge (no forecast) applies. `horizonScale` 1
 * says how many will still come, as an arrival rate times the time the capacity is held would; other values show
 * what a wrong horizon costs.
 */
export const forecastFromArrivals = (
  workloads: readonly Workload[],
  { every = 5, minSeen = 10, horizonScale = 1 } = {},
): OptionsAt => {
  let prices: CapacityPrices | undefined;
  return (k, compiled, reservations) => {
    if (k < minSeen) return {};
    if (prices === undefined || k % every === 0) {
      const seen = workloads.slice(0, k);
      const weight = ((workloads.length - k - 1) * horizonScale) / seen.length;
      prices = priceCapacity(compiled, reservations, { samples: seen.map((workload) => ({ workload, weight })) });
    }
    return { capacityPrices: prices };
  };
};

/**
 * Workloads arriving in groups of `group` (all of them: one group), each group waiting together for one scheduler
 * pass: `placeInRegretOrder` per group on a snapshot compiled once, later groups on the reservations of earlier
 * ones, as the scheduler decides a pass's batch: with `queue`, capacity priced for the workloads still waiting in the
 * batch (`queuePricing`), else the utilisation charge. Also returns the wall time of all passes.
 */
export const runBatch = (
  fleet0: Fleet,
  workloads: readonly Workload[],
  label: string,
  group = workloads.length,
  queue = true,
) => {
  const started = performance.now();
  const compiled = compileFleet(fleet0);
  const reservations: Reservation[] = [...fleet0.reservations];
  const decided: { w: Workload; d: Decision }[] = [];
  for (let i = 0; i < workloads.length; i += group) {
    const batch = workloads.slice(i, i + group);
    const pricing = queue ? queuePricing(compiled, reservations, batch, (w) => w) : undefined;
    // (undefined for groups smaller than QUEUE_PRICING_MIN, as in the scheduler)
    const { placed } = placeInRegretOrder(
      batch,
      (w) => planOn(compiled, reservations, w, pricing === undefined ? {} : { capacityPrices: pricing.prices() }),
      (w, d) => {
        reservations.push(...reservationsFor(w.metadata.name, w, d));
        pricing?.committed(w);
      },
    );
    for (const p of placed) decided.push({ w: p.item, d: p.decision });
  }
  const ms = performance.now() - started;
  return { ...tally(fleet0, decided, label), ms };
};

export interface QualityReport {
  clusters: number;
  workloads: number;
  capacityGpus: number;
  demandGpus: number;
  greedy: GreedyResult[];
  /** Wall time of deciding all workloads as one batch (`placeInRegretOrder`), ms. */
  batchMs: number;
  optimum: MilpResult;
  /** The optimum over only the workloads a greedy run placed, when it placed fewer than all. */
  optimumOnPlaced: Map<string, MilpResult>;
}

export const runQuality = async (timeLimitSeconds: number, seed = 7): Promise<QualityReport> => {
  const { fleet, workloads } = qualityInstance(seed);
  const greedy = [
    runGreedy(fleet, workloads, "one at a time, forecast from past arrivals", forecastFromArrivals(workloads)),
    runGreedy(fleet, workloads, "one at a time, utilisation charge, no forecast", {}),
    runGreedy(fleet, workloads, "one at a time, no headroom charge", { headroomFactor: 0 }),
  ];
  const batch = runBatch(fleet, workloads, "one pass, regret order, queue prices");
  greedy.push(
    runBatch(fleet, workloads, "groups of 10, a pass each", 10),
    runBatch(fleet, workloads, "groups of 50, a pass each", 50),
    runBatch(fleet, workloads, "one pass, regret order, utilisation charge", workloads.length, false),
    batch,
  );
  const optimum = await solveOptimum(fleet, workloads, timeLimitSeconds);
  const optimumOnPlaced = new Map<string, MilpResult>();
  for (const g of greedy) {
    if (g.placed === workloads.length) continue;
    const subset = workloads.filter((w) => g.placedNames.has(w.metadata.name));
    optimumOnPlaced.set(g.label, await solveOptimum(fleet, subset, timeLimitSeconds));
  }
  let capacityGpus = 0;
  for (const c of fleet.clusters) for (const g of c.nodes) capacityGpus += g.count * (g.gpu?.count ?? 0);
  const demandGpus = workloads.reduce((n, w) => n + w.spec.replicas * w.spec.resources.gpu.count, 0);
  return {
    clusters: fleet.clusters.length,
    workloads: workloads.length,
    capacityGpus,
    demandGpus,
    greedy,
    batchMs: batch.ms,
    optimum,
    optimumOnPlaced,
  };
};
