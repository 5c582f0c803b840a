/**
 * A reference computation of the rank value, written from the documented model (README, `charges/*` comments) and
 * the raw fleet, apart from the engine: no snapshot, no compiled request, no engine helper. Property tests compare
 * the engine's verdicts with it, so a bug in a charge shows up as a difference instead of being checked against
 * itself. Deliberately plain: loops over the fleet as parsed, globs as regular expressions.
 */
import type { Fleet, FleetCluster, RankCost, Reservation, Workload } from "@gantry/shared";

export const REF_BANDWIDTH_GBPS = 10;
export const REF_PREEMPTIONS = 0.05;
export const REF_CHECKPOINT_MINUTES = 60;

const glob = (pattern: string, s: string): boolean =>
  new RegExp(`^${pattern.replace(/[.]/g, "\\.").replace(/\*/g, ".*").replace(/\?/g, ".")}$`).test(s);

const holds = (fleet: Fleet, dataset: string, c: FleetCluster): boolean => {
  const d = fleet.datasets.find((x) => x.name === dataset);
  return d?.locations.some((l) => glob(l, c.name) || (c.region !== "" && glob(l, c.region))) === true;
};

const bandwidth = (c: FleetCluster): number => c.bandwidthGbps ?? REF_BANDWIDTH_GBPS;

/** Preemptions per node-hour of `model` spot capacity in `c`. */
export const preemptionsOf = (c: FleetCluster, model: string): number =>
  c.spotPreemptionsPerHour?.[model] ?? c.spotPreemptionsPerHour?.["*"] ?? REF_PREEMPTIONS;

/** Rework hours of a run of `hours` checkpointed every `every` hours, preempted at `rate` (restart the interval). */
export const refRework = (rate: number, hours: number, every: number): number => {
  if (rate === 0) return 0;
  const interval = (x: number) => (Math.exp(Math.min(rate * x, 50)) - 1) / rate - x;
  const c = Math.min(every, hours);
  let left = hours;
  let total = 0;
  while (left > 1e-9) {
    const x = Math.min(c, left);
    total += interval(x);
    left -= x;
  }
  return total;
};

/** The price the spot policy gives `model` in `c` (price cap and a spot-only pool included), or undefined. */
export const refPrice = (
  w: Workload,
  c: FleetCluster,
  model: string,
  spotOnly = false,
): { price: number; spot: boolean } | undefined => {
  const s = w.spec;
  const policy = s.placement.spot;
  const od = spotOnly ? undefined : c.pricing.gpuHour[model];
  const sp = policy === "never" || c.spot === false ? undefined : c.pricing.spotGpuHour[model];
  if (sp === undefined && od === undefined) return undefined;
  if (sp === undefined) return { price: od!, spot: false };
  if (od === undefined) return { price: sp, spot: true };
  const max = s.placement.maxGpuHourPrice ?? Number.POSITIVE_INFINITY;
  if (sp <= max && od > max) return { price: sp, spot: true };
  if (od <= max && sp > max) return { price: od, spot: false };
  if (policy === "preferred") return { price: sp, spot: true };
  const hours = s.durationHours ?? 1;
  const rate = preemptionsOf(c, model) * (s.gang ? s.replicas : 1);
  const every = (s.checkpointMinutes ?? REF_CHECKPOINT_MINUTES) / 60;
  const expectedSpot = sp * (1 + refRework(rate, hours, every) / hours);
  return expectedSpot < od ? { price: sp, spot: true } : { price: od, spot: false };
};

/** Free GPUs of `model` on nodes of `c` that can serve `w` (usable, enough GPU memory), after reservations. */
const freeServing = (c: FleetCluster, model: string, w: Workload, reservations: readonly Reservation[]): number => {
  const held = new Map<string, number>();
  for (const r of reservations) {
    if (r.cluster !== c.name) continue;
    for (const n of r.nodes) held.set(n.node, (held.get(n.node) ?? 0) + n.gpus);
  }
  let free = 0;
  for (const g of c.nodes) {
    if (!g.ready || !g.schedulable || g.gpu?.model !== model || g.gpu.memoryGiB < w.spec.resources.gpu.minMemoryGiB)
      continue;
    for (let i = 0; i < g.count; i++) {
      const name = g.count === 1 ? g.name : `${g.name}-${i}`;
      const all = g.count > 1 ? (held.get(g.name) ?? 0) : 0;
      free += Math.max(0, g.gpu.count - g.gpusUsed - all - (held.get(name) ?? 0));
    }
  }
  return free;
};

/** GPUs of `model` on usable nodes of `c`, used or not. */
const capacityOf = (c: FleetCluster, model: string): number =>
  c.nodes.reduce((n, g) => n + (g.ready && g.schedulable && g.gpu?.model === model ? g.count * g.gpu.count : 0), 0);

/** What running `replicas` replicas of `w` on `model` at `price` in `c` is expected to cost, term by term, in USD. */
export const referenceRank = (
  fleet: Fleet,
  w: Workload,
  c: FleetCluster,
  offer: { model: string | undefined; price: number; spot: boolean },
  replicas: number,
  options: { headroomFactor?: number; tierPremium?: { order: string[]; usdPerGpuHour: number } } = {},
): Omit<RankCost, "total"> => {
  const s = w.spec;
  const g = s.resources.gpu.count;
  const hours = s.durationHours ?? 1;
  const gpus = replicas * g;
  const held = gpus * offer.price;
  const compute = held * hours;
  let egress = 0;
  let staging = 0;
  for (const name of s.data) {
    const d = fleet.datasets.find((x) => x.name === name);
    if (d === undefined || d.sizeGB === 0 || holds(fleet, name, c)) continue;
    const holders = fleet.clusters.filter((x) => holds(fleet, name, x));
    const copies =
      holders.length === 0
        ? [{ egress: d.sizeGB * c.pricing.egressPerGB, gbps: bandwidth(c) }]
        : holders.map((h) => ({
            egress: d.sizeGB * h.pricing.egressPerGB,
            gbps: Math.min(bandwidth(h), bandwidth(c)),
          }));
    let best = { egress: 0, staging: Number.POSITIVE_INFINITY };
    for (const copy of copies) {
      const stage = ((d.sizeGB * 8) / copy.gbps / 3600) * held;
      if (copy.egress + stage < best.egress + best.staging) best = { egress: copy.egress, staging: stage };
    }
    egress += best.egress;
    staging += best.staging;
  }
  let spotRisk = 0;
  if (offer.spot && g > 0 && offer.model !== undefined) {
    const rate = preemptionsOf(c, offer.model) * (s.gang ? replicas : 1);
    spotRisk = refRework(rate, hours, (s.checkpointMinutes ?? REF_CHECKPOINT_MINUTES) / 60) * held;
  }
  let headroom = 0;
  const factor = options.headroomFactor ?? 1;
  if (offer.model !== undefined && g > 0 && factor > 0) {
    const cap = capacityOf(c, offer.model);
    const before = 1 - freeServing(c, offer.model, w, fleet.reservations) / cap;
    const after = Math.min(1, before + gpus / cap);
    headroom = (factor * offer.price * Math.min(hours, 4) * cap * (after ** 3 - before ** 3)) / 3;
  }
  let preference = 0;
  const p = options.tierPremium;
  if (p !== undefined) {
    const at = p.order.indexOf(c.tier);
    preference = (at < 0 ? p.order.length : at) * p.usdPerGpuHour * gpus * hours;
  }
  return { compute, egress, staging, spotRisk, headroom, preference };
};
