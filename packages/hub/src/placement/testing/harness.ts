/** Runs one filter the way the engine does: the profile's earlier filters first, so it sees the offers they made. */
import type { FleetCluster, Workload } from "@gantry/shared";
import { indexReservations, resolveReservations } from "../capacity.ts";
import type { ClusterContext, Rejection } from "../framework.ts";
import { FILTERS } from "../profile.ts";
import { compileRequest, type PlanOptions } from "../request.ts";
import { compileFleet } from "../snapshot.ts";
import { aFleet } from "./builders.ts";

export interface FilterOutcome {
  /** The named filter's rejection, or undefined when it passed. */
  rejection: Rejection | undefined;
  ctx: ClusterContext;
}

export const runFilter = (
  name: string,
  cluster: FleetCluster,
  workload: Workload,
  options: PlanOptions = {},
  fleet = aFleet([cluster]),
): FilterOutcome => {
  const snapshot = compileFleet(fleet);
  const index = snapshot.indexByName.get(cluster.name) ?? 0;
  const uses = indexReservations(fleet.reservations).get(cluster.name);
  const ctx: ClusterContext = {
    snapshot,
    index,
    cluster,
    request: compileRequest(snapshot, workload, options),
    reservations: uses === undefined ? undefined : resolveReservations(cluster, uses),
    offers: [],
    offerCount: 0,
    chosen: undefined,
    fitReplicas: 0,
  };
  for (const f of FILTERS) {
    const r = f.filter(ctx);
    if (f.name === name) return { rejection: r, ctx };
    if (r !== undefined) throw new Error(`filter ${f.name} rejected before ${name} ran: ${r.message}`);
  }
  throw new Error(`no filter named ${name}`);
};
