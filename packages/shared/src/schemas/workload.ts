import { z } from "zod";
import { Tier } from "./cluster.ts";
import { GpuHourPrice, GpuModel, Identifier, Name } from "./common.ts";
import { LabelKey, Labels } from "./labels.ts";
import { boundedInt, boundedList, boundedNumber, boundedRecord, boundedString, LIMITS } from "./limits.ts";
import { AutoscalingSpec, ServingSpec } from "./serving.ts";
import { Tolerations } from "./tolerations.ts";

export const API_VERSION = "gantry.dev/v1alpha1";

export const WorkloadType = z.enum(["job", "service"]);
export type WorkloadType = z.infer<typeof WorkloadType>;

export const SpotPolicy = z.enum(["never", "allowed", "preferred"]);
export type SpotPolicy = z.infer<typeof SpotPolicy>;

export const GpuRequest = z.strictObject({
  count: boundedInt(LIMITS.gpusPerReplica).default(0),
  /** Acceptable GPU models; empty means any. */
  models: boundedList(GpuModel).default([]),
  minMemoryGiB: boundedNumber(LIMITS.gpuMemoryGiB).default(0),
});
export type GpuRequest = z.infer<typeof GpuRequest>;

/** Per-replica resources. */
export const Resources = z.strictObject({
  gpu: GpuRequest.default({ count: 0, models: [], minMemoryGiB: 0 }),
  cpu: boundedNumber(LIMITS.cpuCores).default(0),
  memoryGiB: boundedNumber(LIMITS.memoryGiB).default(0),
});
export type Resources = z.infer<typeof Resources>;

export const PlacementConstraints = z.strictObject({
  tiers: boundedList(Tier).default([]),
  /** Region allow-list; globs such as `eu-*` are allowed. */
  regions: boundedList(Identifier).default([]),
  maxGpuHourPrice: GpuHourPrice.optional(),
  spot: SpotPolicy.default("never"),
  /** Kubernetes tolerations: of the cluster's taints (placement) and, on the pods, of its nodes' taints. */
  tolerations: Tolerations.default([]),
  /** Name of an operator's BurstPolicy. */
  policy: Name.optional(),
});
export type PlacementConstraints = z.infer<typeof PlacementConstraints>;

/**
 * The user's own Kubernetes manifests, applied by the agent with Gantry's labels added. Loose on purpose: they are
 * the user's, and are checked against the cluster's own schemas, not Gantry's.
 */
export const Manifest = z.looseObject({
  apiVersion: boundedString(),
  kind: boundedString(),
});
export type Manifest = z.infer<typeof Manifest>;

/** What an agent cut off from the hub does with a workload: stop it, or keep it running until the hub is back. */
export const PartitionPolicy = z.enum(["stop", "keepRunning"]);
export type PartitionPolicy = z.infer<typeof PartitionPolicy>;

/** Re-place a workload elsewhere once its cluster has been offline this long. */
export const Failover = z.strictObject({
  afterSeconds: boundedNumber(LIMITS.seconds, { positive: true }),
});
export type Failover = z.infer<typeof Failover>;

/** Fields only a service may set; a job that sets one is refused, naming it. */
const SERVICE_ONLY = ["autoscaling", "serving"] as const;

export const WorkloadSpec = z
  .strictObject({
    type: WorkloadType,
    replicas: boundedInt(LIMITS.replicas).default(1),
    /** All replicas must start together, in one cluster. */
    gang: z.boolean().default(false),
    resources: Resources.default({ gpu: { count: 0, models: [], minMemoryGiB: 0 }, cpu: 0, memoryGiB: 0 }),
    data: boundedList(Identifier).default([]),
    placement: PlacementConstraints.default({ tiers: [], regions: [], spot: "never", tolerations: [] }),
    /** Expected run time of a job, used for cost estimates and by the simulated driver. */
    durationHours: boundedNumber(LIMITS.hours, { positive: true }).optional(),
    /** Runaway guard: stop the workload after this long. */
    maxRuntimeHours: boundedNumber(LIMITS.hours, { positive: true }).optional(),
    /** Higher runs first. */
    priority: boundedInt(LIMITS.priority).default(0),
    /** A job that may be stopped and started again elsewhere (drain-back may move it). */
    restartable: z.boolean().default(false),
    /** Re-place the workload after its cluster has been offline for `afterSeconds`. Absent: wait for the cluster. */
    failover: Failover.optional(),
    /**
     * What an agent cut off from the hub does with it. Absent: `stop` for jobs (the hub may place them again
     * elsewhere), `keepRunning` for services (serving stale is better than not serving); see `partitionPolicyOf`.
     */
    partitionPolicy: PartitionPolicy.optional(),
    /** How often the job checkpoints, in minutes: the work lost when it is stopped and started elsewhere. */
    checkpointMinutes: boundedNumber(LIMITS.checkpointMinutes, { positive: true }).optional(),
    /** Services only: how the hub scales the replicas. */
    autoscaling: AutoscalingSpec.optional(),
    /** Services only: whom the service serves, and its latency objective. */
    serving: ServingSpec.optional(),
    template: z.preprocess(
      (v) => (v === undefined || Array.isArray(v) ? v : [v]),
      boundedList(Manifest, LIMITS.templateManifests).default([]),
    ),
  })
  .superRefine((spec, ctx) => {
    if (spec.type === "service") return;
    for (const field of SERVICE_ONLY) {
      if (spec[field] !== undefined) {
        ctx.addIssue({ code: "custom", path: [field], message: `only a service may set ${field}; this is a job` });
      }
    }
  });
export type WorkloadSpec = z.infer<typeof WorkloadSpec>;
export type WorkloadSpecInput = z.input<typeof WorkloadSpec>;

/** The partition policy in force: the one given, else `stop` for jobs and `keepRunning` for services. */
export const partitionPolicyOf = (spec: Pick<WorkloadSpec, "type" | "partitionPolicy">): PartitionPolicy =>
  spec.partitionPolicy ?? (spec.type === "service" ? "keepRunning" : "stop");

export const WorkloadMetadata = z.strictObject({
  name: Name,
  tenant: Name.default("default"),
  labels: Labels.default({}),
  /** Free-form notes (as Kubernetes annotations): kept and shown, never interpreted. */
  annotations: boundedRecord(LabelKey, boundedString(LIMITS.annotationValueLength, 0), LIMITS.labels).default({}),
});

/** A placement request as users write it (Kubernetes style). */
export const Workload = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("Workload"),
  metadata: WorkloadMetadata,
  spec: WorkloadSpec,
});
export type Workload = z.infer<typeof Workload>;
export type WorkloadInput = z.input<typeof Workload>;
