/**
 * Runs the filter chain on every cluster and prepares the survivors for scoring. This is the hot loop: a rejected
 * cluster costs a few array reads and one shared reason; only survivors get a best-fit simulation and are ranked.
 */
import type { ClusterVerdict, Reason, Reservation } from "@gantry/shared";
import { indexReservations, resolveReservations } from "./capacity.ts";
import { strandedAfter } from "./fill.ts";
import type { Candidate, ClusterContext, GroupReservations, PlanRequest, Rejection } from "./framework.ts";
import { FILTERS } from "./profile.ts";
import { type FleetSnapshot, TIERS } from "./snapshot.ts";

export interface Evaluation {
  /** One verdict per cluster, in fleet order; survivors' entries are completed after scoring. */
  readonly verdicts: ClusterVerdict[];
  readonly candidates: Candidate[];
  readonly rejections: Rejection[];
}

type Reserved = ReadonlyArray<GroupReservations | undefined>;

const runFilters = (ctx: ClusterContext): Rejection | undefined => {
  for (const f of FILTERS) {
    const r = f.filter(ctx);
    if (r !== undefined) return r;
  }
  return undefined;
};

/** Reservations per cluster index, mapped onto node groups; reservations for unknown clusters hold nothing. */
const reservationsByCluster = (snap: FleetSnapshot, reservations: readonly Reservation[]): Map<number, Reserved> => {
  const out = new Map<number, Reserved>();
  for (const [name, uses] of indexReservations(reservations)) {
    const i = snap.indexByName.get(name);
    if (i !== undefined) out.set(i, resolveReservations(snap.clusters[i]!, uses));
  }
  return out;
};

const prepare = (ctx: ClusterContext): Candidate => {
  const req = ctx.request;
  const snap = ctx.snapshot;
  const i = ctx.index;
  // The context's offers are reused for the next cluster; the candidate copies what it needs.
  const offer = ctx.chosen!;
  const take = ctx.fitReplicas;
  const at = i * snap.models.length + offer.modelId;
  return {
    snapshot: snap,
    cluster: ctx.cluster,
    name: snap.names[i]!,
    nameOrder: snap.nameOrder[i]!,
    tier: TIERS[snap.tier[i]!]!,
    index: i,
    model: offer.model,
    modelId: offer.modelId,
    pricePerGpuHour: offer.pricePerGpuHour,
    spot: offer.spot,
    preemptionsPerHour: offer.spot && offer.modelId >= 0 ? snap.preemptions[at]! : 0,
    reservations: ctx.reservations,
    take,
    fullFit: take >= req.replicas,
    strandedGpus: strandedAfter(snap, i, ctx.reservations, offer.modelId, req, take),
    freeGpus: offer.freeGpus,
    capacityGpus: offer.modelId < 0 ? 0 : snap.modelGpus[at]!,
    rank: undefined,
    rankCents: 0,
  };
};

/** Filters every cluster and returns the verdicts of the rejected ones plus the candidates to score. */
export const evaluate = (snap: FleetSnapshot, reservations: readonly Reservation[], req: PlanRequest): Evaluation => {
  const reserved = reservations.length > 0 ? reservationsByCluster(snap, reservations) : undefined;
  const n = snap.size;
  const names = snap.names;
  const verdicts: ClusterVerdict[] = new Array(n);
  const candidates: Candidate[] = [];
  const rejections: Rejection[] = [];
  // Memoised rejections are shared objects, so their reason lists can be shared too (decisions are never mutated).
  const reasonLists = new Map<Rejection, Reason[]>();
  const ctx: ClusterContext = {
    snapshot: snap,
    index: 0,
    cluster: snap.clusters[0]!,
    request: req,
    reservations: undefined,
    offers: [],
    offerCount: 0,
    chosen: undefined,
    fitReplicas: 0,
  };
  for (let i = 0; i < n; i++) {
    ctx.index = i;
    ctx.cluster = snap.clusters[i]!;
    ctx.reservations = reserved?.get(i);
    ctx.offerCount = 0;
    ctx.chosen = undefined;
    ctx.fitReplicas = 0;
    const rejection = runFilters(ctx);
    if (rejection === undefined) {
      candidates.push(prepare(ctx));
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
        ? { cluster: names[i]!, verdict: "filtered", reasons }
        : { cluster: names[i]!, verdict: "filtered", reasons, fitReplicas: ctx.fitReplicas };
  }
  return { verdicts, candidates, rejections };
};
