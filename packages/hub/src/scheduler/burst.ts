import type { BurstPolicy, Decision, Fleet, Pool, Workload } from "@gantry/shared";
import { type PlanOptions, plan } from "../placement/index.ts";
import { usd } from "../util/money.ts";
import { clustersIn, utilisation } from "./pools.ts";

/** What the hub knows, beyond the snapshot, when it applies a policy to one workload. */
export interface BurstContext {
  waitedSeconds: number;
  /** GPUs requested by pending workloads under this policy, this one included. */
  queuedGpus: number;
  /** GPUs held by this policy's placements in burst pools. */
  burstGpusInUse: number;
  /** USD per hour of this policy's running burst placements. */
  burstSpendPerHour: number;
  /** USD accrued today (UTC) in this policy's burst pools. */
  burstSpendToday: number;
}

export interface PolicyDecision {
  decision: Decision;
  /** The pool it was placed in; null when it waits. */
  pool: string | null;
  /** One sentence for `explain`: which pool and why, or what it waits for. */
  note: string;
  /** Seconds until the wait trigger fires, when that is what holds it back. */
  retryInSeconds?: number;
}

/** The workload as a pool sees it: a spot pool offers only spot, an on-demand pool never spot. */
const forPool = (workload: Workload, pool: Pool): Workload => {
  if (pool.capacity === "any") return workload;
  const spot = pool.capacity === "spot" ? "preferred" : "never";
  return { ...workload, spec: { ...workload.spec, placement: { ...workload.spec.placement, spot } } };
};

/**
 * Decides one workload on the snapshot: `plan` by default; the scheduler passes `planOn` over a fleet
 * it compiled once per pass, which gives the same decisions faster.
 */
export type Planner = (workload: Workload, options?: PlanOptions) => Decision;

/**
 * One pool's decision. The pools are a hard order (`decideUnderPolicy`), so nothing about the policy's other pools
 * enters the ranking inside this one: dollars decide there.
 */
const planInPool = (fleet: Fleet, planner: Planner, workload: Workload, pool: Pool): Decision => {
  const decision = planner(forPool(workload, pool), {
    onlyClusters: clustersIn(fleet, pool.selector),
    poolName: pool.name,
    spotOnly: pool.capacity === "spot",
  });
  if (pool.capacity === "spot" && decision.feasible && decision.assignments.some((a) => !a.spot)) {
    return {
      ...decision,
      feasible: false,
      assignments: [],
      summary: `pool ${pool.name} offers only spot capacity and none fits ${workload.metadata.name}`,
    };
  }
  return decision;
};

/** Which burst trigger has fired, as a sentence, or undefined. */
const firedTrigger = (policy: BurstPolicy, fleet: Fleet, ctx: BurstContext, preferred: Pool, next: Pool) => {
  const t = policy.spec.burst;
  if (!t) return undefined;
  const name = policy.metadata.name;
  if (t.afterWaitSeconds !== undefined && ctx.waitedSeconds >= t.afterWaitSeconds) {
    return `waited ${Math.round(ctx.waitedSeconds)} s for ${preferred.name}; policy ${name} allows ${next.name} after ${t.afterWaitSeconds} s`;
  }
  if (t.whenUtilisationAbove !== undefined) {
    const u = utilisation(fleet, clustersIn(fleet, preferred.selector));
    if (u >= t.whenUtilisationAbove) {
      return `${preferred.name} is ${Math.round(u * 100)}% utilised; policy ${name} allows ${next.name} at ${Math.round(t.whenUtilisationAbove * 100)}%`;
    }
  }
  if (t.whenQueuedGpusAbove !== undefined && ctx.queuedGpus > t.whenQueuedGpusAbove) {
    return `${ctx.queuedGpus} GPUs queued for ${preferred.name}; policy ${name} allows ${next.name} above ${t.whenQueuedGpusAbove}`;
  }
  return undefined;
};

