import type { FleetCluster } from "@gantry/shared";
import type { Candidate, DataNeed, PlanRequest, ScorePlugin } from "../framework.ts";

/** Assumed bandwidth for copying a dataset between sites, for the transfer-time estimate: 10 Gbit/s. */
export const TRANSFER_GB_PER_SECOND = 1.25;

/** Whether a copy of the dataset lives in the cluster: a location names the cluster or its region. */
const holds = (cluster: FleetCluster, d: DataNeed): boolean =>
  d.locations.matches(cluster.name) || (cluster.region !== "" && d.locations.matches(cluster.region));

/** Bit i set when the cluster holds dataset i; also lowers each dataset's cheapest source price. One pass. */
export const scanData = (cluster: FleetCluster, req: PlanRequest): number => {
  let bits = 0;
  const data = req.data;
  for (let i = 0; i < data.length; i++) {
    const d = data[i]!;
    if (!holds(cluster, d)) continue;
    if (i < 31) bits |= 1 << i;
    const price = cluster.pricing.egressPerGB;
    if (d.sourceEgressPerGB === undefined || price < d.sourceEgressPerGB) d.sourceEgressPerGB = price;
  }
  return bits;
};

const holdsAt = (c: Candidate, d: DataNeed, i: number): boolean =>
  i < 31 ? (c.holds & (1 << i)) !== 0 : holds(c.cluster, d);

/** GB of the workload's data already in the cluster. */
export const localGBOf = (c: Candidate, req: PlanRequest): number => {
  let gb = 0;
  for (let i = 0; i < req.data.length; i++) if (holdsAt(c, req.data[i]!, i)) gb += req.data[i]!.sizeGB;
  return gb;
};

/**
 * USD to copy the data the cluster lacks: GB × the egress price of the cheapest cluster holding a copy (the
 * destination's own egress price when no cluster in the fleet holds one). Valid once every cluster was scanned.
 */
export const egressOf = (c: Candidate, req: PlanRequest): number => {
  let usd = 0;
  for (let i = 0; i < req.data.length; i++) {
    const d = req.data[i]!;
    if (!holdsAt(c, d, i)) usd += d.sizeGB * (d.sourceEgressPerGB ?? c.cluster.pricing.egressPerGB);
  }
  return usd;
};

/** Share of the workload's data bytes already in the cluster (100 when it reads no data). */
export const localityScorer: ScorePlugin = {
  name: "locality",
  score(c, req) {
    return req.totalDataGB === 0 ? 100 : (100 * c.localGB) / req.totalDataGB;
  },
  explain(c, req) {
    if (req.totalDataGB === 0) return undefined;
    const remote = req.totalDataGB - c.localGB;
    if (remote === 0) return { code: "data_locality", message: `all ${req.totalDataGB} GB of data is local` };
    const hours = remote / TRANSFER_GB_PER_SECOND / 3600;
    const time = hours >= 1 ? `${hours.toFixed(1)} h` : `${Math.ceil(hours * 60)} min`;
    return {
      code: "data_locality",
      message: `${remote} of ${req.totalDataGB} GB of data is remote; ~${time} to copy at 10 Gbit/s`,
    };
  },
};
