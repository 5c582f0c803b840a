import type {
  Assignment,
  ClusterVerdict,
  CostEstimate,
  Decision,
  Fleet,
  RankCost,
  Reason,
  Reservation,
  Workload,
} from "@gantry/shared";
import { evaluate } from "./evaluate.ts";
import { infeasibleSummary, marginOf, marginSentence, placedSummary, rankSentence } from "./explain.ts";
import { fillNodes } from "./fill.ts";
import type { Candidate, PlanRequest } from "./framework.ts";
import { compactDecision } from "./keep.ts";
import { toCents } from "./money.ts";
import { CHARGES } from "./profile.ts";
import { kthSmallest, rankAll, rankBounded, rankFor, sumRanks, ZERO_RANK } from "./rank.ts";
import { compileRequest, type PlanOptions } from "./request.ts";
import { best, type Portion, select } from "./select.ts";
import { compileFleet, type FleetSnapshot } from "./snapshot.ts";

/** The billed estimate of a rank value: its compute and egress, per hour at the price per GPU-hour. */
const billedOf = (c: Candidate, replicas: number, req: PlanRequest, r: RankCost): CostEstimate => ({
  total: (toCents(r.compute) + toCents(r.egress)) / 100,
  perHour: toCents(replicas * req.gpus * c.pricePerGpuHour) / 100,
  compute: r.compute,
  egress: r.egress,
});

const ZERO_COST: CostEstimate = { total: 0, perHour: 0, compute: 0, egress: 0 };

const sumCosts = (costs: readonly CostEstimate[]): CostEstimate => {
  let total = 0;
  let perHour = 0;
  let compute = 0;
  let egress = 0;
  for (const c of costs) {
    total += toCents(c.total);
    perHour += toCents(c.perHour);
    compute += toCents(c.compute);
    egress += toCents(c.egress);
  }
  return { total: total / 100, perHour: perHour / 100, compute: compute / 100, egress: egress / 100 };
};

const fitsMessage = (c: Candidate, req: PlanRequest, replicas: number, selected: boolean): string => {
  const model = c.model === undefined ? "no GPU" : `${req.gpus} × ${c.model}${c.spot ? " spot" : ""}`;
  const partial = c.fullFit ? "" : " (only in a split: it cannot take them all)";
  return `${selected ? "takes" : "fits"} ${replicas}/${req.replicas} replicas of ${model}${partial}`;
};

/** A `fits` reason list shared by every feasible cluster that fits the same replicas of the same offer. */
interface SharedFits {
  readonly replicas: number;
  readonly model: string | undefined;
  readonly spot: boolean;
  readonly fullFit: boolean;
  readonly reasons: Reason[];
}

/** Bounds the scan below; past it (many distinct replica counts) lists are simply not shared. */
const MAX_SHARED_FITS = 32;

/** A linear scan: a decision has a handful of distinct (replicas, model, spot), and a scan allocates nothing. */
const sharedFits = (shared: SharedFits[], c: Candidate, req: PlanRequest, replicas: number): Reason[] => {
  for (const f of shared) {
    if (f.replicas === replicas && f.model === c.model && f.spot === c.spot && f.fullFit === c.fullFit) {
      return f.reasons;
    }
  }
  const reasons = [{ code: "fits", message: fitsMessage(c, req, replicas, false) }];
  if (shared.length < MAX_SHARED_FITS) {
    shared.push({ replicas, model: c.model, spot: c.spot, fullFit: c.fullFit, reasons });
  }
  return reasons;
};

const bestFitReason = (c: Candidate, req: PlanRequest, replicas: number): Reason => {
  const left = c.freeGpus - replicas * req.gpus;
  return {
    code: "best_fit",
    message: `leaves ${left} free ${c.model ?? "GPU"}; ${c.strandedGpus} stranded on the nodes it uses (breaks exact ties only)`,
  };
};

/**
 * Verdict of a cluster that passed every filter: its rank value, term by term, and its billed estimate, for the
 * replicas it takes (selected) or could take. The selected clusters and the runner-up also carry every charge's
 * sentence; the others one shared `fits` reason, which keeps a 10,000-cluster decision within its latency budget.
 */
