import { z } from "zod";
import { Tier } from "./cluster.ts";
import { Name, Toleration, Usd } from "./common.ts";

export const API_VERSION = "gantry.dev/v1alpha1";

export const WorkloadType = z.enum(["job", "service"]);
export type WorkloadType = z.infer<typeof WorkloadType>;

export const SpotPolicy = z.enum(["never", "allowed", "preferred"]);
export type SpotPolicy = z.infer<typeof SpotPolicy>;

export const GpuRequest = z.object({
  count: z.number().int().nonnegative().default(0),
  /** Acceptable GPU models; empty means any. */
  models: z.array(z.string().min(1)).default([]),
  minMemoryGiB: z.number().nonnegative().default(0),
});
export type GpuRequest = z.infer<typeof GpuRequest>;

/** Per-replica resources. */
export const Resources = z.object({
  gpu: GpuRequest.default({ count: 0, models: [], minMemoryGiB: 0 }),
  cpu: z.number().nonnegative().default(0),
  memoryGiB: z.number().nonnegative().default(0),
});
export type Resources = z.infer<typeof Resources>;

export const PlacementConstraints = z.object({
  tiers: z.array(Tier).default([]),
  /** Region allow-list; globs such as `eu-*` are allowed. */
  regions: z.array(z.string().min(1)).default([]),
  maxGpuHourPrice: Usd.optional(),
  spot: SpotPolicy.default("never"),
  tolerations: z.array(Toleration).default([]),
  /** Name of an operator's BurstPolicy. */
  policy: z.string().optional(),
});
export type PlacementConstraints = z.infer<typeof PlacementConstraints>;

/** The user's own Kubernetes manifests, applied by the agent with Gantry's labels added. */
export const Manifest = z.looseObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
});
export type Manifest = z.infer<typeof Manifest>;

export const WorkloadSpec = z.object({
  type: WorkloadType,
  replicas: z.number().int().positive().default(1),
  /** All replicas must start together, in one cluster. */
  gang: z.boolean().default(false),
  resources: Resources.default({ gpu: { count: 0, models: [], minMemoryGiB: 0 }, cpu: 0, memoryGiB: 0 }),
  data: z.array(z.string().min(1)).default([]),
  placement: PlacementConstraints.default({ tiers: [], regions: [], spot: "never", tolerations: [] }),
  /** Expected run time of a job, used for cost estimates and by the simulated driver. */
  durationHours: z.number().positive().optional(),
  /** Runaway guard: stop the workload after this long. */
  maxRuntimeHours: z.number().positive().optional(),
  /** Higher runs first. */
  priority: z.number().int().default(0),
  /** A job that may be stopped and started again elsewhere (drain-back may move it). */
  restartable: z.boolean().default(false),
  template: z.preprocess((v) => (v === undefined || Array.isArray(v) ? v : [v]), z.array(Manifest).default([])),
  /**
   * Minutes between the job's checkpoints: the work a spot preemption can lose. The placement engine assumes 60
   * when unset; for a service, twice the time a replaced replica takes to serve again.
   */
  checkpointMinutes: z.number().positive().optional(),
});
export type WorkloadSpec = z.infer<typeof WorkloadSpec>;
export type WorkloadSpecInput = z.input<typeof WorkloadSpec>;

export const WorkloadMetadata = z.object({
  name: Name,
  tenant: Name.default("default"),
  labels: z.record(z.string(), z.string()).default({}),
});

/** A placement request as users write it (Kubernetes style). */
export const Workload = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("Workload"),
  metadata: WorkloadMetadata,
  spec: WorkloadSpec,
});
export type Workload = z.infer<typeof Workload>;
export type WorkloadInput = z.input<typeof Workload>;
