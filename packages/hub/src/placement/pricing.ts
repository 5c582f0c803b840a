/**
 * Prices on capacity from a demand forecast: bid prices, as in network revenue management. Given workloads
 * expected to arrive while the capacity taken now is still held (each with how many times it is expected), the
 * price of one GPU of a model in a cluster is the dual value of that capacity in the fractional assignment of the
 * forecast demand to the free capacity at least expected cost: what one GPU fewer there would cost the forecast
 * demand. The headroom charge of a placement is then GPUs taken × that price (`charges/headroom.ts`), so a workload
 * takes a cheap GPU only when it saves more on it than the demand it displaces would lose.
 *
 * The dual is found by projected subgradient ascent on the Lagrangian: at prices π every forecast workload takes
 * its cheapest option at cost + GPUs × π (or stays unplaced at a penalty), and π rises where that over-books
 * capacity and falls where capacity is left. Pure: a snapshot, reservations and a forecast in, prices out.
 */
import type { Reservation, Workload } from "@gantry/shared";
import { indexReservations, resolveReservations } from "./capacity.ts";
import { planOn } from "./plan.ts";
import type { FleetSnapshot } from "./snapshot.ts";

/** USD per GPU of each (cluster, model) of one snapshot, at `cluster * models.length + model`. */
export interface CapacityPrices {
  readonly snapshot: FleetSnapshot;
  readonly usdPerGpu: Float64Array;
}

/** Demand expected while a placement made now holds its GPUs: workloads like these, `weight` times each. */
export interface DemandForecast {
  readonly samples: readonly { readonly workload: Workload; readonly weight: number }[];
}

export interface PricingOptions {
  /** Subgradient steps; more converge closer to the dual optimum. */
  iterations?: number;
}

const DEFAULT_ITERATIONS = 200;

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

/** Prices capacity for the forecast on this snapshot; all zero when the forecast fits everywhere it wants. */
export const priceCapacity = (
  snap: FleetSnapshot,
  reservations: readonly Reservation[],
  forecast: DemandForecast,
  options: PricingOptions = {},
): CapacityPrices => {
  const slots = snap.size * snap.models.length;
  const free = freeGpusBySlot(snap, reservations);
  const samples = samplesOf(snap, reservations, forecast);
  const price = new Float64Array(slots);
  const sum = new Float64Array(slots);
  const load = new Float64Array(slots);
  if (samples.length === 0) return { snapshot: snap, usdPerGpu: price };
  // Step scale: a typical option's cost per GPU, so prices move in the units they are measured in.
  let scale = 0;
  for (const s of samples) scale += s.options[0]!.usd / s.gpus;
  scale /= samples.length;
  let demand = 0;
  for (const s of samples) demand += s.weight * s.gpus;
  const iterations = options.iterations ?? DEFAULT_ITERATIONS;
  for (let t = 1; t <= iterations; t++) {
    load.fill(0);
    for (const s of samples) {
      let bestSlot = -1;
      let bestUsd = s.unplacedUsd;
      for (const o of s.options) {
        const usd = o.usd + s.gpus * price[o.slot]!;
        if (usd < bestUsd) {
          bestUsd = usd;
          bestSlot = o.slot;
        }
      }
      if (bestSlot >= 0) load[bestSlot] = load[bestSlot]! + s.weight * s.gpus;
    }
    // Over-booked slots get dearer, idle priced ones cheaper; the step shrinks as 1/√t, relative to total demand.
    const step = scale / Math.sqrt(t);
    for (let k = 0; k < slots; k++) {
      const excess = (load[k]! - free[k]!) / demand;
      if (excess === 0 && price[k] === 0) continue;
      price[k] = Math.max(0, price[k]! + step * excess * samples.length);
      sum[k] = sum[k]! + price[k]!;
    }
  }
  // The average of the iterates: the subgradient method's iterates oscillate, their average converges.
  for (let k = 0; k < slots; k++) sum[k] = sum[k]! / iterations;
  return { snapshot: snap, usdPerGpu: sum };
};
