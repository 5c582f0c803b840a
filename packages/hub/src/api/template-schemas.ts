import type { FieldIssue, Manifest } from "@gantry/shared";

/** One schema violation as Ajv (which compiled kubernetes-models' validators) reports it. */
interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}
type Validator = ((data: unknown) => boolean) & { errors?: SchemaError[] | null };

/**
 * Kubernetes' OpenAPI schemas of the kinds users put in a workload's `template`, compiled (kubernetes-models ships
 * them, offline, for Kubernetes 1.34). Kinds not listed — the JobSet, LeaderWorkerSet, PyTorchJob and RayJob CRDs,
 * whose schemas no package ships — pass unchecked: their cluster's API server judges them when the agent applies.
 * Loaded on first use: the validators cost a quarter of a second to load, which every CLI command would pay.
 */
const SCHEMA_MODULES: Record<string, () => Promise<{ validate: unknown }>> = {
  "batch/v1|Job": () => import("kubernetes-models/_schemas/IoK8sApiBatchV1Job"),
  "apps/v1|Deployment": () => import("kubernetes-models/_schemas/IoK8sApiAppsV1Deployment"),
  "apps/v1|StatefulSet": () => import("kubernetes-models/_schemas/IoK8sApiAppsV1StatefulSet"),
  "apps/v1|DaemonSet": () => import("kubernetes-models/_schemas/IoK8sApiAppsV1DaemonSet"),
  "v1|Pod": () => import("kubernetes-models/_schemas/IoK8sApiCoreV1Pod"),
  "v1|Service": () => import("kubernetes-models/_schemas/IoK8sApiCoreV1Service"),
  "v1|ConfigMap": () => import("kubernetes-models/_schemas/IoK8sApiCoreV1ConfigMap"),
  "v1|Secret": () => import("kubernetes-models/_schemas/IoK8sApiCoreV1Secret"),
  "v1|ServiceAccount": () => import("kubernetes-models/_schemas/IoK8sApiCoreV1ServiceAccount"),
  "v1|PersistentVolumeClaim": () => import("kubernetes-models/_schemas/IoK8sApiCoreV1PersistentVolumeClaim"),
};
const loaded = new Map<string, Promise<Validator>>();
const validatorFor = (key: string): Promise<Validator> | undefined => {
  const load = SCHEMA_MODULES[key];
  if (!load) return undefined;
  let v = loaded.get(key);
  if (!v) {
    v = load().then((m) => m.validate as Validator);
    loaded.set(key, v);
  }
  return v;
};

/**
 * Load every validator now. The hub calls it once it serves, so the first submission after a start does not wait
 * for the schemas to load and compile (a quarter of a second, a second on a loaded machine); the CLI never does.
 */
export const preloadTemplateSchemas = async (): Promise<void> => {
  await Promise.all(Object.keys(SCHEMA_MODULES).map((key) => validatorFor(key)));
};

/** At most this many issues per manifest: the first few say what is wrong; hundreds would bury them. */
const MAX_ISSUES = 10;

/** Whether Gantry checks this kind against Kubernetes' schema. */
export const hasKubernetesSchema = (apiVersion: string, kind: string): boolean =>
  `${apiVersion}|${kind}` in SCHEMA_MODULES;

const messageOf = (e: SchemaError): string => {
  const p = e.params;
  switch (e.keyword) {
    case "required":
      return "is required";
    case "type":
      return `must be ${String(p.type).replaceAll(",", " or ")}`;
    case "enum":
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    case "format":
      return `must be a ${String(p.format)}`;
    default:
      return e.message ?? `fails the schema's ${e.keyword} rule`;
  }
};

/** `/spec/template/spec/containers/0` → `spec.template.spec.containers.0` (JSON Pointer unescaped). */
const dotted = (pointer: string): string[] =>
  pointer === ""
    ? []
    : pointer
        .slice(1)
        .split("/")
        .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));

/**
 * The user's manifests checked against the Kubernetes OpenAPI schema of their kind, as the API server would on apply:
 * each issue names the path inside the workload (`spec.template.0.spec.template.spec.containers.0.image`). Unknown
 * kinds pass; so do unknown fields, which Kubernetes' published schemas do not close.
 */
export const templateIssues = async (template: readonly Manifest[], at = "spec.template"): Promise<FieldIssue[]> => {
  const issues: FieldIssue[] = [];
  for (const [i, manifest] of template.entries()) {
    const validate = await validatorFor(`${manifest.apiVersion}|${manifest.kind}`);
    if (!validate || validate(manifest)) continue;
    const seen = new Set<string>();
    for (const e of validate.errors ?? []) {
      if (seen.size >= MAX_ISSUES) break;
      const path = dotted(e.instancePath);
      if (e.keyword === "required") path.push(String(e.params.missingProperty));
      const field = [at, i, ...path].join(".");
      const message = `${messageOf(e)} (Kubernetes' ${manifest.apiVersion} ${manifest.kind} schema)`;
      if (seen.has(`${field} ${message}`)) continue;
      seen.add(`${field} ${message}`);
      issues.push({ field, message });
    }
  }
  return issues;
};
