/**
 * Prices on capacity from a demand forecast (bid prices, as in network revenue management). Given the workloads
 * expected while the capacity taken now is still held (each with how many times it is expected), what taking g GPUs
 * of a model in a cluster costs is the increase in the optimal cost of placing that forecast demand on the free
 * capacity: the demand those GPUs would have served goes elsewhere, dearer, or stays unplaced. The headroom charge of
 * a placement is that cost for its GPUs (`charges/headroom.ts`), so a workload takes a cheap GPU only when it saves
 * more on it than the demand it displaces would lose.
 *
 * The assignment is a fractional transportation problem in GPUs (`transport.ts`, solved exactly): each forecast
 * workload's GPUs go to the clusters that could take all of it now, at its rank value per GPU there (headroom left
 * out), or stay unplaced at a penalty; the curves come from re-routing its optimal flow. Pure: a snapshot,
 * reservations and a forecast in, prices out. Costs one decision per forecast workload plus the solve (about 0.5 s
 * for 200 on 50 clusters on the benchmark machine), so callers price once per pass or every few decisions.
 */
import type { Reservation, Workload } from "@gantry/shared";
import { indexReservations, resolveReservations } from "./capacity.ts";
import { planOn } from "./plan.ts";
import type { FleetSnapshot } from "./snapshot.ts";
import { displacementCurves, solveTransport } from "./transport.ts";

/**
 * What taking GPUs from each (cluster, model) of one snapshot costs the forecast demand, at
 * `cluster * models.length + model`: a convex piecewise-linear curve [0, 0, g1, usd1, …] (`curveAt` reads it), or
 * undefined where no forecast workload wants that capacity.
 */
export interface CapacityPrices {
  readonly snapshot: FleetSnapshot;
  readonly curves: readonly (Float64Array | undefined)[];
}

/** Demand expected while a placement made now holds its GPUs: workloads like these, `weight` times each. */
export interface DemandForecast {
  readonly samples: readonly { readonly workload: Workload; readonly weight: number }[];
}

/**
 * An unplaced forecast workload is charged this many times its dearest option: the dual then prices capacity
 * up to what the demand it would crowd out is worth, and no further.
 */
const UNPLACED_FACTOR = 2;

interface Option {
  /** (cluster, model) slot. */
  readonly slot: number;
  readonly usd: number;
}

interface Sample {
  readonly weight: number;
  readonly gpus: number;
  readonly options: readonly Option[];
  readonly unplacedUsd: number;
}

/** Free GPUs per (cluster, model) slot: usable nodes' free GPUs minus what reservations hold on them. */
export const freeGpusBySlot = (snap: FleetSnapshot, reservations: readonly Reservation[]): Float64Array => {
  const m = snap.models.length;
  const free = new Float64Array(snap.size * m);
  const byCluster = indexReservations(reservations);
  for (let i = 0; i < snap.size; i++) {
    if (snap.ready[i] !== 1) continue;
    const uses = byCluster.get(snap.names[i]!);
    const held = uses === undefined ? undefined : resolveReservations(snap.clusters[i]!, uses);
    const start = snap.groupStart[i]!;
    for (let g = start; g < snap.groupStart[i + 1]!; g++) {
      const model = snap.groupModel[g]!;
      if (model < 0 || snap.groupUsable[g] !== 1) continue;
      const perNode = snap.groupFreeGpus[g]!;
      const r = held?.[g - start];
      let gpus = perNode * snap.groupNodes[g]!;
      if (r !== undefined) {
        const all = r.all?.gpus ?? 0;
        gpus = Math.max(0, perNode - all) * (snap.groupNodes[g]! - r.byIndex.size);
        for (const u of r.byIndex.values()) gpus += Math.max(0, perNode - all - u.gpus);
      }
      free[i * m + model] = free[i * m + model]! + gpus;
    }
  }
  return free;
};

/** Each forecast workload's options: the clusters that could take all of it now, at their rank value less headroom. */
const samplesOf = (snap: FleetSnapshot, reservations: readonly Reservation[], forecast: DemandForecast): Sample[] => {
  const m = snap.models.length;
  const out: Sample[] = [];
  for (const { workload, weight } of forecast.samples) {
    const gpus = workload.spec.replicas * workload.spec.resources.gpu.count;
    if (weight <= 0 || gpus === 0) continue;
    const d = planOn(snap, reservations, workload, { headroomFactor: 0 });
    const options: Option[] = [];
    let dearest = 0;
    for (const v of d.clusters) {
      if (v.rankCost === undefined || v.fitReplicas !== workload.spec.replicas || v.gpuModel === undefined) continue;
      const i = snap.indexByName.get(v.cluster)!;
      const usd = v.rankCost.total - v.rankCost.headroom;
      options.push({ slot: i * m + snap.modelIds.get(v.gpuModel)!, usd });
      dearest = Math.max(dearest, usd);
    }
    if (options.length > 0) out.push({ weight, gpus, options, unplacedUsd: UNPLACED_FACTOR * dearest });
  }
  return out;
};

/** The largest placement priced exactly; a bigger one extends the last slope. */
const MAX_PRICED_GPUS = 64;

/** Prices capacity for the forecast on this snapshot; no curve where no forecast workload would go. */
export const priceCapacity = (
  snap: FleetSnapshot,
  reservations: readonly Reservation[],
  forecast: DemandForecast,
): CapacityPrices => {
  const m = snap.models.length;
  const free = freeGpusBySlot(snap, reservations);
  const samples = samplesOf(snap, reservations, forecast);
  const curves: (Float64Array | undefined)[] = new Array(snap.size * m).fill(undefined);
  if (samples.length === 0) return { snapshot: snap, curves };
  // Only the slots some forecast workload could use take part; the solver indexes them densely.
  const dense = new Map<number, number>();
  for (const s of samples) for (const o of s.options) if (!dense.has(o.slot)) dense.set(o.slot, dense.size);
  const capacity = new Float64Array(dense.size);
  for (const [slot, k] of dense) capacity[k] = free[slot]!;
  const problem = {
    demand: Float64Array.from(samples, (s) => s.weight * s.gpus),
    unservedCost: Float64Array.from(samples, (s) => s.unplacedUsd / s.gpus),
    capacity,
    options: samples.map((s) => s.options.map((o) => ({ slot: dense.get(o.slot)!, cost: o.usd / s.gpus }))),
  };
  const solution = solveTransport(problem);
  // Curves as long as the largest forecast workload: a placement bigger than any of them extends the last slope.
  let longest = 1;
  for (const s of samples) longest = Math.max(longest, s.gpus);
  const byDense = displacementCurves(problem, solution, Math.min(MAX_PRICED_GPUS, longest));
  for (const [slot, k] of dense) curves[slot] = byDense[k];
  return { snapshot: snap, curves };
};
