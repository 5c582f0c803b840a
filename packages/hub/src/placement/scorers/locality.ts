import type { PlanRequest, ScorePlugin } from "../framework.ts";
import type { FleetSnapshot } from "../snapshot.ts";

/** Assumed bandwidth for copying a dataset between sites, for the transfer-time estimate: 10 Gbit/s. */
export const TRANSFER_GB_PER_SECOND = 1.25;

/** GB of the workload's data already in the cluster (a location names the cluster or its region). */
export const localGBOf = (cluster: number, req: PlanRequest): number => {
  let gb = 0;
  for (const d of req.data) if (d.holds[cluster] === 1) gb += d.sizeGB;
  return gb;
};

/**
 * USD to copy the data the cluster lacks: GB × the egress price of the cheapest cluster holding a copy (the
 * destination's own egress price when no cluster in the fleet holds one).
 */
export const egressOf = (snap: FleetSnapshot, cluster: number, req: PlanRequest): number => {
  let usd = 0;
  for (const d of req.data) {
    if (d.holds[cluster] !== 1) usd += d.sizeGB * (d.sourceEgressPerGB ?? snap.egressPerGB[cluster]!);
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
