/**
 * Runs the filter chain on every cluster and prepares the survivors for scoring. This is the hot loop: a rejected
 * cluster costs a few comparisons and one reason; only survivors get a best-fit simulation and cost estimate.
 */
import type { ClusterVerdict, Fleet, Reason } from "@gantry/shared";
import { indexReservations, resolveReservations } from "./capacity.ts";
import { strandedAfter } from "./fill.ts";
import type { Candidate, ClusterContext, PlanRequest, Rejection } from "./framework.ts";
import { FILTERS } from "./profile.ts";
import { egressOf, localGBOf, scanData } from "./scorers/locality.ts";

export interface Evaluation {
  /** One verdict per cluster, in fleet order; survivors' entries are completed after scoring. */
  readonly verdicts: ClusterVerdict[];
  readonly candidates: Candidate[];
  readonly rejections: Rejection[];
}

/** Filtered clusters have no scores; one frozen empty record serves them all. */
const NO_SCORES: Record<string, number> = Object.freeze({}) as Record<string, number>;

const runFilters = (ctx: ClusterContext): Rejection | undefined => {
  for (const f of FILTERS) {
    const r = f.filter(ctx);
    if (r !== undefined) return r;
  }
  return undefined;
};

const prepare = (ctx: ClusterContext, index: number, holds: number): Candidate => {
  const req = ctx.request;
  // The context's offers are reused for the next cluster; the candidate copies what it needs.
  const offer = ctx.chosen!;
  const take = ctx.fitReplicas;
  const stranded = strandedAfter(ctx.cluster, ctx.reservations, offer.model, req, take);
  return {
    cluster: ctx.cluster,
    index,
    model: offer.model,
    pricePerGpuHour: offer.pricePerGpuHour,
    spot: offer.spot,
    reservations: ctx.reservations,
    take,
    fullFit: take >= req.replicas,
    compute: take * req.gpus * offer.pricePerGpuHour * req.hours,
    egress: 0,
    localGB: 0,
    holds,
    strandedGpus: stranded,
    freeAfter: offer.freeGpus - take * req.gpus,
    scores: undefined,
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
  // Memoised rejections are shared objects, so their reason lists can be shared too (decisions are never mutated).
  const reasonLists = new Map<Rejection, Reason[]>();
  const ctx: ClusterContext = {
    cluster: clusters[0]!,
    request: req,
    reservations: undefined,
    offers: [],
    offerCount: 0,
    chosen: undefined,
    fitReplicas: 0,
  };
  for (let i = 0; i < clusters.length; i++) {
    const cluster = clusters[i]!;
    const uses = reserved?.get(cluster.name);
    ctx.cluster = cluster;
    ctx.reservations = uses === undefined ? undefined : resolveReservations(cluster, uses);
    ctx.offerCount = 0;
    ctx.chosen = undefined;
    ctx.fitReplicas = 0;
    // Every cluster is scanned for data, rejected or not: a rejected cluster can still be the cheapest source.
    const holds = req.data.length === 0 ? 0 : scanData(cluster, req);
    const rejection = runFilters(ctx);
    if (rejection === undefined) {
      candidates.push(prepare(ctx, i, holds));
      continue;
    }
    rejections.push(rejection);
    let reasons = reasonLists.get(rejection);
    if (reasons === undefined) {
      reasons = [{ code: rejection.code, message: rejection.message }];
      reasonLists.set(rejection, reasons);
    }
    verdicts[i] =
      ctx.chosen === undefined
        ? { cluster: cluster.name, verdict: "filtered", reasons, scores: NO_SCORES }
        : { cluster: cluster.name, verdict: "filtered", reasons, scores: NO_SCORES, fitReplicas: ctx.fitReplicas };
  }
  if (req.data.length > 0) {
    for (const c of candidates) {
      c.localGB = localGBOf(c, req);
      c.egress = egressOf(c, req);
    }
  }
  return { verdicts, candidates, rejections };
};
