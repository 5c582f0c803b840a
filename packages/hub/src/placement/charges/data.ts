/**
 * Data: what it costs to bring the data a cluster lacks. Two terms:
 *
 * - egress (billed): GB × the egress price of the cluster it is copied from;
 * - staging (ranking charge): the GPU time held while it is copied, transfer hours × GPUs × price, where transfer
 *   hours = GB × 8 / (the slower of the two links, Gbit/s) / 3600, datasets one after another through the
 *   destination's link.
 *
 * Each dataset is copied from the source that makes the sum of the two lowest for this placement: a cheap, slow
 * source for a CPU job, a fast one when many dear GPUs would wait. A source is any cluster holding a copy (a
 * location names it or its region), so a cache that becomes a location is one more source, and a cluster holding a
 * copy pays nothing. When no cluster holds one, the data comes from outside the fleet: the destination's own egress
 * price and link.
 */
import type { Candidate, ChargePlugin, DataNeed, PlanRequest } from "../framework.ts";
import { usd } from "../money.ts";
import type { FleetSnapshot } from "../snapshot.ts";

const SECONDS_PER_HOUR = 3600;
const BITS_PER_BYTE = 8;

/** Hours to copy `gb` over a `gbps` link. */
export const transferHours = (gb: number, gbps: number): number => (gb * BITS_PER_BYTE) / gbps / SECONDS_PER_HOUR;

/** One dataset's copy into a cluster: where from, what it costs to copy out, how long it takes. */
export interface DataCopy {
  readonly need: DataNeed;
  readonly egressPerGB: number;
  readonly gbps: number;
  readonly hours: number;
}

/** The copy of `d` into `cluster` with the lowest egress + staging, given `gpuUsdPerHour` of GPUs held meanwhile. */
export const bestCopy = (
  snap: FleetSnapshot,
  cluster: number,
  d: DataNeed,
  gpuUsdPerHour: number,
  gb = d.sizeGB,
): DataCopy => {
  const own = snap.bandwidthGbps[cluster]!;
  if (d.sources.length === 0) {
    const egressPerGB = snap.egressPerGB[cluster]!;
    return { need: d, egressPerGB, gbps: own, hours: transferHours(gb, own) };
  }
  let best: DataCopy | undefined;
  let bestUsd = Number.POSITIVE_INFINITY;
  for (const s of d.sources) {
    const gbps = Math.min(s.gbps, own);
    const hours = transferHours(gb, gbps);
    const total = gb * s.egressPerGB + hours * gpuUsdPerHour;
    if (total < bestUsd) {
      bestUsd = total;
      best = { need: d, egressPerGB: s.egressPerGB, gbps, hours };
    }
  }
  return best!;
};

/**
 * GB of a dataset `replicas` of the workload's replicas read: all of it, unless the dataset is sharded and the workload
 * may be split (not a gang), when a cluster taking r of R replicas reads r/R of the shards (replica i reads shards
 * j with j mod R = i; `shardsFor` in the contract).
 */
export const gbFor = (d: DataNeed, req: PlanRequest, replicas: number): number =>
  d.shards !== undefined && !req.gang && req.replicas > 1
    ? (d.sizeGB * Math.min(replicas, req.replicas)) / req.replicas
    : d.sizeGB;

/** USD per hour of the GPUs `replicas` replicas hold on the candidate (0 for GPU-less workloads). */
const gpuUsdPerHour = (c: Candidate, req: PlanRequest, replicas: number): number =>
  replicas * req.gpus * c.pricePerGpuHour;

export const dataCharge: ChargePlugin = {
  name: "data",
  charge(c, req, replicas, into) {
    if (req.data.length === 0) return;
    // The same choice as `bestCopy`, without allocating: this runs for every feasible cluster of a decision.
    const own = c.snapshot.bandwidthGbps[c.index]!;
    const held = gpuUsdPerHour(c, req, replicas);
    let egress = 0;
    let hours = 0;
    for (const d of req.data) {
      if (d.holds[c.index] === 1) continue;
      const gb = gbFor(d, req, replicas);
      if (d.sources.length === 0) {
        egress += gb * c.snapshot.egressPerGB[c.index]!;
        hours += transferHours(gb, own);
        continue;
      }
      let bestUsd = Number.POSITIVE_INFINITY;
      let bestEgress = 0;
      let bestHours = 0;
      for (const s of d.sources) {
        const h = transferHours(gb, Math.min(s.gbps, own));
        const e = gb * s.egressPerGB;
        if (e + h * held < bestUsd) {
          bestUsd = e + h * held;
          bestEgress = e;
          bestHours = h;
        }
      }
      egress += bestEgress;
      hours += bestHours;
    }
    into.egress = egress;
    into.staging = hours * held;
  },
  explain(c, req, replicas, terms) {
    if (req.totalDataGB === 0) return undefined;
    const held = gpuUsdPerHour(c, req, replicas);
    const parts: string[] = [];
    let local = 0;
    let hours = 0;
    for (const d of req.data) {
      if (d.holds[c.index] === 1) {
        local += d.sizeGB;
        continue;
      }
      const gb = gbFor(d, req, replicas);
      const copy = bestCopy(c.snapshot, c.index, d, held, gb);
      hours += copy.hours;
      const from = d.sources.length === 0 ? "from outside the fleet" : `from a copy at ${usd(copy.egressPerGB)}/GB`;
      const what =
        gb < d.sizeGB
          ? `${Math.round(gb * 100) / 100} GB of ${d.name}'s ${d.sizeGB} GB (its replicas' shards)`
          : `${d.name} ${d.sizeGB} GB`;
      parts.push(`${what} ${from} over ${copy.gbps} Gbit/s`);
    }
    if (parts.length === 0) return { code: "data_locality", message: `all ${req.totalDataGB} GB of data is local` };
    const time = hours >= 1 ? `${hours.toFixed(1)} h` : `${Math.ceil(hours * 60)} min`;
    const staging =
      req.gpus > 0 ? `, staging ${usd(terms.staging)} for ${replicas * req.gpus} GPUs held meanwhile` : "";
    return {
      code: "data_locality",
      message: `${req.totalDataGB - local} of ${req.totalDataGB} GB of data is remote (${parts.join("; ")}): egress ${usd(terms.egress)}, ~${time} to copy${staging}`,
    };
  },
};
