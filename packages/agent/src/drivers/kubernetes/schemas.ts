import { z } from "zod";

/**
 * Narrow views of Kubernetes API responses: only the fields the driver reads. Parsing through these
 * both validates what the API sent and drops everything else before it is kept in memory.
 */

const StringMap = z.record(z.string(), z.string());

export const ObjectMeta = z.object({
  name: z.string(),
  namespace: z.string().optional(),
  resourceVersion: z.string().optional(),
  uid: z.string().optional(),
  labels: StringMap.optional(),
  annotations: StringMap.optional(),
  creationTimestamp: z.string().optional(),
  /** Set while the object is being deleted (finalizers, Foreground propagation): it is going away. */
  deletionTimestamp: z.string().nullable().optional(),
});
export type ObjectMeta = z.infer<typeof ObjectMeta>;

/** The `Status` object the API returns for errors (and inside watch ERROR events). */
export const ApiStatus = z.object({
  kind: z.literal("Status").optional(),
  status: z.string().optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  code: z.number().optional(),
  details: z
    .object({
      name: z.string().optional(),
      group: z.string().optional(),
      kind: z.string().optional(),
      causes: z
        .array(
          z.object({ reason: z.string().optional(), message: z.string().optional(), field: z.string().optional() }),
        )
        .optional(),
    })
    .optional(),
});
export type ApiStatus = z.infer<typeof ApiStatus>;

export const ListMeta = z.object({
  resourceVersion: z.string().optional(),
  continue: z.string().optional(),
});

/** A list page; items stay `unknown` so each is parsed (and reduced) on its own. */
export const ListEnvelope = z.object({
  metadata: ListMeta.default({}),
  items: z.array(z.unknown()).nullable().default([]),
});

export const WatchEvent = z.object({
  type: z.enum(["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]),
  object: z.unknown(),
});
export type WatchEvent = z.infer<typeof WatchEvent>;

/** Only the resourceVersion of a BOOKMARK object matters. */
export const BookmarkObject = z.object({ metadata: z.object({ resourceVersion: z.string() }) });

const Quantities = StringMap.optional();

export const KubeNode = z.object({
  metadata: ObjectMeta,
  spec: z
    .object({
      unschedulable: z.boolean().optional(),
      taints: z.array(z.object({ key: z.string(), value: z.string().optional(), effect: z.string() })).optional(),
    })
    .default({}),
  status: z
    .object({
      allocatable: Quantities,
      capacity: Quantities,
      conditions: z.array(z.object({ type: z.string(), status: z.string() })).optional(),
    })
    .default({}),
});
export type KubeNode = z.infer<typeof KubeNode>;

const Container = z.object({
  resources: z.object({ requests: Quantities, limits: Quantities }).optional(),
});

const PodCondition = z.object({
  type: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  message: z.string().optional(),
});

export const KubePod = z.object({
  metadata: ObjectMeta,
  spec: z
    .object({
      nodeName: z.string().optional(),
      containers: z.array(Container).default([]),
      initContainers: z.array(Container).optional(),
    })
    .default({ containers: [] }),
  status: z
    .object({
      phase: z.string().optional(),
      conditions: z.array(PodCondition).optional(),
      containerStatuses: z
        .array(
          z.object({
            ready: z.boolean().optional(),
            state: z
              .object({
                waiting: z.object({ reason: z.string().optional(), message: z.string().optional() }).optional(),
              })
              .optional(),
          }),
        )
        .optional(),
    })
    .default({}),
});
export type KubePod = z.infer<typeof KubePod>;

const Condition = z.object({
  type: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  message: z.string().optional(),
});

/** Any workload object (Job, Deployment, StatefulSet, CRDs): the status fields we interpret. */
export const KubeWorkloadObject = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: ObjectMeta,
  spec: z.object({ replicas: z.number().optional(), parallelism: z.number().optional() }).loose().optional(),
  status: z
    .object({
      conditions: z.array(Condition).optional(),
      readyReplicas: z.number().optional(),
      replicas: z.number().optional(),
      availableReplicas: z.number().optional(),
      active: z.number().optional(),
      ready: z.number().optional(),
      succeeded: z.number().optional(),
      failed: z.number().optional(),
      startTime: z.string().optional(),
      completionTime: z.string().optional(),
    })
    .loose()
    .optional(),
});
export type KubeWorkloadObject = z.infer<typeof KubeWorkloadObject>;

export const KubeEvent = z.object({
  metadata: ObjectMeta,
  involvedObject: z.object({ kind: z.string().optional(), name: z.string().optional() }).default({}),
  reason: z.string().optional(),
  message: z.string().optional(),
  type: z.string().optional(),
  count: z.number().optional(),
  lastTimestamp: z.string().nullable().optional(),
  eventTime: z.string().nullable().optional(),
});
export type KubeEvent = z.infer<typeof KubeEvent>;

export const KubeLease = z.object({
  metadata: ObjectMeta,
  spec: z
    .object({
      holderIdentity: z.string().nullable().optional(),
      leaseDurationSeconds: z.number().nullable().optional(),
      acquireTime: z.string().nullable().optional(),
      renewTime: z.string().nullable().optional(),
      leaseTransitions: z.number().nullable().optional(),
    })
    .default({}),
});
export type KubeLease = z.infer<typeof KubeLease>;

/** Discovery document of one group/version: which resources exist, their plural and scope. */
export const ApiResourceList = z.object({
  resources: z.array(z.object({ name: z.string(), kind: z.string(), namespaced: z.boolean() })),
});

/** A pod as the serving observer reads it: readiness, timing, where its metrics are. */
export const KubeServingPod = z.object({
  metadata: ObjectMeta,
  spec: z
    .object({
      containers: z
        .array(
          z.object({
            ports: z.array(z.object({ containerPort: z.number().int(), name: z.string().optional() })).optional(),
          }),
        )
        .default([]),
    })
    .default({ containers: [] }),
  status: z
    .object({
      phase: z.string().optional(),
      podIP: z.string().optional(),
      startTime: z.string().optional(),
      conditions: z
        .array(z.object({ type: z.string(), status: z.string(), lastTransitionTime: z.string().nullable().optional() }))
        .optional(),
    })
    .default({}),
});
export type KubeServingPod = z.infer<typeof KubeServingPod>;
