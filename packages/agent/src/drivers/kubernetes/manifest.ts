import type { Manifest, Placement, Toleration } from "@gantry/shared";
import { GPU_PRODUCT_LABEL } from "./gpu.ts";

/** Labels and annotations by which Gantry recognises its own objects. */
export const LABEL_WORKLOAD = "gantry.dev/workload";
export const LABEL_TENANT = "gantry.dev/tenant";
export const LABEL_MANAGED_BY = "gantry.dev/managed-by";
export const MANAGED_BY_VALUE = "gantry";
export const ANNOTATION_GENERATION = "gantry.dev/generation";
export const ANNOTATION_DECISION = "gantry.dev/decision";
export const OWNED_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}`;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** The object at `key`, created if absent (mutates `parent`, which is always our own deep copy). */
const child = (parent: Json, key: string): Json => {
  const v = parent[key];
  if (isObject(v)) return v;
  const created: Json = {};
  parent[key] = created;
  return created;
};

const objectsAt = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);

export interface DecorateContext {
  namespace: string;
  /** Raw `nvidia.com/gpu.product` values that match the placement's model. */
  gpuProducts: readonly string[];
  /** Nodes of the model that have no product label (known from their agent pod). Both empty: no GPU steering. */
  gpuNodes: readonly string[];
}

/**
 * A workload's toleration as a pod's: the same fields, as core/v1 serialises them (empty key and value omitted,
 * the operator always written so the pod says what the workload meant).
 */
export const podToleration = (t: Toleration): Json => ({
  ...(t.key ? { key: t.key } : {}),
  operator: t.operator,
  ...(t.value ? { value: t.value } : {}),
  ...(t.effect === undefined ? {} : { effect: t.effect }),
  ...(t.tolerationSeconds === undefined ? {} : { tolerationSeconds: t.tolerationSeconds }),
});

/** Steer one pod template: Gantry labels, GPU model affinity and the workload's tolerations. */
const decoratePodTemplate = (template: Json, placement: Placement, ctx: DecorateContext): void => {
  const meta = child(template, "metadata");
  Object.assign(child(meta, "labels"), ownershipLabels(placement));
  const spec = child(template, "spec");
  // A node qualifies by its product label, or by name when only its agent pod knows its GPUs (no GFD label).
  const alternatives: Json[] = [];
  if (ctx.gpuProducts.length > 0) {
    alternatives.push({ matchExpressions: [{ key: GPU_PRODUCT_LABEL, operator: "In", values: [...ctx.gpuProducts] }] });
  }
  if (ctx.gpuNodes.length > 0) {
    alternatives.push({ matchFields: [{ key: "metadata.name", operator: "In", values: [...ctx.gpuNodes] }] });
  }
  if (alternatives.length > 0) {
    // Terms are ORed, requirements within a term ANDed: every user term is combined with every alternative, so
    // the user's own affinity still holds and each way to run is restricted to the chosen model.
    const required = child(
      child(child(spec, "affinity"), "nodeAffinity"),
      "requiredDuringSchedulingIgnoredDuringExecution",
    );
    const terms = objectsAt(required.nodeSelectorTerms);
    const combined: Json[] = [];
    for (const term of terms.length === 0 ? [{}] : terms) {
      for (const alt of alternatives) {
        const next: Json = { ...term };
        for (const field of ["matchExpressions", "matchFields"] as const) {
          const extra = objectsAt(alt[field]);
          if (extra.length > 0) next[field] = [...objectsAt(term[field]), ...extra];
        }
        combined.push(next);
      }
    }
    required.nodeSelectorTerms = combined;
  }
  const tolerations = placement.spec.placement.tolerations.map(podToleration);
  if (tolerations.length > 0) spec.tolerations = [...objectsAt(spec.tolerations), ...tolerations];
};

/** Pod templates inside a workload object, and how to set its replica count. */
interface KindShape {
  templates(spec: Json): Json[];
  setReplicas(spec: Json, replicas: number): void;
}

const SHAPES: Record<string, KindShape> = {
  "batch/v1|Job": {
    templates: (spec) => [child(spec, "template")],
    setReplicas: (spec, n) => {
      spec.parallelism = n;
      // A split job runs its share of completions here; without completions it is a work queue.
      if (spec.completions !== undefined) spec.completions = n;
    },
  },
  "apps/v1|Deployment": {
    templates: (spec) => [child(spec, "template")],
    setReplicas: (spec, n) => {
      spec.replicas = n;
    },
  },
  "apps/v1|StatefulSet": {
    templates: (spec) => [child(spec, "template")],
    setReplicas: (spec, n) => {
      spec.replicas = n;
    },
  },
  "jobset.x-k8s.io/v1alpha2|JobSet": {
    templates: (spec) =>
      objectsAt(spec.replicatedJobs).map((rj) => child(child(child(rj, "template"), "spec"), "template")),
    setReplicas: (spec, n) => {
      const jobs = objectsAt(spec.replicatedJobs);
      // Only an unambiguous JobSet (one replicated job) can be scaled to the placement's share.
      if (jobs.length === 1 && jobs[0]) jobs[0].replicas = n;
    },
  },
  "leaderworkerset.x-k8s.io/v1|LeaderWorkerSet": {
    templates: (spec) => {
      const lwt = child(spec, "leaderWorkerTemplate");
      return [child(lwt, "workerTemplate"), ...(isObject(lwt.leaderTemplate) ? [lwt.leaderTemplate] : [])];
    },
    setReplicas: (spec, n) => {
      spec.replicas = n;
    },
  },
  "kubeflow.org/v1|PyTorchJob": {
    templates: (spec) =>
      Object.values(child(spec, "pytorchReplicaSpecs"))
        .filter(isObject)
        .map((r) => child(r, "template")),
    setReplicas: (spec, n) => {
      const specs = child(spec, "pytorchReplicaSpecs");
      const worker = specs.Worker;
      const masters = isObject(specs.Master) ? 1 : 0;
      if (isObject(worker)) worker.replicas = Math.max(0, n - masters);
    },
  },
  "ray.io/v1|RayJob": {
    templates: (spec) => {
      const cluster = child(spec, "rayClusterSpec");
      return [
        child(child(cluster, "headGroupSpec"), "template"),
        ...objectsAt(cluster.workerGroupSpecs).map((g) => child(g, "template")),
      ];
    },
    setReplicas: (spec, n) => {
      const groups = objectsAt(child(spec, "rayClusterSpec").workerGroupSpecs);
      if (groups.length === 1 && groups[0]) groups[0].replicas = n;
    },
  },
};

/** The ports the containers of a workload manifest's pod templates declare, in order (none for other kinds). */
export const containerPorts = (manifest: Manifest): { name?: string; containerPort: number }[] => {
  const shape = SHAPES[`${manifest.apiVersion}|${manifest.kind}`];
  if (!shape) return [];
  const spec = child(structuredClone(manifest) as Json, "spec");
  return shape
    .templates(spec)
    .flatMap((t) =>
      objectsAt(child(t, "spec").containers).flatMap((c) =>
        objectsAt(c.ports).flatMap((p) =>
          typeof p.containerPort === "number"
            ? [{ containerPort: p.containerPort, ...(typeof p.name === "string" ? { name: p.name } : {}) }]
            : [],
        ),
      ),
    );
};

/** Does Gantry steer this kind's pods (and set its replicas)? */
export const isWorkloadKind = (apiVersion: string, kind: string): boolean => `${apiVersion}|${kind}` in SHAPES;

/** The key Gantry knows a placement by (tenant/name) from an object's ownership labels; undefined when not ours. */
export const ownerKeyOf = (labels: Record<string, string> | undefined): string | undefined => {
  const workload = labels?.[LABEL_WORKLOAD];
  const tenant = labels?.[LABEL_TENANT];
  return workload && tenant ? `${tenant}/${workload}` : undefined;
};

export const ownershipLabels = (p: Placement): Record<string, string> => ({
  [LABEL_WORKLOAD]: p.workload,
  [LABEL_TENANT]: p.tenant,
  [LABEL_MANAGED_BY]: MANAGED_BY_VALUE,
});

/**
 * The object Gantry applies for one of the user's manifests: a deep copy with ownership labels,
 * generation and decision annotations, the tenant's namespace and, for workload kinds, GPU steering
 * and this cluster's share of the replicas. Server-managed fields are dropped so apply owns none of them.
 */
export const decorate = (manifest: Manifest, placement: Placement, ctx: DecorateContext, namespaced: boolean): Json => {
  const obj = structuredClone(manifest) as Json;
  delete obj.status;
  const meta = child(obj, "metadata");
  for (const field of ["resourceVersion", "uid", "creationTimestamp", "managedFields", "generation"])
    delete meta[field];
  if (namespaced) meta.namespace = ctx.namespace;
  else delete meta.namespace;
  Object.assign(child(meta, "labels"), ownershipLabels(placement));
  Object.assign(child(meta, "annotations"), {
    [ANNOTATION_GENERATION]: String(placement.generation),
    [ANNOTATION_DECISION]: placement.decisionId,
  });
  const shape = SHAPES[`${manifest.apiVersion}|${manifest.kind}`];
  if (shape) {
    const spec = child(obj, "spec");
    shape.setReplicas(spec, placement.replicas);
    for (const template of shape.templates(spec)) decoratePodTemplate(template, placement, ctx);
  }
  return obj;
};

/** The name of a manifest, or undefined when the user left it out (then it cannot be applied). */
export const nameOf = (manifest: Manifest): string | undefined => {
  const meta = (manifest as Json).metadata;
  return isObject(meta) && typeof meta.name === "string" && meta.name ? meta.name : undefined;
};
