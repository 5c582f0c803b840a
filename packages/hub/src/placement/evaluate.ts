/**
 * Runs the filter chain on every cluster and prepares the survivors for scoring. This is the hot loop: a rejected
 * cluster costs a few comparisons and one reason; only survivors get a best-fit simulation and cost estimate.
 */
import type { ClusterVerdict, Fleet } from "@gantry/shared";
import { indexReservations, resolveReservations } from "./capacity.ts";
import { fillNodes } from "./fill.ts";
import type { Candidate, ClusterContext, PlanRequest, Rejection } from "./framework.ts";
import { FILTERS } from "./profile.ts";
import { dataPlan } from "./scorers/locality.ts";

export interface Evaluation {
  /** One verdict per cluster, in fleet order; survivors' entries are completed after scoring. */
  readonly verdicts: ClusterVerdict[];
  readonly candidates: Candidate[];
  readonly rejections: Rejection[];
}

const runFilters = (ctx: ClusterContext): Rejection | undefined => {
  for (const f of FILTERS) {
    const r = f.filter(ctx);
    if (r !== undefined) return r;
  }
  return undefined;
};

const prepare = (ctx: ClusterContext, index: number): Candidate => {
  const req = ctx.request;
  const offer = ctx.chosen!;
  const take = ctx.fitReplicas;
  const fill = fillNodes(ctx.cluster, ctx.reservations, offer, req, take, false);
  const { localGB, egress } = dataPlan(ctx.cluster, req);
  return {
    cluster: ctx.cluster,
    index,
    offer,
    reservations: ctx.reservations,
    take,
    fullFit: take >= req.replicas,
    compute: take * req.gpus * offer.pricePerGpuHour * req.hours,
    egress,
    localGB,
    strandedGpus: fill.strandedGpus,
    freeAfter: offer.freeGpus - fill.usedGpus,
    scores: {},
    total: 0,
  };
};

/** Filters every cluster and returns the verdicts of the rejected ones plus the candidates to score. */
export const evaluate = (fleet: Fleet, req: PlanRequest): Evaluation => {
  const reserved = fleet.reservations.length > 0 ? indexReservations(fleet) : undefined;
  const clusters = fleet.clusters;
  const verdicts: ClusterVerdict[] = new Array(clusters.length);
  const candidates: Candidate[] = [];
  const rejections: Rejection[] = [];
  for (let i = 0; i < clusters.length; i++) {
    const cluster = clusters[i]!;
    const uses = reserved?.get(cluster.name);
    const ctx: ClusterContext = {
      cluster,
      request: req,
      reservations: uses === undefined ? undefined : resolveReservations(cluster, uses),
      offers: [],
      chosen: undefined,
      fitReplicas: 0,
    };
    const rejection = runFilters(ctx);
    if (rejection === undefined) {
      candidates.push(prepare(ctx, i));
      continue;
    }
    rejections.push(rejection);
    const verdict: ClusterVerdict = {
      cluster: cluster.name,
      verdict: "filtered",
      reasons: [{ code: rejection.code, message: rejection.message }],
      scores: {},
    };
    if (ctx.chosen !== undefined) verdict.fitReplicas = ctx.fitReplicas;
    verdicts[i] = verdict;
  }
  return { verdicts, candidates, rejections };
};
