/**
 * Spot risk: the expected cost of the work a preemption destroys, at the spot price.
 *
 * Model. Preemptions of one spot node arrive as a Poisson process at rate λ per hour (`spotPreemptionsPerHour` of
 * the cluster and model). A job checkpoints every c hours (`spec.checkpointMinutes`, capped at its duration) and a
 * preemption sends it back to its last checkpoint. The time to get through one interval of c hours of work is then
 * T with E[T] = (e^{Λc} − 1) / Λ (each attempt restarts the interval; the standard result for restart-from-checkpoint
 * under exponential failures, ignoring restart delay), so each interval costs (e^{Λc} − 1)/Λ − c hours of rework
 * and a run of H hours, H / c intervals, costs
 *
 *     rework hours = H / c × ((e^{Λc} − 1) / Λ − c)  ≈  Λ · H · c / 2  when Λc is small
 *
 * (half an interval lost per preemption, Λ·H preemptions; when c does not divide H the last, shorter interval is
 * counted as what it is). The charge is rework hours × GPUs × spot price.
 * Replicas of a gang roll back together, so a gang of R replicas is interrupted at Λ = R·λ and each interruption
 * costs all R·g GPUs; independent replicas are interrupted at Λ = λ each, costing their own g GPUs. Replicas of a
 * gang sharing a node are counted as separate nodes (an upper bound). For a service, c stands for twice the time a
 * replaced replica takes to serve again. On-demand and on-prem capacity is never preempted: 0.
 */
import type { ChargePlugin, PlanRequest } from "../framework.ts";
import { usd } from "../money.ts";

/** Λc past this is a run that practically never finishes; capping it keeps the charge finite (e^50 ≈ 5 × 10^21). */
const MAX_EXPONENT = 50;

/** Interruption rate of the unit that rolls back together: the whole gang, or one replica. */
export const interruptionRate = (perNode: number, req: PlanRequest, replicas: number): number =>
  req.gang ? perNode * replicas : perNode;

/** Rework hours of one interval of `x` hours of work at interruption rate Λ: (e^{Λx} − 1)/Λ − x. */
const intervalRework = (rate: number, x: number): number => {
  const e = Math.min(rate * x, MAX_EXPONENT);
  // expm1 keeps it exact when Λx is small, where it is ≈ Λx²/2.
  return Math.expm1(e) / rate - x;
};

/**
 * Expected rework hours of a whole run: ⌊H/c⌋ full intervals of c = min(checkpoint, duration) hours and the
 * remainder, each restarted from its beginning when preempted.
 */
export const reworkHours = (rate: number, req: PlanRequest): number => {
  if (rate <= 0) return 0;
  const c = Math.min(req.checkpointHours, req.hours);
  const full = Math.floor(req.hours / c + 1e-9);
  const rest = Math.max(0, req.hours - full * c);
  return full * intervalRework(rate, c) + (rest > 1e-9 ? intervalRework(rate, rest) : 0);
};

export const spotRiskCharge: ChargePlugin = {
  name: "spot-risk",
  charge(c, req, replicas, into) {
    if (!c.spot || req.gpus === 0) return;
    const rework = reworkHours(interruptionRate(c.preemptionsPerHour, req, replicas), req);
    into.spotRisk = rework * replicas * req.gpus * c.pricePerGpuHour;
  },
  explain(c, req, replicas, terms) {
    if (!c.spot || req.gpus === 0) return undefined;
    const rate = interruptionRate(c.preemptionsPerHour, req, replicas);
    const hours = reworkHours(rate, req);
    const unit = req.gang && replicas > 1 ? `${rate.toFixed(3)}/h for the gang of ${replicas}` : `${rate}/h per node`;
    const every = Math.round(Math.min(req.checkpointHours, req.hours) * 60);
    return {
      code: "spot_risk",
      message: `spot risk ${usd(terms.spotRisk)}: preemptions ${unit}, checkpoint every ${every} min, ~${hours.toFixed(2)} h of rework expected on ${replicas * req.gpus} GPUs`,
    };
  },
};
