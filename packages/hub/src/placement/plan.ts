import type {
  Assignment,
  ClusterVerdict,
  CostEstimate,
  Decision,
  Fleet,
  Reason,
  Reservation,
  Workload,
} from "@gantry/shared";
import { evaluate } from "./evaluate.ts";
import { infeasibleSummary, placedSummary } from "./explain.ts";
import { fillNodes } from "./fill.ts";
import type { Candidate, CandidateStats, PlanRequest } from "./framework.ts";
import { SCORERS } from "./profile.ts";
import { compileRequest, type PlanOptions } from "./request.ts";
import { rankedCostPerReplica } from "./scorers/cost.ts";
import { best, type Portion, select } from "./select.ts";
import { compileFleet, type FleetSnapshot } from "./snapshot.ts";

const round2 = (n: number): number => Math.round(n * 100) / 100;

/** Costs are shown to the cent; rounding here keeps float noise (5299.200000000001) out of the output. */
const cents = (c: CostEstimate): CostEstimate => ({
  total: round2(c.total),
  perHour: round2(c.perHour),
  compute: round2(c.compute),
  egress: round2(c.egress),
});

const scoreAll = (candidates: readonly Candidate[], req: PlanRequest): void => {
  const stats: CandidateStats = { minRankedCostPerReplica: Number.POSITIVE_INFINITY };
  for (const c of candidates) {
    stats.minRankedCostPerReplica = Math.min(stats.minRankedCostPerReplica, rankedCostPerReplica(c));
  }
  // Every cluster's scores are a copy of one template: same keys in the same order (one hidden class, properties
  // in-object), and `total` last as the sum of the others.
  const template: Record<string, number> = {};
  for (const s of SCORERS) template[s.name] = 0;
  template.total = 0;
  const weights = SCORERS.map((s) => req.weights[s.name]);
  for (const c of candidates) {
    const scores = { ...template };
    let total = 0;
    for (let k = 0; k < SCORERS.length; k++) {
      const s = SCORERS[k]!;
      const v = round2(weights[k]! * s.score(c, req, stats));
      scores[s.name] = v;
      total += v;
    }
    c.total = round2(total);
    scores.total = c.total;
    c.scores = scores;
  }
};

const costOf = (c: Candidate, replicas: number, req: PlanRequest): CostEstimate => {
  const perHour = replicas * req.gpus * c.pricePerGpuHour;
  const compute = perHour * req.hours;
  return {
    total: round2(compute + c.egress),
    perHour: round2(perHour),
    compute: round2(compute),
    egress: round2(c.egress),
  };
};

const fitsMessage = (c: Candidate, req: PlanRequest, replicas: number, selected: boolean): string => {
  const model = c.model === undefined ? "no GPU" : `${req.gpus} × ${c.model}${c.spot ? " spot" : ""}`;
  return `${selected ? "takes" : "fits"} ${replicas}/${req.replicas} replicas of ${model}`;
};

/** A `fits` reason list shared by every feasible cluster that fits the same replicas of the same offer. */
interface SharedFits {
  readonly replicas: number;
  readonly model: string | undefined;
  readonly spot: boolean;
  readonly reasons: Reason[];
}

/** Bounds the scan below; past it (many distinct replica counts) lists are simply not shared. */
const MAX_SHARED_FITS = 32;

/** A linear scan: a decision has a handful of distinct (replicas, model, spot), and a scan allocates nothing. */
const sharedFits = (shared: SharedFits[], c: Candidate, req: PlanRequest, replicas: number): Reason[] => {
  for (const f of shared) if (f.replicas === replicas && f.model === c.model && f.spot === c.spot) return f.reasons;
  const reasons = [{ code: "fits", message: fitsMessage(c, req, replicas, false) }];
  if (shared.length < MAX_SHARED_FITS) shared.push({ replicas, model: c.model, spot: c.spot, reasons });
  return reasons;
};

