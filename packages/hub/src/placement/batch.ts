import type { Decision, Reservation, Workload } from "@gantry/shared";
import { type CapacityPrices, priceCapacity } from "./pricing.ts";
import type { FleetSnapshot } from "./snapshot.ts";

/**
 * What a decision is expected to cost the fleet: its rank value without the headroom charge (compute, egress,
 * staging, spot risk, preference). How the scheduler compares two plans for the same workloads; the headroom charge
 * is a price on capacity between workloads, not a cost of either plan.
 */
export const expectedCost = (d: Decision): number =>
  d.rankCost === undefined ? d.estimatedCost.total : d.rankCost.total - d.rankCost.headroom;

/**
 * A workload with at most this many clusters left that can take it is "constrained" and goes before every
 * unconstrained one, fewest options first. Chosen on the quality benchmark (3–10 tried; docs/benchmarks.md).
 */
export const CONSTRAINED_OPTIONS = 6;

/**
 * Regret is measured against the option this far down the cheapest-first list: a workload with three near-equal
 * alternatives loses little when the cheapest is taken, whatever the gap to the second (1–6 tried).
 */
export const REGRET_RANK = 3;

/** One batch member's decision and the order it was committed in. */
export interface BatchPlacement<T> {
  item: T;
  decision: Decision;
}

export interface BatchResult<T> {
  /** Placed items, in the order their decisions were committed (each one decided after the ones before it). */
  placed: BatchPlacement<T>[];
  /** Items nothing could take, with the last decision that said so. */
  unplaced: BatchPlacement<T>[];
}

/**
 * Places a batch of workloads that wait together, most constrained first, then by regret: the workload that
 * would lose the most by not getting its best cluster now goes next. Deciding one at a time in arrival order
 * lets early, flexible workloads take the cheap capacity that later, constrained ones needed (benchmark, expected
 * cost: 12–41 % over the optimum in arrival order, 4–11 % in regret order, 0–2 % in regret order with the queue
 * pricing capacity, `queuePricing`; every workload placed).
 *
 * `decide` must decide on the caller's current state, and `commit` must add a decision's reservations to it:
 * every round re-decides what is left, since each commit can change every other workload's options. Capacity
 * only shrinks within a batch, so an item that stops fitting is dropped for good. O(n²) decisions for n items.
 */
export const placeInRegretOrder = <T>(
  items: readonly T[],
  decide: (item: T) => Decision,
  commit: (item: T, decision: Decision) => void,
): BatchResult<T> => {
  const placed: BatchPlacement<T>[] = [];
  const unplaced: BatchPlacement<T>[] = [];
  let rest = items.slice();
  while (rest.length > 0) {
    let next: { at: number; decision: Decision; urgency: Urgency } | undefined;
    const still: T[] = [];
    for (const item of rest) {
      const decision = decide(item);
      if (!decision.feasible) {
        unplaced.push({ item, decision });
        continue;
      }
      const urgency = urgencyOf(decision);
      // Ties keep the caller's order (queue order): strictly more urgent only.
      if (next === undefined || moreUrgent(urgency, next.urgency)) next = { at: still.length, decision, urgency };
      still.push(item);
    }
    if (next === undefined) break;
    const chosen = still[next.at]!;
    commit(chosen, next.decision);
    placed.push({ item: chosen, decision: next.decision });
    still.splice(next.at, 1);
    rest = still;
  }
  return { placed, unplaced };
};

interface Urgency {
  /** Clusters that could take the workload now (whole, or part of a split). */
  options: number;
  /** USD of rank value between its best cluster and the `REGRET_RANK`-th next (constrained: best and worst). */
  regret: number;
}

const urgencyOf = (decision: Decision): Urgency => {
  const costs: number[] = [];
  for (const c of decision.clusters) {
    if (c.verdict === "filtered" || c.rankCost === undefined || (c.fitReplicas ?? 0) === 0) continue;
    costs.push(c.rankCost.total);
  }
  costs.sort((a, b) => a - b);
  const cheapest = costs[0] ?? 0;
  // A compact decision (`PlanOptions.keep`) counts the feasible clusters it does not list. Keeping at least
  // REGRET_RANK + 1 cheapest others (the store keeps 20) lists the option the regret is measured against.
  const unlisted = decision.omitted?.feasible ?? 0;
  if (unlisted > 0) return { options: Number.POSITIVE_INFINITY, regret: costs[REGRET_RANK]! - cheapest };
  if (costs.length <= CONSTRAINED_OPTIONS) return { options: costs.length, regret: (costs.at(-1) ?? 0) - cheapest };
  return { options: Number.POSITIVE_INFINITY, regret: costs[REGRET_RANK]! - cheapest };
};

const moreUrgent = (a: Urgency, b: Urgency): boolean =>
  a.options !== b.options ? a.options < b.options : a.regret > b.regret;

/** Commits between two re-pricings of a batch's capacity: each costs about one round of decisions. */
export const REPRICE_EVERY = 10;

/**
 * Smallest batch priced from its own queue. The workload being decided is part of the forecast it is priced by, so
 * in a small batch it would mostly be charged for displacing itself; from 20 on it is at most a twentieth of it.
 */
export const QUEUE_PRICING_MIN = 20;

/**
 * The queue as the demand forecast: prices on capacity (`priceCapacity`) for the workloads of a batch that still
 * wait, on the snapshot and the reservations so far, refreshed every `every` commits. Pass `prices()` as
 * `PlanOptions.capacityPrices` to every decision of the batch and call `committed` from its commit: a workload then
 * takes a cheap cluster only when it saves more there than the workloads waiting with it would lose (benchmark:
 * 1.00–1.02 of the optimum against 1.03–1.08 with the utilisation charge). Undefined for batches smaller than
 * `QUEUE_PRICING_MIN`: decide those with the utilisation charge.
 */
export const queuePricing = <T>(
  snapshot: FleetSnapshot,
  reservations: readonly Reservation[],
  items: readonly T[],
  workloadOf: (item: T) => Workload,
  every = REPRICE_EVERY,
) => {
  if (items.length < QUEUE_PRICING_MIN) return undefined;
  const waiting = new Set(items);
  let prices: CapacityPrices | undefined;
  let sinceRefresh = 0;
  return {
    prices(): CapacityPrices {
      if (prices === undefined || sinceRefresh >= every) {
        const samples = [...waiting].map((item) => ({ workload: workloadOf(item), weight: 1 }));
        prices = priceCapacity(snapshot, reservations, { samples });
        sinceRefresh = 0;
      }
      return prices;
    },
    committed(item: T): void {
      waiting.delete(item);
      sinceRefresh++;
    },
  };
};
