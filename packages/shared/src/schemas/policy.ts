import { z } from "zod";
import { Tier } from "./cluster.ts";
import { Identifier, Name, Usd } from "./common.ts";
import { Labels } from "./labels.ts";
import { boundedInt, boundedList, boundedNumber, LIMITS } from "./limits.ts";
import { API_VERSION } from "./workload.ts";

/** Which clusters a pool holds. Every listed criterion must match; an empty selector matches all. */
export const ClusterSelector = z.strictObject({
  tiers: boundedList(Tier).default([]),
  /** Region globs (`eu-*`). */
  regions: boundedList(Identifier).default([]),
  /** Cluster name globs. */
  names: boundedList(Identifier).default([]),
  /** Labels the cluster must carry, with these values. */
  labels: Labels.default({}),
});
export type ClusterSelector = z.infer<typeof ClusterSelector>;

/** `spot`: only spot capacity counts; `on-demand`: never spot; `any`: as the workload asks. */
export const PoolCapacity = z.enum(["any", "spot", "on-demand"]);
export type PoolCapacity = z.infer<typeof PoolCapacity>;

export const Pool = z.strictObject({
  name: Name,
  selector: ClusterSelector.default({ tiers: [], regions: [], names: [], labels: {} }),
  capacity: PoolCapacity.default("any"),
});
export type Pool = z.infer<typeof Pool>;

/** When work may move from the preferred pool (the first) down the list. Any one trigger suffices. */
export const BurstTriggers = z
  .strictObject({
    /** The workload has waited this long for the preferred pool. */
    afterWaitSeconds: boundedNumber(LIMITS.seconds).optional(),
    /** The preferred pool's GPU utilisation (0–1) is at or above this. */
    whenUtilisationAbove: z.number().min(0).max(1).optional(),
    /** GPUs requested by pending workloads under this policy exceed this. */
    whenQueuedGpusAbove: boundedInt(LIMITS.gpuCount).optional(),
  })
  .refine((t) => Object.values(t).some((v) => v !== undefined), {
    message: "name at least one trigger: afterWaitSeconds, whenUtilisationAbove or whenQueuedGpusAbove",
  });
export type BurstTriggers = z.infer<typeof BurstTriggers>;

/** Limits on what bursting may use; burst pools are every pool after the first. */
export const BurstCaps = z.strictObject({
  maxBurstGpus: boundedInt(LIMITS.gpuCount).optional(),
  maxBurstSpendPerHour: Usd.optional(),
  maxBurstSpendPerDay: Usd.optional(),
});
export type BurstCaps = z.infer<typeof BurstCaps>;

export const DrainBack = z.strictObject({
  enabled: z.boolean().default(true),
  /** The preferred pool must have had room for this long before anything moves back (hysteresis). */
  afterSeconds: boundedNumber(LIMITS.seconds).default(300),
  /** Jobs marked restartable are stopped and placed again in the preferred pool; others finish where they are. */
  restartableJobs: z.boolean().default(true),
});
export type DrainBack = z.infer<typeof DrainBack>;

export const BurstPolicySpec = z.strictObject({
  /** Tenants it applies to; empty means every tenant. A workload may also name a policy explicitly. */
  tenants: boundedList(Name, LIMITS.tenants).default([]),
  pools: boundedList(Pool, LIMITS.pools).min(1, "a policy needs at least one pool"),
  burst: BurstTriggers.optional(),
  caps: BurstCaps.default({}),
  drainBack: DrainBack.default({ enabled: true, afterSeconds: 300, restartableJobs: true }),
});
export type BurstPolicySpec = z.infer<typeof BurstPolicySpec>;

export const BurstPolicy = z
  .strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal("BurstPolicy"),
    metadata: z.strictObject({ name: Name }),
    spec: BurstPolicySpec,
  })
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.spec.pools.forEach((pool, i) => {
      if (seen.has(pool.name)) {
        ctx.addIssue({
          code: "custom",
          path: ["spec", "pools", i, "name"],
          message: `duplicate pool name ${pool.name}`,
        });
      }
      seen.add(pool.name);
    });
    if (p.spec.pools.length > 1 && !p.spec.burst) {
      ctx.addIssue({
        code: "custom",
        path: ["spec", "burst"],
        message: "a policy with burst pools needs burst triggers",
      });
    }
  });
export type BurstPolicy = z.infer<typeof BurstPolicy>;
export type BurstPolicyInput = z.input<typeof BurstPolicy>;

/** A tenant's spending limits and its fair-share weight. */
export const Budget = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("Budget"),
  metadata: z.strictObject({ name: Name }),
  spec: z.strictObject({
    perDay: Usd.optional(),
    perMonth: Usd.optional(),
    /** Fair-share weight among tenants of equal priority (default 1). */
    weight: boundedNumber(LIMITS.weight, { positive: true }).default(1),
  }),
});
export type Budget = z.infer<typeof Budget>;
export type BudgetInput = z.input<typeof Budget>;