const verdictOf = (
  c: Candidate,
  req: PlanRequest,
  selected: number | undefined,
  detailed: boolean,
  shared: SharedFits[],
): ClusterVerdict => {
  const replicas = selected ?? c.take;
  const rank = rankFor(c, req, replicas);
  let reasons: Reason[];
  if (detailed) {
    reasons = [
      { code: "fits", message: fitsMessage(c, req, replicas, selected !== undefined) },
      { code: "rank", message: rankSentence(rank) },
    ];
    for (const p of CHARGES) {
      const r = p.explain(c, req, replicas, rank);
      if (r !== undefined) reasons.push(r);
    }
    if (req.gpus > 0) reasons.push(bestFitReason(c, req, replicas));
  } else {
    reasons = sharedFits(shared, c, req, replicas);
  }
  const verdict = selected === undefined ? "feasible" : "selected";
  const estimatedCost = billedOf(c, replicas, req, rank);
  // Two literal shapes rather than adding `gpuModel` later: one hidden class per shape, properties in-object.
  if (c.model === undefined) {
    return {
      cluster: c.name,
      verdict,
      reasons,
      fitReplicas: c.take,
      spot: c.spot,
      pricePerGpuHour: c.pricePerGpuHour,
      estimatedCost,
      rankCost: rank,
    };
  }
  return {
    cluster: c.name,
    verdict,
    reasons,
    fitReplicas: c.take,
    gpuModel: c.model,
    spot: c.spot,
    pricePerGpuHour: c.pricePerGpuHour,
    estimatedCost,
    rankCost: rank,
  };
};

const assignmentOf = (snap: FleetSnapshot, p: Portion, req: PlanRequest): Assignment => {
  const c = p.candidate;
  const fill = fillNodes(snap, c.index, c.reservations, c.modelId, req, p.replicas, true);
  const a: Assignment = {
    cluster: c.name,
    replicas: p.replicas,
    spot: c.spot,
    nodes: fill.nodes,
    pricePerGpuHour: c.pricePerGpuHour,
  };
  if (c.model !== undefined) a.gpuModel = c.model;
  return a;
};

/** The summary's comparison with the runner-up. */
const comparisonOf = (portions: readonly Portion[], second: Candidate | undefined, req: PlanRequest): string => {
  if (portions.length > 1) {
    const next = second === undefined ? "" : `; next in line ${second.name}`;
    return `no single cluster takes all ${req.replicas} replicas, split lowest rank per replica first${next}`;
  }
  if (second === undefined) return "the only feasible cluster";
  return `runner-up ${second.name} takes only ${second.take}/${req.replicas} replicas`;
};

/**
 * The candidates a compact decision lists: the selected ones, the runner-up, and the `need` lowest rank totals, equal
 * totals in fleet order (as `cheapest` keeps them). Of `ranked`, in its order. With `need` = kept feasible + 1 + the
 * selected, the kept cheapest of the others (neither selected nor runner-up) are among them.
 */
const cheapestRanked = (
  ranked: readonly Candidate[],
  need: number,
  chosen: ReadonlyMap<Candidate, number>,
  second: Candidate | undefined,
): Candidate[] => {
  if (ranked.length <= need) return [...ranked];
  const totals = new Float64Array(ranked.length);
  for (let i = 0; i < ranked.length; i++) totals[i] = ranked[i]!.rankCents;
  const cut = kthSmallest(totals, need - 1);
  let ties = need;
  for (const c of ranked) if (c.rankCents < cut) ties--;
  const out: Candidate[] = [];
  for (const c of ranked) {
    if (c.rankCents < cut || chosen.has(c) || c === second) out.push(c);
    else if (c.rankCents === cut && ties > 0) {
      out.push(c);
      ties--;
    }
  }
  return out;
};

/**
 * Decides where a workload runs on a fleet. Pure and deterministic: same input, same decision. Compiles the fleet
 * first; callers making several decisions on one fleet compile it once and call `planOn`.
 *
 * Pipeline: every cluster runs the profile's filters in order (the first rejection is its reason); each survivor
 * gets a rank value in US dollars, the expected cost of running the workload there (`CHARGES`: compute, egress,
 * staging, spot risk, headroom, preference). A cluster that can take every replica wins, lowest rank value first;
 * best fit, then name, break exact ties. Gangs land whole in one cluster; non-gang workloads no single cluster can
 * hold are split, lowest rank value per replica first. The decision bills compute + egress (`estimatedCost`) and
 * shows every feasible cluster's terms (`rankCost`). Workloads requesting no GPUs are checked on CPU and memory and
 * cost only their data egress (prices are per GPU-hour; `maxGpuHourPrice` and the spot policy do not apply to them).
 */