/**
 * Verdict of a cluster that passed every filter. The selected clusters and the runner-up carry every scorer's
 * sentence; the other feasible clusters carry one shared `fits` reason, their scores and their cost as data,
 * which keeps a 10,000-cluster decision within its latency budget.
 */
const verdictOf = (
  c: Candidate,
  req: PlanRequest,
  selected: number | undefined,
  detailed: boolean,
  shared: SharedFits[],
): ClusterVerdict => {
  const replicas = selected ?? c.take;
  let reasons: Reason[];
  if (detailed) {
    reasons = [{ code: "fits", message: fitsMessage(c, req, replicas, selected !== undefined) }];
    for (const s of SCORERS) {
      const r = s.explain(c, req);
      if (r !== undefined) reasons.push(r);
    }
  } else {
    reasons = sharedFits(shared, c, req, replicas);
  }
  return {
    cluster: c.name,
    verdict: selected === undefined ? "feasible" : "selected",
    reasons,
    scores: c.scores ?? {},
    estimatedCost: costOf(c, replicas, req),
    fitReplicas: c.take,
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

const ZERO_COST: CostEstimate = { total: 0, perHour: 0, compute: 0, egress: 0 };

const sumCosts = (costs: readonly CostEstimate[]): CostEstimate => {
  const out = { ...ZERO_COST };
  for (const c of costs) {
    out.total += c.total;
    out.perHour += c.perHour;
    out.compute += c.compute;
    out.egress += c.egress;
  }
  return cents(out);
};

/**
 * Decides where a workload runs on a fleet. Pure and deterministic: same input, same decision. Compiles the fleet
 * first; callers making several decisions on one fleet compile it once and call `planOn`.
 *
 * Pipeline: every cluster runs the profile's filters in order (the first rejection is its reason); survivors are
 * scored by each scorer on 0..100 (higher is better), multiplied by the scorer's weight. `scores` holds the
 * weighted components and their sum as `total`. Selection: a cluster that can take every replica, highest total,
 * ties by name; gangs land whole in one cluster; non-gang workloads no single cluster can hold are split,
 * cheapest per replica first. Workloads requesting no GPUs are checked on CPU and memory and cost only their
 * data egress (prices are per GPU-hour; `maxGpuHourPrice` and the spot policy do not apply to them).
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
  const { verdicts, candidates, rejections } = evaluate(snapshot, reservations, req);
  scoreAll(candidates, req);
  const portions = select(candidates, req.replicas);
  const chosen = new Map<Candidate, number>();
  for (const p of portions ?? []) chosen.set(p.candidate, p.replicas);
  const second = best(candidates, new Set(chosen.keys()));
  const runnerUp = second?.name ?? null;
  const shared: SharedFits[] = [];
  for (const c of candidates) {
    const selected = chosen.get(c);
    verdicts[c.index] = verdictOf(c, req, selected, selected !== undefined || c === second, shared);
  }
  const n = snapshot.size;
  if (portions === undefined) {
    let fit = 0;
    for (const c of candidates) fit += c.take;
    const note =
      candidates.length === 0
        ? undefined
        : `only ${fit} of ${req.replicas} replicas fit across ${candidates.length} clusters`;
    return {
      feasible: false,
      assignments: [],
      estimatedCost: { ...ZERO_COST },
      clusters: verdicts,
      runnerUp,
      summary: infeasibleSummary(req.workload, n, rejections, note),
    };
  }
  const assignments = portions.map((p) => assignmentOf(snapshot, p, req));
  const estimatedCost = sumCosts(portions.map((p) => costOf(p.candidate, p.replicas, req)));
  return {
    feasible: true,
    assignments,
    estimatedCost,
    clusters: verdicts,
    runnerUp,
    summary: placedSummary(req.workload, assignments, req.gpus, estimatedCost, candidates.length, n, runnerUp),
  };
};
