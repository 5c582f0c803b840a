/**
 * Runs the filter chain on every cluster and prepares the survivors for scoring. This is the hot loop: a rejected
 * cluster costs a few array reads and one shared reason; only survivors get a best-fit simulation and are ranked.
 */
import type { ClusterVerdict, Reason, Reservation } from "@gantry/shared";
import { indexReservations, resolveReservations } from "./capacity.ts";
import { computeUsd } from "./charges/compute.ts";
import { strandedAfter } from "./fill.ts";
import type { Candidate, ClusterContext, GroupReservations, PlanRequest, Rejection } from "./framework.ts";
import { toCents } from "./money.ts";
import { FILTERS } from "./profile.ts";
import { type FleetSnapshot, TIERS } from "./snapshot.ts";

export interface Evaluation {
  /** One verdict per cluster, in fleet order; survivors' entries are completed after scoring. */
  readonly verdicts: ClusterVerdict[];
  readonly candidates: Candidate[];
  readonly rejections: Rejection[];
  /** With `defer`: the survivors that take every replica, not in `candidates`. */
  readonly deferred?: Deferred;
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

/** A survivor's candidate, from what the filters chose for it. */
const prepareFrom = (
  snap: FleetSnapshot,
  req: PlanRequest,
  i: number,
  reservations: Reserved | undefined,
  model: string | undefined,
  modelId: number,
  pricePerGpuHour: number,
  spot: boolean,
  freeGpus: number,
  take: number,
): Candidate => {
  const at = i * snap.models.length + modelId;
  return {
    snapshot: snap,
    cluster: snap.clusters[i]!,
    name: snap.names[i]!,
    nameOrder: snap.nameOrder[i]!,
    tier: TIERS[snap.tier[i]!]!,
    index: i,
    model,
    modelId,
    pricePerGpuHour,
    spot,
    preemptionsPerHour: spot && modelId >= 0 ? snap.preemptions[at]! : 0,
    reservations,
    take,
    fullFit: take >= req.replicas,
    strandedGpus: strandedAfter(snap, i, reservations, modelId, req, take),
    freeGpus,
    capacityGpus: modelId < 0 ? 0 : snap.modelGpus[at]!,
    rank: undefined,
    rankCents: 0,
  };
};

// The context's offers are reused for the next cluster; the candidate copies what it needs.
const prepare = (ctx: ClusterContext): Candidate => {
  const o = ctx.chosen!;
  return prepareFrom(
    ctx.snapshot,
    ctx.request,
    ctx.index,
    ctx.reservations,
    o.model,
    o.modelId,
    o.pricePerGpuHour,
    o.spot,
    o.freeGpus,
    ctx.fitReplicas,
  );
};

/**
 * The survivors that take every replica, recorded but not yet made candidates (`evaluate`'s `defer`): what their
 * compute, the lower bound of their rank value, needs, and `prepare` to make the candidates that get ranked. At
 * 10,000 clusters, building a candidate for every survivor was most of what a compact decision cost.
 */
export interface Deferred {
  /** How many, in fleet order; `j` below is a position in that order. */
  readonly count: number;
  /** The j-th one's compute in whole cents. */
  readonly boundCents: Float64Array;
  prepare(j: number): Candidate;
}

/** Whole fits as `evaluate` records them: columns sized for every cluster, the first `count` rows used. */
interface Rows {
  count: number;
  readonly index: Int32Array;
  readonly model: (string | undefined)[];
  readonly modelId: Int32Array;
  readonly price: Float64Array;
  readonly spot: Uint8Array;
  readonly freeGpus: Float64Array;
  readonly take: Int32Array;
}

const rowsFor = (n: number): Rows => ({
  count: 0,
  index: new Int32Array(n),
  model: [],
  modelId: new Int32Array(n),
  price: new Float64Array(n),
  spot: new Uint8Array(n),
  freeGpus: new Float64Array(n),
  take: new Int32Array(n),
});

const deferredOf = (
  snap: FleetSnapshot,
  req: PlanRequest,
  reserved: Map<number, Reserved> | undefined,
  r: Rows,
): Deferred => {
  const boundCents = new Float64Array(r.count);
  for (let j = 0; j < r.count; j++) boundCents[j] = toCents(computeUsd(req, r.take[j]!, r.price[j]!));
  return {
    count: r.count,
    boundCents,
    prepare: (j) => {
      const i = r.index[j]!;
      return prepareFrom(
        snap,
        req,
        i,
        reserved?.get(i),
        r.model[j],
        r.modelId[j]!,
        r.price[j]!,
        r.spot[j] === 1,
        r.freeGpus[j]!,
        r.take[j]!,
      );
    },
  };
};

/**
 * Filters every cluster and returns the verdicts of the rejected ones plus the candidates to score. With `defer`,
 * survivors that take every replica are only recorded (`deferred`); `candidates` then holds the others.
 */
export const evaluate = (
  snap: FleetSnapshot,
  reservations: readonly Reservation[],
  req: PlanRequest,
  defer = false,
): Evaluation => {
  const reserved = reservations.length > 0 ? reservationsByCluster(snap, reservations) : undefined;
  const n = snap.size;
  const names = snap.names;
  const verdicts: ClusterVerdict[] = new Array(n);
  const candidates: Candidate[] = [];
  const rejections: Rejection[] = [];
  // Memoised rejections are shared objects, so their reason lists can be shared too (decisions are never mutated).
  const reasonLists = new Map<Rejection, Reason[]>();
  const rows = defer ? rowsFor(n) : undefined;
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
      if (rows !== undefined && ctx.fitReplicas >= req.replicas) {
        const o = ctx.chosen!;
        const j = rows.count++;
        rows.index[j] = i;
        rows.model.push(o.model);
        rows.modelId[j] = o.modelId;
        rows.price[j] = o.pricePerGpuHour;
        rows.spot[j] = o.spot ? 1 : 0;
        rows.freeGpus[j] = o.freeGpus;
        rows.take[j] = ctx.fitReplicas;
      } else candidates.push(prepare(ctx));
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
  if (rows === undefined) return { verdicts, candidates, rejections };
  return { verdicts, candidates, rejections, deferred: deferredOf(snap, req, reserved, rows) };
};