export const plan = (fleet: Fleet, workload: Workload, options?: PlanOptions): Decision =>
  planOn(compileFleet(fleet), fleet.reservations, workload, options);

/**
 * `plan` on a compiled fleet: the decision for `workload` given the capacity `reservations` already hold (those of
 * earlier decisions not yet visible in the snapshot). The snapshot is read, never changed.
 */
export const planOn = (
  snapshot: FleetSnapshot,
  reservations: readonly Reservation[],
  workload: Workload,
  options?: PlanOptions,
): Decision => {
  const req = compileRequest(snapshot, workload, options);
  const keep = options?.keep !== undefined && snapshot.size > options.keep.allUpTo ? options.keep : undefined;
  const { verdicts, candidates, rejections, deferred } = evaluate(snapshot, reservations, req, keep !== undefined);
  // Compact: only the candidates that can be selected, be the runner-up or be among the cheapest kept are ranked.
  let ranked: readonly Candidate[] = candidates;
  if (deferred === undefined) rankAll(candidates, req);
  else ranked = rankBounded(candidates, deferred, req, keep!.feasible + 2);
  /** Clusters that passed every filter, ranked or not. */
  const feasibleCount = candidates.length + (deferred?.count ?? 0);
  const portions = select(ranked, req.replicas);
  const chosen = new Map<Candidate, number>();
  for (const p of portions ?? []) chosen.set(p.candidate, p.replicas);
  const second = best(ranked, new Set(chosen.keys()));
  const runnerUp = second?.name ?? null;
  const shared: SharedFits[] = [];
  const listed = keep === undefined ? ranked : cheapestRanked(ranked, keep.feasible + 1 + chosen.size, chosen, second);
  for (const c of listed) {
    const selected = chosen.get(c);
    verdicts[c.index] = verdictOf(c, req, selected, selected !== undefined || c === second, shared);
  }
  const done = (d: Decision): Decision => {
    if (keep === undefined) return d;
    // Only the clusters that have a verdict are listed (the filtered ones and `listed`, in fleet order).
    const clusters: ClusterVerdict[] = [];
    for (const v of verdicts) if (v !== undefined) clusters.push(v);
    return compactDecision({ ...d, clusters }, keep, feasibleCount - listed.length);
  };
  const n = snapshot.size;
  if (portions === undefined) {
    let fit = 0;
    // No cluster takes every replica here, so nothing was deferred: `candidates` are all the survivors.
    for (const c of candidates) fit += c.take;
    const note =
      feasibleCount === 0 ? undefined : `only ${fit} of ${req.replicas} replicas fit across ${feasibleCount} clusters`;
    return done({
      feasible: false,
      assignments: [],
      estimatedCost: { ...ZERO_COST },
      rankCost: { ...ZERO_RANK },
      clusters: verdicts,
      runnerUp,
      summary: infeasibleSummary(req.workload, n, rejections, note),
    });
  }
  const assignments = portions.map((p) => assignmentOf(snapshot, p, req));
  const portionVerdicts = portions.map((p) => verdicts[p.candidate.index]!);
  const estimatedCost = sumCosts(portionVerdicts.map((v) => v.estimatedCost!));
  const rankCost = sumRanks(portionVerdicts.map((v) => v.rankCost!));
  const top = portions[0]!.candidate;
  const margin = portions.length === 1 && second?.fullFit === true ? marginOf(top, second) : undefined;
  const comparison = margin === undefined ? comparisonOf(portions, second, req) : marginSentence(margin, top, second!);
  const summary = placedSummary(
    req.workload,
    assignments,
    req.gpus,
    estimatedCost,
    rankCost,
    comparison,
    feasibleCount,
    n,
  );
  const decision: Decision = {
    feasible: true,
    assignments,
    estimatedCost,
    rankCost,
    clusters: verdicts,
    runnerUp,
    summary,
  };
  if (margin !== undefined) decision.margin = margin;
  return done(decision);
};
