import type { FieldIssue, Manifest } from "@gantry/shared";
import { validate as daemonSet } from "kubernetes-models/_schemas/IoK8sApiAppsV1DaemonSet";
import { validate as deployment } from "kubernetes-models/_schemas/IoK8sApiAppsV1Deployment";
import { validate as statefulSet } from "kubernetes-models/_schemas/IoK8sApiAppsV1StatefulSet";
import { validate as job } from "kubernetes-models/_schemas/IoK8sApiBatchV1Job";
import { validate as configMap } from "kubernetes-models/_schemas/IoK8sApiCoreV1ConfigMap";
import { validate as persistentVolumeClaim } from "kubernetes-models/_schemas/IoK8sApiCoreV1PersistentVolumeClaim";
import { validate as pod } from "kubernetes-models/_schemas/IoK8sApiCoreV1Pod";
import { validate as secret } from "kubernetes-models/_schemas/IoK8sApiCoreV1Secret";
import { validate as service } from "kubernetes-models/_schemas/IoK8sApiCoreV1Service";
import { validate as serviceAccount } from "kubernetes-models/_schemas/IoK8sApiCoreV1ServiceAccount";

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
 */
const SCHEMAS: ReadonlyMap<string, Validator> = new Map<string, Validator>([
  ["batch/v1|Job", job as Validator],
  ["apps/v1|Deployment", deployment as Validator],
  ["apps/v1|StatefulSet", statefulSet as Validator],
  ["apps/v1|DaemonSet", daemonSet as Validator],
  ["v1|Pod", pod as Validator],
  ["v1|Service", service as Validator],
  ["v1|ConfigMap", configMap as Validator],
  ["v1|Secret", secret as Validator],
  ["v1|ServiceAccount", serviceAccount as Validator],
  ["v1|PersistentVolumeClaim", persistentVolumeClaim as Validator],
]);

/** At most this many issues per manifest: the first few say what is wrong; hundreds would bury them. */
const MAX_ISSUES = 10;

/** Whether Gantry checks this kind against Kubernetes' schema. */
export const hasKubernetesSchema = (apiVersion: string, kind: string): boolean => SCHEMAS.has(`${apiVersion}|${kind}`);

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
export const templateIssues = (template: readonly Manifest[], at = "spec.template"): FieldIssue[] => {
  const issues: FieldIssue[] = [];
  template.forEach((manifest, i) => {
    const validate = SCHEMAS.get(`${manifest.apiVersion}|${manifest.kind}`);
    if (!validate || validate(manifest)) return;
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
  });
  return issues;
};
