import type { FleetCluster } from "@gantry/shared";
import type { PlanRequest, ScorePlugin } from "../framework.ts";

/** Assumed bandwidth for copying a dataset between sites, for the transfer-time estimate: 10 Gbit/s. */
export const TRANSFER_GB_PER_SECOND = 1.25;

/** Whether a copy of the dataset lives in the cluster: a location names the cluster or its region. */
const holds = (cluster: FleetCluster, locations: PlanRequest["data"][number]["locations"]): boolean =>
  locations.matches(cluster.name) || (cluster.region !== "" && locations.matches(cluster.region));

/** GB of the workload's data already in the cluster. */
export const localGB = (cluster: FleetCluster, req: PlanRequest): number => {
  let gb = 0;
  for (const d of req.data) if (holds(cluster, d.locations)) gb += d.sizeGB;
  return gb;
};

/**
 * USD to copy the data the cluster lacks: GB × the egress price of the cheapest cluster holding a copy (the
 * destination's own egress price when no cluster in the fleet holds one).
 */
export const egressCost = (cluster: FleetCluster, req: PlanRequest): number => {
  let usd = 0;
  for (const d of req.data) {
    if (!holds(cluster, d.locations)) usd += d.sizeGB * (d.sourceEgressPerGB ?? cluster.pricing.egressPerGB);
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