/** Why a burst that its trigger allows is still refused by a cap, or undefined. */
const capReached = (policy: BurstPolicy, ctx: BurstContext, workload: Workload, decision: Decision) => {
  const caps = policy.spec.caps;
  const gpus = workload.spec.replicas * workload.spec.resources.gpu.count;
  if (caps.maxBurstGpus !== undefined && ctx.burstGpusInUse + gpus > caps.maxBurstGpus) {
    return `burst GPU cap: ${ctx.burstGpusInUse} in use + ${gpus} > max ${caps.maxBurstGpus}`;
  }
  const perHour = decision.estimatedCost.perHour;
  if (caps.maxBurstSpendPerHour !== undefined && ctx.burstSpendPerHour + perHour > caps.maxBurstSpendPerHour) {
    return `burst spend cap: ${usd(ctx.burstSpendPerHour)}/h running + ${usd(perHour)}/h > max ${usd(caps.maxBurstSpendPerHour)}/h`;
  }
  if (
    caps.maxBurstSpendPerDay !== undefined &&
    ctx.burstSpendToday + decision.estimatedCost.total > caps.maxBurstSpendPerDay
  ) {
    return `daily burst budget: ${usd(ctx.burstSpendToday)} spent today + ${usd(decision.estimatedCost.total)} estimated > max ${usd(caps.maxBurstSpendPerDay)}`;
  }
  return undefined;
};

const spendNote = (policy: BurstPolicy, ctx: BurstContext) => {
  const cap = policy.spec.caps.maxBurstSpendPerDay;
  return `burst spend today ${usd(ctx.burstSpendToday)}${cap === undefined ? "" : ` of ${usd(cap)}`}`;
};

/**
 * Apply a burst policy: try the preferred pool; move down the list only when a trigger has fired
 * and the caps allow it, taking the first pool in the list that fits (a hard order, never a weight:
 * a cheaper cluster in a later pool does not win while an earlier pool fits). Pure: the caller
 * supplies the snapshot and the context.
 */
export const decideUnderPolicy = (
  fleet: Fleet,
  workload: Workload,
  policy: BurstPolicy,
  ctx: BurstContext,
  planner: Planner = (w, o) => plan(fleet, w, o),
): PolicyDecision => {
  const [preferred, ...burstPools] = policy.spec.pools;
  if (!preferred) throw new Error(`policy ${policy.metadata.name} has no pools`);
  const first = planInPool(fleet, planner, workload, preferred);
  if (first.feasible) {
    return {
      decision: first,
      pool: preferred.name,
      note: `placed in preferred pool ${preferred.name} (policy ${policy.metadata.name})`,
    };
  }
  const next = burstPools[0];
  if (!next) {
    return { decision: first, pool: null, note: `waiting for ${preferred.name}: ${first.summary}` };
  }
  const trigger = firedTrigger(policy, fleet, ctx, preferred, next);
  if (!trigger) {
    const wait = policy.spec.burst?.afterWaitSeconds;
    const retry = wait === undefined ? undefined : Math.max(0, wait - ctx.waitedSeconds);
    return {
      decision: first,
      pool: null,
      // No running wait time in the note: it is stored, and explain adds the live figure.
      note: `waiting for ${preferred.name} (${first.summary})${wait === undefined ? "" : `; policy ${policy.metadata.name} allows ${next.name} after ${wait} s`}`,
      ...(retry === undefined ? {} : { retryInSeconds: retry }),
    };
  }
  let last = first;
  const refusals: string[] = [];
  for (const pool of burstPools) {
    const decision = planInPool(fleet, planner, workload, pool);
    last = decision;
    if (!decision.feasible) {
      refusals.push(`${pool.name}: ${decision.summary}`);
      continue;
    }
    const cap = capReached(policy, ctx, workload, decision);
    if (cap) {
      return {
        decision: { ...decision, feasible: false, assignments: [], summary: `${trigger}, but ${cap}` },
        pool: null,
        note: `held in the queue: ${trigger}, but ${cap}`,
      };
    }
    return { decision, pool: pool.name, note: `${trigger}; ${spendNote(policy, ctx)}` };
  }
  return { decision: last, pool: null, note: `${trigger}, but nothing fits: ${refusals.join("; ")}` };
};

/** The policy that governs a workload: the one it names, else the first (by name) for its tenant. */
export const policyFor = (workload: Workload, policies: readonly BurstPolicy[]): BurstPolicy | undefined => {
  const named = workload.spec.placement.policy;
  if (named) return policies.find((p) => p.metadata.name === named);
  return policies.find((p) => p.spec.tenants.length === 0 || p.spec.tenants.includes(workload.metadata.tenant));
};
